//! Phones register with the media edge inside `office`: sipp (Debian
//! `sip-tester`) answers the digest challenge; a wrong password and an
//! unknown user get the same 403.

use std::path::Path;
use std::process::Command;

use e2e::Office;

fn sipp(
    dir: &Path,
    port: u64,
    user: &str,
    auth_user: &str,
    password: &str,
    expect: u16,
    local_port: u16,
) -> bool {
    let scenario = std::fs::read_to_string(format!("{}/sipp/register.xml", e2e::manifest_dir()))
        .expect("scenario");
    let sf = dir.join(format!("register-{expect}-{local_port}.xml"));
    std::fs::write(&sf, scenario.replace("[$expect]", &expect.to_string()))
        .expect("write scenario");
    let csv = dir.join(format!("users-{local_port}.csv"));
    std::fs::write(
        &csv,
        format!("SEQUENTIAL\n{user};[authentication username={auth_user} password={password}]\n"),
    )
    .expect("write csv");
    let status = Command::new("sipp")
        .arg(format!("127.0.0.1:{port}"))
        .args([
            "-sf",
            sf.to_str().expect("utf-8"),
            "-inf",
            csv.to_str().expect("utf-8"),
        ])
        .args([
            "-m",
            "1",
            "-i",
            "127.0.0.1",
            "-p",
            &local_port.to_string(),
            "-timeout",
            "20",
            "-nostdin",
        ])
        .current_dir(dir)
        .output()
        .expect("run sipp (Debian sip-tester; the README test command installs it)");
    status.status.success()
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

#[test]
fn phones_register_with_digest_and_bad_credentials_get_the_same_answer() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let sip = &office.info["sip"];
    assert_eq!(sip["transport"], "udp");
    let port = sip["port"].as_u64().expect("sip port");
    let user = &office.info["users"][0];
    let (name, password) = (
        user["sip_username"].as_str().expect("user"),
        user["sip_password"].as_str().expect("pw"),
    );
    let work = tempfile::tempdir().expect("work");

    assert!(
        sipp(
            work.path(),
            port,
            name,
            name,
            password,
            200,
            free_udp_port()
        ),
        "the right password registers"
    );
    assert!(
        sipp(
            work.path(),
            port,
            name,
            name,
            "not-the-password",
            403,
            free_udp_port()
        ),
        "a wrong password gets 403"
    );
    assert!(
        sipp(
            work.path(),
            port,
            "1000000001",
            "1000000001",
            "whatever",
            403,
            free_udp_port()
        ),
        "an unknown user gets the same 403"
    );
    assert!(
        sipp(
            work.path(),
            port,
            name,
            name,
            password,
            200,
            free_udp_port()
        ),
        "the phone still registers after its own two failures"
    );
    assert!(office.stop().expect("stop"));
}
