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

/// Path of the `office` binary under test.
pub fn office_bin() -> anyhow::Result<PathBuf> {
    if let Ok(p) = std::env::var("OFFICE_BIN") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()?;
    // target/<profile>/deps/<test> -> target/<profile>/office
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("test executable has no profile directory")?;
    let bin = profile_dir.join("office");
    if !bin.exists() {
        bail!(
            "{} not found: run `cargo build -p office` first (the README test command does)",
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
        let mut child = Command::new(office_bin()?)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--port", "0", "--json"])
            .args(extra)
            .env("RUST_LOG", "warn")
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

fn terminate(child: &mut Child) -> anyhow::Result<bool> {
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
