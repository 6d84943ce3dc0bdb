//! Serving: bind, open the adapters, seed the demo, print where things
//! are, sweep expired items, and stop cleanly on Ctrl-C or SIGTERM.

use std::time::Duration;

use anyhow::Context as _;
use app::demo::DemoInfo;
use app::{App, Config};
use serde_json::json;

use crate::cli::ServeArgs;

pub async fn serve(cfg: Config, args: ServeArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .with_context(|| {
            format!(
                "binding {}:{} (is another office running?)",
                args.host, args.port
            )
        })?;
    let addr = listener.local_addr()?;
    // Take over SIGTERM / SIGINT before announcing anything: a supervisor that
    // stops us right after reading the start-up line must get a clean stop.
    let stop = Shutdown::install()?;
    let base = cfg
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let app = App::open(&cfg, &base).await?;
    let (sip_socket, sip_tcp) = bind_sip(&args.host, args.sip_port).await?;
    let sip_addr = sip_socket.local_addr()?;
    let (sip_tls, tls_acceptor, tls_cert) = bind_sip_tls(&cfg, &args).await?;

    // Finish org-chart uploads a crash interrupted.
    for t in store::repo::tenants::list(&*app.store).await? {
        match app::orgfile::resume(&app, &t.id).await {
            Ok(true) => tracing::info!(tenant = %t.id, "finished an interrupted org-chart upload"),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(tenant = %t.id, error = %e, "could not finish an org-chart upload")
            }
        }
    }

    let demo = if args.no_demo {
        None
    } else {
        Some(app::demo::seed_with(&app, &cfg.data_dir, !args.demo_no_calls).await?)
    };
    let sip = Sip {
        host: sip_addr.ip().to_string(),
        port: sip_addr.port(),
        tls_port: sip_tls.local_addr()?.port(),
        tls_certificate: tls_cert.display().to_string(),
        realm: app.sip_realm.clone(),
    };
    match &demo {
        Some(info) => print_demo(&base, &cfg, Some(&sip), info, args.json)?,
        None => print_urls(&base, &cfg, Some(&sip), args.json)?,
    }
    // The media edge, in-process: registrar and calls on UDP and TCP.
    let edge_config = media_edge::edge::EdgeConfig::from_env().map_err(|e| anyhow::anyhow!(e))?;
    let edge = media_edge::edge::Edge::new(
        app.clone(),
        &app::password::random_bytes(32),
        sip_socket,
        edge_config,
        cfg.data_dir.join("recordings").join("spool"),
    )?;
    let closed = edge.close_orphans().await;
    if closed > 0 {
        tracing::info!(closed, "closed call records a previous run left open");
    }
    tokio::spawn(edge.spool.clone().run(Duration::from_secs(30)));
    tokio::spawn(edge.clone().run());
    tokio::spawn(edge.clone().place_orders());
    tokio::spawn(edge.clone().serve_tcp(sip_tcp));
    tokio::spawn(edge.clone().serve_tls(sip_tls, tls_acceptor));

    if let Some(embedded) = app.embedded.clone() {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                match embedded.purge_expired(store::now_epoch_seconds()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(purged = n, "removed expired items"),
                    Err(e) => tracing::warn!(error = %e, "expiry sweep failed"),
                }
            }
        });
    }

    // Webhook deliveries: woken by each new one, and every second for retries.
    if cfg.events_topic.is_none() {
        tokio::spawn(app::webhooks::dispatch_forever(app.clone()));
    }

    // The SMS outbox: send what is due, twice a second.
    let dispatcher = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            let now_ms = store::now_epoch_seconds() * 1000;
            if let Err(e) = app::dispatch::run_once(&dispatcher, now_ms, 100).await {
                tracing::warn!(error = %e, "outbox dispatch failed; will retry");
            }
        }
    });

    tracing::info!(%addr, "serving");
    axum::serve(
        listener,
        web::router(app).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(stop.wait())
    .await
    .context("HTTP server")?;
    tracing::info!("stopped");
    Ok(())
}

/// SIGTERM and SIGINT, registered up front.
struct Shutdown {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Shutdown {
    fn install() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                term: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
                int: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {},
            _ = self.int.recv() => {},
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Where phones register.
pub struct Sip {
    pub host: String,
    pub port: u16,
    /// SIP over TLS.
    pub tls_port: u16,
    /// The certificate TLS clients are shown (to trust, when self-signed).
    pub tls_certificate: String,
    pub realm: String,
}

fn urls(base: &str, cfg: &Config, sip: Option<&Sip>) -> serde_json::Value {
    json!({
        "portal_url": format!("{base}/"),
        "api_url": format!("{base}/v1"),
        "health_url": format!("{base}/health"),
        "data_dir": std::path::absolute(&cfg.data_dir).unwrap_or_else(|_| cfg.data_dir.clone()),
        "sip": sip.map(|s| json!({"host": s.host, "port": s.port, "transport": "udp", "transports": ["udp", "tcp", "tls"], "tls_port": s.tls_port, "tls_certificate": s.tls_certificate, "realm": s.realm})),
    })
}

fn print_urls(base: &str, cfg: &Config, sip: Option<&Sip>, as_json: bool) -> anyhow::Result<()> {
    let u = urls(base, cfg, sip);
    if as_json {
        println!("{}", serde_json::to_string(&u)?);
    } else {
        println!("말톡오피스 is running");
        println!(
            "  portal   {}",
            u["portal_url"].as_str().unwrap_or_default()
        );
        println!("  API      {}", u["api_url"].as_str().unwrap_or_default());
        println!(
            "  health   {}",
            u["health_url"].as_str().unwrap_or_default()
        );
        if let Some(s) = sip {
            println!(
                "  SIP      {}:{} (udp and tcp, realm {})",
                s.host, s.port, s.realm
            );
            println!(
                "  SIP TLS  {}:{} (certificate {})",
                s.host, s.tls_port, s.tls_certificate
            );
        }
        println!("  data     {}", cfg.data_dir.display());
    }
    Ok(())
}

pub fn print_demo(
    base: &str,
    cfg: &Config,
    sip: Option<&Sip>,
    info: &DemoInfo,
    as_json: bool,
) -> anyhow::Result<()> {
    if as_json {
        let mut u = urls(base, cfg, sip);
        u["tenant_id"] = json!(info.tenant_id);
        u["tenant_name"] = json!(info.tenant_name);
        u["join_code"] = json!(info.join_code);
        u["admin"] = json!(info.admin);
        u["users"] = json!(info.users);
        u["api_key"] = json!(info.api_key);
        u["hunt_group"] = json!(info.hunt_group);
        u["ivr"] = json!(info.ivr);
        println!("{}", serde_json::to_string(&u)?);
        return Ok(());
    }
    print_urls(base, cfg, sip, false)?;
    println!();
    println!(
        "demo tenant {} — {} (app join code {})",
        info.tenant_id, info.tenant_name, info.join_code
    );
    println!("  관리자  {:<22} {}", info.admin.email, info.admin.password);
    for u in &info.users {
        println!(
            "  사용자  {:<22} {}  내선 {}  {}  ({})  SIP {} / {}",
            u.email, u.password, u.extension, u.number, u.name, u.sip_username, u.sip_password
        );
    }
    if let Some(g) = &info.hunt_group {
        println!(
            "  착신그룹 {} 내선 {} ({}): the three employees in turn",
            g.name, g.extension, g.strategy
        );
    }
    if let Some(ivr) = &info.ivr {
        println!(
            "  ARS     {} answers calls to {} from the trunk: {}",
            ivr.name,
            ivr.number,
            ivr.keys.join(", ")
        );
    }
    println!("  portal login: {base}/login");
    println!("  API key {}", info.api_key);
    println!("(logins are kept in {}/demo.json)", cfg.data_dir.display());
    Ok(())
}

/// SIP on UDP and TCP with the same port number. With port 0 the system
/// picks a free UDP port, whose TCP twin may be taken (an outgoing
/// connection's ephemeral port, say): then another port is tried.
async fn bind_sip(
    host: &str,
    port: u16,
) -> anyhow::Result<(tokio::net::UdpSocket, tokio::net::TcpListener)> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let udp = tokio::net::UdpSocket::bind((host, port))
            .await
            .with_context(|| format!("binding SIP on {host}:{port} (udp)"))?;
        let addr = udp.local_addr()?;
        match tokio::net::TcpListener::bind(addr).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) if port == 0 && attempt < 20 && e.kind() == std::io::ErrorKind::AddrInUse => {}
            Err(e) => {
                return Err(e).with_context(|| format!("binding SIP on {addr} (tcp)"));
            }
        }
    }
}

/// SIP over TLS: its listener, the acceptor for the configured pair (or
/// the data dir's self-signed one), and the certificate's path.
async fn bind_sip_tls(
    cfg: &Config,
    args: &ServeArgs,
) -> anyhow::Result<(
    tokio::net::TcpListener,
    media_edge::sip_tls::TlsAcceptor,
    std::path::PathBuf,
)> {
    let port = args
        .sip_tls_port
        .unwrap_or(if args.sip_port == 0 { 0 } else { 5061 });
    let (cert, key) = match (&args.sip_tls_cert, &args.sip_tls_key) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        _ => media_edge::sip_tls::self_signed(
            &cfg.data_dir,
            &[args.host.clone(), "localhost".to_owned()],
        )?,
    };
    let acceptor = media_edge::sip_tls::acceptor(&cert, &key)?;
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), port))
        .await
        .with_context(|| format!("binding SIP over TLS on {}:{port}", args.host))?;
    Ok((listener, acceptor, cert))
}
