//! The media edge's own binary (what the container runs), configured by
//! environment only, over a data directory `office demo` seeded: phones
//! register with it and a call goes through; SIGTERM stops it cleanly.

use std::time::Duration;

use e2e::sipp::{Phone, Ports, answered_call, free_sip_port, register};
use e2e::{office, start_media_edge, terminate};

#[test]
fn the_container_binary_registers_phones_and_carries_a_call() {
    let data = tempfile::tempdir().expect("tempdir");
    let out = office(data.path(), &["--json", "demo"]).expect("office demo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("demo json");
    let port = free_sip_port();
    let mut edge = start_media_edge(data.path(), port, &[], Duration::from_millis(700))
        .expect("media-edge runs");
    let phone = |i: usize| Phone {
        user: info["users"][i]["sip_username"]
            .as_str()
            .expect("user")
            .to_owned(),
        password: info["users"][i]["sip_password"]
            .as_str()
            .expect("pw")
            .to_owned(),
        extension: info["users"][i]["extension"]
            .as_str()
            .expect("ext")
            .to_owned(),
        ports: Ports::new(u64::from(port)),
    };
    let (a, b) = (phone(0), phone(1));
    let work = tempfile::tempdir().expect("work");
    let w = work.path();
    register(w, &a);
    register(w, &b);
    answered_call(w, &a, &b, "talk", 1500);
    assert!(terminate(&mut edge).expect("stop"), "clean stop on SIGTERM");
}
