//! Pure business rules and validated types for the telephony platform.
//!
//! Nothing here does I/O, awaits, or knows about AWS: every type validates on
//! `parse`, so a value that exists is a value that is valid. Adapters and
//! handlers convert at the edges and carry these types inside.

pub mod account;
pub mod calendar;
pub mod call;
pub mod callback;
pub mod dialplan;
pub mod email;
pub mod event;
pub mod extension;
pub mod holidays;
pub mod hours;
pub mod hunt;
pub mod ids;
pub mod ivr;
pub mod links;
pub mod lunar;
#[cfg(feature = "openapi")]
mod openapi;
pub mod org;
pub mod phone;
pub mod registration;
pub mod sms;
pub mod stats;
pub mod webhook;

pub use account::{
    Account, AccountStatus, NameError, Permissions, Role, Tenant, TenantLinks, parse_name,
};
pub use call::{CallRecord, Direction, Disposition, Party};
pub use dialplan::{DialError, Dialled, InternationalNumber};
pub use email::{Email, EmailError};
pub use extension::{Extension, ExtensionError};
pub use ids::{AccountId, CallbackId, EdgeId, HuntGroupId, IdError, IvrId, TenantId};
pub use links::{AppLinks, HttpsUrl, LinkError, MenuLink};
pub use org::{Department, OrgError};
pub use phone::{PhoneError, PhoneKind, PhoneNumber};
pub use registration::{Registration, Transport};
