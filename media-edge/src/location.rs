//! The location service: where each account's phones are registered. It
//! persists what the registrar decided (`store::repo::registrations`, with
//! the edge holding each binding and its TTL) and reads it back, so a
//! restarted edge still reaches every phone registered before, and any
//! process reading the table finds a user and the edge to reach them by.
//!
//! This edge's own bindings are known exactly once an account has been
//! read (every change goes through here). Bindings made at other edges are
//! read again when the cached view is older than [`REMOTE_TTL`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use domain::{AccountId, EdgeId, Registration, TenantId};
use store::Store;
use store::repo::{RepoResult, registrations};

/// How long another edge's view of an account is trusted.
pub const REMOTE_TTL: Duration = Duration::from_secs(10);

/// A change the registrar decided for one binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Store (or refresh) the binding.
    Put(Box<Registration>),
    /// The contact unregistered.
    Remove(String),
}

#[derive(Debug, Clone)]
struct Entry {
    regs: Vec<Registration>,
    /// When the table copy of each contact runs out (writes are skipped
    /// for refreshes while the copy is far from expiring).
    persisted_until: HashMap<String, i64>,
    read_at: Instant,
}

type AccountKey = (TenantId, AccountId);

pub struct Location {
    store: std::sync::Arc<dyn Store>,
    edge: EdgeId,
    /// This edge's SIP address, recorded with its bindings.
    edge_addr: SocketAddr,
    accounts: Mutex<HashMap<AccountKey, Entry>>,
    /// Where `device.registered` / `device.unregistered` events go.
    events: std::sync::OnceLock<app::events::Outbox>,
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Location")
            .field("edge", &self.edge)
            .finish_non_exhaustive()
    }
}

impl Location {
    pub fn new(store: std::sync::Arc<dyn Store>, edge: EdgeId, edge_addr: SocketAddr) -> Self {
        Self {
            store,
            edge,
            edge_addr,
            accounts: Mutex::new(HashMap::new()),
            events: std::sync::OnceLock::new(),
        }
    }

    /// Sends device events to `outbox` from now on.
    pub fn emit_to(&self, outbox: app::events::Outbox) {
        let _ = self.events.set(outbox);
    }

    /// Forgets this edge's bindings that ran out at `now` (Unix seconds)
    /// without the phone unregistering, and says so (`device.unregistered`):
    /// a phone that vanished is no longer listed as registered.
    pub fn expire(&self, now: i64) -> usize {
        let lapsed: Vec<Registration> = self.with(|m| {
            let mut out = Vec::new();
            for e in m.values_mut() {
                let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut e.regs)
                    .into_iter()
                    .partition(|r| r.edge == self.edge && !r.is_live(now));
                e.regs = kept;
                for r in &gone {
                    e.persisted_until.remove(&r.contact);
                }
                out.extend(gone);
            }
            out
        });
        if let Some(outbox) = self.events.get() {
            let events = lapsed
                .iter()
                .flat_map(|r| {
                    let writes = [Write::Remove(r.contact.clone())];
                    // As if it unregistered: it was live, it is not now.
                    let mut was = r.clone();
                    was.expires_at = now + 60;
                    device_events(&r.tenant, &[was], &[], &writes)
                })
                .collect();
            outbox.emit(events);
        }
        lapsed.len()
    }

    pub fn edge(&self) -> &EdgeId {
        &self.edge
    }

    pub fn edge_addr(&self) -> SocketAddr {
        self.edge_addr
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<AccountKey, Entry>) -> T) -> T {
        let mut guard = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    async fn load(&self, t: &TenantId, a: &AccountId, now: i64) -> RepoResult<Entry> {
        let regs = registrations::of_account(&*self.store, t, a, now).await?;
        let persisted_until = regs
            .iter()
            .map(|r| (r.contact.clone(), r.expires_at))
            .collect();
        Ok(Entry {
            regs,
            persisted_until,
            read_at: Instant::now(),
        })
    }

    /// Every live binding of the account (for the registrar's decision),
    /// and when each one's table copy runs out.
    pub async fn current(
        &self,
        t: &TenantId,
        a: &AccountId,
        now: i64,
    ) -> RepoResult<(Vec<Registration>, HashMap<String, i64>)> {
        let key = (t.clone(), a.clone());
        if let Some(e) = self.with(|m| m.get(&key).cloned()) {
            let live = e.regs.into_iter().filter(|r| r.is_live(now)).collect();
            return Ok((live, e.persisted_until));
        }
        let e = self.load(t, a, now).await?;
        let out = (e.regs.clone(), e.persisted_until.clone());
        self.with(|m| m.insert(key, e));
        Ok(out)
    }

    /// Where to ring the account: its live bindings on every edge.
    pub async fn lookup(
        &self,
        t: &TenantId,
        a: &AccountId,
        now: i64,
    ) -> RepoResult<Vec<Registration>> {
        let key = (t.clone(), a.clone());
        let cached = self.with(|m| m.get(&key).cloned());
        let entry = match cached {
            Some(e) if e.read_at.elapsed() < REMOTE_TTL => e,
            Some(mine) => {
                // Others' bindings from the table; ours as we know them.
                let mut fresh = self.load(t, a, now).await?;
                fresh.regs.retain(|r| r.edge != self.edge);
                fresh
                    .regs
                    .extend(mine.regs.into_iter().filter(|r| r.edge == self.edge));
                fresh.persisted_until = mine.persisted_until;
                let e = fresh.clone();
                self.with(|m| m.insert(key, fresh));
                e
            }
            None => {
                let e = self.load(t, a, now).await?;
                self.with(|m| m.insert(key, e.clone()));
                e
            }
        };
        Ok(entry.regs.into_iter().filter(|r| r.is_live(now)).collect())
    }

    /// Applies the registrar's decision: the account's bindings become
    /// `next` at once (calls ring them), and the writes reach the table.
    /// A failed write is logged; the binding still works on this edge and
    /// the next refresh writes it again.
    pub async fn apply(
        &self,
        t: &TenantId,
        a: &AccountId,
        next: Vec<Registration>,
        writes: Vec<Write>,
    ) {
        let key = (t.clone(), a.clone());
        let before = self.with(|m| {
            let e = m.entry(key.clone()).or_insert_with(|| Entry {
                regs: Vec::new(),
                persisted_until: HashMap::new(),
                read_at: Instant::now(),
            });
            let before = std::mem::replace(&mut e.regs, next.clone());
            for w in &writes {
                match w {
                    Write::Put(r) => {
                        e.persisted_until.insert(r.contact.clone(), r.expires_at);
                    }
                    Write::Remove(c) => {
                        e.persisted_until.remove(c);
                    }
                }
            }
            before
        });
        if let Some(outbox) = self.events.get() {
            outbox.emit(device_events(t, &before, &next, &writes));
        }
        for w in writes {
            let (result, contact) = match w {
                Write::Put(r) => (
                    registrations::put(&*self.store, &r).await,
                    r.contact.clone(),
                ),
                Write::Remove(c) => (registrations::remove(&*self.store, t, a, &c).await, c),
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, %contact, "could not persist a registration");
                // Forget the copy so the next refresh writes it again.
                self.with(|m| {
                    if let Some(e) = m.get_mut(&key) {
                        e.persisted_until.remove(&contact);
                    }
                });
            }
        }
    }
}

/// What a registrar decision means to monitoring: phones that appeared
/// (a binding that was not live before) and phones that unregistered.
/// Refreshes say nothing.
fn device_events(
    t: &TenantId,
    before: &[Registration],
    after: &[Registration],
    writes: &[Write],
) -> Vec<domain::event::Event> {
    use domain::event::{Device, Event, Kind};
    let now_ms = store::now_epoch_ms();
    let now = now_ms / 1000;
    let device = |r: &Registration, live: bool| Device {
        account: r.account.clone(),
        contact: r.contact.clone(),
        source: r.source.to_string(),
        transport: r.transport.as_str().to_owned(),
        user_agent: r.user_agent.clone(),
        edge: r.edge.to_string(),
        expires_ms: live.then_some(r.expires_at * 1000),
    };
    let was_live = |c: &str| before.iter().any(|b| b.contact == c && b.is_live(now));
    let mut kinds = Vec::new();
    for w in writes {
        match w {
            Write::Put(r) if !was_live(&r.contact) => kinds.push(Kind::Registered(device(r, true))),
            Write::Remove(c) => {
                if let Some(r) = before.iter().find(|b| &b.contact == c && b.is_live(now))
                    && !after.iter().any(|a| &a.contact == c)
                {
                    kinds.push(Kind::Unregistered(device(r, false)));
                }
            }
            Write::Put(_) => {}
        }
    }
    kinds
        .into_iter()
        .map(|k| {
            // Each device event is its own subject: nothing to order it by.
            let subject = format!("dev-{}", domain::call::new_id(now_ms));
            Event::new(t.clone(), &subject, 1, now_ms, k)
        })
        .collect()
}
