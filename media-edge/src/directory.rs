//! The directory port routing decides over: who an account is, who holds
//! an extension or a number, where a user's phones are registered, and
//! whether the user is open now. [`StoreDirectory`] answers from the table
//! through a cache, so an INVITE costs one store read in the steady state
//! (the tenant's directory version, `store::repo::directory`), not the
//! four to six it would take to read everything afresh.
//!
//! Invalidation: every write that changes routing data bumps the tenant's
//! version; [`Directory::refresh`] reads it once per routing decision and
//! drops that tenant's cached entries when it moved. The registrar's
//! credential lookups ([`StoreDirectory::sip_user`]) read it at most once
//! per [`CREDENTIALS_RECHECK`] per tenant, so phones refreshing their
//! registrations cost no store read. Entries also expire
//! after [`ENTRY_TTL`], which bounds the damage of a writer that died
//! between its write and its bump. Registrations come from the location
//! service, which keeps this edge's own exactly and reads others' back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use domain::calendar::Date;
use domain::hours::{BusinessHours, open_at};
use domain::hunt::HuntGroup;
use domain::ivr::Scenario;
use domain::{
    Account, AccountId, Extension, HuntGroupId, IvrId, PhoneNumber, Registration, TenantId,
};
use store::repo::accounts::SipUser;
use store::repo::hunt_groups::{self, ExtensionHolder, GroupState};
use store::repo::{accounts, directory, hours, inbox, ivr};

use crate::location::Location;
use crate::presence::Presence;
use crate::queues::Queues;

/// The directory could not be read (the store failed): the call gets a 500.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("directory unavailable: {0}")]
pub struct Unavailable(pub String);

impl From<store::repo::RepoError> for Unavailable {
    fn from(e: store::repo::RepoError) -> Self {
        Self(e.to_string())
    }
}

pub type Lookup<T> = Result<T, Unavailable>;

/// What routing may ask. Each answer may come from a cache that
/// [`Directory::refresh`] brings up to date for a tenant.
#[async_trait]
pub trait Directory: Send + Sync {
    /// Makes the cached entries of `t` current (one read); returns whether
    /// any were dropped because the tenant's data changed.
    async fn refresh(&self, t: &TenantId) -> Lookup<bool>;
    async fn account(&self, t: &TenantId, a: &AccountId) -> Lookup<Option<Account>>;
    /// The user or hunt group an extension reaches.
    async fn extension_holder(
        &self,
        t: &TenantId,
        e: &Extension,
    ) -> Lookup<Option<ExtensionHolder>>;
    async fn hunt_group(&self, t: &TenantId, g: &HuntGroupId) -> Lookup<Option<HuntGroup>>;
    /// The group's round-robin memory and its members' call counts (read
    /// afresh: they change with every call).
    async fn hunt_state(&self, t: &TenantId, g: &HuntGroupId) -> Lookup<GroupState>;
    /// Whether the account is on a call at this edge now.
    fn on_call(&self, t: &TenantId, a: &AccountId) -> bool;
    /// How many callers wait in the group's queue at this edge.
    fn queued(&self, g: &HuntGroupId) -> usize;
    /// The tenant and account a number of this edge's pool is assigned to.
    async fn number_holder(&self, n: &PhoneNumber) -> Lookup<Option<(TenantId, AccountId)>>;
    /// The account's live registrations, on this edge and elsewhere.
    async fn registrations(&self, t: &TenantId, a: &AccountId) -> Lookup<Vec<Registration>>;
    /// Whether the account takes calls at `at` (Unix seconds).
    async fn is_open(&self, t: &TenantId, a: &AccountId, at: i64) -> Lookup<bool>;
    /// The ARS scenario that answers calls to `n`, if one does. `owner`
    /// is the tenant holding the number through an account, if any, whose
    /// cache the caller has just refreshed.
    async fn ivr(&self, n: &PhoneNumber, owner: Option<&TenantId>) -> Lookup<Option<Scenario>>;
    /// The operator's one-off holidays of `year` (closed days beyond the
    /// weekly hours and the public holidays).
    async fn holidays(&self, year: i32) -> Lookup<Vec<(Date, String)>>;
}

/// How long a cached entry is trusted without a version check having
/// confirmed it (a writer that failed to bump).
pub const ENTRY_TTL: Duration = Duration::from_secs(60);
/// How long a tenant's confirmed version stands for the registrar's
/// credential lookups: a new password or a suspension takes effect within
/// this time (a new password at once: a mismatch reads the table again).
pub const CREDENTIALS_RECHECK: Duration = Duration::from_secs(1);
/// The operator's one-off holidays are global and rarely change.
const HOLIDAYS_TTL: Duration = Duration::from_secs(300);
/// How long "no scenario answers this number" stands for a number no
/// account holds (a tenant's 대표번호): a scenario given such a number
/// answers its calls within this time. For an account's number the
/// holder's version says when to look again.
pub const IVR_NUMBER_TTL: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
struct TenantCache {
    version: i64,
    filled: Option<Instant>,
    /// When the version was last read and found unchanged (or new).
    checked: Option<Instant>,
    accounts: HashMap<AccountId, Option<Account>>,
    groups: HashMap<HuntGroupId, Option<HuntGroup>>,
    /// SIP users of this tenant by user name (known ones only: unknown
    /// names are not cached, so guessing cannot fill the cache).
    sip_users: HashMap<String, SipUser>,
    extensions: HashMap<Extension, Option<ExtensionHolder>>,
    hours: HashMap<AccountId, BusinessHours>,
    scenarios: HashMap<IvrId, Option<Scenario>>,
}

impl TenantCache {
    /// Empty, at `version`, its time limit starting now.
    fn starting(version: i64) -> Self {
        Self {
            version,
            filled: Some(Instant::now()),
            checked: Some(Instant::now()),
            ..Self::default()
        }
    }

    fn is_fresh(&self) -> bool {
        self.filled.is_some_and(|at| at.elapsed() < ENTRY_TTL)
    }
}

#[derive(Debug, Default)]
struct Cache {
    tenants: HashMap<TenantId, TenantCache>,
    /// Assigned numbers only: a number assigned a moment ago must ring.
    numbers: HashMap<PhoneNumber, (TenantId, AccountId)>,
    holidays: HashMap<i32, (Instant, Vec<(domain::calendar::Date, String)>)>,
    /// Which tenant a SIP user name was last found in.
    sip_tenants: HashMap<String, TenantId>,
    /// Which scenario answers a number (None: none), since when known, and
    /// the tenant whose account holds the number (if one does).
    ivr_numbers: HashMap<PhoneNumber, IvrNumber>,
}

#[derive(Debug, Clone)]
struct IvrNumber {
    at: Instant,
    holder: Option<TenantId>,
    scenario: Option<(TenantId, IvrId)>,
}

impl IvrNumber {
    /// Whether a change in tenant `t` may have changed this entry.
    fn involves(&self, t: &TenantId) -> bool {
        self.holder.as_ref() == Some(t) || self.scenario.as_ref().is_some_and(|(s, _)| s == t)
    }
}

/// The directory over the table, cached.
pub struct StoreDirectory {
    app: app::App,
    location: Arc<Location>,
    presence: Arc<Presence>,
    queues: Arc<Queues>,
    cache: Mutex<Cache>,
    reads: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for StoreDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreDirectory").finish_non_exhaustive()
    }
}

impl StoreDirectory {
    pub fn new(app: app::App, location: Arc<Location>) -> Self {
        Self {
            app,
            location,
            presence: Arc::default(),
            queues: Arc::default(),
            cache: Mutex::new(Cache::default()),
            reads: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Who is on a call at this edge (the call tasks keep it).
    pub fn presence(&self) -> &Arc<Presence> {
        &self.presence
    }

    /// The callers waiting in hunt groups' queues (the call tasks keep it).
    pub fn queues(&self) -> &Arc<Queues> {
        &self.queues
    }

    /// Where the account's phones are (the location service it reads).
    pub fn location(&self) -> &Arc<Location> {
        &self.location
    }

    /// The SIP user of this name, for the registrar's digest check. From
    /// the cache while its tenant's version was confirmed within
    /// [`CREDENTIALS_RECHECK`]; from the table when `afresh` (the cached
    /// digests did not match: the password may have just changed).
    pub async fn sip_user(&self, username: &str, afresh: bool) -> Lookup<Option<SipUser>> {
        if !afresh && let Some(hit) = self.cached_sip_user(username).await? {
            return Ok(Some(hit));
        }
        self.count(1);
        let v = accounts::sip_user(&*self.app.store, username).await?;
        if let Some(s) = &v {
            self.store_in(&s.tenant, |tc| {
                tc.sip_users.insert(username.to_owned(), s.clone());
            });
            self.with(|c| c.sip_tenants.insert(username.to_owned(), s.tenant.clone()));
        }
        Ok(v)
    }

    async fn cached_sip_user(&self, username: &str) -> Lookup<Option<SipUser>> {
        let Some(t) = self.with(|c| c.sip_tenants.get(username).cloned()) else {
            return Ok(None);
        };
        let confirmed = self
            .tenant(&t, |tc| {
                tc.checked
                    .is_some_and(|at| at.elapsed() < CREDENTIALS_RECHECK)
            })
            .unwrap_or(false);
        if !confirmed {
            self.refresh(&t).await?;
        }
        Ok(self
            .tenant(&t, |tc| tc.sip_users.get(username).cloned())
            .flatten())
    }

    /// Store reads so far (the location service's are its own).
    pub fn reads(&self) -> u64 {
        self.reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn count(&self, n: u64) {
        self.reads
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    fn with<T>(&self, f: impl FnOnce(&mut Cache) -> T) -> T {
        let mut guard = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// The tenant's cache, if its entries are still within their time limit.
    fn tenant<T>(&self, t: &TenantId, f: impl FnOnce(&mut TenantCache) -> T) -> Option<T> {
        self.with(|c| {
            let tc = c.tenants.get_mut(t).filter(|tc| tc.is_fresh())?;
            Some(f(tc))
        })
    }

    fn store_in(&self, t: &TenantId, f: impl FnOnce(&mut TenantCache)) {
        self.with(|c| {
            let tc = c.tenants.entry(t.clone()).or_default();
            if !tc.is_fresh() {
                *tc = TenantCache::starting(tc.version);
            }
            f(tc);
        });
    }

    /// Which scenario answers `n` (held through an account of `holder`):
    /// cached while the versions of the tenants involved stand (a negative
    /// answer for a number nobody holds, [`IVR_NUMBER_TTL`]).
    async fn ivr_number(
        &self,
        n: &PhoneNumber,
        holder: Option<&TenantId>,
    ) -> Lookup<Option<(TenantId, IvrId)>> {
        let cached = self.with(|c| {
            c.ivr_numbers
                .get(n)
                .filter(|e| e.holder.as_ref() == holder)
                .filter(|e| {
                    e.scenario.is_some() || holder.is_some() || e.at.elapsed() < IVR_NUMBER_TTL
                })
                .map(|e| e.scenario.clone())
        });
        if let Some(v) = cached {
            return Ok(v);
        }
        self.count(1);
        let scenario = ivr::answering(&*self.app.store, n).await?;
        let entry = IvrNumber {
            at: Instant::now(),
            holder: holder.cloned(),
            scenario: scenario.clone(),
        };
        self.with(|c| c.ivr_numbers.insert(n.clone(), entry));
        Ok(scenario)
    }

    async fn one_offs(&self, year: i32) -> Lookup<Vec<(domain::calendar::Date, String)>> {
        let cached = self.with(|c| {
            c.holidays
                .get(&year)
                .filter(|(at, _)| at.elapsed() < HOLIDAYS_TTL)
                .map(|(_, v)| v.clone())
        });
        if let Some(v) = cached {
            return Ok(v);
        }
        self.count(1);
        let v = hours::one_offs(&*self.app.store, year).await?;
        self.with(|c| c.holidays.insert(year, (Instant::now(), v.clone())));
        Ok(v)
    }
}

#[async_trait]
impl Directory for StoreDirectory {
    async fn refresh(&self, t: &TenantId) -> Lookup<bool> {
        self.count(1);
        let version = directory::version(&*self.app.store, t).await?;
        Ok(self.with(|c| {
            let tc = c.tenants.entry(t.clone()).or_default();
            if tc.version == version {
                // Confirmed current: the entries' time limit starts again.
                if tc.filled.is_some() {
                    tc.filled = Some(Instant::now());
                    tc.checked = Some(Instant::now());
                }
                return false;
            }
            *tc = TenantCache::starting(version);
            c.numbers.retain(|_, (owner, _)| owner != t);
            c.ivr_numbers.retain(|_, e| !e.involves(t));
            true
        }))
    }

    async fn account(&self, t: &TenantId, a: &AccountId) -> Lookup<Option<Account>> {
        if let Some(Some(hit)) = self.tenant(t, |tc| tc.accounts.get(a).cloned()) {
            return Ok(hit);
        }
        self.count(1);
        let v = accounts::get(&*self.app.store, t, a).await?;
        self.store_in(t, |tc| {
            tc.accounts.insert(a.clone(), v.clone());
        });
        Ok(v)
    }

    async fn extension_holder(
        &self,
        t: &TenantId,
        e: &Extension,
    ) -> Lookup<Option<ExtensionHolder>> {
        if let Some(Some(hit)) = self.tenant(t, |tc| tc.extensions.get(e).cloned()) {
            return Ok(hit);
        }
        self.count(1);
        let marker = self
            .app
            .store
            .get(&store::keys::extension_marker(t, e))
            .await
            .map_err(|e| Unavailable(e.to_string()))?;
        let v = marker.as_ref().and_then(hunt_groups::holder_of);
        self.store_in(t, |tc| {
            tc.extensions.insert(*e, v.clone());
        });
        Ok(v)
    }

    async fn hunt_group(&self, t: &TenantId, g: &HuntGroupId) -> Lookup<Option<HuntGroup>> {
        if let Some(Some(hit)) = self.tenant(t, |tc| tc.groups.get(g).cloned()) {
            return Ok(hit);
        }
        self.count(1);
        let v = hunt_groups::get(&*self.app.store, t, g).await?;
        self.store_in(t, |tc| {
            tc.groups.insert(g.clone(), v.clone());
        });
        Ok(v)
    }

    async fn hunt_state(&self, t: &TenantId, g: &HuntGroupId) -> Lookup<GroupState> {
        self.count(1);
        Ok(hunt_groups::state(&*self.app.store, t, g).await?)
    }

    fn on_call(&self, t: &TenantId, a: &AccountId) -> bool {
        self.presence.on_call(t, a)
    }

    fn queued(&self, g: &HuntGroupId) -> usize {
        self.queues.len(g)
    }

    async fn number_holder(&self, n: &PhoneNumber) -> Lookup<Option<(TenantId, AccountId)>> {
        if let Some(hit) = self.with(|c| c.numbers.get(n).cloned()) {
            return Ok(Some(hit));
        }
        self.count(1);
        let v = inbox::owner_of(&*self.app.store, &self.app.region, n).await?;
        if let Some(owner) = &v {
            self.with(|c| c.numbers.insert(n.clone(), owner.clone()));
        }
        Ok(v)
    }

    async fn registrations(&self, t: &TenantId, a: &AccountId) -> Lookup<Vec<Registration>> {
        self.location
            .lookup(t, a, store::now_epoch_seconds())
            .await
            .map_err(Unavailable::from)
    }

    async fn is_open(&self, t: &TenantId, a: &AccountId, at: i64) -> Lookup<bool> {
        let cached = self.tenant(t, |tc| tc.hours.get(a).cloned()).flatten();
        let h = match cached {
            Some(h) => h,
            None => {
                // The settings and the tenant's time zone.
                self.count(2);
                let h = app::hours::get(&self.app, t, a)
                    .await
                    .map_err(|f| Unavailable(f.message))?;
                self.store_in(t, |tc| {
                    tc.hours.insert(a.clone(), h.clone());
                });
                h
            }
        };
        let year = h.time_zone.to_local(at).map_or(1970, |l| l.date.year());
        let one_offs = self.one_offs(year).await?;
        Ok(open_at(&h, at, &one_offs).is_open())
    }

    async fn ivr(&self, n: &PhoneNumber, holder: Option<&TenantId>) -> Lookup<Option<Scenario>> {
        let Some((t, _)) = self.ivr_number(n, holder).await? else {
            return Ok(None);
        };
        if Some(&t) != holder {
            // Confirms the cached marker and scenario (one read), or drops them.
            self.refresh(&t).await?;
        }
        let Some((t, id)) = self.ivr_number(n, holder).await? else {
            return Ok(None);
        };
        if let Some(Some(hit)) = self.tenant(&t, |tc| tc.scenarios.get(&id).cloned()) {
            return Ok(hit);
        }
        self.count(1);
        let v = ivr::get(&*self.app.store, &t, &id).await?;
        self.store_in(&t, |tc| {
            tc.scenarios.insert(id.clone(), v.clone());
        });
        Ok(v)
    }

    async fn holidays(&self, year: i32) -> Lookup<Vec<(Date, String)>> {
        self.one_offs(year).await
    }
}
