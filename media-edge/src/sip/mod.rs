//! SIP protocol pieces (RFC 3261 and friends), free of I/O.

pub mod digest;
pub mod message;
pub mod nonce;
