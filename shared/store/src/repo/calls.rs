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
//! - While a call is up, a marker `EDGE#<region>#OPEN` / `<call id>` lets an
//!   edge close, after a crash, the records it left open.
//!
//! The call id starts with the start time (hex milliseconds), so a record
//! is found from its id alone.

use domain::calendar::Date;
use domain::{AccountId, TenantId};
use serde::Serialize;

use super::{RepoError, RepoResult, corrupt};
use crate::{Condition, Cursor, Item, Key, Query, SortKey, Store, StoreError, TxOp, Value, keys};

/// How a call appears in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// 발신: a user called outside the company.
    Outgoing,
    /// 착신: an outside caller reached a user.
    Incoming,
    /// 부재중: an outside caller was not answered.
    Missed,
    /// 음성사서함: the caller left a voicemail.
    Voicemail,
    /// 내선: between two users of the tenant.
    Internal,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Outgoing => "outgoing",
            Self::Incoming => "incoming",
            Self::Missed => "missed",
            Self::Voicemail => "voicemail",
            Self::Internal => "internal",
        }
    }

    pub fn korean(self) -> &'static str {
        match self {
            Self::Outgoing => "발신",
            Self::Incoming => "착신",
            Self::Missed => "부재중",
            Self::Voicemail => "음성사서함",
            Self::Internal => "내선",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Outgoing,
            Self::Incoming,
            Self::Missed,
            Self::Voicemail,
            Self::Internal,
        ]
        .into_iter()
        .find(|d| d.as_str() == s || d.korean() == s)
    }
}

/// One side of a call: what was dialled or shown, and the account behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Party {
    /// The extension, 070 number or outside number, as people write it.
    pub number: String,
    pub account: Option<AccountId>,
    pub name: Option<String>,
}

/// Receive quality of one leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Quality {
    pub packets: i64,
    pub lost: i64,
    /// Interarrival jitter in tenths of a millisecond.
    pub jitter_tenth_ms: i64,
}

/// A recording segment of the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recording {
    /// The blob key of the WAV.
    pub key: String,
    pub started_ms: i64,
    pub duration_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallRecord {
    pub tenant: TenantId,
    pub id: String,
    pub direction: Direction,
    pub caller: Party,
    pub callee: Party,
    pub started_ms: i64,
    pub answered_ms: Option<i64>,
    pub ended_ms: Option<i64>,
    /// answered, busy, no_answer, cancelled, rejected, failed, voicemail, or
    /// in_progress while the call is up.
    pub disposition: String,
    /// Who or what ended it: `caller`, `callee`, a SIP status, `edge restart`.
    pub cause: Option<String>,
    pub recordings: Vec<Recording>,
    /// [caller leg, callee leg].
    pub quality: [Option<Quality>; 2],
    /// The edge (region) that carried the call.
    pub edge: String,
}

impl CallRecord {
    /// A call starting now: a fresh id, in progress.
    pub fn starting(
        tenant: TenantId,
        direction: Direction,
        caller: Party,
        callee: Party,
        started_ms: i64,
        edge: &str,
    ) -> Self {
        Self {
            tenant,
            id: new_id(started_ms),
            direction,
            caller,
            callee,
            started_ms,
            answered_ms: None,
            ended_ms: None,
            disposition: "in_progress".into(),
            cause: None,
            recordings: Vec::new(),
            quality: [None, None],
            edge: edge.to_owned(),
        }
    }

    /// Talk time in whole seconds (0 when unanswered).
    pub fn duration_secs(&self) -> i64 {
        match (self.answered_ms, self.ended_ms) {
            (Some(a), Some(e)) if e > a => (e - a) / 1000,
            _ => 0,
        }
    }

    pub fn is_open(&self) -> bool {
        self.ended_ms.is_none()
    }

    /// The accounts on the call, each once.
    pub fn accounts(&self) -> Vec<AccountId> {
        let mut v: Vec<AccountId> = Vec::new();
        for a in [&self.caller.account, &self.callee.account]
            .into_iter()
            .flatten()
        {
            if !v.contains(a) {
                v.push(a.clone());
            }
        }
        v
    }
}

/// A new call id for a call starting at `started_ms`.
pub fn new_id(started_ms: i64) -> String {
    let r: u64 = rand::random();
    format!("{started_ms:011x}{:012x}", r & 0xFFFF_FFFF_FFFF)
}

fn started_of(id: &str) -> Option<i64> {
    if id.len() != 23 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    i64::from_str_radix(&id[..11], 16).ok()
}

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

fn open_key(region: &str, id: &str) -> Key {
    Key::new(format!("EDGE#{region}#OPEN"), id)
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
        disposition: s("disposition")?.to_owned(),
        cause: i.s("cause").map(str::to_owned),
        recordings,
        quality: [q(0), q(1)],
        edge: i.s("edge").unwrap_or_default().to_owned(),
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
            Marker::Open => ops.push(TxOp::Put {
                item: Item::new(&open_key(&r.edge, &r.id))
                    .with("type", "open_call")
                    .with("tenant_id", r.tenant.as_str()),
                condition: None,
            }),
            Marker::Close => ops.push(TxOp::Delete {
                key: open_key(&r.edge, &r.id),
                condition: None,
            }),
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

/// The calls this edge left open (after a crash).
pub async fn open_calls(store: &dyn Store, region: &str) -> RepoResult<Vec<CallRecord>> {
    let mut q = Query::partition(format!("EDGE#{region}#OPEN"));
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
                None => store.delete(&open_key(region, &id), None).await?,
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
