//! The media edge: SIP (and later RTP) for softphones.
//!
//! Sans-IO pieces, each with its tests: [`sip::message`] parses and writes
//! SIP messages, [`sip::digest`] checks digest credentials (MD5 and
//! SHA-256), [`sip::nonce`] issues and checks nonces, [`registrar`] decides
//! what a REGISTER gets. [`server`] is the thin tokio layer (UDP).

pub mod registrar;
pub mod server;
pub mod sip;
