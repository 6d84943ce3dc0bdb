//! stunnel (Debian `stunnel4`) in client mode: plain TCP in on a free
//! loopback port, TLS out to the edge, verifying the edge's certificate.
//! Debian's sipp is built without TLS; through this it speaks SIP over TLS
//! to the edge (sipp runs with `-t t1`, one TCP connection, which stunnel
//! carries as one TLS connection).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::sipp::free_sip_port;

/// A running stunnel, stopped by its PID when dropped.
#[derive(Debug)]
pub struct Stunnel {
    child: Child,
    /// Where each tunnel listens, in the order asked for.
    pub ports: Vec<u16>,
}

impl Stunnel {
    /// `tunnels` plain listeners, each carried over TLS (1.2 at least) to
    /// 127.0.0.1:`tls_port`, trusting only the certificate at `ca` and
    /// checking that it names 127.0.0.1. Its config and log go in `dir`.
    pub fn start(dir: &Path, tls_port: u64, ca: &Path, tunnels: usize) -> Self {
        let ports: Vec<u16> = (0..tunnels).map(|_| free_sip_port()).collect();
        let mut conf = format!(
            "foreground = yes\npid =\ndebug = 6\noutput = {}\n",
            dir.join("stunnel.log").display()
        );
        for (i, port) in ports.iter().enumerate() {
            conf.push_str(&format!(
                "[sip{i}]\nclient = yes\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{tls_port}\n\
                 CAfile = {ca}\nverifyChain = yes\ncheckIP = 127.0.0.1\nsslVersionMin = TLSv1.2\n",
                ca = ca.display()
            ));
        }
        let path = dir.join("stunnel.conf");
        std::fs::write(&path, conf).expect("stunnel config");
        let child = Command::new("stunnel")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run stunnel (Debian stunnel4; the README test command installs it)");
        let tunnel = Self { child, ports };
        // Listening once it says so (a test connection would reach the edge).
        let deadline = Instant::now() + Duration::from_secs(10);
        while !tunnel.log(dir).contains("Configuration successful") {
            assert!(
                Instant::now() < deadline,
                "stunnel did not start:\n{}",
                tunnel.log(dir)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        tunnel
    }

    /// What stunnel logged (the TLS version and the verified peer).
    pub fn log(&self, dir: &Path) -> String {
        std::fs::read_to_string(dir.join("stunnel.log")).unwrap_or_default()
    }
}

impl Drop for Stunnel {
    fn drop(&mut self) {
        let _ = crate::terminate(&mut self.child);
    }
}
