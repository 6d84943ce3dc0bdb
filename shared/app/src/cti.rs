//! Screen pop (T5): the event stream of one user (or of a whole tenant,
//! for monitoring), and the short-lived tokens a customer's web page opens
//! it with.
//!
//! An integrator's server mints a token for a user with its API key
//! (`POST /v1/cti/tokens`) and hands it to the page; the page's `/cti.js`
//! opens `GET /v1/cti/stream?token=…` (server-sent events). Only the hash
//! of a token is stored, with its expiry.
//!
//! The stream reads the tenant's event log (`store::repo::events`), never
//! only the live feed: each event's log position is its SSE id, so a
//! browser that reconnects with `Last-Event-ID` gets what it missed. The
//! live feed (in-process) only says when to read; without one (on AWS)
//! the log is read every second. Events of different calls can be staged
//! slightly out of time order, so each read looks [`GRACE_MS`] back and
//! skips the ids already sent.

use std::collections::{HashSet, VecDeque};

use domain::event::Event;
use domain::{AccountId, TenantId};
use sha2::{Digest as _, Sha256};
use store::repo::events as log;
use store::repo::sessions::{self, Session};

use crate::fail::{Fail, FailKind, Outcome};
use crate::state::App;

/// How far back each read of the log looks, for events staged late.
pub const GRACE_MS: i64 = 2_000;
/// The longest a stream token lives.
pub const MAX_TTL_SECS: i64 = 24 * 3600;
/// Ids remembered as sent (for the look-back).
const REMEMBER: usize = 2_048;

/// A minted stream token: shown once.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Minted {
    pub token: String,
    pub account: AccountId,
    pub expires_at: i64,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A token for `account`'s stream, valid for `ttl_secs` (1 minute to 24 hours).
pub async fn mint(
    app: &App,
    t: &TenantId,
    account: &str,
    ttl_secs: Option<i64>,
) -> Outcome<Minted> {
    let ttl = ttl_secs.unwrap_or(12 * 3600);
    if !(60..=MAX_TTL_SECS).contains(&ttl) {
        return Err(Fail::bad(
            "invalid_ttl",
            "ttl_secs",
            format!("ttl_secs는 60에서 {MAX_TTL_SECS} 사이입니다"),
        ));
    }
    let id = AccountId::parse(account)
        .map_err(|_| Fail::bad("account", "account", "계정 id가 올바르지 않습니다"))?;
    let a = store::repo::accounts::get(&*app.store, t, &id)
        .await?
        .ok_or_else(|| Fail::bad("account", "account", "해당 계정이 없습니다"))?;
    let token = format!("ctk_{}", crate::auth::token());
    let now = store::now_epoch_seconds();
    let session = Session {
        tenant: t.clone(),
        account: a.id.clone(),
        role: a.role,
        csrf: String::new(),
        created_at: now,
        expires_at: now + ttl,
    };
    sessions::create(
        &*app.store,
        &store::keys::stream_token(&hash(&token)),
        &session,
    )
    .await?;
    Ok(Minted {
        token,
        account: a.id,
        expires_at: now + ttl,
    })
}

/// Whose stream a token opens.
pub async fn open(app: &App, token: &str) -> Outcome<(TenantId, AccountId)> {
    let refused = || {
        Fail::new(
            FailKind::Unauthenticated,
            "invalid_token",
            "스트림 토큰이 없거나 만료되었습니다",
        )
    };
    if !token.starts_with("ctk_") || token.len() > 100 {
        return Err(refused());
    }
    let s = sessions::get(&*app.store, &store::keys::stream_token(&hash(token)))
        .await?
        .ok_or_else(refused)?;
    Ok((s.tenant, s.account))
}

/// Log entries read per page.
const PAGE: usize = 500;

/// A reader of one stream's events: the tenant's, or one user's.
///
/// [`Reader::next`] reads the tenant's log forward from where it last read
/// (every page, however many of the tenant's events are for others): to
/// catch up when a stream opens or resumes, and, without an in-process feed
/// (AWS), every second. With the feed, events are [`Reader::offer`]ed as
/// they are announced and the log is read again only when the stream fell
/// behind the feed. Either way an event is passed on once. Without the
/// feed, an event staged after later ones (another edge, the recording
/// uploader) sits behind the read point, so each read also looks
/// [`GRACE_MS`] back, at most once per [`GRACE_MS`].
#[derive(Debug)]
pub struct Reader {
    tenant: TenantId,
    account: Option<AccountId>,
    /// Nothing at or before this log position is sent: where the stream
    /// started, or what the browser had before it reconnected.
    floor: String,
    /// How far the log has been read (any user's events).
    read_to: String,
    /// When the last look back was made (ms).
    looked_back_ms: i64,
    sent: HashSet<String>,
    order: VecDeque<String>,
}

impl Reader {
    /// A reader continuing after `last_event_id` (a log position), or from
    /// `now_ms` when there is none.
    pub fn new(
        tenant: TenantId,
        account: Option<AccountId>,
        last_event_id: Option<&str>,
        now_ms: i64,
    ) -> Self {
        let floor = match last_event_id.filter(|l| position_ms(l).is_some()) {
            Some(l) => l.to_owned(),
            None => format!("{:015}#", now_ms.max(0)),
        };
        Self {
            tenant,
            account,
            read_to: floor.clone(),
            floor,
            looked_back_ms: now_ms,
            sent: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// Whether the stream shows `e`.
    pub fn wants(&self, e: &Event) -> bool {
        e.tenant == self.tenant
            && self
                .account
                .as_ref()
                .is_none_or(|a| e.accounts().contains(&a))
    }

    /// An event as it is announced: returned (once) when the stream shows it.
    pub fn offer(&mut self, e: &Event) -> Option<(String, Event)> {
        self.take(log::position(e), e.clone())
    }

    /// The events not sent yet, oldest first, with their SSE ids (log
    /// positions); each is returned once. `look_back`: also look for
    /// events staged late (when nothing offers them).
    pub async fn next(
        &mut self,
        app: &App,
        now_ms: i64,
        look_back: bool,
    ) -> Outcome<Vec<(String, Event)>> {
        let mut out = Vec::new();
        if look_back && now_ms - self.looked_back_ms >= GRACE_MS {
            self.looked_back_ms = now_ms;
            let read_ms = position_ms(&self.read_to).unwrap_or(now_ms);
            let mut from = format!("{:015}#", (read_ms - GRACE_MS).max(0));
            while from < self.read_to {
                let page = log::since(&*app.store, &self.tenant, &from, now_ms, PAGE).await?;
                let full = page.len() == PAGE;
                for (pos, e) in page {
                    if pos > self.read_to {
                        break;
                    }
                    from.clone_from(&pos);
                    out.extend(self.take(pos, e));
                }
                if !full {
                    break;
                }
            }
        }
        loop {
            let page = log::since(&*app.store, &self.tenant, &self.read_to, now_ms, PAGE).await?;
            let full = page.len() == PAGE;
            for (pos, e) in page {
                self.read_to.clone_from(&pos);
                out.extend(self.take(pos, e));
            }
            if !full {
                break;
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// `e` at `pos`, unless it is not for this stream or was sent.
    fn take(&mut self, pos: String, e: Event) -> Option<(String, Event)> {
        if pos <= self.floor || self.sent.contains(&e.id) || !self.wants(&e) {
            return None;
        }
        if self.sent.insert(e.id.clone()) {
            self.order.push_back(e.id.clone());
        }
        while self.order.len() > REMEMBER {
            if let Some(old) = self.order.pop_front() {
                self.sent.remove(&old);
            }
        }
        Some((pos, e))
    }
}

fn position_ms(pos: &str) -> Option<i64> {
    pos.split_once('#')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::call::{CallRecord, Direction, Party};
    use domain::event::Tracker;

    fn call(t: &TenantId, callee: Option<AccountId>, at_ms: i64) -> Vec<Event> {
        let callee = Party {
            number: "1001".into(),
            account: callee,
            name: None,
        };
        let r = CallRecord::starting(
            t.clone(),
            Direction::Incoming,
            Party::default(),
            callee,
            at_ms,
            "e1",
        );
        Tracker::default().observe(&r, false, at_ms)
    }

    #[tokio::test]
    async fn a_reader_sends_its_users_events_once_including_late_ones_and_resumes_after_an_id() {
        let dir = tempfile::tempdir().expect("dir");
        let app = App::in_memory(dir.path(), "http://127.0.0.1:9").expect("app");
        let t = TenantId::parse("acme").expect("tenant");
        let me = AccountId::parse(&"a".repeat(32)).expect("account");
        let other = AccountId::parse(&"b".repeat(32)).expect("account");
        let now = store::now_epoch_ms();
        let mut reader = Reader::new(t.clone(), Some(me.clone()), None, now);
        let stage = |events: Vec<Event>| {
            let store = app.store.clone();
            async move { log::stage(&*store, "o", &events).await.expect("stage") }
        };
        stage(call(&t, Some(me.clone()), now - 60_000)).await; // before the stream
        stage(call(&t, Some(me.clone()), now + 10)).await;
        stage(call(&t, Some(other.clone()), now + 20)).await; // someone else's
        let got = reader.next(&app, now + 100, false).await.expect("read");
        assert_eq!(got.len(), 1);
        // The same, read without a live feed (as on AWS).
        let mut polled = Reader::new(t.clone(), Some(me.clone()), None, now);
        assert_eq!(
            polled
                .next(&app, now + 100, true)
                .await
                .expect("read")
                .len(),
            1
        );
        assert!(
            reader
                .next(&app, now + 100, false)
                .await
                .expect("read")
                .is_empty(),
            "once"
        );
        // Staged late, with an earlier time than what was read: offered as
        // announced, or found by a look back, once.
        let late_event = call(&t, Some(me.clone()), now + 5);
        stage(late_event.clone()).await;
        assert!(
            reader
                .next(&app, now + 200, false)
                .await
                .expect("read")
                .is_empty()
        );
        assert!(reader.offer(&late_event[0]).is_some(), "offered");
        assert!(reader.offer(&late_event[0]).is_none(), "once");
        let late = polled
            .next(&app, now + 100 + GRACE_MS, true)
            .await
            .expect("read");
        assert_eq!(late.len(), 1, "the look back finds it");
        assert_eq!(late[0].1.id, late_event[0].id);

        // Far more of others' events than a page: the reader keeps up.
        for i in 0..(PAGE as i64 + 100) {
            stage(call(&t, Some(other.clone()), now + 30 + i)).await;
        }
        stage(call(&t, Some(me.clone()), now + 30 + PAGE as i64 + 200)).await;
        let after_crowd = reader.next(&app, now + 2_000, false).await.expect("read");
        assert_eq!(after_crowd.len(), 1, "found behind 600 others");

        // A browser that had the first event reconnects: it gets the rest.
        let mut again = Reader::new(t.clone(), Some(me), Some(&got[0].0), now + 300);
        let rest = again.next(&app, now + 300, false).await.expect("read");
        assert!(rest.iter().all(|(pos, _)| *pos > got[0].0), "{rest:?}");
        assert!(rest.iter().all(|(_, e)| e.id != got[0].1.id));
    }
}
