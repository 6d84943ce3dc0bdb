//! Harness for end-to-end tests: runs the real `office` binary as a
//! process on a free loopback port with its own data directory, and stops it
//! (SIGTERM, then reaps it) when the handle drops.
//!
//! The binary is the one `cargo build -p office` put beside this test's own
//! executable (`target/<profile>/office`), or `OFFICE_BIN` if set; the README
//! test command builds it first.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

pub mod baresip;
pub mod pcap;
pub mod sipp;
pub mod stunnel;

/// Path of the `office` binary under test.
/// This crate's directory (`tests/`), as `cargo test` gives it when the
/// test runs: a compile-time path breaks when target directories are
/// shared between checkouts.
pub fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
}

pub fn office_bin() -> anyhow::Result<PathBuf> {
    if let Ok(p) = std::env::var("OFFICE_BIN") {
        return Ok(PathBuf::from(p));
    }
    built_bin("office")
}

/// A binary `cargo build` put beside this test's own executable.
pub fn built_bin(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("test executable has no profile directory")?;
    let bin = profile_dir.join(name);
    if !bin.exists() {
        bail!(
            "{} not found: run `cargo build -p {name}` first (the README test command does)",
            bin.display()
        );
    }
    Ok(bin)
}

/// Runs an operator command against `data_dir` and returns its output.
pub fn office(data_dir: &Path, args: &[&str]) -> anyhow::Result<Output> {
    Ok(Command::new(office_bin()?)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()?)
}

/// A running `office` server.
#[derive(Debug)]
pub struct Office {
    child: Child,
    /// The JSON object it printed at start (`--json`).
    pub info: serde_json::Value,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Office {
    /// Starts `office --json --port 0 [extra]` on `data_dir` and waits for its JSON line.
    pub fn start(data_dir: &Path, extra: &[&str]) -> anyhow::Result<Self> {
        Self::start_with_env(data_dir, extra, &[])
    }

    /// As [`Office::start`], with its SIP trunk at a free local UDP port
    /// (where a sipp carrier will listen; returned), and `env` besides.
    pub fn start_with_trunk(data_dir: &Path, env: &[(&str, &str)]) -> anyhow::Result<(Self, u16)> {
        let port = sipp::free_udp_port();
        let trunk = format!("127.0.0.1:{port}");
        let mut all = vec![("OFFICE_SIP_TRUNK", trunk.as_str())];
        all.extend_from_slice(env);
        Ok((Self::start_with_env(data_dir, &[], &all)?, port))
    }

    /// As [`Office::start`], with extra environment variables (`OFFICE_*` settings).
    pub fn start_with_env(
        data_dir: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let mut child = Command::new(office_bin()?)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--port", "0", "--sip-port", "0", "--json"])
            .args(extra)
            .env("RUST_LOG", "warn")
            // Tests count the calls they make: no example calls in the demo.
            .env("OFFICE_DEMO_NO_CALLS", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting office")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(l) if !l.trim().is_empty() => l,
            other => {
                let _ = child.kill();
                let status = child.wait().ok();
                bail!("office printed no JSON line ({other:?}); exit status {status:?}");
            }
        };
        let info: serde_json::Value = serde_json::from_str(&line)
            .with_context(|| format!("office's first line is not JSON: {line}"))?;
        let base = info["portal_url"]
            .as_str()
            .context("no portal_url")?
            .trim_end_matches('/')
            .to_owned();
        Ok(Self { child, info, base })
    }

    /// Asks it to stop (SIGTERM) and returns whether it exited cleanly.
    pub fn stop(mut self) -> anyhow::Result<bool> {
        let ok = terminate(&mut self.child)?;
        Ok(ok)
    }
}

/// Starts the `media-edge` binary (the container's entry point) with SIP on
/// 127.0.0.1:`port`, its data in `data_dir`, and `env` on top; waits
/// `settle` for it to bind and checks it is still running.
pub fn start_media_edge(
    data_dir: &Path,
    port: u16,
    env: &[(&str, &str)],
    settle: Duration,
) -> anyhow::Result<Child> {
    let mut child = Command::new(built_bin("media-edge")?)
        .env("OFFICE_DATA_DIR", data_dir)
        .env("OFFICE_SIP_BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("start media-edge")?;
    std::thread::sleep(settle);
    if let Some(status) = child.try_wait()? {
        anyhow::bail!("media-edge exited at start: {status}");
    }
    Ok(child)
}

/// Stops a child process with SIGTERM (SIGKILL after 20 s): whether it
/// exited cleanly.
pub fn terminate(child: &mut Child) -> anyhow::Result<bool> {
    if let Some(status) = child.try_wait()? {
        return Ok(status.success());
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            return Ok(status.success());
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    child.kill()?;
    child.wait()?;
    Ok(false)
}

impl Drop for Office {
    fn drop(&mut self) {
        let _ = terminate(&mut self.child);
    }
}

/// A chromedriver (Debian `chromium-driver`) on a free loopback port,
/// killed when dropped. Drives the Debian `chromium`, headless.
#[derive(Debug)]
pub struct Chromedriver {
    child: Child,
    pub port: u16,
}

impl Chromedriver {
    pub fn start() -> anyhow::Result<Self> {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            l.local_addr()?.port()
        };
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver: install Debian chromium and chromium-driver (the README test command does)")?;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if Instant::now() > deadline {
                bail!("chromedriver did not listen on {addr}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self { child, port })
    }

    /// A new headless browser session with a fresh profile.
    pub async fn browser(&self, profile: &Path) -> anyhow::Result<fantoccini::Client> {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-quic", "--no-first-run", "--window-size=1280,900",
                    "--autoplay-policy=no-user-gesture-required",
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        let http = hyper_util::client::legacy::connect::HttpConnector::new();
        Ok(fantoccini::ClientBuilder::new(http)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await?)
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where screenshots of a test run go: `<target>/artifacts/screenshots`.
pub fn screenshot_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let target = exe
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .context("no target directory")?;
    let dir = target.join("artifacts").join("screenshots");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Saves a PNG screenshot of the browser's page under `name`.
/// Logs in through the portal's login form at `base` (the next page loads
/// on its own; wait for what it shows).
pub async fn log_in(c: &fantoccini::Client, base: &str, email: &str, password: &str) {
    use fantoccini::Locator;
    c.goto(&format!("{base}/login")).await.expect("login page");
    for (css, value) in [("#email", email), ("#password", password)] {
        c.find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .send_keys(value)
            .await
            .expect("type");
    }
    c.find(Locator::Css("#login"))
        .await
        .expect("login button")
        .click()
        .await
        .expect("click");
}

pub async fn screenshot(c: &fantoccini::Client, name: &str) -> anyhow::Result<PathBuf> {
    let png = c.screenshot().await?;
    let path = screenshot_dir()?.join(format!("{name}.png"));
    std::fs::write(&path, png)?;
    Ok(path)
}

/// A blocking client of the running office's `/v1` API (for sync tests that
/// also drive sipp or baresip).
#[derive(Debug)]
pub struct Api {
    pub base: String,
    pub key: String,
    rt: tokio::runtime::Runtime,
}

impl Api {
    /// The API of `office` with its demo key.
    pub fn of(office: &Office) -> Self {
        Self {
            base: office.base.clone(),
            key: office.info["api_key"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            rt: tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("runtime: {e}")),
        }
    }

    /// One request; the status and the JSON body (Null when not JSON).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        self.call_with(method, path, body, &[])
    }

    /// As [`Api::call`], with extra headers (`Idempotency-Key`...).
    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        self.rt.block_on(async {
            let mut req = reqwest::Client::new()
                .request(
                    method.parse().unwrap_or(reqwest::Method::GET),
                    format!("{}{path}", self.base),
                )
                .bearer_auth(&self.key);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            if let Some(b) = body {
                req = req.json(&b);
            }
            match req.send().await {
                Ok(r) => (
                    r.status().as_u16(),
                    r.json().await.unwrap_or(serde_json::Value::Null),
                ),
                Err(e) => panic!("API {method} {path}: {e}"),
            }
        })
    }

    /// The bytes at a URL (a download link the API gave).
    pub fn download(&self, url: &str) -> Vec<u8> {
        self.rt.block_on(async {
            match reqwest::get(url).await {
                Ok(r) => r.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
                Err(e) => panic!("download {url}: {e}"),
            }
        })
    }

    /// The newest `n` call records, once they are all closed (newest first).
    pub fn closed_calls(&self, n: usize) -> Vec<serde_json::Value> {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let (_, list) = self.call("GET", "/v1/calls?limit=50", None);
            let calls = list["calls"].as_array().cloned().unwrap_or_default();
            if calls.len() >= n && calls.iter().take(n).all(|c| !c["ended_ms"].is_null()) {
                return calls.into_iter().take(n).collect();
            }
            assert!(
                std::time::Instant::now() < end,
                "records not closed: {list:#}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Waits (up to 10 s) until a phone of `extension` shows as registered
    /// over `transport` (`udp`, `tcp`, `tls`) on 모니터링; panics with the
    /// devices seen otherwise.
    pub fn wait_registered(&self, extension: &str, transport: &str) {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let (_, live) = self.call("GET", "/v1/monitoring", None);
            let devices = live["devices"].as_array().cloned().unwrap_or_default();
            if devices
                .iter()
                .any(|d| d["extension"] == extension && d["transport"] == transport)
            {
                return;
            }
            assert!(
                std::time::Instant::now() < end,
                "{extension} registered over {transport}: {devices:#?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// The id of the account with this extension.
    pub fn account_id(&self, extension: &str) -> String {
        let (_, list) = self.call("GET", "/v1/accounts?limit=50", None);
        list["accounts"]
            .as_array()
            .and_then(|l| l.iter().find(|a| a["extension"] == extension))
            .and_then(|a| a["id"].as_str())
            .unwrap_or_else(|| panic!("no account with extension {extension}: {list}"))
            .to_owned()
    }
}
