//! SIP over TCP under a connection flood: one address opening hundreds of
//! connections to the edge inside `office` holds no more than its share
//! (the rest are closed at once), another address still registers over
//! TCP, the HTTP server in the same process still answers, and held
//! connections that say nothing are closed after the idle timeout.

use std::io::Read as _;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use e2e::sipp::{Phone, Sipp, scenario};
use e2e::{Api, Office};
use socket2::{Domain, Socket, Type};

/// A connection to `to` from 127.0.0.2 (another address than the phones').
fn connect_from_elsewhere(to: SocketAddr) -> TcpStream {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    let from: SocketAddr = "127.0.0.2:0".parse().expect("addr");
    s.bind(&from.into()).expect("bind 127.0.0.2");
    s.connect(&to.into()).expect("connect");
    let stream: TcpStream = s.into();
    stream
        .set_read_timeout(Some(Duration::from_millis(5)))
        .expect("timeout");
    stream
}

/// Whether the edge has closed this connection: a read finds its end (or
/// a reset); a read that times out finds it open and silent.
fn closed(mut s: &TcpStream) -> bool {
    let mut b = [0u8; 64];
    match s.read(&mut b) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

#[test]
fn a_connection_flood_from_one_address_does_not_take_the_edge_down() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start_with_env(
        data.path(),
        &[],
        &[
            ("OFFICE_SIP_TCP_PER_SOURCE", "50"),
            ("OFFICE_SIP_TCP_IDLE_SECS", "3"),
        ],
    )
    .expect("office");
    let port = u16::try_from(office.info["sip"]["port"].as_u64().expect("sip port")).expect("port");
    let edge: SocketAddr = ([127, 0, 0, 1], port).into();
    let flood: Vec<TcpStream> = (0..300).map(|_| connect_from_elsewhere(edge)).collect();
    std::thread::sleep(Duration::from_millis(800));
    let open = flood.iter().filter(|s| !closed(s)).count();
    assert_eq!(open, 50, "the address holds its share, no more");

    // Another address registers over TCP meanwhile.
    let phone = Phone::demo_user(&office.info, 0);
    let work = tempfile::tempdir().expect("work");
    let text = scenario("register.xml", &[]).replace("[$expect]", "200");
    let mut reg = Sipp::spawn(
        work.path(),
        "register-tcp",
        &text,
        phone.ports,
        Some((&phone.user, &phone.password)),
        &["-t", "t1"],
    );
    assert!(
        reg.wait(Duration::from_secs(30)),
        "register over TCP\n{}",
        reg.log()
    );
    // The portal and API in the same process still answer.
    let (status, _) = Api::of(&office).call("GET", "/health", None);
    assert_eq!(status, 200);

    // Silent connections go after the idle timeout.
    let start = Instant::now();
    while flood.iter().any(|s| !closed(s)) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "idle connections are closed within the idle timeout"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(office.stop().expect("stop"));
}
