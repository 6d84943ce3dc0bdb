//! Call records (CDR): one per call, written when the call starts and
//! completed when it ends.
//!
//! - The record: `TENANT#<t>#CDR#<yyyymm>` / `<start ms, 15 digits>#<call id>`
//!   (month of the start, UTC): the admin's search (T1) reads the months of
//!   its period.
//! - One copy per account on the call, `TENANT#<t>#ACCT#<a>#CALLS` with the
//!   same sort key, for "my calls" (U3, C4). A call between two of the
//!   tenant's users has two accounts, which one GSI entry per item could not
//!   index; the copies are written in the same transaction as the record.
//! - While a call is up, a marker `EDGE#<edge id>#OPEN` / `<call id>` lets
//!   the edge that carries it close, after a crash, the records it left open,
//!   and a marker `TENANT#<t>#LIVE` / `<call id>` lists the tenant's calls in
//!   progress (monitoring); both are written and removed with the record.
//!
//! The call id starts with the start time (hex milliseconds), so a record
//! is found from its id alone.

use domain::calendar::Date;
use domain::{AccountId, TenantId};

use super::{RepoError, RepoResult, corrupt};
use crate::{Condition, Cursor, Item, Key, Query, SortKey, Store, StoreError, TxOp, Value, keys};

pub use domain::call::{
    CallRecord, Direction, Disposition, Party, Quality, Recording, new_id, started_of,
};

/// `yyyymm` (UTC) of an instant in milliseconds.
pub fn month_of(ms: i64) -> String {
    let d = Date::from_days(ms.div_euclid(86_400_000)).unwrap_or_else(|| {
        // Only reachable for instants beyond the calendar's range.
        Date::new(1970, 1, 1).unwrap_or_else(|_| unreachable!())
    });
    format!("{:04}{:02}", d.year(), d.month())
}

fn month_pk(t: &TenantId, yyyymm: &str) -> String {
    format!("{}#CDR#{yyyymm}", keys::tenant_pk(t))
}

fn account_pk(t: &TenantId, a: &AccountId) -> String {
    format!("{}#ACCT#{a}#CALLS", keys::tenant_pk(t))
}

fn sort_key(started_ms: i64, id: &str) -> String {
    format!("{started_ms:015}#{id}")
}

fn open_key(edge: &str, id: &str) -> Key {
    Key::new(format!("EDGE#{edge}#OPEN"), id)
}

fn live_key(t: &TenantId, id: &str) -> Key {
    Key::new(format!("{}#LIVE", keys::tenant_pk(t)), id)
}

fn key(t: &TenantId, id: &str) -> Option<Key> {
    let started = started_of(id)?;
    Some(Key::new(
        month_pk(t, &month_of(started)),
        sort_key(started, id),
    ))
}

fn party_item(i: Item, prefix: &str, p: &Party) -> Item {
    i.with(&format!("{prefix}_number"), p.number.as_str())
        .with_opt(
            &format!("{prefix}_account"),
            p.account.as_ref().map(AccountId::as_str),
        )
        .with_opt(&format!("{prefix}_name"), p.name.as_deref())
}

fn to_item(r: &CallRecord, key: &Key) -> Item {
    let mut i = Item::new(key)
        .with("type", "call")
        .with("tenant_id", r.tenant.as_str())
        .with("call_id", r.id.as_str())
        .with("direction", r.direction.as_str())
        .with("started_ms", r.started_ms)
        .with_opt("answered_ms", r.answered_ms)
        .with_opt("ended_ms", r.ended_ms)
        .with("disposition", r.disposition.as_str())
        .with_opt("cause", r.cause.as_deref())
        .with_opt("previous", r.previous.as_deref())
        .with_opt("hunt_group", r.hunt_group.as_ref().map(|g| g.as_str()))
        .with_opt(
            "ivr",
            r.ivr.as_ref().and_then(|v| serde_json::to_string(v).ok()),
        )
        .with_opt("line", r.line.as_deref())
        .with_opt("queued_ms", r.queued_ms)
        .with("edge", r.edge.as_str());
    i = party_item(i, "caller", &r.caller);
    i = party_item(i, "callee", &r.callee);
    let recs: Vec<Value> = r
        .recordings
        .iter()
        .map(|x| {
            Value::M(
                [
                    ("key".to_owned(), Value::S(x.key.clone())),
                    ("started_ms".to_owned(), Value::N(x.started_ms)),
                    ("duration_ms".to_owned(), Value::N(x.duration_ms)),
                ]
                .into_iter()
                .collect(),
            )
        })
        .collect();
    i.set("recordings", Value::L(recs));
    for (n, q) in r.quality.iter().enumerate() {
        if let Some(q) = q {
            i.set(&format!("q{n}_packets"), q.packets);
            i.set(&format!("q{n}_lost"), q.lost);
            i.set(&format!("q{n}_jitter"), q.jitter_tenth_ms);
        }
    }
    i
}

fn from_item(i: &Item) -> RepoResult<CallRecord> {
    let s = |n: &str| i.s(n).ok_or_else(|| corrupt(format!("call without {n}")));
    let party = |p: &str| -> RepoResult<Party> {
        Ok(Party {
            number: s(&format!("{p}_number"))?.to_owned(),
            account: i
                .s(&format!("{p}_account"))
                .map(AccountId::parse)
                .transpose()
                .map_err(|e| corrupt(e.to_string()))?,
            name: i.s(&format!("{p}_name")).map(str::to_owned),
        })
    };
    let recordings = match i.get("recordings") {
        Some(Value::L(l)) => l
            .iter()
            .filter_map(|v| match v {
                Value::M(m) => Some(Recording {
                    key: m.get("key")?.as_s()?.to_owned(),
                    started_ms: m.get("started_ms")?.as_n()?,
                    duration_ms: m.get("duration_ms")?.as_n()?,
                }),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let q = |n: usize| {
        Some(Quality {
            packets: i.n(&format!("q{n}_packets"))?,
            lost: i.n(&format!("q{n}_lost"))?,
            jitter_tenth_ms: i.n(&format!("q{n}_jitter"))?,
        })
    };
    Ok(CallRecord {
        tenant: TenantId::parse(s("tenant_id")?).map_err(|e| corrupt(e.to_string()))?,
        id: s("call_id")?.to_owned(),
        direction: Direction::parse(s("direction")?)
            .ok_or_else(|| corrupt("unknown call direction"))?,
        caller: party("caller")?,
        callee: party("callee")?,
        started_ms: i.n("started_ms").unwrap_or(0),
        answered_ms: i.n("answered_ms"),
        ended_ms: i.n("ended_ms"),
        disposition: Disposition::parse(s("disposition")?)
            .ok_or_else(|| corrupt("unknown call disposition"))?,
        cause: i.s("cause").map(str::to_owned),
        recordings,
        quality: [q(0), q(1)],
        edge: i.s("edge").unwrap_or_default().to_owned(),
        previous: i.s("previous").map(str::to_owned),
        hunt_group: i
            .s("hunt_group")
            .and_then(|g| domain::HuntGroupId::parse(g).ok()),
        ivr: i.s("ivr").and_then(|v| serde_json::from_str(v).ok()),
        line: i.s("line").map(str::to_owned),
        queued_ms: i.n("queued_ms"),
    })
}

/// The writes that store `r` everywhere it lives.
fn copies(r: &CallRecord) -> RepoResult<Vec<Item>> {
    let k = key(&r.tenant, &r.id).ok_or_else(|| corrupt("malformed call id"))?;
    let mut out = vec![to_item(r, &k)];
    for a in r.accounts() {
        out.push(to_item(
            r,
            &Key::new(account_pk(&r.tenant, &a), k.sk.clone()),
        ));
    }
    Ok(out)
}

enum Marker {
    Open,
    Close,
    Keep,
}

/// Writes every copy of the record `next` makes of the stored one (None
/// for a new call), on condition that the stored one did not change
/// meanwhile (its `rev`); retries if it did. `next` returning None means
/// there is nothing to write.
async fn write(
    store: &dyn Store,
    k: &Key,
    marker: Marker,
    mut next: impl FnMut(Option<CallRecord>) -> RepoResult<Option<CallRecord>>,
) -> RepoResult<()> {
    for _ in 0..8 {
        let current = store.get(k).await?;
        let rev = current.as_ref().and_then(|i| i.n("rev"));
        let Some(r) = next(current.as_ref().map(from_item).transpose()?)? else {
            return Ok(());
        };
        let guard = match rev {
            Some(n) => Condition::eq("rev", n),
            None if current.is_some() => Condition::not_exists("rev"),
            None => Condition::absent(),
        };
        let mut ops: Vec<TxOp> = copies(&r)?
            .into_iter()
            .enumerate()
            .map(|(n, mut item)| {
                item.set("rev", rev.unwrap_or(0) + 1);
                TxOp::Put {
                    item,
                    condition: (n == 0).then(|| guard.clone()),
                }
            })
            .collect();
        match marker {
            Marker::Open => {
                ops.push(TxOp::Put {
                    item: Item::new(&open_key(&r.edge, &r.id))
                        .with("type", "open_call")
                        .with("tenant_id", r.tenant.as_str()),
                    condition: None,
                });
                ops.push(TxOp::Put {
                    item: Item::new(&live_key(&r.tenant, &r.id)).with("type", "live_call"),
                    condition: None,
                });
            }
            Marker::Close => {
                ops.push(TxOp::Delete {
                    key: open_key(&r.edge, &r.id),
                    condition: None,
                });
                ops.push(TxOp::Delete {
                    key: live_key(&r.tenant, &r.id),
                    condition: None,
                });
            }
            Marker::Keep => {}
        }
        match store.transact_write(ops).await {
            Ok(()) => return Ok(()),
            Err(StoreError::TransactionCanceled { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(RepoError::Stale)
}

/// `r`, keeping the recordings already stored (an upload may have added one).
fn merged(r: &CallRecord, stored: Option<CallRecord>) -> CallRecord {
    let mut m = r.clone();
    for x in stored.map(|s| s.recordings).unwrap_or_default() {
        if !m.recordings.iter().any(|y| y.key == x.key) {
            m.recordings.push(x);
        }
    }
    m.recordings.sort_by_key(|x| x.started_ms);
    m
}

fn key_of(r: &CallRecord) -> RepoResult<Key> {
    key(&r.tenant, &r.id).ok_or_else(|| corrupt("malformed call id"))
}

/// Writes a new call (or its update while it is up) and its open marker.
pub async fn save_open(store: &dyn Store, r: &CallRecord) -> RepoResult<()> {
    write(store, &key_of(r)?, Marker::Open, |s| Ok(Some(merged(r, s)))).await
}

/// Completes a call: every copy written, the open marker removed.
pub async fn close(store: &dyn Store, r: &CallRecord) -> RepoResult<()> {
    write(store, &key_of(r)?, Marker::Close, |s| {
        Ok(Some(merged(r, s)))
    })
    .await
}

pub async fn get(store: &dyn Store, t: &TenantId, id: &str) -> RepoResult<Option<CallRecord>> {
    let Some(k) = key(t, id) else {
        return Ok(None);
    };
    store.get(&k).await?.as_ref().map(from_item).transpose()
}

/// Adds a recording to a call (after its upload). Safe to repeat: a key
/// already listed is not added twice.
pub async fn add_recording(
    store: &dyn Store,
    t: &TenantId,
    id: &str,
    rec: Recording,
) -> RepoResult<()> {
    let k = key(t, id).ok_or_else(|| corrupt("malformed call id"))?;
    write(store, &k, Marker::Keep, |stored| {
        let mut r = stored.ok_or_else(|| corrupt(format!("no call {id}")))?;
        if r.recordings.iter().any(|x| x.key == rec.key) {
            return Ok(None);
        }
        r.recordings.push(rec.clone());
        r.recordings.sort_by_key(|x| x.started_ms);
        Ok(Some(r))
    })
    .await
}

/// The tenant's calls in progress (monitoring), oldest first.
pub async fn live(store: &dyn Store, t: &TenantId) -> RepoResult<Vec<CallRecord>> {
    let q = Query::partition(format!("{}#LIVE", keys::tenant_pk(t)));
    let ids = super::every(store, q, |i| Ok(i.key().map(|k| k.sk))).await?;
    let keys: Vec<Key> = ids.iter().flatten().filter_map(|id| key(t, id)).collect();
    let mut out = Vec::new();
    for chunk in keys.chunks(crate::MAX_BATCH_GET) {
        for i in store.batch_get(chunk).await? {
            let r = from_item(&i)?;
            if r.ended_ms.is_none() {
                out.push(r);
            }
        }
    }
    Ok(out)
}

/// The calls the edge `edge` left open (after a crash): only its own.
pub async fn open_calls(store: &dyn Store, edge: &str) -> RepoResult<Vec<CallRecord>> {
    let mut q = Query::partition(format!("EDGE#{edge}#OPEN"));
    let mut out = Vec::new();
    loop {
        let page = store.query(&q).await?;
        for m in &page.items {
            let (Some(t), Some(id)) = (m.s("tenant_id"), m.key().map(|k| k.sk)) else {
                continue;
            };
            let t = TenantId::parse(t).map_err(|e| corrupt(e.to_string()))?;
            match get(store, &t, &id).await? {
                Some(r) => out.push(r),
                // The marker outlived its record: drop it.
                None => store.delete(&open_key(edge, &id), None).await?,
            }
        }
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// What a history search asks for.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this account's calls (U3); all of the tenant's otherwise (T1).
    pub account: Option<AccountId>,
    /// Inclusive start, exclusive end, in ms.
    pub from_ms: i64,
    pub to_ms: i64,
    pub direction: Option<Direction>,
    /// Substring of the caller's number or name.
    pub caller: Option<String>,
    pub callee: Option<String>,
    /// Either party's number (an extension, say).
    pub number: Option<String>,
}

impl Filter {
    fn matches(&self, r: &CallRecord) -> bool {
        let has = |p: &Party, needle: &Option<String>| {
            needle.as_ref().is_none_or(|n| {
                p.number.contains(n.as_str())
                    || p.name.as_ref().is_some_and(|x| x.contains(n.as_str()))
            })
        };
        self.direction.is_none_or(|d| d == r.direction)
            && has(&r.caller, &self.caller)
            && has(&r.callee, &self.callee)
            && self.number.as_ref().is_none_or(|n| {
                r.caller.number.contains(n.as_str()) || r.callee.number.contains(n.as_str())
            })
    }
}

/// The position after `r` in a search (what `search`'s `after` takes).
pub fn cursor_of(r: &CallRecord) -> String {
    sort_key(r.started_ms, &r.id)
}

/// A page of history, newest first, and where the next one starts.
#[derive(Debug, Clone)]
pub struct HistoryPage {
    pub calls: Vec<CallRecord>,
    pub next: Option<String>,
}

/// The months (newest first) overlapping `[from_ms, to_ms)`.
fn months(from_ms: i64, to_ms: i64) -> Vec<String> {
    let mut out = Vec::new();
    let last = month_of(to_ms.saturating_sub(1).max(from_ms));
    let first = month_of(from_ms);
    let (mut y, mut m): (i32, u32) = (
        last[..4].parse().unwrap_or(1970),
        last[4..].parse().unwrap_or(1),
    );
    loop {
        let ym = format!("{y:04}{m:02}");
        let done = ym <= first;
        out.push(ym);
        if done || out.len() > 600 {
            return out;
        }
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
    }
}

/// Searches the history, newest first, `limit` per page. The cursor is the
/// sort key of the last call returned (opaque to callers).
pub async fn search(
    store: &dyn Store,
    t: &TenantId,
    f: &Filter,
    limit: usize,
    after: Option<&str>,
) -> RepoResult<HistoryPage> {
    let limit = limit.clamp(1, 1000);
    let upper = sort_key(f.to_ms, "");
    let lower = sort_key(f.from_ms, "");
    // Continue strictly below the last key returned.
    let upper = match after {
        Some(a) if a < upper.as_str() => a.to_owned(),
        _ => upper,
    };
    if upper <= lower {
        return Ok(HistoryPage {
            calls: Vec::new(),
            next: None,
        });
    }
    let partitions: Vec<String> = match &f.account {
        Some(a) => vec![account_pk(t, a)],
        None => months(f.from_ms, f.to_ms)
            .iter()
            .map(|m| month_pk(t, m))
            .collect(),
    };
    let mut calls = Vec::new();
    for pk in partitions {
        let mut q = Query::partition(pk)
            .sk(SortKey::Between(lower.clone(), upper.clone()))
            .descending()
            .limit(200);
        loop {
            let page = store.query(&q).await?;
            for item in &page.items {
                let Some(k) = item.key() else { continue };
                if k.sk >= upper {
                    continue;
                }
                let r = from_item(item)?;
                if f.matches(&r) {
                    calls.push(r);
                    if calls.len() == limit {
                        return Ok(HistoryPage {
                            calls,
                            next: Some(k.sk),
                        });
                    }
                }
            }
            match page.next {
                Some(c) => q.cursor = Some(Cursor(c.0)),
                None => break,
            }
        }
    }
    Ok(HistoryPage { calls, next: None })
}
