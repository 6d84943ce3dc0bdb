//! Screen pop in a real headless Chromium: a customer's page (served from
//! another origin) includes `/cti.js` with a stream token its server
//! minted through the API; a sipp call rings the demo user and the page
//! shows the caller's number. Then the page's connection is cut (a proxy
//! between the page and `office` drops it and refuses reconnects), a
//! second call rings while it is away, and when the proxy lets it through
//! again the stream resumes and the page shows the second call too.
//! Prints how long each event took from the edge to the page.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use e2e::sipp::{Phone, answered_call, register};
use e2e::{Chromedriver, Office, screenshot};
use fantoccini::{Client, Locator};

/// A TCP proxy to `upstream` that can cut every connection and refuse new ones.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: std::net::SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let cut = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (c, o) = (cut.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if c.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                if let Ok(mut list) = o.lock() {
                    list.extend(
                        [client.try_clone(), server.try_clone()]
                            .into_iter()
                            .flatten(),
                    );
                }
                for (mut from, mut to) in [
                    (client.try_clone(), server.try_clone()),
                    (server.try_clone(), client.try_clone()),
                ]
                .into_iter()
                .filter_map(|(a, b)| Some((a.ok()?, b.ok()?)))
                {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Self { port, cut, open }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        if let Ok(mut list) = self.open.lock() {
            for s in list.drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// Serves one HTML page (the customer's CRM) on its own origin.
fn serve_page(html: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                html.len()
            );
        }
    });
    port
}

async fn pops(c: &Client) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for li in c.find_all(Locator::Css("li.pop")).await.unwrap_or_default() {
        let call = li
            .attr("data-call")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        out.push((call, li.text().await.unwrap_or_default()));
    }
    out
}

async fn wait_for(
    c: &Client,
    what: &str,
    ok: impl Fn(&[(String, String)]) -> bool,
) -> Vec<(String, String)> {
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        let now = pops(c).await;
        if ok(&now) {
            return now;
        }
        assert!(Instant::now() < end, "{what}: the page shows {now:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn state(c: &Client) -> String {
    match c.find(Locator::Css("#state")).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ringing_call_pops_on_a_customers_page_and_a_dropped_stream_misses_nothing() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let key = office.info["api_key"].as_str().expect("key").to_owned();
    let phone = |i: usize| Phone::demo_user(&office.info, i);
    let (a, b) = (phone(0), phone(1));
    let http = reqwest::Client::new();
    let accounts: serde_json::Value = http
        .get(format!("{}/v1/accounts?limit=50", office.base))
        .bearer_auth(&key)
        .send()
        .await
        .expect("accounts")
        .json()
        .await
        .expect("json");
    let b_id = accounts["accounts"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["extension"] == b.extension.as_str()))
        .and_then(|x| x["id"].as_str())
        .expect("callee's account")
        .to_owned();
    let minted: serde_json::Value = http
        .post(format!("{}/v1/cti/tokens", office.base))
        .bearer_auth(&key)
        .json(&serde_json::json!({"account": b_id}))
        .send()
        .await
        .expect("mint")
        .json()
        .await
        .expect("json");
    let token = minted["token"].as_str().expect("token").to_owned();

    let upstream: std::net::SocketAddr = office
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("office address");
    let proxy = Proxy::start(upstream);
    let html = format!(
        r#"<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>CRM</title></head>
<body><h1>고객 관리</h1><p id="state">-</p><ul id="pops"></ul>
<script src="http://127.0.0.1:{port}/cti.js"></script>
<script>
window.delays = [];
OfficeCti.connect({{
  token: "{token}",
  onState: function (s) {{ document.getElementById("state").textContent = s; }},
  onRinging: function (call) {{
    var li = document.createElement("li");
    li.className = "pop";
    li.dataset.call = call.callId;
    li.textContent = call.caller.number + " → " + (call.callee.name || call.callee.number);
    document.getElementById("pops").appendChild(li);
    window.delays.push(Date.now() - call.at.getTime());
  }}
}});
</script></body></html>"#,
        port = proxy.port
    );
    let page = serve_page(html);

    let driver = Chromedriver::start().expect("chromedriver");
    let profile = tempfile::tempdir().expect("profile");
    let c = driver.browser(profile.path()).await.expect("browser");
    c.goto(&format!("http://127.0.0.1:{page}/crm"))
        .await
        .expect("page");
    let end = Instant::now() + Duration::from_secs(15);
    while state(&c).await != "open" {
        assert!(Instant::now() < end, "the stream did not open");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let work = tempfile::tempdir().expect("work");
    let w = work.path().to_owned();
    let (a1, b1) = (a.clone(), b.clone());
    let first = tokio::task::spawn_blocking(move || {
        register(&w, &a1);
        register(&w, &b1);
        answered_call(&w, &a1, &b1, "pop-1", 1500);
    });
    let shown = wait_for(&c, "first call", |p| !p.is_empty()).await;
    assert!(
        shown[0].1.starts_with(&a.extension),
        "the caller's number: {shown:?}"
    );
    first.await.expect("first call");
    screenshot(&c, "cti-screen-pop").await.expect("shot");

    // Cut: the page loses its stream and cannot reconnect; a call rings meanwhile.
    proxy.cut();
    let end = Instant::now() + Duration::from_secs(15);
    while state(&c).await != "reconnecting" {
        assert!(Instant::now() < end, "the page did not notice the drop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let w = work.path().to_owned();
    let (a2, b2) = (a.clone(), b.clone());
    tokio::task::spawn_blocking(move || answered_call(&w, &a2, &b2, "pop-2", 500))
        .await
        .expect("second call");
    assert_eq!(pops(&c).await.len(), 1, "nothing arrives while cut");
    proxy.restore();
    let both = wait_for(&c, "the call made while cut", |p| p.len() >= 2).await;
    assert_ne!(both[0].0, both[1].0, "two calls: {both:?}");
    assert_eq!(both.len(), 2, "each call once: {both:?}");
    let delays = c
        .execute("return window.delays;", vec![])
        .await
        .expect("delays");
    println!("event → page delays (ms), the second after the reconnect: {delays}");
    screenshot(&c, "cti-screen-pop-resumed")
        .await
        .expect("shot");
    c.close().await.expect("close");
    office.stop().expect("stop");
}
