//! Use cases over the ports, the typed configuration, and the wiring of
//! adapters into [`App`], the one value every entry point (the local
//! all-in-one, each Lambda, the media edge) builds at start and shares.

pub mod admin;
pub mod auth;
pub mod callbacks;
pub mod calls;
pub mod config;
pub mod cti;
pub mod demo;
pub mod dial;
pub mod dispatch;
pub mod events;
pub mod fail;
pub mod hours;
pub mod hunt;
pub mod invite;
pub mod ivr;
pub mod labels;
pub mod messaging;
pub mod monitoring;
pub mod operator;
pub mod org;
pub mod orgfile;
pub mod password;
mod secret;
pub mod signup;
pub mod sip;
mod state;
pub mod stats;
pub mod webhooks;

pub use config::{BlobConfig, Config, ConfigError, StoreConfig};
pub use fail::{Fail, FailKind, Outcome};
pub use state::{App, AppError};
