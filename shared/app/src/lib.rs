//! Use cases over the ports, the typed configuration, and the wiring of
//! adapters into [`App`], the one value every entry point (the local
//! all-in-one, each Lambda, the media edge) builds at start and shares.

pub mod config;
pub mod demo;
pub mod operator;
pub mod password;
mod secret;
mod state;

pub use config::{BlobConfig, Config, ConfigError, StoreConfig};
pub use state::{App, AppError};
