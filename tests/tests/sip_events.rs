//! Call events end to end: an integrator registers a webhook through the
//! API of a running `office`; two sipp phones register and call each other
//! through the edge; a plain HTTP receiver on 127.0.0.1 (refusing the
//! first delivery with a 503, to force a retry) gets `device.registered`
//! for both phones and `call.ringing`, `call.answered`, `call.ended` for the
//! call, in order, each signed with the endpoint's secret, and the API's
//! delivery log shows them delivered. Prints how long each event took from
//! the edge to the receiver.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use e2e::sipp::{Phone, answered_call, register};
use e2e::{Api, Office};

#[derive(Debug, Clone)]
struct Hit {
    signature: String,
    body: String,
    received_ms: i64,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A minimal HTTP/1.1 receiver: answers the first request 503, then 200.
fn receiver() -> (String, Arc<Mutex<Vec<Hit>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
    let seen = hits.clone();
    std::thread::spawn(move || {
        let mut first = true;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let (mut length, mut signature) = (0usize, String::new());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                let l = line.trim_end().to_owned();
                line.clear();
                if l.is_empty() {
                    break;
                }
                if let Some((k, v)) = l.split_once(':') {
                    match k.to_ascii_lowercase().as_str() {
                        "content-length" => length = v.trim().parse().unwrap_or(0),
                        "x-office-signature" => signature = v.trim().to_owned(),
                        _ => {}
                    }
                }
            }
            let mut body = vec![0u8; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let status = if first {
                "503 Service Unavailable"
            } else {
                "200 OK"
            };
            if !first {
                seen.lock().expect("lock").push(Hit {
                    signature,
                    body: String::from_utf8_lossy(&body).into_owned(),
                    received_ms: now_ms(),
                });
            }
            first = false;
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (format!("http://{addr}/hook"), hits)
}

fn events_of(hits: &[Hit]) -> Vec<serde_json::Value> {
    hits.iter()
        .filter_map(|h| serde_json::from_str(&h.body).ok())
        .collect()
}

#[test]
fn a_call_through_the_edge_reaches_a_webhook_as_signed_events() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let api = Api::of(&office);
    let (url, hits) = receiver();
    let (status, hook) = api.call(
        "POST",
        "/v1/webhooks",
        Some(serde_json::json!({"url": url, "events": ["call.*", "device.registered"]})),
    );
    assert_eq!(status, 201, "{hook}");
    let secret = hook["secret"].as_str().expect("secret").to_owned();
    let hook_id = hook["id"].as_str().expect("id").to_owned();

    let phone = |i: usize| Phone::demo_user(&office.info, i);
    let (a, b) = (phone(0), phone(1));
    let work = tempfile::tempdir().expect("work");
    register(work.path(), &a);
    register(work.path(), &b);
    answered_call(work.path(), &a, &b, "events", 1000);

    // The first delivery was refused (503) and comes again after 10 s.
    let deadline = Instant::now() + Duration::from_secs(40);
    let (ring, answered, ended, registered) = loop {
        let events = events_of(&hits.lock().expect("lock"));
        let of = |t: &str| -> Vec<serde_json::Value> {
            events.iter().filter(|e| e["type"] == t).cloned().collect()
        };
        let (ring, ans, end, reg) = (
            of("call.ringing"),
            of("call.answered"),
            of("call.ended"),
            of("device.registered"),
        );
        if !ring.is_empty() && !ans.is_empty() && !end.is_empty() && reg.len() >= 2 {
            break (ring, ans, end, reg);
        }
        assert!(
            Instant::now() < deadline,
            "events missing; got {:#?}",
            events.iter().map(|e| &e["type"]).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let call_id = ring[0]["subject"].as_str().expect("call id");
    for (e, seq) in [(&ring[0], 1), (&answered[0], 2), (&ended[0], 3)] {
        assert_eq!(e["subject"], call_id, "one call: {e}");
        assert_eq!(e["seq"], seq, "{e}");
        assert_eq!(e["id"], format!("{call_id}.{seq}"));
    }
    assert_eq!(ring[0]["data"]["caller"]["number"], a.extension.as_str());
    assert_eq!(ring[0]["data"]["callee"]["number"], b.extension.as_str());
    assert_eq!(ended[0]["data"]["disposition"], "answered");
    assert!(ended[0]["data"]["talk_ms"].as_i64().unwrap_or(0) >= 500);
    let accounts: Vec<&str> = registered
        .iter()
        .filter_map(|e| e["data"]["account"].as_str())
        .collect();
    assert_eq!(accounts.len(), 2, "{registered:?}");

    let all = hits.lock().expect("lock").clone();
    let now = now_ms() / 1000;
    for h in &all {
        assert!(
            app::messaging::verify_signature(
                secret.as_bytes(),
                &h.signature,
                h.body.as_bytes(),
                now
            ),
            "signed: {}",
            h.signature
        );
    }
    // Edge to receiver, for the events not held back by the forced retry.
    let mut delays: Vec<i64> = events_of(&all)
        .iter()
        .zip(&all)
        .filter_map(|(e, h)| Some(h.received_ms - e["at_ms"].as_i64()?))
        .filter(|d| *d < 5_000)
        .collect();
    delays.sort_unstable();
    println!("event → webhook delays (ms): {delays:?}");

    let (status, log) = api.call("GET", &format!("/v1/webhooks/{hook_id}/deliveries"), None);
    assert_eq!(status, 200, "{log}");
    let rows = log["deliveries"].as_array().cloned().unwrap_or_default();
    assert!(
        rows.iter()
            .all(|d| d["status"] == "delivered" || d["status"] == "pending"),
        "{log:#}"
    );
    assert!(
        rows.iter().any(|d| d["attempts"] == 2),
        "one took two attempts: {log:#}"
    );
    office.stop().expect("stop");
}
