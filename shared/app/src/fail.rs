//! [`Fail`]: why a use case refused, in a form both front doors can use:
//! the portal shows `message` (Korean), the API answers `code` (stable)
//! with the HTTP status that `kind` implies.

use store::StoreError;
use store::repo::RepoError;

use crate::state::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailKind {
    /// 422: fix the input.
    BadInput,
    /// 400: the request itself cannot be read (a query parameter out of
    /// range, a paging token this API never gave).
    Malformed,
    /// 401: not logged in / bad credentials.
    Unauthenticated,
    /// 403: logged in but not allowed.
    Forbidden,
    /// 404: no such thing (or not yours: the same answer).
    NotFound,
    /// 409: conflicts with current state (taken, changed meanwhile).
    Conflict,
    /// 429: slow down.
    TooMany,
    /// 503: a dependency is down; retry.
    Unavailable,
    /// 500: our fault; logged.
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Fail {
    pub kind: FailKind,
    pub code: &'static str,
    /// Korean, for people.
    pub message: String,
    /// Which input field is wrong, when one is.
    pub field: Option<&'static str>,
}

pub type Outcome<T> = Result<T, Fail>;

impl Fail {
    pub fn new(kind: FailKind, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            code,
            message: message.into(),
            field: None,
        }
    }
    pub fn bad(code: &'static str, field: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind: FailKind::BadInput,
            code,
            message: message.into(),
            field: Some(field),
        }
    }
    /// A request that cannot be read as asked, naming the field at fault.
    pub fn malformed(code: &'static str, field: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind: FailKind::Malformed,
            ..Self::bad(code, field, message)
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(FailKind::NotFound, "not_found", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(FailKind::Forbidden, "forbidden", message)
    }
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            FailKind::Internal,
            "internal",
            "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요.",
        )
    }
}

impl From<RepoError> for Fail {
    fn from(e: RepoError) -> Self {
        use FailKind::{Conflict, NotFound};
        match e {
            RepoError::ExtensionTaken(_) => Fail {
                field: Some("extension"),
                ..Fail::new(Conflict, "extension_taken", "이미 사용 중인 내선번호입니다")
            },
            RepoError::EmailTaken(_) => Fail {
                field: Some("email"),
                ..Fail::new(Conflict, "email_taken", "이미 사용 중인 이메일입니다")
            },
            RepoError::NumberNotFree(n) => Fail::new(
                Conflict,
                "number_taken",
                format!("{n} 번호는 이미 할당되었습니다. 다른 번호를 선택해 주세요"),
            ),
            RepoError::AccountHasNumber => Fail::new(
                Conflict,
                "account_has_number",
                "이미 번호가 할당된 계정입니다",
            ),
            RepoError::Stale => Fail::new(
                Conflict,
                "stale",
                "다른 곳에서 먼저 변경되었습니다. 새로고침 후 다시 시도해 주세요",
            ),
            RepoError::NoSuchAccount => Fail::new(NotFound, "not_found", "계정을 찾을 수 없습니다"),
            RepoError::OrgLocked => Fail::new(
                Conflict,
                "org_busy",
                "조직도 업로드가 진행 중입니다. 잠시 후 다시 시도해 주세요",
            ),
            RepoError::DepartmentExists(n) => Fail {
                field: Some("department"),
                ..Fail::new(
                    Conflict,
                    "department_exists",
                    format!("이미 있는 부서입니다: {n}"),
                )
            },
            RepoError::NoSuchDepartment(n) => Fail {
                field: Some("parent"),
                ..Fail::new(
                    NotFound,
                    "no_such_department",
                    format!("부서를 찾을 수 없습니다: {n}"),
                )
            },
            RepoError::NoSuchTenant(_) => {
                Fail::new(NotFound, "not_found", "회사를 찾을 수 없습니다")
            }
            RepoError::TenantExists(_) => {
                Fail::new(Conflict, "tenant_exists", "이미 있는 회사 ID입니다")
            }
            RepoError::SipUsernameTaken => {
                Fail::new(Conflict, "retry", "잠시 후 다시 시도해 주세요")
            }
            RepoError::Store(s) => s.into(),
            RepoError::Corrupt(_) => Fail::internal(&e),
        }
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) | StoreError::Conflict => {
                tracing::warn!(error = %e, "store unavailable");
                Fail::new(
                    FailKind::Unavailable,
                    "unavailable",
                    "잠시 후 다시 시도해 주세요",
                )
            }
            StoreError::InvalidCursor => Fail::bad(
                "invalid_cursor",
                "cursor",
                "페이지 정보가 올바르지 않습니다",
            ),
            other => Fail::internal(&other),
        }
    }
}

impl From<AppError> for Fail {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Repo(r) => r.into(),
            AppError::Store(s) => s.into(),
            AppError::Invalid(m) => Fail::new(FailKind::BadInput, "invalid", m),
            other => Fail::internal(&other),
        }
    }
}
