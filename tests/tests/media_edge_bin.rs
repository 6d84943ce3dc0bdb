//! The media edge's own binary (what the container runs), configured by
//! environment only, over a data directory `office demo` seeded: phones
//! register with it and a call goes through; SIGTERM stops it cleanly.

use std::process::{Command, Stdio};
use std::time::Duration;

use e2e::sipp::{Phone, Ports, callee, caller, free_udp_port, register};
use e2e::{built_bin, office};

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
    let port = free_udp_port();
    let mut edge = Command::new(built_bin("media-edge").expect("binary"))
        .env("OFFICE_DATA_DIR", data.path())
        .env("OFFICE_SIP_BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start media-edge");
    std::thread::sleep(Duration::from_millis(700));
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
    let mut uas = callee(
        w,
        &b,
        "answer",
        &["uas_ring", "uas_answer", "uas_wait_bye"],
        0,
    );
    let mut uac = caller(
        w,
        &a,
        "talk",
        &b.extension,
        "uac_talk_and_hang_up",
        &[("talk_ms", "1500")],
    );
    let (ok_a, ok_b) = (
        uac.wait(Duration::from_secs(30)),
        uas.wait(Duration::from_secs(10)),
    );
    assert!(ok_a && ok_b, "{}\n{}", uac.log(), uas.log());
    Command::new("kill")
        .args(["-TERM", &edge.id().to_string()])
        .status()
        .expect("kill");
    let mut stopped = None;
    for _ in 0..100 {
        if let Ok(Some(s)) = edge.try_wait() {
            stopped = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = edge.kill();
    assert!(
        stopped.is_some_and(|s| s.success()),
        "clean stop: {stopped:?}"
    );
}
