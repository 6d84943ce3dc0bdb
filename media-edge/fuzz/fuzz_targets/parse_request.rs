//! Fuzzes the SIP request parser and the helpers the registrar applies to
//! what it parses: none of them may panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use media_edge::sip::digest::Credentials;
use media_edge::sip::message::{Request, param, split_list, uri_user};

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = Request::parse(data) {
        for (_, v) in &req.headers {
            let _ = split_list(v);
            let _ = param(v, "expires");
            let _ = uri_user(v);
            let _ = Credentials::parse(v);
        }
        let _ = media_edge::sip::message::response(&req, 200, "OK", &[], Some("t"));
    }
});
