//! The media edge: SIP and RTP for softphones and trunks.
//!
//! Sans-IO pieces, each with its tests: [`sip::message`] parses and writes
//! SIP messages, [`sip::digest`] checks digest credentials (MD5 and
//! SHA-256), [`sip::nonce`] issues and checks nonces, [`registrar`] decides
//! what a REGISTER gets, [`call`] is the back-to-back user agent of one
//! call, [`sdp`] reads and writes session descriptions, [`rtp`] relays and
//! measures media, [`srtp`] secures a leg's media (SDES keys, contexts), [`g711`] converts between the laws, [`recording`]
//! writes WAVs. [`server`] and [`edge`] are the thin tokio layer.

pub mod call;
pub mod dialog;
pub mod directory;
pub mod edge;
pub mod fork;
pub mod g711;
pub mod location;
pub mod presence;
pub mod prompts;
pub mod queues;
pub mod recording;
pub mod registrar;
pub mod routing;
pub mod rtp;
pub mod sdp;
pub mod server;
pub mod sip;
pub mod sip_tls;
pub mod spool;
pub mod srtp;
pub mod tcp;
pub mod transaction;
pub mod voice;
