//! What the local sinks "sent" (SMS, mail) in the embedded product: kept in
//! the table so the portal and tests can see them. Newest first.

use super::{RepoResult, corrupt};
use crate::{Item, Key, Query, Store, keys, now_epoch_seconds};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkMessage {
    pub id: String,
    pub channel: String,
    pub from: String,
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    pub at_ms: i64,
}

pub async fn record(store: &dyn Store, m: &SinkMessage) -> RepoResult<()> {
    let item = Item::new(&Key::new(
        keys::sink_pk(&m.channel),
        format!("{:015}#{}", m.at_ms, m.id),
    ))
    .with("type", "sink_message")
    .with("id", m.id.as_str())
    .with("channel", m.channel.as_str())
    .with("from", m.from.as_str())
    .with("to", m.to.as_str())
    .with_opt("subject", m.subject.as_deref())
    .with("body", m.body.as_str())
    .with("at_ms", m.at_ms)
    // Local sinks keep a week of messages.
    .with(crate::ATTR_EXPIRES_AT, now_epoch_seconds() + 7 * 24 * 3600);
    store.put(item, None).await?;
    Ok(())
}

pub async fn recent(
    store: &dyn Store,
    channel: &str,
    limit: usize,
) -> RepoResult<Vec<SinkMessage>> {
    let page = store
        .query(
            &Query::partition(keys::sink_pk(channel))
                .descending()
                .limit(limit),
        )
        .await?;
    page.items
        .iter()
        .map(|i| {
            let s = |n: &str| {
                i.s(n)
                    .map(str::to_owned)
                    .ok_or_else(|| corrupt(format!("sink message without {n}")))
            };
            Ok(SinkMessage {
                id: s("id")?,
                channel: s("channel")?,
                from: s("from")?,
                to: s("to")?,
                subject: i.s("subject").map(str::to_owned),
                body: s("body")?,
                at_ms: i.n("at_ms").unwrap_or(0),
            })
        })
        .collect()
}

fn failing_key() -> Key {
    Key::new("SINKCONF#sms", "#FAIL")
}

/// Numbers (E.164) the local SMS sink is told to refuse, as a carrier
/// would: set from the portal so "resend failed only" can be tried.
pub async fn failing(store: &dyn Store) -> RepoResult<Vec<String>> {
    Ok(store
        .get(&failing_key())
        .await?
        .and_then(|i| i.s("numbers").map(str::to_owned))
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default())
}

pub async fn set_failing(store: &dyn Store, numbers: &[String]) -> RepoResult<()> {
    let item = Item::new(&failing_key())
        .with("type", "sink_config")
        .with("numbers", numbers.join(" "));
    store.put(item, None).await?;
    Ok(())
}
