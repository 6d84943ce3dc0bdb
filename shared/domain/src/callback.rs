//! Callback requests (콜백 요청, T8): a caller who could not reach anyone
//! (in the ARS, waiting in a queue, or through an integrator) leaves their
//! number, and an agent calls back. While a request from one number is
//! open, the same number asking again is merged into it ([`Callback::again`]):
//! one customer, one request, however many times they pressed 0.

use serde::{Deserialize, Serialize};

use crate::{AccountId, CallbackId, HuntGroupId, IvrId, PhoneNumber, TenantId};

/// Where the request came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A choice in an ARS scenario.
    Ivr { scenario: IvrId },
    /// A hunt group's queue overflowed.
    Queue { group: HuntGroupId },
    /// Created through the API or the portal.
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Done,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Done]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// One call back to the customer, started by an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attempt {
    /// Unix ms.
    pub at: i64,
    pub by: AccountId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Callback {
    pub tenant: TenantId,
    pub id: CallbackId,
    /// Whom to call back.
    pub number: PhoneNumber,
    /// The caller's name, when known.
    #[serde(default)]
    pub name: Option<String>,
    pub source: Source,
    /// The number the customer called (the 대표번호, say), as shown.
    #[serde(default)]
    pub via: Option<String>,
    /// The call that asked first, if any.
    #[serde(default)]
    pub call_id: Option<String>,
    /// Unix ms of the first and the latest ask.
    pub requested_ms: i64,
    pub last_requested_ms: i64,
    /// How many times the number asked while the request was open.
    pub times: u32,
    #[serde(default)]
    pub assignee: Option<AccountId>,
    pub status: Status,
    #[serde(default)]
    pub done_ms: Option<i64>,
    #[serde(default)]
    pub done_by: Option<AccountId>,
    #[serde(default)]
    pub attempts: Vec<Attempt>,
}

impl Callback {
    /// A new open request.
    pub fn new(tenant: TenantId, number: PhoneNumber, source: Source, now_ms: i64) -> Self {
        Self {
            tenant,
            id: CallbackId::generate(),
            number,
            name: None,
            source,
            via: None,
            call_id: None,
            requested_ms: now_ms,
            last_requested_ms: now_ms,
            times: 1,
            assignee: None,
            status: Status::Open,
            done_ms: None,
            done_by: None,
            attempts: Vec::new(),
        }
    }

    /// The same number asked again while this request is open: merged.
    /// A name learnt now fills one not known before.
    pub fn again(&mut self, name: Option<String>, now_ms: i64) {
        self.times = self.times.saturating_add(1);
        self.last_requested_ms = self.last_requested_ms.max(now_ms);
        if self.name.is_none() {
            self.name = name;
        }
    }

    /// Marks it done, by `by` when a person did (idempotent: the first
    /// completion stands).
    pub fn finish(&mut self, by: Option<AccountId>, now_ms: i64) {
        if self.status == Status::Done {
            return;
        }
        self.status = Status::Done;
        self.done_ms = Some(now_ms);
        self.done_by = by;
    }

    pub fn is_open(&self) -> bool {
        self.status == Status::Open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Callback {
        Callback::new(
            TenantId::parse("acme").expect("t"),
            PhoneNumber::parse("010-1234-5678").expect("n"),
            Source::Manual,
            1_000,
        )
    }

    #[test]
    fn asking_again_merges_and_keeps_the_first_ask() {
        let mut c = request();
        c.again(Some("홍길동".into()), 5_000);
        c.again(Some("다른 이름".into()), 3_000);
        assert_eq!(
            (c.times, c.requested_ms, c.last_requested_ms),
            (3, 1_000, 5_000)
        );
        assert_eq!(c.name.as_deref(), Some("홍길동"));
    }

    #[test]
    fn the_first_completion_stands() {
        let mut c = request();
        let a = AccountId::parse(&"1".repeat(32)).expect("a");
        let b = AccountId::parse(&"2".repeat(32)).expect("b");
        c.finish(Some(a.clone()), 10);
        c.finish(Some(b), 20);
        assert_eq!(
            (c.status, c.done_ms, c.done_by.clone()),
            (Status::Done, Some(10), Some(a))
        );
        assert!(!c.is_open());
        assert_eq!(Status::parse("done"), Some(Status::Done));
        assert_eq!(Status::parse("x"), None);
    }
}
