//! The registrar (RFC 3261 §10): REGISTER with digest authentication.
//!
//! Unknown users and wrong passwords get the same answer (403 after the
//! challenge). Failures are counted per user *and* source address, so one
//! phone with a stale password behind a company NAT locks only itself (a
//! guesser gets [`MAX_FAILURES_PER_USER_AND_ADDRESS`] tries per account and
//! address per [`LOCKOUT_SECS`]). An address that fails for many users is
//! not locked out as a whole, which would take a whole office behind one
//! NAT down with it (or anyone forging that address): past
//! [`SUSPECT_AFTER_FAILURES`] its credential checks are rate-limited
//! ([`SUSPECT_CHECKS_PER_SEC`], 503 with Retry-After beyond), and phones
//! that registered from it lately are not held back at all. Only active
//! accounts register. What a REGISTER does to the bindings is
//! decided without I/O ([`decide`]); the location service keeps them and
//! persists them in the table (with `expires_at`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use domain::{AccountStatus, EdgeId, Registration, Transport};
use store::repo::accounts;

use crate::directory::{Directory, StoreDirectory};
use crate::location::{Location, Write};

use crate::sip::digest::{Algorithm, Credentials};
use crate::sip::message::{Request, param, response, uri_user};
use crate::sip::nonce::{NonceCheck, Nonces};

pub const MIN_EXPIRES: i64 = 60;
pub const MAX_EXPIRES: i64 = 3600;
pub const DEFAULT_EXPIRES: i64 = 3600;
/// Failures of one user from one address before it is locked out.
pub const MAX_FAILURES_PER_USER_AND_ADDRESS: u32 = 10;
/// Failures of one user from all addresses together, after which only
/// addresses it registered from lately may still try (a guesser spread
/// over many addresses gets this many guesses per window, the owner at
/// their desk keeps working).
pub const MAX_FAILURES_PER_USER: u32 = 50;
/// Failures from one address, for any users, after which its credential
/// checks are rate-limited.
pub const SUSPECT_AFTER_FAILURES: u32 = 200;
/// Credential checks per second a suspect address may have (its bucket
/// holds two seconds' worth).
pub const SUSPECT_CHECKS_PER_SEC: u32 = 20;
pub const LOCKOUT_SECS: i64 = 600;
/// How long a user who registered from an address passes its rate limit.
const KNOWN_GOOD_SECS: i64 = 3600;
/// Past this many entries a table drops those older than its window
/// (forged sources must not fill memory with stale entries). Entries within
/// the window stay: a sustained flood of forged sources still grows a
/// table for as long as the window lasts.
const TABLE_LIMIT: usize = 100_000;
/// A large table is swept once per this many new entries, not on each.
const PRUNE_EVERY: usize = 4096;

/// One address's failures in the window, and its check bucket.
#[derive(Debug, Clone, Copy)]
struct AddressState {
    failures: u32,
    /// The last failure (the window runs from it).
    at: i64,
    tokens: u32,
    refilled: i64,
}

/// Drops entries older than `window` once `m` is large (amortised: a
/// table full of recent entries is not swept on every insert).
fn prune<K: std::hash::Hash + Eq, V>(
    m: &mut HashMap<K, V>,
    now: i64,
    window: i64,
    at: impl Fn(&V) -> i64,
) {
    if m.len() > TABLE_LIMIT && m.len().is_multiple_of(PRUNE_EVERY) {
        m.retain(|_, v| now - at(v) < window);
    }
}

/// Failures counted per key in a window of `LOCKOUT_SECS` from the last
/// one: a user at an address, or a user anywhere.
type Failures<K> = HashMap<K, (u32, i64)>;

/// Counts a failure of `key` (a count older than the window starts over).
fn count_failure<K: std::hash::Hash + Eq>(m: &mut Failures<K>, key: K, now: i64) {
    prune(m, now, LOCKOUT_SECS, |&(_, at)| at);
    let e = m.entry(key).or_insert((0, now));
    if now - e.1 >= LOCKOUT_SECS {
        *e = (0, now);
    }
    e.0 += 1;
    e.1 = now;
}

/// Whether `key` has `max` failures or more in the window.
fn too_many<K, Q>(m: &Mutex<Failures<K>>, key: &Q, max: u32, now: i64) -> bool
where
    K: std::hash::Hash + Eq + std::borrow::Borrow<Q>,
    Q: std::hash::Hash + Eq + ?Sized,
{
    m.lock()
        .map(|m| {
            m.get(key)
                .is_some_and(|&(n, at)| n >= max && now - at < LOCKOUT_SECS)
        })
        .unwrap_or(false)
}

/// User agents that fail on a challenge list holding SHA-256 (libre before
/// 2.0, hence baresip 0.x and 1.x, stops at the first algorithm it doesn't
/// know instead of skipping it).
const MD5_ONLY_AGENTS: &[&str] = &["baresip v0.", "baresip v1."];

fn md5_only(user_agent: Option<&str>) -> bool {
    user_agent.is_some_and(|ua| MD5_ONLY_AGENTS.iter().any(|p| ua.starts_with(p)))
}

pub struct Registrar {
    nonces: Nonces,
    realm: String,
    /// Credentials and account status, cached; the location service.
    directory: Arc<StoreDirectory>,
    failures: Mutex<Failures<(String, IpAddr)>>,
    /// Each user's failures from anywhere in the window.
    user_failures: Mutex<Failures<String>>,
    addresses: Mutex<HashMap<IpAddr, AddressState>>,
    /// Who registered from where lately (not held back by the address's limit).
    known_good: Mutex<HashMap<(String, IpAddr), i64>>,
}

impl std::fmt::Debug for Registrar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registrar")
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl Registrar {
    pub fn new(realm: String, nonce_key: &[u8], directory: Arc<StoreDirectory>) -> Self {
        Self {
            nonces: Nonces::new(nonce_key),
            realm,
            directory,
            failures: Mutex::new(HashMap::new()),
            user_failures: Mutex::new(HashMap::new()),
            addresses: Mutex::new(HashMap::new()),
            known_good: Mutex::new(HashMap::new()),
        }
    }

    /// Where credentials and accounts are looked up (cached).
    pub fn directory(&self) -> &Arc<StoreDirectory> {
        &self.directory
    }

    /// Where the account's phones are (the location service it writes to).
    pub fn location(&self) -> &Arc<Location> {
        self.directory.location()
    }

    fn challenge(&self, req: &Request, now: i64, stale: bool) -> Vec<u8> {
        let proxy = req.method != "REGISTER";
        let nonce = self.nonces.issue(now);
        let stale = if stale { ", stale=true" } else { "" };
        let h = |alg: Algorithm| {
            format!(
                "Digest realm=\"{}\", nonce=\"{nonce}\", qop=\"auth\", algorithm={}{stale}",
                self.realm,
                alg.name()
            )
        };
        // Both algorithms are offered (RFC 8760). MD5 goes first: many
        // softphones (and sipp) take the first challenge and know only MD5,
        // while SHA-256-capable clients look through all of them. Some
        // clients give up on a challenge list holding an algorithm they
        // don't know: those get MD5 alone.
        let (code, reason, header) = if proxy {
            (407, "Proxy Authentication Required", "Proxy-Authenticate")
        } else {
            (401, "Unauthorized", "WWW-Authenticate")
        };
        let mut challenges = vec![(header, h(Algorithm::Md5))];
        if !md5_only(req.header("User-Agent")) {
            challenges.push((header, h(Algorithm::Sha256)));
        }
        response(req, code, reason, &challenges, Some("edge"))
    }

    /// Whether `user` is locked out at `ip`: too many failures of theirs
    /// there, or too many from everywhere and `ip` is not an address they
    /// registered from lately.
    fn locked(&self, user: &str, ip: IpAddr, now: i64) -> bool {
        let key = (user.to_owned(), ip);
        too_many(&self.failures, &key, MAX_FAILURES_PER_USER_AND_ADDRESS, now)
            || (too_many(&self.user_failures, user, MAX_FAILURES_PER_USER, now)
                && !self.known_good(user, ip, now))
    }

    /// Whether `user` registered from `ip` within the last hour.
    fn known_good(&self, user: &str, ip: IpAddr, now: i64) -> bool {
        self.known_good
            .lock()
            .map(|k| {
                k.get(&(user.to_owned(), ip))
                    .is_some_and(|&at| now - at < KNOWN_GOOD_SECS)
            })
            .unwrap_or(false)
    }

    /// Whether a credential check for `user` from a suspect `ip` must wait
    /// (its bucket is empty); takes a token otherwise. Users who
    /// registered from there lately always pass.
    fn throttled(&self, user: &str, ip: IpAddr, now: i64) -> bool {
        let Ok(mut m) = self.addresses.lock() else {
            return false;
        };
        let Some(a) = m.get_mut(&ip) else {
            return false;
        };
        if a.failures < SUSPECT_AFTER_FAILURES || now - a.at >= LOCKOUT_SECS {
            return false;
        }
        // Only a suspect address looks its user up (no work on the usual path).
        if self.known_good(user, ip, now) {
            return false;
        }
        let burst = 2 * SUSPECT_CHECKS_PER_SEC;
        let elapsed = u32::try_from((now - a.refilled).max(0)).unwrap_or(u32::MAX);
        a.tokens = a
            .tokens
            .saturating_add(elapsed.saturating_mul(SUSPECT_CHECKS_PER_SEC))
            .min(burst);
        a.refilled = now;
        if a.tokens == 0 {
            return true;
        }
        a.tokens -= 1;
        false
    }

    fn fail(&self, req: &Request, user: &str, ip: IpAddr, now: i64) -> Vec<u8> {
        if let Ok(mut m) = self.failures.lock() {
            count_failure(&mut m, (user.to_owned(), ip), now);
        }
        if let Ok(mut m) = self.user_failures.lock() {
            count_failure(&mut m, user.to_owned(), now);
        }
        if let Ok(mut m) = self.addresses.lock() {
            prune(&mut m, now, LOCKOUT_SECS, |a| a.at);
            let burst = 2 * SUSPECT_CHECKS_PER_SEC;
            let a = m.entry(ip).or_insert(AddressState {
                failures: 0,
                at: now,
                tokens: burst,
                refilled: now,
            });
            if now - a.at >= LOCKOUT_SECS {
                a.failures = 0;
            }
            a.failures += 1;
            a.at = now;
        }
        response(req, 403, "Forbidden", &[], Some("edge"))
    }

    fn succeed(&self, user: &str, ip: IpAddr, now: i64) {
        if let Ok(mut m) = self.failures.lock() {
            m.remove(&(user.to_owned(), ip));
        }
        if let Ok(mut m) = self.known_good.lock() {
            prune(&mut m, now, KNOWN_GOOD_SECS, |&at| at);
            m.insert((user.to_owned(), ip), now);
        }
    }

    /// Answers one REGISTER that came over UDP (or an OPTIONS keep-alive;
    /// other methods are refused for now).
    pub async fn handle(&self, req: &Request, source: SocketAddr, now: i64) -> Vec<u8> {
        self.handle_over(req, (source, Transport::Udp), now).await
    }

    /// As [`Registrar::handle`], for a request that came over `transport`
    /// (what the binding records: the connection, not the Via, which a
    /// client behind a TLS tunnel writes as TCP).
    pub async fn handle_over(
        &self,
        req: &Request,
        (source, transport): (SocketAddr, Transport),
        now: i64,
    ) -> Vec<u8> {
        match req.method.as_str() {
            "REGISTER" => self.register(req, (source, transport), now).await,
            "OPTIONS" => response(
                req,
                200,
                "OK",
                &[("Allow", crate::edge::EDGE_ALLOW.into())],
                Some("edge"),
            ),
            "ACK" => Vec::new(),
            _ => response(
                req,
                501,
                "Not Implemented",
                &[("Allow", crate::edge::EDGE_ALLOW.into())],
                Some("edge"),
            ),
        }
    }

    async fn register(
        &self,
        req: &Request,
        (source, transport): (SocketAddr, Transport),
        now: i64,
    ) -> Vec<u8> {
        match self.authenticate(req, source, now).await {
            Ok(sip) => {
                self.update_bindings(req, &sip, (source, transport), now)
                    .await
            }
            Err(answer) => answer,
        }
    }

    /// Checks a request's digest credentials (`Authorization` for REGISTER,
    /// `Proxy-Authorization` for anything else) for an active account. The
    /// answer to send is the error: a challenge, 403, 400 or 500.
    pub async fn authenticate(
        &self,
        req: &Request,
        source: SocketAddr,
        now: i64,
    ) -> Result<accounts::SipUser, Vec<u8>> {
        let ip = source.ip();
        let (identity, auth_header) = if req.method == "REGISTER" {
            ("To", "Authorization")
        } else {
            ("From", "Proxy-Authorization")
        };
        let Some(user) = req.header(identity).and_then(uri_user).map(str::to_owned) else {
            return Err(response(req, 400, "Bad Request", &[], Some("edge")));
        };
        if self.locked(&user, ip, now) {
            return Err(response(req, 403, "Forbidden", &[], Some("edge")));
        }
        let Some(creds) = req.header(auth_header).and_then(Credentials::parse) else {
            return Err(self.challenge(req, now, false));
        };
        if self.throttled(&user, ip, now) {
            // A flood of failures from this address: checks wait their turn.
            return Err(response(
                req,
                503,
                "Service Unavailable",
                &[("Retry-After", "5".into())],
                Some("edge"),
            ));
        }
        if creds.username != user || creds.realm != self.realm {
            return Err(self.fail(req, &user, ip, now));
        }
        match self.nonces.check(&creds.nonce, creds.nc.as_deref(), now) {
            NonceCheck::Fresh => {}
            NonceCheck::Stale => return Err(self.challenge(req, now, true)),
            NonceCheck::Invalid => return Err(self.challenge(req, now, false)),
        }
        let unavailable = |e: crate::directory::Unavailable| {
            tracing::warn!(error = %e, "registrar store lookup failed");
            response(
                req,
                500,
                "Server Internal Error",
                &[("Retry-After", "5".into())],
                Some("edge"),
            )
        };
        let verified = |sip: &accounts::SipUser| {
            let ha1 = match creds.algorithm() {
                Some(Algorithm::Sha256) => &sip.digests.ha1_sha256,
                _ => &sip.digests.ha1_md5,
            };
            creds.verify(&req.method, ha1)
        };
        // The cached credentials first; on a mismatch the table's, which
        // a reset a moment ago has changed.
        let mut sip = self
            .directory
            .sip_user(&user, false)
            .await
            .map_err(unavailable)?;
        if !sip.as_ref().is_some_and(verified) {
            sip = self
                .directory
                .sip_user(&user, true)
                .await
                .map_err(unavailable)?;
        }
        let Some(sip) = sip.filter(verified) else {
            return Err(self.fail(req, &user, ip, now));
        };
        let active = matches!(
            self.directory.account(&sip.tenant, &sip.account).await,
            Ok(Some(a)) if a.status == AccountStatus::Active
        );
        if !active {
            return Err(self.fail(req, &user, ip, now));
        }
        self.succeed(&user, ip, now);
        Ok(sip)
    }

    async fn update_bindings(
        &self,
        req: &Request,
        sip: &accounts::SipUser,
        (source, transport): (SocketAddr, Transport),
        now: i64,
    ) -> Vec<u8> {
        let (current, persisted) = match self
            .location()
            .current(&sip.tenant, &sip.account, now)
            .await
        {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the registrations");
                return response(
                    req,
                    500,
                    "Server Internal Error",
                    &[("Retry-After", "5".into())],
                    Some("edge"),
                );
            }
        };
        let here = Here {
            edge: self.location().edge().clone(),
            addr: self.location().edge_addr(),
            source,
            transport,
            now,
        };
        let d = decide(req, sip, &here, &current, &persisted);
        if let Some((next, writes)) = d.change {
            self.location()
                .apply(&sip.tenant, &sip.account, next, writes)
                .await;
        }
        d.answer
    }
}

/// Where a REGISTER arrived: this edge, and the phone's address.
#[derive(Debug, Clone)]
pub struct Here {
    pub edge: EdgeId,
    pub addr: SocketAddr,
    pub source: SocketAddr,
    /// What it came over.
    pub transport: Transport,
    pub now: i64,
}

/// What a REGISTER does to an account's bindings (RFC 3261 §10.3).
#[derive(Debug, Clone)]
pub struct Decision {
    /// The account's bindings from now on, and the table writes that makes.
    pub change: Option<(Vec<Registration>, Vec<Write>)>,
    pub answer: Vec<u8>,
}

/// Decides an authenticated REGISTER without I/O: `current` are the
/// account's live bindings, `persisted` when each one's table copy runs
/// out. Refreshes reach the table only when its copy is half-way to
/// expiry or the phone moved, so a phone re-registering every minute
/// costs no write most of the time.
pub fn decide(
    req: &Request,
    sip: &accounts::SipUser,
    here: &Here,
    current: &[Registration],
    persisted: &HashMap<String, i64>,
) -> Decision {
    let refuse = |answer: Vec<u8>| Decision {
        change: None,
        answer,
    };
    let now = here.now;
    let default = req
        .header("Expires")
        .and_then(|e| e.trim().parse::<i64>().ok())
        .unwrap_or(DEFAULT_EXPIRES);
    let contacts = req.header_values("Contact");
    let mut changes: Vec<(String, Option<i64>)> = Vec::new();
    if contacts.iter().any(|c| c.trim() == "*") {
        if default != 0 || contacts.len() != 1 {
            return refuse(response(req, 400, "Bad Request", &[], Some("edge")));
        }
        for b in current {
            changes.push((b.contact.clone(), None));
        }
    } else {
        for c in &contacts {
            let uri = c
                .split('>')
                .next()
                .unwrap_or(c)
                .trim_start_matches(|ch| ch != '<')
                .trim_start_matches('<')
                .to_owned();
            let uri = if uri.is_empty() {
                c.split(';').next().unwrap_or(c).trim().to_owned()
            } else {
                uri
            };
            let exp = param(c, "expires")
                .and_then(|e| e.parse::<i64>().ok())
                .unwrap_or(default);
            if exp != 0 && exp < MIN_EXPIRES {
                return refuse(response(
                    req,
                    423,
                    "Interval Too Brief",
                    &[("Min-Expires", MIN_EXPIRES.to_string())],
                    Some("edge"),
                ));
            }
            changes.push((uri, (exp != 0).then(|| exp.min(MAX_EXPIRES))));
        }
    }
    let transport = here.transport;
    let mut list: Vec<Registration> = current.iter().filter(|b| b.is_live(now)).cloned().collect();
    let mut writes: Vec<Write> = Vec::new();
    for (contact, exp) in changes {
        match exp {
            None => {
                list.retain(|b| b.contact != contact);
                writes.push(Write::Remove(contact));
            }
            Some(secs) => {
                let expires_at = now + secs;
                let fresh = Registration {
                    tenant: sip.tenant.clone(),
                    account: sip.account.clone(),
                    sip_username: sip.username.clone(),
                    contact: contact.clone(),
                    source: here.source,
                    transport,
                    edge: here.edge.clone(),
                    edge_addr: here.addr,
                    user_agent: req.header("User-Agent").map(str::to_owned),
                    expires_at,
                    since: now,
                };
                match list.iter_mut().find(|b| b.contact == contact) {
                    Some(b) => {
                        let fresh = Registration {
                            since: if b.since > 0 { b.since } else { now },
                            ..fresh
                        };
                        let copy_until = persisted.get(&contact).copied().unwrap_or(0);
                        let moved = b.source != here.source
                            || b.edge != here.edge
                            || b.transport != transport;
                        *b = fresh.clone();
                        if moved || copy_until - now < secs / 2 {
                            writes.push(Write::Put(Box::new(fresh)));
                        }
                    }
                    None => {
                        list.push(fresh.clone());
                        writes.push(Write::Put(Box::new(fresh)));
                    }
                }
            }
        }
    }
    let contact_headers: Vec<(&str, String)> = list
        .iter()
        .map(|b| {
            (
                "Contact",
                format!("<{}>;expires={}", b.contact, b.expires_at - now),
            )
        })
        .collect();
    Decision {
        answer: response(req, 200, "OK", &contact_headers, Some("edge")),
        change: Some((list, writes)),
    }
}
