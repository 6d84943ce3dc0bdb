//! The outbox dispatcher: takes due deliveries from the queue, sends each
//! through the messaging port with its own idempotency key, and records the
//! outcome. Transient failures come back with exponential backoff; after
//! [`MAX_ATTEMPTS`] a delivery is failed for good (dead letter). A per-tenant
//! rate limit spreads big batches. A dispatcher that dies mid-send leaves
//! its claimed deliveries to reappear when their lease ends; the provider's
//! idempotency key keeps that from sending twice.

use std::collections::HashMap;

use domain::PhoneNumber;
use messaging::{Outbound, SendError};
use store::Item;
use store::repo::messages::{self, SHARDS};

use crate::fail::{Fail, Outcome};
use crate::state::App;

pub const MAX_ATTEMPTS: i64 = 5;
/// How long a claimed delivery is ours before another dispatcher may take it.
pub const LEASE_MS: i64 = 60_000;
/// Messages per second per tenant, unless configured.
pub const RATE_PER_SECOND: i64 = 200;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub delivered: usize,
    pub failed: usize,
    pub retried: usize,
    pub deferred: usize,
}

/// Backoff before attempt `n + 1`: 2 s, 4 s, 8 s, 16 s.
fn backoff_ms(attempts: i64) -> i64 {
    1000 << attempts.clamp(1, 10)
}

/// Processes what is due at `now_ms`, up to `limit` deliveries a shard.
pub async fn run_once(app: &App, now_ms: i64, limit: usize) -> Outcome<Stats> {
    let store = &*app.store;
    let mut stats = Stats::default();
    let mut batches: HashMap<(String, String), Option<Item>> = HashMap::new();
    for shard in 0..SHARDS {
        for (item, seen) in messages::due(store, shard, now_ms, limit).await? {
            let Some(claimed) = messages::claim(store, &item, &seen, now_ms + LEASE_MS).await?
            else {
                continue; // another dispatcher took it
            };
            let tenant = claimed.s("tenant_id").unwrap_or_default().to_owned();
            // One counter update per send: the first `sms_rate` of a second go out.
            let sent_this_second =
                store::repo::throttle::hit(store, &format!("SMSRATE#{tenant}"), 1).await?;
            if sent_this_second > app.sms_rate {
                messages::retry_at(store, &claimed, now_ms + 1000, "rate limited", false).await?;
                stats.deferred += 1;
                continue;
            }
            let bkey = (
                claimed.s("batch_pk").unwrap_or_default().to_owned(),
                claimed.s("batch_sk").unwrap_or_default().to_owned(),
            );
            if !batches.contains_key(&bkey) {
                let b = store
                    .get(&store::Key::new(bkey.0.clone(), bkey.1.clone()))
                    .await?;
                batches.insert(bkey.clone(), b);
            }
            let Some(Some(batch)) = batches.get(&bkey) else {
                messages::finish(store, &claimed, false, None, Some("batch missing"), now_ms)
                    .await?;
                stats.failed += 1;
                continue;
            };
            if batch.s("kind") == Some("ALIMTALK") {
                let tally = alimtalk(app, batch, &claimed, now_ms).await?;
                stats.delivered += tally.delivered;
                stats.failed += tally.failed;
                stats.retried += tally.retried;
                continue;
            }
            let outcome = send(app, batch, &claimed).await;
            match outcome {
                Ok(id) => {
                    messages::finish(store, &claimed, true, Some(&id), None, now_ms).await?;
                    stats.delivered += 1;
                }
                Err(SendError::Rejected(why)) => {
                    messages::finish(store, &claimed, false, None, Some(&why), now_ms).await?;
                    stats.failed += 1;
                }
                Err(SendError::Unavailable(why)) => {
                    let attempts = claimed.n("attempts").unwrap_or(1);
                    if attempts >= MAX_ATTEMPTS {
                        messages::finish(
                            store,
                            &claimed,
                            false,
                            None,
                            Some(&format!("gave up after {attempts} attempts: {why}")),
                            now_ms,
                        )
                        .await?;
                        stats.failed += 1;
                    } else {
                        messages::retry_at(
                            store,
                            &claimed,
                            now_ms + backoff_ms(attempts),
                            &why,
                            true,
                        )
                        .await?;
                        stats.retried += 1;
                    }
                }
            }
        }
    }
    Ok(stats)
}

async fn send(app: &App, batch: &Item, d: &Item) -> Result<String, SendError> {
    let bad = |m: &str| SendError::Rejected(m.to_owned());
    let from = PhoneNumber::from_e164(batch.s("from").unwrap_or_default())
        .map_err(|_| bad("bad sender number"))?;
    let to =
        PhoneNumber::from_e164(d.s("to").unwrap_or_default()).map_err(|_| bad("bad recipient"))?;
    let kind = match batch.s("kind") {
        Some("SMS") => domain::sms::MessageKind::Sms,
        Some("LMS") => domain::sms::MessageKind::Lms,
        _ => domain::sms::MessageKind::Mms,
    };
    let images: Vec<String> = batch
        .s("images")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let key = format!(
        "{}#{}",
        d.s("batch_id").unwrap_or_default(),
        d.s("sk").unwrap_or_default()
    );
    app.sms
        .send(Outbound {
            from: &from,
            to: &to,
            kind,
            subject: batch.s("subject"),
            body: batch.s("body").unwrap_or_default(),
            images: &images,
            idempotency_key: &key,
        })
        .await
}

/// One Alimtalk delivery: sent as Alimtalk, or (when that is impossible, or
/// the provider stays down) replaced by an SMS/LMS batch to that recipient,
/// created once however often this runs.
async fn alimtalk(app: &App, batch: &Item, d: &Item, now_ms: i64) -> Outcome<Stats> {
    use ::messaging::kakao::{AlimtalkError, KakaoAccount};
    let store = &*app.store;
    let mut stats = Stats::default();
    let tenant = domain::TenantId::parse(batch.s("tenant_id").unwrap_or_default())
        .map_err(|e| Fail::internal(&e))?;
    let to =
        PhoneNumber::from_e164(d.s("to").unwrap_or_default()).map_err(|e| Fail::internal(&e))?;
    let key = format!(
        "{}#{}",
        d.s("batch_id").unwrap_or_default(),
        d.s("sk").unwrap_or_default()
    );
    let result = match store::repo::tenants::kakao(store, &tenant).await? {
        Some((endpoint, sender_key, api_key)) => {
            let account = KakaoAccount {
                endpoint,
                sender_key,
                api_key,
            };
            app.kakao
                .send(
                    &account,
                    batch.s("subject").unwrap_or_default(),
                    &to,
                    batch.s("body").unwrap_or_default(),
                    &key,
                )
                .await
        }
        None => Err(AlimtalkError::Refused("no Kakao account".into())),
    };
    let why = match result {
        Ok(id) => {
            messages::finish(store, d, true, Some(&id), None, now_ms).await?;
            stats.delivered += 1;
            return Ok(stats);
        }
        Err(AlimtalkError::Unavailable(e)) if d.n("attempts").unwrap_or(1) < MAX_ATTEMPTS => {
            messages::retry_at(
                store,
                d,
                now_ms + backoff_ms(d.n("attempts").unwrap_or(1)),
                &e,
                true,
            )
            .await?;
            stats.retried += 1;
            return Ok(stats);
        }
        Err(e) => e.to_string(),
    };
    // Fall back to SMS/LMS with the same text, once per delivery.
    let from = PhoneNumber::from_e164(batch.s("from").unwrap_or_default())
        .map_err(|e| Fail::internal(&e))?;
    let sender = crate::messaging::Sender {
        tenant: tenant.clone(),
        account: batch.s("sender_account").unwrap_or("api").to_owned(),
        from,
        as_admin: batch.bool("as_admin").unwrap_or(true),
    };
    let input = crate::messaging::SendInput {
        recipients: vec![to.e164()],
        text: batch.s("body").unwrap_or_default().to_owned(),
        ..Default::default()
    };
    let fallback =
        match crate::messaging::accept_as(app, &sender, input, Some(&format!("fallback-{key}")))
            .await
        {
            Ok(b) => b,
            Err(crate::messaging::SendError::Fail(f)) => return Err(f),
            Err(crate::messaging::SendError::Recipients(_)) => {
                return Err(Fail::internal(&"fallback recipient invalid"));
            }
        };
    store::repo::messages::mark_fallback(store, &fallback, d.s("batch_id").unwrap_or_default())
        .await?;
    messages::finish(
        store,
        d,
        false,
        None,
        Some(&format!("알림톡 실패 ({why}) → 문자로 대체발송")),
        now_ms,
    )
    .await?;
    stats.failed += 1;
    Ok(stats)
}

/// Sends until nothing is due (tests and the local product's loop).
pub async fn drain(app: &App, now_ms: i64) -> Outcome<Stats> {
    let mut total = Stats::default();
    for _ in 0..10_000 {
        let s = run_once(app, now_ms, 100).await?;
        total.delivered += s.delivered;
        total.failed += s.failed;
        total.retried += s.retried;
        total.deferred += s.deferred;
        if s == Stats::default() {
            return Ok(total);
        }
    }
    Err(Fail::internal(&"the outbox did not drain"))
}
