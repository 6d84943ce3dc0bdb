//! The media edge as its own process: the container each region runs
//! (`media-edge/Dockerfile`). Configured by environment, like the Lambda
//! functions (`OFFICE_STORE=dynamodb`, `OFFICE_TABLE`, `OFFICE_BLOBS=s3`,
//! `OFFICE_BUCKET`, `OFFICE_REGION`, ...), plus:
//!
//! - `OFFICE_SIP_BIND` — SIP address, UDP and TCP (default `0.0.0.0:5060`)
//! - `OFFICE_PUBLIC_IP` — the address phones reach (SDP, Contact)
//! - `OFFICE_RTP_PORTS` — media port range (default `20000-40000`)
//! - `OFFICE_SIP_TRUNK`, `OFFICE_SIP_TRUNK_USER`, `OFFICE_SIP_TRUNK_PASSWORD`
//! - `OFFICE_EDGE_ID` — this edge's identity (default: `OFFICE_REGION`); its
//!   registrations and open calls carry it
//! - `OFFICE_RING_SECS` — ring time before no-answer (default 30)
//! - `OFFICE_SPOOL_DIR` — recordings waiting for upload (default `<data dir>/recordings/spool`)
//! - `OFFICE_NONCE_KEY` — shared digest-nonce key (hex) when several edges
//!   sit behind one address; random otherwise.
//! - `OFFICE_SIP_TLS_CERT`, `OFFICE_SIP_TLS_KEY` — PEM certificate chain and
//!   private key files (or `OFFICE_SIP_TLS_CERT_PEM`, `OFFICE_SIP_TLS_KEY_PEM`
//!   holding the PEM itself, as a container secret does): with a pair set,
//!   SIP over TLS is served on `OFFICE_SIP_TLS_BIND` (default
//!   `0.0.0.0:5061`); with none, TLS is off.

use std::time::Duration;

use anyhow::Context as _;
use media_edge::edge::{Edge, EdgeConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let files = media_edge::tcp::raise_fd_limit();
    tracing::info!(files, "open-file limit");
    let cfg = app::Config::from_env().context("configuration")?;
    let public_url = cfg.public_url.clone().unwrap_or_default();
    let app = app::App::open(&cfg, &public_url)
        .await
        .context("opening the store and blob adapters")?;
    let bind = std::env::var("OFFICE_SIP_BIND").unwrap_or_else(|_| "0.0.0.0:5060".into());
    let udp = tokio::net::UdpSocket::bind(&bind)
        .await
        .with_context(|| format!("binding SIP on {bind} (udp)"))?;
    let addr = udp.local_addr()?;
    let tcp = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding SIP on {addr} (tcp)"))?;
    // Set but empty (a template's blank parameter) counts as unset.
    let nonce_key = match std::env::var("OFFICE_NONCE_KEY") {
        Ok(hex_key) if !hex_key.trim().is_empty() => {
            hex::decode(hex_key.trim()).context("OFFICE_NONCE_KEY is not hex")?
        }
        _ => rand::random::<[u8; 32]>().to_vec(),
    };
    let config = EdgeConfig::from_env().map_err(|e| anyhow::anyhow!(e))?;
    let spool = std::env::var("OFFICE_SPOOL_DIR").map_or_else(
        |_| cfg.data_dir.join("recordings").join("spool"),
        std::path::PathBuf::from,
    );
    if cfg.events_topic.is_none() {
        // No topic (not on AWS): this process delivers the webhooks too.
        tokio::spawn(app::webhooks::dispatch_forever(app.clone()));
    }
    let tls = match sip_tls_acceptor()? {
        Some(acceptor) => {
            let bind =
                std::env::var("OFFICE_SIP_TLS_BIND").unwrap_or_else(|_| "0.0.0.0:5061".into());
            let listener = tokio::net::TcpListener::bind(&bind)
                .await
                .with_context(|| format!("binding SIP over TLS on {bind}"))?;
            Some((listener, acceptor))
        }
        None => {
            tracing::info!(
                "SIP over TLS off (set OFFICE_SIP_TLS_CERT and OFFICE_SIP_TLS_KEY, or their _PEM forms)"
            );
            None
        }
    };
    let edge = Edge::new(app, &nonce_key, udp, config, spool)?;
    let closed = edge.close_orphans().await;
    tracing::info!(%addr, closed_orphans = closed, "media edge serving SIP (udp, tcp)");
    tokio::spawn(edge.spool.clone().run(Duration::from_secs(30)));
    tokio::spawn(edge.clone().serve_tcp(tcp));
    if let Some((listener, acceptor)) = tls {
        tracing::info!(addr = %listener.local_addr()?, "media edge serving SIP over TLS");
        tokio::spawn(edge.clone().serve_tls(listener, acceptor));
    }
    tokio::spawn(edge.clone().place_orders());
    let run = tokio::spawn(edge.clone().run());
    shutdown().await;
    tracing::info!(active_calls = edge.active_calls(), "stopping");
    run.abort();
    // Recordings finished so far get one more upload attempt; the rest
    // stay in the spool for the next start.
    edge.spool.upload_pending().await;
    Ok(())
}

/// The TLS pair from files (`OFFICE_SIP_TLS_CERT`, `OFFICE_SIP_TLS_KEY`)
/// or from PEM text (`OFFICE_SIP_TLS_CERT_PEM`, `OFFICE_SIP_TLS_KEY_PEM`:
/// a secret the container is given); none of them, no TLS.
fn sip_tls_acceptor() -> anyhow::Result<Option<media_edge::sip_tls::TlsAcceptor>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let files = (var("OFFICE_SIP_TLS_CERT"), var("OFFICE_SIP_TLS_KEY"));
    let pem = (
        var("OFFICE_SIP_TLS_CERT_PEM"),
        var("OFFICE_SIP_TLS_KEY_PEM"),
    );
    Ok(match (files, pem) {
        ((Some(cert), Some(key)), _) => {
            Some(media_edge::sip_tls::acceptor(cert.as_ref(), key.as_ref())?)
        }
        (_, (Some(cert), Some(key))) => Some(media_edge::sip_tls::acceptor_pem(
            ("OFFICE_SIP_TLS_CERT_PEM", cert.as_bytes()),
            ("OFFICE_SIP_TLS_KEY_PEM", key.as_bytes()),
        )?),
        ((None, None), (None, None)) => None,
        _ => anyhow::bail!(
            "SIP over TLS needs a certificate and its key: set OFFICE_SIP_TLS_CERT and \
             OFFICE_SIP_TLS_KEY (files), or OFFICE_SIP_TLS_CERT_PEM and OFFICE_SIP_TLS_KEY_PEM"
        ),
    })
}

async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}
