//! Limits on SIP over TCP, so held connections cannot exhaust the process
//! (its file descriptors are shared with the portal and the API in
//! `office`): a cap per source address and in total ([`Admission`]), an
//! idle timeout and a shorter one for a message begun and not finished
//! ([`Deadline`]), a backoff when accepting fails, and logs that say how
//! many times a thing happened instead of saying it every time
//! ([`Throttled`]). The file-descriptor soft limit is raised at start
//! ([`raise_fd_limit`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many connections, and how long they may sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpLimits {
    /// Connections one address may hold (a company NAT holds one per phone).
    pub per_source: usize,
    /// Connections in all.
    pub total: usize,
    /// A connection with nothing to say this long is closed (phones send
    /// keep-alives well within it: RFC 5626 suggests every 2 minutes).
    pub idle: Duration,
    /// A message begun must be complete within this.
    pub incomplete: Duration,
}

impl Default for TcpLimits {
    fn default() -> Self {
        Self {
            per_source: 200,
            total: 20_000,
            idle: Duration::from_secs(600),
            incomplete: Duration::from_secs(30),
        }
    }
}

/// Who may hold a connection now.
#[derive(Debug)]
pub struct Admission {
    limits: TcpLimits,
    held: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    total: usize,
    by_source: HashMap<IpAddr, usize>,
}

/// A connection admitted; dropping it gives its place back.
#[derive(Debug)]
pub struct Permit {
    admission: Arc<Admission>,
    source: IpAddr,
}

/// Why a connection was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Source,
    Total,
}

impl Admission {
    pub fn new(limits: TcpLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            held: Mutex::default(),
        })
    }

    pub fn limits(&self) -> TcpLimits {
        self.limits
    }

    fn with<T>(&self, f: impl FnOnce(&mut Held) -> T) -> T {
        let mut guard = self.held.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// A place for a connection from `source`, if there is one.
    pub fn admit(self: &Arc<Self>, source: IpAddr) -> Result<Permit, Refused> {
        self.with(|h| {
            if h.total >= self.limits.total {
                return Err(Refused::Total);
            }
            let n = h.by_source.entry(source).or_insert(0);
            if *n >= self.limits.per_source {
                return Err(Refused::Source);
            }
            *n += 1;
            h.total += 1;
            Ok(())
        })?;
        Ok(Permit {
            admission: self.clone(),
            source,
        })
    }

    /// Connections held now, in all and from `source`.
    pub fn held(&self, source: IpAddr) -> (usize, usize) {
        self.with(|h| (h.total, h.by_source.get(&source).copied().unwrap_or(0)))
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.admission.with(|h| {
            h.total = h.total.saturating_sub(1);
            if let Some(n) = h.by_source.get_mut(&self.source) {
                *n -= 1;
                if *n == 0 {
                    h.by_source.remove(&self.source);
                }
            }
        });
    }
}

/// When a connection's next read must have come: the idle timeout while
/// nothing is pending, the incomplete-message timeout from the first byte
/// of a message until it is whole.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    limits: TcpLimits,
    partial_since: Option<Instant>,
}

impl Deadline {
    pub fn new(limits: TcpLimits) -> Self {
        Self {
            limits,
            partial_since: None,
        }
    }

    /// After a read: `pending` bytes wait for the rest of their message.
    pub fn after_read(&mut self, pending: usize, now: Instant) {
        if pending == 0 {
            self.partial_since = None;
        } else if self.partial_since.is_none() {
            self.partial_since = Some(now);
        }
    }

    /// How long the next read may take.
    pub fn wait(&self, now: Instant) -> Duration {
        match self.partial_since {
            Some(since) => self
                .limits
                .incomplete
                .saturating_sub(now.duration_since(since)),
            None => self.limits.idle,
        }
    }
}

/// A warning said at most once per [`Throttled::EVERY`], with how many
/// times it happened since it was last said.
#[derive(Debug)]
pub struct Throttled {
    what: &'static str,
    last: Mutex<Option<Instant>>,
    since: AtomicU64,
}

impl Throttled {
    pub const EVERY: Duration = Duration::from_secs(10);

    pub const fn new(what: &'static str) -> Self {
        Self {
            what,
            last: Mutex::new(None),
            since: AtomicU64::new(0),
        }
    }

    /// Counts one occurrence; logs `detail` if the last log is old enough.
    /// Whether it logged.
    pub fn warn(&self, detail: &dyn std::fmt::Display) -> bool {
        let n = self.since.fetch_add(1, Ordering::Relaxed) + 1;
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|t| t.elapsed() < Self::EVERY) {
            return false;
        }
        *last = Some(Instant::now());
        self.since.store(0, Ordering::Relaxed);
        tracing::warn!(times = n, "{}: {detail}", self.what);
        true
    }
}

/// The wait after the `failures`-th accept failure in a row: 10 ms,
/// doubling, at most a second (a full descriptor table frees up only as
/// connections close; spinning on it helps nobody).
pub fn accept_backoff(failures: u32) -> Duration {
    Duration::from_millis(10u64.saturating_mul(1 << failures.min(7)).min(1_000))
}

/// Raises this process's file-descriptor soft limit to its hard limit;
/// the limit now in force.
pub fn raise_fd_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "could not raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(0, |(soft, _)| soft)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn one_address_is_capped_and_others_still_get_in_until_the_total() {
        let a = Admission::new(TcpLimits {
            per_source: 2,
            total: 3,
            ..TcpLimits::default()
        });
        let p1 = a.admit(ip("10.0.0.1")).expect("1");
        let _p2 = a.admit(ip("10.0.0.1")).expect("2");
        assert_eq!(a.admit(ip("10.0.0.1")).map(|_| ()), Err(Refused::Source));
        let _p3 = a.admit(ip("10.0.0.2")).expect("another address");
        assert_eq!(a.admit(ip("10.0.0.3")).map(|_| ()), Err(Refused::Total));
        drop(p1);
        assert_eq!(a.held(ip("10.0.0.1")), (2, 1));
        let _p4 = a.admit(ip("10.0.0.1")).expect("a place came free");
    }

    #[test]
    fn an_unfinished_message_has_less_time_than_an_idle_connection() {
        let limits = TcpLimits {
            idle: Duration::from_secs(600),
            incomplete: Duration::from_secs(30),
            ..TcpLimits::default()
        };
        let t0 = Instant::now();
        let mut d = Deadline::new(limits);
        assert_eq!(d.wait(t0), Duration::from_secs(600));
        d.after_read(10, t0);
        d.after_read(20, t0 + Duration::from_secs(20));
        assert_eq!(
            d.wait(t0 + Duration::from_secs(25)),
            Duration::from_secs(5),
            "the clock runs from the message's first byte, not the last read"
        );
        d.after_read(0, t0 + Duration::from_secs(26));
        assert_eq!(
            d.wait(t0 + Duration::from_secs(26)),
            Duration::from_secs(600)
        );
    }

    #[test]
    fn backoff_doubles_to_a_second_and_logs_are_throttled() {
        assert_eq!(accept_backoff(0), Duration::from_millis(10));
        assert_eq!(accept_backoff(1), Duration::from_millis(20));
        assert_eq!(accept_backoff(20), Duration::from_secs(1));
        let t = Throttled::new("test");
        assert!(t.warn(&"first"));
        assert!(!(0..1000).any(|_| t.warn(&"again")), "said once per window");
    }

    #[test]
    fn the_open_file_limit_is_raised_to_the_hard_limit() {
        let n = raise_fd_limit();
        let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).expect("limit");
        assert_eq!(n, soft);
        assert!(soft == hard || soft >= 1 << 20, "{soft} / {hard}");
    }
}
