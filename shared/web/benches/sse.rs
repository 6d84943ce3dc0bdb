//! Screen-pop streams at scale (issue 13): how much memory an open
//! `GET /v1/cti/stream` costs the server, and how long a user's call event
//! takes from the edge's outbox to that user's stream when many streams
//! are open.
//!
//!   cargo bench -p web --bench sse -- [USERS] [ROUNDS] [RATE]
//!
//! USERS (default 1,000) users of one tenant each get a stream token and
//! one stream. The server is the real router (`web::router`) served with
//! `axum::serve` on 127.0.0.1, over an in-memory embedded store. The
//! clients run in a child process (this binary again), so the server's
//! resident memory (VmRSS) before and after the streams open is the
//! server's alone. Then, ROUNDS times (default 3), one `call.ringing` per
//! user goes through the real outbox (`app::events::Outbox`: staged in
//! the tenant's event log, published to the in-process feed). RATE 0
//! (default) emits a round's events all at once; RATE > 0 paces them at
//! that many events per second. Rounds start 3 s apart. The child notes
//! when each event arrives on which stream.
//!
//! Prints memory per stream (server, and the client process for
//! comparison), then per round and in all: events arrived / expected, on a
//! wrong stream, duplicated, missing, and the delay from `emit` to arrival
//! (p50 / p99 / max). Both processes share the machine's cores.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead as _, Write as _};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use domain::call::{CallRecord, Direction, Party};
use domain::event::{Event, Tracker};
use domain::{Account, TenantId};

/// Set in the child process: the server's base URL.
const CLIENT_ENV: &str = "OFFICE_SSE_BENCH_CLIENT";
/// How long a round waits for its last events after the last emit.
const ROUND_TIMEOUT: Duration = Duration::from_secs(15);
/// The pause before each round (successive calls to a user are apart in
/// time; a stream's read still looks back from the last event it sent).
const BETWEEN_ROUNDS: Duration = Duration::from_secs(3);

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// This process's resident memory (KiB).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn main() {
    if let Ok(base) = std::env::var(CLIENT_ENV) {
        runtime().block_on(client(base));
        return;
    }
    // `cargo bench` adds `--bench`; the numbers are ours.
    let nums: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(|a| a.parse().expect("USERS, ROUNDS and RATE are numbers"))
        .collect();
    let users = nums.first().copied().unwrap_or(1_000).max(1);
    let rounds = nums.get(1).copied().unwrap_or(3).max(1);
    let rate = nums.get(2).copied().unwrap_or(0);
    runtime().block_on(server(users, rounds, rate));
}

/// One `call.ringing` for `callee`, as the edge's tracker makes it.
fn ringing(t: &TenantId, callee: &Account, n: usize) -> Event {
    let now = store::now_epoch_ms();
    let r = CallRecord::starting(
        t.clone(),
        Direction::Incoming,
        Party {
            number: format!("010{:08}", n % 100_000_000),
            ..Party::default()
        },
        Party {
            number: callee.extension.map(|e| e.to_string()).unwrap_or_default(),
            account: Some(callee.id.clone()),
            name: Some(callee.name.clone()),
        },
        now,
        "bench-edge",
    );
    Tracker::default()
        .observe(&r, false, now)
        .pop()
        .expect("a new call rings")
}

fn percentile(sorted: &[i64], p: usize) -> f64 {
    let i = (sorted.len() * p / 100).min(sorted.len().saturating_sub(1));
    sorted.get(i).map_or(f64::NAN, |d| *d as f64 / 1000.0)
}

#[derive(Debug, Default)]
struct Tally {
    delays_us: Vec<i64>,
    wrong: usize,
    duplicated: usize,
    expected: usize,
}

impl Tally {
    fn line(&mut self, what: &str) -> String {
        self.delays_us.sort_unstable();
        let got = self.delays_us.len();
        let delay = match self.delays_us.last() {
            None => "no delay to measure".to_owned(),
            Some(max) => format!(
                "delay p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                percentile(&self.delays_us, 50),
                percentile(&self.delays_us, 99),
                *max as f64 / 1000.0
            ),
        };
        format!(
            "{what}: {got} of {} arrived, {} missing, {} on a wrong stream, {} duplicated; {delay}",
            self.expected,
            self.expected.saturating_sub(got),
            self.wrong,
            self.duplicated,
        )
    }
}

async fn server(users: usize, rounds: usize, rate: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app::App::in_memory(dir.path(), "http://127.0.0.1:9").expect("app");
    app::operator::create_tenant(
        &app,
        app::operator::NewTenant {
            id: Some("acme".into()),
            name: "Acme".into(),
            ..Default::default()
        },
    )
    .await
    .expect("tenant");
    let t = TenantId::parse("acme").expect("tenant id");
    let started = std::time::Instant::now();
    let mut accounts = Vec::with_capacity(users);
    let mut tokens = String::new();
    for i in 0..users {
        let created = app::admin::create_member(
            &app,
            &t,
            app::admin::NewMember {
                name: format!("사용자{i:05}"),
                extension: (i < 8_000).then(|| (2_000 + i).to_string()),
                ..Default::default()
            },
        )
        .await
        .expect("member");
        let minted = app::cti::mint(&app, &t, created.account.id.as_str(), Some(3600))
            .await
            .expect("token");
        tokens.push_str(&format!("{i} {}\n", minted.token));
        accounts.push(created.account);
    }
    println!(
        "{users} users with a stream token in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let router = web::router(app.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    let outbox = app::events::Outbox::start(app.store.clone(), app.events.clone(), "bench");
    // Warm the path once (router, store, outbox) with nobody listening,
    // early enough for the streams' look-back not to reach it.
    outbox.emit(vec![ringing(&t, &accounts[0], 0)]);
    tokio::time::sleep(Duration::from_millis(2_500)).await;

    let rss_before = rss_kib();
    let mut child = Command::new(std::env::current_exe().expect("this binary"))
        .env(CLIENT_ENV, &base)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("client process");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(tokens.as_bytes())
        .expect("tokens to the client");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(stdout).lines() {
            let Ok(l) = l else { break };
            if tx.send(l).is_err() {
                break;
            }
        }
    });

    // The client says when every stream is open (it has the stream's first bytes).
    let ready = loop {
        let l = lines
            .recv()
            .await
            .expect("the client stopped before it was ready");
        if let Some(rest) = l.strip_prefix("ready ") {
            break rest.to_owned();
        }
    };
    let mut f = ready
        .split_whitespace()
        .map(|x| x.parse::<u64>().unwrap_or(0));
    let (opened, refused, client_base, client_after) = (
        f.next().unwrap_or(0),
        f.next().unwrap_or(0),
        f.next().unwrap_or(0),
        f.next().unwrap_or(0),
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = rss_kib();
    let per = |before: u64, after: u64| after.saturating_sub(before) as f64 / opened.max(1) as f64;
    println!(
        "{opened} streams open ({refused} refused); server RSS {:.1} -> {:.1} MiB = {:.1} KiB per stream; \
         client process {:.1} -> {:.1} MiB = {:.1} KiB per stream",
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        per(rss_before, rss_after),
        client_base as f64 / 1024.0,
        client_after as f64 / 1024.0,
        per(client_base, client_after),
    );

    // Event id -> (user, emitted at, µs).
    let mut sent: HashMap<String, (usize, i64)> = HashMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut total = Tally::default();
    let mut n = 1;
    for round in 1..=rounds {
        let mut tally = Tally {
            expected: users,
            ..Tally::default()
        };
        tokio::time::sleep(BETWEEN_ROUNDS).await;
        let begin = tokio::time::Instant::now();
        let mut ids = HashSet::new();
        for (u, a) in accounts.iter().enumerate() {
            if rate > 0 {
                tokio::time::sleep_until(begin + Duration::from_secs_f64(u as f64 / rate as f64))
                    .await;
            }
            let e = ringing(&t, a, n);
            n += 1;
            ids.insert(e.id.clone());
            sent.insert(e.id.clone(), (u, now_us()));
            outbox.emit(vec![e]);
        }
        let emitted = begin.elapsed();
        let deadline = tokio::time::Instant::now() + ROUND_TIMEOUT;
        while tally.delays_us.len() < users {
            let Ok(Some(l)) = tokio::time::timeout_at(deadline, lines.recv()).await else {
                break;
            };
            // "got <user> <event id> <arrived at, µs>"
            let mut f = l.split_whitespace();
            let (Some("got"), Some(user), Some(id), Some(at)) =
                (f.next(), f.next(), f.next(), f.next())
            else {
                continue;
            };
            let (user, at): (usize, i64) =
                (user.parse().unwrap_or(usize::MAX), at.parse().unwrap_or(0));
            let Some(&(owner, emitted_us)) = sent.get(id) else {
                tally.wrong += 1; // not an event of ours (the warm-up's, say)
                continue;
            };
            if owner != user {
                tally.wrong += 1;
            } else if !seen.insert(id.to_owned()) {
                tally.duplicated += 1;
            } else if ids.contains(id) {
                tally.delays_us.push(at - emitted_us);
            } else {
                // An earlier round's event arriving late.
                total.delays_us.push(at - emitted_us);
            }
        }
        println!(
            "{}",
            tally.line(&format!(
                "round {round} ({users} events emitted in {:.0} ms)",
                emitted.as_secs_f64() * 1000.0
            ))
        );
        total.expected += tally.expected;
        total.wrong += tally.wrong;
        total.duplicated += tally.duplicated;
        total.delays_us.extend_from_slice(&tally.delays_us);
    }
    // Anything still on its way (and any duplicate) gets a last second.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    while let Ok(Some(l)) = tokio::time::timeout_at(deadline, lines.recv()).await {
        let mut f = l.split_whitespace().skip(1);
        if let (Some(user), Some(id)) = (f.next(), f.next())
            && let Some(&(owner, _)) = sent.get(id)
        {
            if owner.to_string() != user {
                total.wrong += 1;
            } else if !seen.insert(id.to_owned()) {
                total.duplicated += 1;
            }
        }
    }
    println!(
        "{}",
        total.line(&format!(
            "all {rounds} rounds ({}, {users} streams)",
            if rate > 0 {
                format!("paced at {rate} events/s")
            } else {
                "each round emitted at once".to_owned()
            }
        ))
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// The child: opens one stream per token read from stdin, prints `ready
/// <opened> <refused> <rss before> <rss after>` once every stream is open,
/// then `got <user> <event id> <µs>` for each event as it arrives.
async fn client(base: String) {
    let mut tokens = Vec::new();
    for l in std::io::stdin().lock().lines() {
        let l = l.expect("stdin");
        if let Some((user, token)) = l.split_once(' ') {
            tokens.push((user.parse::<usize>().expect("user"), token.to_owned()));
        }
    }
    let (out, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let stdout = std::io::stdout();
        let mut w = std::io::BufWriter::new(stdout.lock());
        while let Ok(l) = rx.recv() {
            let _ = writeln!(w, "{l}");
            while let Ok(more) = rx.try_recv() {
                let _ = writeln!(w, "{more}");
            }
            let _ = w.flush();
        }
    });
    let rss_base = rss_kib();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let count = tokens.len();
    let opened = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(tokio::sync::Notify::new());
    // Connections open a few hundred at a time (the listen backlog).
    let gate = Arc::new(tokio::sync::Semaphore::new(200));
    for (user, token) in tokens {
        let (http, out) = (http.clone(), out.clone());
        let (opened, refused, done, gate) =
            (opened.clone(), refused.clone(), done.clone(), gate.clone());
        let url = format!("{base}/v1/cti/stream?token={token}");
        tokio::spawn(async move {
            let mut permit = Some(gate.acquire_owned().await.expect("gate"));
            let settle = |ok: bool| {
                let counter = if ok { &opened } else { &refused };
                counter.fetch_add(1, Ordering::SeqCst);
                if opened.load(Ordering::SeqCst) + refused.load(Ordering::SeqCst) == count {
                    done.notify_one();
                }
            };
            let mut r = match http.get(&url).send().await {
                Ok(r) if r.status().is_success() => r,
                Ok(r) => {
                    eprintln!("stream of user {user}: HTTP {}", r.status());
                    settle(false);
                    return;
                }
                Err(e) => {
                    eprintln!("stream of user {user}: {e}");
                    settle(false);
                    return;
                }
            };
            let mut text = String::new();
            let mut first = true;
            loop {
                let chunk = match r.chunk().await {
                    Ok(Some(c)) => c,
                    Ok(None) | Err(_) => {
                        if first {
                            settle(false);
                        }
                        eprintln!("stream of user {user} ended");
                        return;
                    }
                };
                let at = now_us();
                if first {
                    first = false;
                    permit.take(); // the next stream may open
                    settle(true);
                }
                text.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(i) = text.find("\n\n") {
                    let block: String = text.drain(..i + 2).collect();
                    let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) else {
                        continue; // a comment or keep-alive
                    };
                    let id = serde_json::from_str::<serde_json::Value>(data)
                        .ok()
                        .and_then(|v| v["id"].as_str().map(str::to_owned))
                        .unwrap_or_else(|| "?".into());
                    let _ = out.send(format!("got {user} {id} {at}"));
                }
            }
        });
    }
    if count > 0 {
        done.notified().await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _ = out.send(format!(
        "ready {} {} {rss_base} {}",
        opened.load(Ordering::SeqCst),
        refused.load(Ordering::SeqCst),
        rss_kib()
    ));
    // Until the server process ends us.
    std::future::pending::<()>().await;
}
