//! Test harness shared by the crates' tests: real local servers on free
//! loopback ports, each stopped (killed and reaped) when its handle drops.
//!
//! A missing server binary fails the test with the command that installs it:
//! a contract test that silently skips proves nothing.

use std::io::Read as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// A free TCP port on 127.0.0.1 (bound and released; the caller binds it next).
pub fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("binding an ephemeral port")?;
    Ok(l.local_addr()?.port())
}

/// Waits until something accepts TCP connections on `addr`.
pub fn wait_for_port(addr: SocketAddr, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("nothing listened on {addr} within {timeout:?}")
}

/// A moto server (PyPI `moto[server]`): DynamoDB, S3, SNS, Polly and
/// Transcribe on one loopback port.
///
/// It runs under a small shell watchdog that stops it when the test process
/// goes away, so even a server shared through a `static` (never dropped)
/// does not outlive the test run.
/// `serial_moto.py`: moto's server handling one request at a time.
const SERIAL_MOTO: &str = include_str!("../serial_moto.py");

#[derive(Debug)]
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    /// Starts moto (`pip install 'moto[server]'`) on 127.0.0.1 on a free
    /// port and waits until it answers. It runs through `serial_moto.py`,
    /// which handles one request at a time so conditional transactions are
    /// atomic as on DynamoDB; `MOTO_SERVER` names another server command.
    ///
    /// The script is compiled in and written to a temporary file: a path
    /// taken at compile time would point into whichever checkout built
    /// this crate first when target directories are shared.
    pub fn start() -> anyhow::Result<Self> {
        which("moto_server").context(
            "moto_server not found: install it with `pip install 'moto[server]'` (the README test command does)",
        )?;
        let bin = match std::env::var("MOTO_SERVER") {
            Ok(bin) => bin,
            Err(_) => {
                let path = std::env::temp_dir()
                    .join(format!("office-serial-moto-{}.py", std::process::id()));
                std::fs::write(&path, SERIAL_MOTO).context("writing serial_moto.py")?;
                format!("python3 '{}'", path.display())
            }
        };
        let mut last_err = None;
        // A port can be taken between choosing and binding it: try a few.
        for _ in 0..5 {
            let port = free_port()?;
            let script = format!(
                "{bin} -H 127.0.0.1 -p {port} >/dev/null 2>&1 & m=$!; \
                 trap 'kill $m 2>/dev/null; exit 0' TERM INT; \
                 while kill -0 {parent} 2>/dev/null && kill -0 $m 2>/dev/null; do sleep 0.5; done; \
                 kill $m 2>/dev/null; wait $m",
                parent = std::process::id()
            );
            let mut child = Command::new("sh")
                .args(["-c", &script])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .context("starting moto under sh")?;
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            match wait_for_port(addr, Duration::from_secs(30)) {
                Ok(()) => return Ok(Self { child, port }),
                Err(e) => {
                    stop(&mut child);
                    let mut err = String::new();
                    if let Some(mut s) = child.stderr.take() {
                        let _ = s.read_to_string(&mut err);
                    }
                    last_err = Some(e.context(err));
                }
            }
        }
        Err(last_err.unwrap_or_else(|| anyhow::anyhow!("moto did not start")))
    }

    /// One server for the whole test binary, started on first use.
    pub fn shared() -> anyhow::Result<&'static Moto> {
        static SHARED: std::sync::OnceLock<Result<Moto, String>> = std::sync::OnceLock::new();
        SHARED
            .get_or_init(|| Moto::start().map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// `http://127.0.0.1:<port>`, to use as the AWS endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Asks the watchdog shell to stop its server (SIGTERM runs its trap), then reaps it.
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Whether a program is on PATH (or is a path that exists).
pub fn which(bin: &str) -> anyhow::Result<std::path::PathBuf> {
    if bin.contains('/') {
        let p = std::path::PathBuf::from(bin);
        return if p.exists() {
            Ok(p)
        } else {
            bail!("{bin} does not exist")
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(bin))
        .find(|p| p.is_file())
        .ok_or_else(|| anyhow::anyhow!("{bin} is not on PATH"))
}

/// A unique name for a table or bucket, so tests sharing one server never collide.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos % 100_000
    )
}

/// AWS SDK configuration pointing at a local endpoint with dummy credentials.
pub async fn aws_config_for(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("ap-northeast-2"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "testkit",
        ))
        .load()
        .await
}
