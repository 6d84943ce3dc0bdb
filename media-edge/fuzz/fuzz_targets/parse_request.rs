//! Fuzzes the SIP parser, the helpers the registrar applies to what it
//! parses, and the 400/505 answer built for what it refuses: none of them
//! may panic on any input. Seed it with the RFC 4475 messages:
//! `cargo fuzz run parse_request ../tests/rfc4475`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use media_edge::sip::digest::Credentials;
use media_edge::sip::message::{Message, param, rejection, response, split_list, uri_user};

fuzz_target!(|data: &[u8]| {
    match Message::parse(data) {
        Ok(Message::Request(req)) => {
            for (_, v) in &req.headers {
                let _ = split_list(v);
                let _ = param(v, "expires");
                let _ = uri_user(v);
                let _ = Credentials::parse(v);
            }
            let _ = response(&req, 200, "OK", &[], Some("t"));
        }
        Ok(Message::Response(_)) => {}
        Err(e) => {
            let _ = rejection(data, &e);
        }
    }
});
