//! Who is on a call at this edge: how many open calls name each account
//! (as caller or callee), kept up to date by the call tasks. Hunt groups
//! skip a member who is on a call.

use std::collections::HashMap;
use std::sync::Mutex;

use domain::call::CallRecord;
use domain::{AccountId, TenantId};

type Key = (TenantId, AccountId);

#[derive(Debug, Default)]
pub struct Presence {
    calls: Mutex<HashMap<Key, u32>>,
}

/// The accounts one call occupies now (kept by its task).
#[derive(Debug, Default)]
pub struct Held(Vec<Key>);

impl Presence {
    pub fn on_call(&self, t: &TenantId, a: &AccountId) -> bool {
        self.with(|m| m.get(&(t.clone(), a.clone())).is_some_and(|n| *n > 0))
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<Key, u32>) -> T) -> T {
        let mut guard = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Makes `held` the accounts `record` occupies: its parties while it is
    /// open, nobody once it ended (or with `None`: the call is gone).
    pub fn hold(&self, held: &mut Held, record: Option<&CallRecord>) {
        let now: Vec<Key> = record
            .filter(|r| r.ended_ms.is_none())
            .map(|r| {
                [&r.caller.account, &r.callee.account]
                    .into_iter()
                    .flatten()
                    .map(|a| (r.tenant.clone(), a.clone()))
                    .collect()
            })
            .unwrap_or_default();
        if now == held.0 {
            return;
        }
        self.with(|m| {
            for k in &held.0 {
                if let Some(n) = m.get_mut(k) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        m.remove(k);
                    }
                }
            }
            for k in &now {
                *m.entry(k.clone()).or_insert(0) += 1;
            }
        });
        held.0 = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::call::{Direction, Party};

    fn party(n: u8) -> Party {
        Party {
            number: format!("100{n}"),
            account: Some(AccountId::parse(&format!("{n:032}")).expect("id")),
            name: None,
        }
    }

    #[test]
    fn a_call_holds_its_parties_until_it_ends() {
        let p = Presence::default();
        let t = TenantId::parse("acme").expect("t");
        let mut r =
            CallRecord::starting(t.clone(), Direction::Internal, party(1), party(2), 0, "e");
        let (one, two, three) = (
            party(1).account.expect("1"),
            party(2).account.expect("2"),
            party(3).account.expect("3"),
        );
        let (mut a, mut b) = (Held::default(), Held::default());
        p.hold(&mut a, Some(&r));
        assert!(p.on_call(&t, &one) && p.on_call(&t, &two));
        // A second call of 1's; then the first call's callee changes.
        let other =
            CallRecord::starting(t.clone(), Direction::Internal, party(1), party(3), 0, "e");
        p.hold(&mut b, Some(&other));
        r.callee = party(3);
        p.hold(&mut a, Some(&r));
        assert!(!p.on_call(&t, &two) && p.on_call(&t, &three));
        r.ended_ms = Some(1);
        p.hold(&mut a, Some(&r));
        assert!(p.on_call(&t, &one), "still on the other call");
        p.hold(&mut b, None);
        assert!(!p.on_call(&t, &one) && !p.on_call(&t, &three));
    }
}
