//! The edge's I/O: one UDP socket and TCP connections on the same port for
//! SIP, the registrar, and one task per call (an actor fed by Call-ID)
//! driving the sans-IO [`Call`] with its relay, recorder and call-record
//! writes. Whatever goes to an address with an open TCP connection (a phone
//! registered over TCP) goes down that connection.
//!
//! Calls ring by extension or 070 number inside the tenant; anything else
//! goes out through the configured SIP trunk (if the account may call
//! outside, and abroad), and the trunk's INVITEs reach the user holding
//! the dialled number.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use domain::{EdgeId, TenantId};
use store::repo::originations::{self, Origination};
use store::repo::{calls, hunt_groups};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use crate::call::{Action, Call, Handover, HandoverError, Placement, Replaces, Setup, TrunkAuth};
use crate::directory::{Directory, StoreDirectory};
use crate::fork::ForkPlan;
use crate::location::Location;
use crate::presence::Held;
use crate::prompts::samples;
use crate::recording::Recorder;
use crate::registrar::Registrar;
use crate::routing::{self, Fallback, Origin, Route};
use crate::rtp::{Leg, LegMedia, PortPool, Relay};
use crate::server::{Transactions, stamp_via};
use crate::sip::message::{
    Message, ParseError, Request, Response, param, rejection, response, uri_user,
};
use crate::spool::{Note, Spool};
use crate::tcp::{self, Admission, Deadline, Permit, TcpLimits, Throttled};
use crate::transaction::{Seen, ServerTransactions};
use crate::voice::Voice;

pub use crate::routing::Trunk;

#[derive(Debug, Clone)]
pub struct EdgeConfig {
    /// This edge's identity (`OFFICE_EDGE_ID`; the pool region when unset).
    pub edge_id: Option<EdgeId>,
    pub ring_timeout: Duration,
    pub trunk: Option<Trunk>,
    /// RTP port range (even start).
    pub rtp_ports: (u16, u16),
    /// The address put in SDP and Contact (the bind address unless set).
    pub public_ip: Option<IpAddr>,
    /// How many SIP connections over TCP, and for how long.
    pub tcp: TcpLimits,
}

impl Default for EdgeConfig {
    fn default() -> Self {
        Self {
            edge_id: None,
            ring_timeout: Duration::from_secs(30),
            trunk: None,
            rtp_ports: (20_000, 40_000),
            public_ip: None,
            tcp: TcpLimits::default(),
        }
    }
}

impl EdgeConfig {
    /// `OFFICE_EDGE_ID`, `OFFICE_RING_SECS`, `OFFICE_SIP_TRUNK` (host:port),
    /// `OFFICE_SIP_TRUNK_USER` / `_PASSWORD`, `OFFICE_RTP_PORTS` (min-max),
    /// `OFFICE_PUBLIC_IP`, and the TCP limits `OFFICE_SIP_TCP_PER_SOURCE`,
    /// `OFFICE_SIP_TCP_MAX`, `OFFICE_SIP_TCP_IDLE_SECS`.
    pub fn from_env() -> Result<Self, String> {
        let mut c = Self::default();
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let count = |k: &str, min: u64| -> Result<Option<u64>, String> {
            get(k)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .ok()
                        .filter(|n| *n >= min)
                        .ok_or_else(|| format!("{k}={v:?} is not a whole number of at least {min}"))
                })
                .transpose()
        };
        if let Some(n) = count("OFFICE_SIP_TCP_PER_SOURCE", 1)? {
            c.tcp.per_source = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = count("OFFICE_SIP_TCP_MAX", 1)? {
            c.tcp.total = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = count("OFFICE_SIP_TCP_IDLE_SECS", 1)? {
            c.tcp.idle = Duration::from_secs(n);
        }
        if let Some(v) = get("OFFICE_EDGE_ID") {
            c.edge_id =
                Some(EdgeId::parse(v.trim()).map_err(|e| format!("OFFICE_EDGE_ID={v:?}: {e}"))?);
        }
        if let Some(v) = get("OFFICE_RING_SECS") {
            let secs: u64 = v
                .parse()
                .map_err(|_| format!("OFFICE_RING_SECS={v:?} is not a number of seconds"))?;
            c.ring_timeout = Duration::from_secs(secs.clamp(1, 600));
        }
        if let Some(v) = get("OFFICE_SIP_TRUNK") {
            let addr = v
                .parse()
                .map_err(|_| format!("OFFICE_SIP_TRUNK={v:?} is not an ip:port"))?;
            let auth = match (
                get("OFFICE_SIP_TRUNK_USER"),
                get("OFFICE_SIP_TRUNK_PASSWORD"),
            ) {
                (Some(username), Some(password)) => Some(TrunkAuth { username, password }),
                (None, None) => None,
                _ => return Err("set both OFFICE_SIP_TRUNK_USER and _PASSWORD, or neither".into()),
            };
            c.trunk = Some(Trunk { addr, auth });
        }
        if let Some(v) = get("OFFICE_RTP_PORTS") {
            let (a, b) = v
                .split_once('-')
                .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
                .filter(|(a, b): &(u16, u16)| a < b && *a >= 1024)
                .ok_or_else(|| format!("OFFICE_RTP_PORTS={v:?} is not a range like 20000-40000"))?;
            c.rtp_ports = (a, b);
        }
        if let Some(v) = get("OFFICE_PUBLIC_IP") {
            c.public_ip = Some(
                v.parse()
                    .map_err(|_| format!("OFFICE_PUBLIC_IP={v:?} is not an IP address"))?,
            );
        }
        Ok(c)
    }
}

/// After this long without RTP or RTCP from either side, an answered call
/// asks both phones whether they are still there (in-dialog OPTIONS) and
/// ends if one is not; a call leaving a voicemail ends.
pub const MEDIA_TIMEOUT: Duration = Duration::from_secs(300);

/// Bytes of SIP the kernel may queue for the edge.
const SIP_RECV_BUFFER: usize = 4 << 20;

enum Event {
    Request(Request, SocketAddr),
    Response(Response),
    /// The prompt of this number (`CallIo::plays`) finished playing.
    PromptDone(u64),
    /// Another call's transferor asks for the party at the other end of
    /// this dialog (attended transfer).
    HandOver(Replaces, oneshot::Sender<Result<Handover, HandoverError>>),
}

/// How long a call waits for another call to hand a party over.
const HANDOVER_WAIT: Duration = Duration::from_secs(2);

/// DTMF digits from the relay: (leg, digit).
type Digits = mpsc::UnboundedReceiver<(Leg, char)>;

/// The running edge.
pub struct Edge {
    app: app::App,
    pub registrar: Arc<Registrar>,
    /// What routing decides over (cached tenant data, the location service).
    pub directory: Arc<StoreDirectory>,
    config: EdgeConfig,
    socket: Arc<UdpSocket>,
    /// The address in Via and Contact.
    advertised: SocketAddr,
    ports: PortPool,
    calls: Mutex<HashMap<String, mpsc::Sender<Event>>>,
    transactions: Transactions,
    /// Open TCP and TLS connections by peer address: what the edge sends
    /// to that address goes down its connection (phones keep the one they
    /// registered on).
    tcp: Mutex<HashMap<SocketAddr, Stream>>,
    pub spool: Spool,
    /// The audio of ARS prompts (spoken or uploaded).
    pub voice: Arc<Voice>,
    /// Who may hold a SIP connection over TCP.
    admission: Arc<Admission>,
    /// Call and device events, on their way to the events port.
    pub events: app::events::Outbox,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("advertised", &self.advertised)
            .finish_non_exhaustive()
    }
}

impl Edge {
    /// The edge on `socket`; `nonce_key` signs digest nonces (shared by
    /// edges behind one address).
    pub fn new(
        app: app::App,
        nonce_key: &[u8],
        socket: UdpSocket,
        config: EdgeConfig,
        spool_dir: std::path::PathBuf,
    ) -> std::io::Result<Arc<Self>> {
        let local = socket.local_addr()?;
        // Bursts of calls arrive together: a deep receive buffer keeps the
        // kernel from dropping them (it caps this at net.core.rmem_max).
        if let Err(e) = socket2::SockRef::from(&socket).set_recv_buffer_size(SIP_RECV_BUFFER) {
            tracing::warn!(error = %e, "could not enlarge the SIP receive buffer");
        }
        let ip = config.public_ip.unwrap_or(local.ip());
        let advertised = SocketAddr::new(ip, local.port());
        let ports = PortPool::new(local.ip(), config.rtp_ports.0, config.rtp_ports.1);
        let edge_id = match &config.edge_id {
            Some(id) => id.clone(),
            None => EdgeId::parse(&app.region).map_err(std::io::Error::other)?,
        };
        let events = app::events::Outbox::start(
            app.store.clone(),
            app.events.clone(),
            &format!("edge-{edge_id}"),
        );
        let location = Arc::new(Location::new(app.store.clone(), edge_id, advertised));
        location.emit_to(events.clone());
        let sweeping = Arc::downgrade(&location);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(15));
            loop {
                tick.tick().await;
                let Some(location) = sweeping.upgrade() else {
                    return;
                };
                location.expire(store::now_epoch_seconds());
            }
        });
        let spool = Spool::new(app.clone(), spool_dir);
        spool.emit_to(events.clone());
        let directory = Arc::new(StoreDirectory::new(app.clone(), location));
        let registrar = Arc::new(Registrar::new(
            app.sip_realm.clone(),
            nonce_key,
            directory.clone(),
        ));
        Ok(Arc::new(Self {
            spool,
            voice: Arc::new(Voice::new(app.clone())),
            admission: Admission::new(config.tcp),
            events,
            app,
            registrar,
            directory,
            config,
            socket: Arc::new(socket),
            advertised,
            ports,
            calls: Mutex::new(HashMap::new()),
            transactions: Transactions::default(),
            tcp: Mutex::new(HashMap::new()),
        }))
    }

    /// Live calls (each counted once).
    pub fn active_calls(&self) -> usize {
        self.calls.lock().map(|m| m.len() / 2).unwrap_or(0)
    }

    /// What a peer's messages come over: its open connection's kind, else UDP.
    fn transport_of(&self, peer: SocketAddr) -> domain::Transport {
        match self
            .tcp
            .lock()
            .ok()
            .and_then(|m| m.get(&peer).map(|s| s.over))
        {
            Some(Over::Tcp) => domain::Transport::Tcp,
            Some(Over::Tls | Over::Sips) => domain::Transport::Tls,
            None => domain::Transport::Udp,
        }
    }

    /// A `sips:` request is served only over TLS (RFC 3261 §26.2.2): over
    /// UDP or TCP it is refused. Over TLS, the connection is marked as
    /// speaking `sips:` so what the edge sends down it answers in kind.
    fn check_sips(&self, req: &Request, source: SocketAddr) -> Option<Vec<u8>> {
        if !uses_sips(req) {
            return None;
        }
        if let Ok(mut m) = self.tcp.lock()
            && let Some(s) = m.get_mut(&source)
            && matches!(s.over, Over::Tls | Over::Sips)
        {
            s.over = Over::Sips;
            return None;
        }
        (req.method != "ACK").then(|| {
            let warning = [("Warning", "399 edge \"sips: needs TLS\"".to_owned())];
            response(
                req,
                403,
                "Forbidden (sips: needs TLS)",
                &warning,
                Some("edge"),
            )
        })
    }

    async fn send(&self, to: SocketAddr, bytes: &[u8]) {
        let conn = self.tcp.lock().ok().and_then(|m| m.get(&to).cloned());
        if let Some(s) = conn
            && s.tx
                .send(for_stream(bytes, s.over, self.advertised, s.own))
                .is_ok()
        {
            return;
        }
        if let Err(e) = self.socket.send_to(bytes, to).await {
            tracing::warn!(error = %e, %to, "SIP send failed");
        }
    }

    /// Serves SIP over TCP on the same port: registrations and calls, each
    /// connection framed by Content-Length, answers and requests for that
    /// peer sent back down it.
    pub async fn serve_tcp(self: Arc<Self>, listener: tokio::net::TcpListener) {
        self.accept(listener, None).await;
    }

    /// Serves SIP over TLS on `listener` (5061 by default) as
    /// [`Edge::serve_tcp`] does over TCP, once each handshake is done; a
    /// handshake gets as long as an unfinished message.
    pub async fn serve_tls(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
        acceptor: tokio_rustls::TlsAcceptor,
    ) {
        self.accept(listener, Some(acceptor)).await;
    }

    async fn accept(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) {
        static ACCEPT_FAILED: Throttled = Throttled::new("SIP accept failed");
        static TURNED_AWAY: Throttled = Throttled::new("SIP connection turned away");
        static HANDSHAKE_FAILED: Throttled = Throttled::new("SIP TLS handshake failed");
        // Where this listener is, as phones reach it (our Via and Contact
        // down its connections): TCP shares the UDP port, TLS has its own.
        let own = match listener.local_addr() {
            Ok(a) => SocketAddr::new(self.advertised.ip(), a.port()),
            Err(_) => self.advertised,
        };
        let mut failures = 0u32;
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors, most likely: wait for some
                    // to close rather than spin on the error.
                    ACCEPT_FAILED.warn(&e);
                    tokio::time::sleep(tcp::accept_backoff(failures)).await;
                    failures = failures.saturating_add(1);
                    continue;
                }
            };
            failures = 0;
            let permit = match self.admission.admit(peer.ip()) {
                Ok(permit) => permit,
                Err(why) => {
                    TURNED_AWAY.warn(&format_args!("{why:?} limit reached, {peer}"));
                    drop(stream);
                    continue;
                }
            };
            let edge = self.clone();
            match &tls {
                None => {
                    tokio::spawn(edge.connection(stream, peer, permit, Over::Tcp, own));
                }
                Some(acceptor) => {
                    let handshake = acceptor.accept(stream);
                    let limit = self.admission.limits().incomplete;
                    tokio::spawn(async move {
                        match tokio::time::timeout(limit, handshake).await {
                            Ok(Ok(s)) => edge.connection(s, peer, permit, Over::Tls, own).await,
                            Ok(Err(e)) => {
                                HANDSHAKE_FAILED.warn(&format_args!("{peer}: {e}"));
                            }
                            Err(_) => {
                                HANDSHAKE_FAILED.warn(&format_args!("{peer}: timed out"));
                            }
                        }
                    });
                }
            }
        }
    }

    async fn connection<S>(
        self: Arc<Self>,
        stream: S,
        peer: SocketAddr,
        _permit: Permit,
        over: Over,
        own: SocketAddr,
    ) where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + 'static,
    {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let (mut reader, mut writer) = tokio::io::split(stream);
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
        if let Ok(mut m) = self.tcp.lock() {
            m.insert(peer, Stream { tx, over, own });
        }
        let writing = tokio::spawn(async move {
            while let Some(bytes) = rx.recv().await {
                if writer.write_all(&bytes).await.is_err() {
                    return;
                }
            }
        });
        let mut buf = Vec::with_capacity(4096);
        let mut chunk = [0u8; 8192];
        let mut deadline = Deadline::new(self.admission.limits());
        loop {
            let wait = deadline.wait(Instant::now());
            let n = match tokio::time::timeout(wait, reader.read(&mut chunk)).await {
                // Idle too long, or a message begun and never finished.
                Err(_) => break,
                Ok(Ok(0) | Err(_)) => break,
                Ok(Ok(n)) => n,
            };
            buf.extend_from_slice(&chunk[..n]);
            // A peer that never ends its headers does not get to fill memory.
            if buf.len() > 256 * 1024 {
                break;
            }
            let mut unframeable = false;
            while let Some(msg) = crate::server::frame(&mut buf) {
                if let Err(ParseError::ContentLength(_) | ParseError::Repeated("Content-Length")) =
                    self.clone().receive(&msg, peer).await
                {
                    // Without a trustworthy length the stream has no next
                    // message boundary: answer, then close (RFC 3261 §18.3).
                    unframeable = true;
                    break;
                }
            }
            if unframeable {
                break;
            }
            // Keep-alives (CRLFs) between messages leave nothing pending.
            let pending = buf.iter().skip_while(|b| b.is_ascii_whitespace()).count();
            deadline.after_read(pending, Instant::now());
        }
        if let Ok(mut m) = self.tcp.lock() {
            m.remove(&peer);
        }
        // With its sender gone the writer ends once what is queued (a last
        // answer, say) is written; a peer that stops reading gets 2 s.
        let mut writing = writing;
        if tokio::time::timeout(Duration::from_secs(2), &mut writing)
            .await
            .is_err()
        {
            writing.abort();
        }
    }

    /// Receives and dispatches until the task is dropped.
    pub async fn run(self: Arc<Self>) {
        let mut buf = vec![0u8; 65_535];
        loop {
            let (n, source) = match self.socket.recv_from(&mut buf).await {
                Ok(x) => x,
                Err(e) => {
                    tracing::debug!(error = %e, "SIP receive failed");
                    continue;
                }
            };
            let data = &buf[..n];
            if data.iter().all(u8::is_ascii_whitespace) {
                continue; // RFC 5626 keep-alive
            }
            let _ = self.clone().receive(data, source).await;
        }
    }

    /// Dispatches one datagram or stream frame. A request that cannot be
    /// accepted as it stands is answered 400 (505 for another SIP version)
    /// when it has a Via to answer along; anything else unparsable is dropped.
    async fn receive(self: Arc<Self>, data: &[u8], source: SocketAddr) -> Result<(), ParseError> {
        match Message::parse(data) {
            Ok(Message::Request(mut req)) => {
                stamp_via(&mut req, source);
                self.on_request(req, source).await;
                Ok(())
            }
            Ok(Message::Response(resp)) => {
                self.on_response(resp);
                Ok(())
            }
            Err(e) => {
                tracing::debug!(%source, error = %e, "unacceptable SIP message");
                if let Some(answer) = rejection(data, &e) {
                    self.send(source, &answer).await;
                }
                Err(e)
            }
        }
    }

    fn route(&self, call_id: &str) -> Option<mpsc::Sender<Event>> {
        self.calls.lock().ok()?.get(call_id).cloned()
    }

    fn on_response(&self, resp: Response) {
        if let Some(tx) = resp.header("Call-ID").and_then(|c| self.route(c)) {
            let _ = tx.try_send(Event::Response(resp));
        }
    }

    async fn on_request(self: Arc<Self>, req: Request, source: SocketAddr) {
        if let Some(answer) = unsupported(&req).or_else(|| self.check_sips(&req, source)) {
            self.send(source, &answer).await;
            return;
        }
        let call_id = req.header("Call-ID").unwrap_or("").to_owned();
        if let Some(tx) = self.route(&call_id) {
            let _ = tx.try_send(Event::Request(req, source));
            return;
        }
        let in_dialog = req.header("To").and_then(|t| param(t, "tag")).is_some();
        match req.method.as_str() {
            "REGISTER" => self.registrar_request(req, source).await,
            "OPTIONS" if !in_dialog => self.registrar_request(req, source).await,
            "INVITE" if !in_dialog => {
                let (tx, rx) = mpsc::channel(64);
                if let Ok(mut m) = self.calls.lock() {
                    m.insert(call_id.clone(), tx.clone());
                }
                let _ = tx.try_send(Event::Request(req, source));
                tokio::spawn(self.clone().run_call(call_id, rx));
            }
            "ACK" => {}
            // Transfers happen inside calls; a REFER outside one is refused.
            "REFER" if !in_dialog => {
                let answer = response(&req, 403, "Forbidden", &[], Some("edge"));
                self.send(source, &answer).await;
            }
            // In-dialog requests for a dialog the edge does not have.
            "INVITE" | "OPTIONS" | "BYE" | "CANCEL" | "INFO" | "UPDATE" | "PRACK" | "REFER" => {
                let (code, reason) = crate::call::NO_DIALOG;
                let answer = response(&req, code, reason, &[], None);
                self.send(source, &answer).await;
            }
            // Standard methods this edge does not serve, then unknown ones.
            method => {
                let (code, reason) = match method {
                    "MESSAGE" | "SUBSCRIBE" | "NOTIFY" | "PUBLISH" => (405, "Method Not Allowed"),
                    _ => (501, "Not Implemented"),
                };
                let allow = [("Allow", EDGE_ALLOW.to_owned())];
                let answer = response(&req, code, reason, &allow, Some("edge"));
                self.send(source, &answer).await;
            }
        }
    }

    async fn registrar_request(self: Arc<Self>, req: Request, source: SocketAddr) {
        match self.transactions.begin(&req, source) {
            Seen::Again(Some(answer)) => return self.send(source, &answer).await,
            Seen::Again(None) => return,
            Seen::New => {}
        }
        let over = self.transport_of(source);
        tokio::spawn(async move {
            let answer = self
                .registrar
                .handle_over(&req, (source, over), store::now_epoch_seconds())
                .await;
            self.transactions.finish(&req, source, &answer);
            if !answer.is_empty() {
                self.send(source, &answer).await;
            }
        });
    }

    /// Stops routing these Call-IDs to the call whose inbox is `inbox`
    /// (a Call-ID handed to another call stays with that one).
    fn forget<S: AsRef<str>>(&self, ids: &[S], inbox: Option<&mpsc::Sender<Event>>) {
        if let Ok(mut m) = self.calls.lock() {
            for id in ids {
                let ours = match (m.get(id.as_ref()), inbox) {
                    (Some(tx), Some(inbox)) => tx.same_channel(inbox),
                    _ => true,
                };
                if ours {
                    m.remove(id.as_ref());
                }
            }
        }
    }

    /// Routes a Call-ID to the call whose inbox is `inbox`.
    fn listen(&self, call_id: &str, inbox: &mpsc::Sender<Event>) {
        if let Ok(mut m) = self.calls.lock() {
            m.insert(call_id.to_owned(), inbox.clone());
        }
    }

    /// Asks the call holding the dialog `r` names to hand its other party over.
    async fn hand_over(&self, r: Replaces) -> Result<Handover, HandoverError> {
        let Some(tx) = self.route(&r.call_id) else {
            return Err(HandoverError::NotFound);
        };
        let (reply, answer) = oneshot::channel();
        if tx.send(Event::HandOver(r, reply)).await.is_err() {
            return Err(HandoverError::NotFound);
        }
        match tokio::time::timeout(HANDOVER_WAIT, answer).await {
            Ok(Ok(result)) => result,
            _ => Err(HandoverError::NotFound),
        }
    }

    /// What routing decides over, as of now.
    fn routing_context(&self) -> routing::Context<'_> {
        routing::Context {
            edge: self.registrar.location().edge(),
            realm: &self.app.sip_realm,
            trunk: self.config.trunk.as_ref(),
            ring_timeout: self.config.ring_timeout,
            now: store::now_epoch_seconds(),
            now_ms: store::now_epoch_ms(),
        }
    }

    /// One call from its first INVITE to the end of its lingering.
    async fn run_call(self: Arc<Self>, a_call_id: String, mut rx: mpsc::Receiver<Event>) {
        // Before the call exists: challenge, check, route. Answers are
        // remembered per CSeq so retransmissions get the same one.
        let mut answered = ServerTransactions::default();
        let idle = Duration::from_secs(32);
        let setup = loop {
            let Ok(Some(ev)) = tokio::time::timeout(idle, rx.recv()).await else {
                self.forget(&[&a_call_id], None);
                return;
            };
            let Event::Request(req, source) = ev else {
                continue;
            };
            match req.method.as_str() {
                "INVITE" => {
                    if let Seen::Again(a) = answered.begin(&req, source, Instant::now()) {
                        let trying = || response(&req, 100, "Trying", &[], None);
                        self.send(source, &a.unwrap_or_else(trying)).await;
                        continue;
                    }
                    self.send(source, &response(&req, 100, "Trying", &[], None))
                        .await;
                    match self.admit(&req, source).await {
                        Ok(setup) => break setup,
                        Err(answer) => {
                            self.send(source, &answer).await;
                            answered.answer(&req, source, &answer, Instant::now());
                        }
                    }
                }
                "CANCEL" => {
                    self.send(source, &response(&req, 200, "OK", &[], None))
                        .await;
                }
                _ => {}
            }
        };
        let relay = match Relay::open(&self.ports).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "no media ports for a call");
                let answer = response(
                    &setup.invite,
                    503,
                    "Service Unavailable",
                    &[("Retry-After", "5".into())],
                    Some("edge"),
                );
                self.send(setup.source, &answer).await;
                self.forget(&[&a_call_id], None);
                return;
            }
        };
        let mut s = setup;
        s.media = [relay.local(Leg::A), relay.local(Leg::B)];
        // Leg B's identities, for members rung later from a queue.
        let b = (s.b_from.clone(), s.b_to.clone());
        self.drive(a_call_id, rx, relay, b, |now| Call::start(s, now))
            .await;
    }

    /// Places the calls ordered for this edge (one-click callbacks), as
    /// the orders arrive: the table is read every [`ORDER_POLL`].
    pub async fn place_orders(self: Arc<Self>) {
        let mut tick = tokio::time::interval(ORDER_POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let edge = self.registrar.location().edge().clone();
        loop {
            tick.tick().await;
            let taken = originations::take(&*self.app.store, &edge, store::now_epoch_ms()).await;
            match taken {
                Ok(orders) => {
                    for o in orders {
                        tokio::spawn(self.clone().place(o));
                    }
                }
                Err(e) => tracing::warn!(error = %e, "call orders unreadable"),
            }
        }
    }

    /// Places one ordered call: the agent's phones here ring, then the
    /// number is dialled as the agent would dial it (their permissions
    /// apply). An order that can't be placed is logged and dropped.
    async fn place(self: Arc<Self>, o: Origination) {
        let agent = match self.directory.account(&o.tenant, &o.agent).await {
            Ok(Some(a)) if a.status == domain::AccountStatus::Active => a,
            _ => {
                return self
                    .not_placed(&o, None, "agent unknown or not active")
                    .await;
            }
        };
        let refuse = |why: &'static str| self.not_placed(&o, Some(&agent), why);
        let phones = match self.directory.registrations(&o.tenant, &agent.id).await {
            Ok(regs) => routing::reach(&regs, &self.routing_context()).unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        if phones.is_empty() {
            return refuse("the agent has no phone registered here").await;
        }
        let decided = {
            let cx = self.routing_context();
            let origin = Origin::User {
                tenant: o.tenant.clone(),
                account: agent.id.clone(),
            };
            routing::route(&origin, &o.dial, &*self.directory, &cx).await
        };
        let mut d = match decided {
            Ok(d) => d,
            Err(r) => return refuse(r.reason).await,
        };
        let Route::Ring { forks, .. } = d.route else {
            return refuse("the number is not one to ring from here").await;
        };
        let relay = match Relay::open(&self.ports).await {
            Ok(r) => r,
            Err(_) => return refuse("no media ports").await,
        };
        if let Some(id) = &o.call_id {
            // The id the order's answer promised.
            d.record.id.clone_from(id);
        }
        let label = if o.callback.is_some() {
            "콜백"
        } else {
            "발신"
        };
        let realm = &self.app.sip_realm;
        let agent_number = routing::party_of(&agent).number;
        let b = (d.b_from.clone(), d.b_to.clone());
        let p = Placement {
            record: d.record,
            agent: ForkPlan::parallel(phones, self.config.ring_timeout),
            agent_ids: (
                format!("\"{label} {}\" <sip:{}@{realm}>", o.display, o.dial),
                format!("<sip:{agent_number}@{realm}>"),
            ),
            customer: forks,
            customer_ids: b.clone(),
            media: [relay.local(Leg::A), relay.local(Leg::B)],
            edge: self.advertised,
            auto_record: d.auto_record,
        };
        let a_call_id = p.a_call_id();
        let (tx, rx) = mpsc::channel(64);
        self.listen(&a_call_id, &tx);
        self.drive(a_call_id, rx, relay, b, |now| Call::place(p, now))
            .await;
    }

    /// An order that could not be placed: logged; one with a promised call
    /// id also gets a failed record and its `call.ended`, so whoever
    /// ordered it learns why.
    async fn not_placed(&self, o: &Origination, agent: Option<&domain::Account>, why: &str) {
        tracing::warn!(tenant = %o.tenant, agent = %o.agent, why, "a call order was not placed");
        let Some(id) = &o.call_id else { return };
        let now = store::now_epoch_ms();
        let caller = agent
            .map(routing::party_of)
            .unwrap_or_else(|| calls::Party {
                account: Some(o.agent.clone()),
                ..calls::Party::default()
            });
        let callee = calls::Party {
            number: o.display.clone(),
            ..calls::Party::default()
        };
        let mut r = calls::CallRecord::starting(
            o.tenant.clone(),
            calls::Direction::Outgoing,
            caller,
            callee,
            now,
            self.registrar.location().edge().as_str(),
        );
        r.id.clone_from(id);
        r.ended_ms = Some(now);
        r.disposition = calls::Disposition::Failed;
        r.cause = Some(why.to_owned());
        if let Err(e) = calls::close(&*self.app.store, &r).await {
            tracing::warn!(error = %e, "the failed order's record was not written");
        }
        let ended = domain::event::Kind::Ended(domain::event::Ended::of(&r));
        self.events.emit(vec![domain::event::Event::new(
            r.tenant.clone(),
            id,
            1,
            now,
            ended,
        )]);
    }

    /// Carries a call from its start (`start`, given the time) to the end
    /// of its lingering: its inbox `rx` (messages with the call's Call-IDs),
    /// its media `relay`, and leg B's identities `b` for rings from a queue.
    async fn drive(
        self: Arc<Self>,
        a_call_id: String,
        mut rx: mpsc::Receiver<Event>,
        relay: Relay,
        b: (String, String),
        start: impl FnOnce(Instant) -> (Call, Vec<Action>),
    ) {
        let (digits_tx, mut digits): (_, Digits) = mpsc::unbounded_channel();
        relay.with(|m| m.report_digits(digits_tx));
        let (mut call, actions) = start(Instant::now());
        let mut ctx = CallIo {
            edge: self.clone(),
            relay: Some(relay),
            segment: 0,
            segment_started_ms: 0,
            segment_of: None,
            writes: None,
            inbox: self.route(&a_call_id),
            player: None,
            plays: 0,
            held: Held::default(),
            group_answered: None,
            tracker: domain::event::Tracker::default(),
        };
        ctx.perform(&mut call, actions).await;
        let queues = self.directory.queues().clone();
        let mut queued = None;
        let mut queue_tick = tokio::time::interval(QUEUE_TICK);
        queue_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut media_check = tokio::time::interval(Duration::from_secs(15));
        media_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut quality_tick =
            tokio::time::interval_at((Instant::now() + QUALITY_EVERY).into(), QUALITY_EVERY);
        quality_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // The call joins a queue when it starts waiting (at once, or
            // when its ARS scenario hands it to a group).
            if queued.is_none()
                && let Some(g) = call.queued_for()
            {
                queues.join(g, &a_call_id);
                queued = Some(g.clone());
            }
            let deadline = call
                .next_deadline()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
            let actions = tokio::select! {
                ev = rx.recv() => match ev {
                    Some(Event::Request(req, source)) => call.on_request(&req, source, Instant::now()),
                    Some(Event::Response(resp)) => call.on_response(&resp, Instant::now()),
                    Some(Event::PromptDone(n)) if n == ctx.plays => call.prompt_done(Instant::now()),
                    // A prompt stopped early (its end raced the stop).
                    Some(Event::PromptDone(_)) => Vec::new(),
                    Some(Event::HandOver(r, reply)) => {
                        let (result, actions) = call.hand_over(&r, Instant::now());
                        ctx.perform(&mut call, actions).await;
                        let _ = reply.send(result);
                        Vec::new()
                    }
                    None => break,
                },
                Some((leg, d)) = digits.recv() => call.on_dtmf(leg, d, Instant::now()),
                _ = queue_tick.tick(), if queued.is_some() => self.queue_turn(&mut call, &a_call_id, &b).await,
                _ = media_check.tick() => {
                    let now = Instant::now();
                    match ctx.media(|m| m.silent_for(now)) {
                        Some(silent) if silent >= MEDIA_TIMEOUT => call.media_timeout(now),
                        _ => {
                            call.media_flowing();
                            Vec::new()
                        }
                    }
                }
                _ = quality_tick.tick(), if call.answered() => {
                    ctx.sample_quality(&mut call);
                    Vec::new()
                }
                () = tokio::time::sleep_until(deadline.into()) => call.tick(Instant::now()),
            };
            ctx.perform(&mut call, actions).await;
            if let Some(g) = queued.take_if(|_| call.queued_for().is_none()) {
                queues.leave(&g, &a_call_id);
            }
            if call.is_over(Instant::now()) {
                break;
            }
        }
        if let Some(g) = queued {
            queues.leave(&g, &a_call_id);
        }
        if let Some(w) = ctx.writes.take() {
            let _ = w.await;
        }
        self.forget(&call.call_ids(), ctx.inbox.as_ref());
    }

    /// A queued call's turn: its position, and when it is first in line
    /// and may ring, the group's free members.
    async fn queue_turn(&self, call: &mut Call, id: &str, b: &(String, String)) -> Vec<Action> {
        let Some(g) = call.queued_for().cloned() else {
            return Vec::new();
        };
        let Some(position) = self.directory.queues().position(&g, id) else {
            return Vec::new();
        };
        call.queue_position(u16::try_from(position).unwrap_or(u16::MAX));
        let now = Instant::now();
        if position != 1 || !call.ready_to_ring(now) {
            return Vec::new();
        }
        let group = match self.directory.hunt_group(&call.record.tenant, &g).await {
            Ok(Some(group)) => group,
            Ok(None) => return Vec::new(), // Deleted: the wait runs out.
            Err(e) => {
                tracing::warn!(error = %e, "queue: hunt group unreadable");
                return Vec::new();
            }
        };
        let cx = self.routing_context();
        let caller = call.record.caller.account.clone();
        match routing::hunt::ring_plan(&group, caller.as_ref(), &*self.directory, &cx).await {
            Ok(forks) if !forks.stages.is_empty() => call.bridge(
                forks,
                b.clone(),
                routing::hunt::group_party(&group),
                Instant::now(),
            ),
            Ok(_) => Vec::new(),
            Err(e) => {
                tracing::warn!(error = %e, "queue: members unreadable");
                Vec::new()
            }
        }
    }

    /// Authenticates and routes a new INVITE: the call's setup, or the answer that refuses it.
    async fn admit(&self, req: &Request, source: SocketAddr) -> Result<Setup, Vec<u8>> {
        let refuse = |code: u16, reason: &str| response(req, code, reason, &[], Some("edge"));
        if req.header("Max-Forwards").is_some_and(|m| m.trim() == "0") {
            return Err(refuse(483, "Too Many Hops"));
        }
        let dialled = uri_user(&format!("<{}>", req.uri))
            .map(str::to_owned)
            .ok_or_else(|| refuse(404, "Not Found"))?;
        let from_trunk = self
            .config
            .trunk
            .as_ref()
            // Address and port: on one host, phones share the trunk's IP.
            .is_some_and(|t| t.addr == source);
        let origin = if from_trunk {
            let from = req.header("From").unwrap_or("");
            Origin::Trunk {
                caller: uri_user(from).unwrap_or("anonymous").to_owned(),
            }
        } else {
            let sip = self
                .registrar
                .authenticate(req, source, store::now_epoch_seconds())
                .await?;
            Origin::User {
                tenant: sip.tenant,
                account: sip.account,
            }
        };
        let cx = self.routing_context();
        let d = routing::route(&origin, &dialled, &*self.directory, &cx)
            .await
            .map_err(|r| refuse(r.code, r.reason))?;
        let (forks, fallback, application) = match d.route {
            Route::Ring { forks, fallback } => (forks, fallback, None),
            Route::Run(app) => (ForkPlan::default(), Fallback::Fail, Some(app)),
            Route::Forward { edge, addr } => {
                // Edges do not yet take calls from each other (the roaming
                // issue adds the trust between them): the callee is away.
                tracing::info!(%edge, %addr, "callee registered at another edge only");
                return Err(refuse(480, "Temporarily Unavailable"));
            }
        };
        Ok(Setup {
            record: d.record,
            invite: req.clone(),
            source,
            forks,
            b_from: d.b_from,
            b_to: d.b_to,
            media: [source; 2],
            edge: self.advertised,
            auto_record: d.auto_record,
            application,
            fallback,
        })
    }

    /// Closes the records this edge left open when it stopped without
    /// ending its calls (at start-up). Records of other edges are theirs.
    pub async fn close_orphans(&self) -> usize {
        let open =
            match calls::open_calls(&*self.app.store, self.registrar.location().edge().as_str())
                .await
            {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(error = %e, "could not list open calls");
                    return 0;
                }
            };
        let mut n = 0;
        for mut r in open {
            let now = store::now_epoch_ms();
            r.close_abandoned(now, "edge restart");
            if calls::close(&*self.app.store, &r).await.is_ok() {
                n += 1;
                let ended = domain::event::Kind::Ended(domain::event::Ended::of(&r));
                self.events.emit(vec![domain::event::Event::new(
                    r.tenant.clone(),
                    &r.id,
                    domain::event::ORPHAN_ENDED_SEQ,
                    now,
                    ended,
                )]);
            }
        }
        n
    }
}

/// Every method the edge answers, for `Allow` headers.
pub const EDGE_ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, REGISTER";

/// Extensions a request may require. Session-timer refreshes (RFC 4028)
/// are answered like any re-INVITE or UPDATE; the edge sets no timer of
/// its own (silent calls are probed instead), which the standard allows.
const SUPPORTED: [&str; 1] = ["timer"];

/// Whether a request names a `sips:` URI as its target or, registering,
/// as a contact to be reached at.
fn uses_sips(req: &Request) -> bool {
    let sips = |uri: &str| {
        uri.trim_start()
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("sips:"))
    };
    sips(&req.uri)
        || (req.method == "REGISTER"
            && req
                .header_values("Contact")
                .iter()
                .any(|c| sips(crate::sip::message::addr_uri(c))))
}

/// The answer to a request the edge cannot serve whatever its method: a
/// Request-URI scheme other than sip, sips or tel (416), or an extension
/// the sender requires that the edge lacks (420, listing them as
/// Unsupported; RFC 3261 §8.2.2). An ACK is never answered.
fn unsupported(req: &Request) -> Option<Vec<u8>> {
    if req.method == "ACK" {
        return None;
    }
    let scheme = req.uri.split_once(':').map_or("", |(s, _)| s);
    if !["sip", "sips", "tel"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
    {
        let answer = response(req, 416, "Unsupported URI Scheme", &[], Some("edge"));
        return Some(answer);
    }
    if req.method == "CANCEL" {
        return None;
    }
    let lacking: Vec<String> = req
        .header_values("Require")
        .into_iter()
        .filter(|r| !SUPPORTED.iter().any(|s| r.eq_ignore_ascii_case(s)))
        .collect();
    (!lacking.is_empty()).then(|| {
        let unsupported = [("Unsupported", lacking.join(", "))];
        response(req, 420, "Bad Extension", &unsupported, Some("edge"))
    })
}

/// What a peer's connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Over {
    Tcp,
    Tls,
    /// TLS to a peer that speaks `sips:` URIs (RFC 5630): our Contact is a
    /// SIPS URI too, which says TLS without a transport parameter.
    Sips,
}

/// An open connection's queue of what to write down it.
#[derive(Debug, Clone)]
struct Stream {
    tx: mpsc::UnboundedSender<Vec<u8>>,
    over: Over,
    /// The edge's address on the listener it came in on.
    own: SocketAddr,
}

/// A message the edge wrote for UDP (its own address `udp` in Via and
/// Contact), as it goes down a connection: our top Via names the
/// transport, and our Contact asks for it at `own` (TCP shares the UDP
/// port; TLS has its own). Responses keep the peer's Via, which already
/// names its transport.
fn for_stream(bytes: &[u8], over: Over, udp: SocketAddr, own: SocketAddr) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return bytes.to_vec();
    };
    let Some(end) = text.find("\r\n\r\n") else {
        return bytes.to_vec();
    };
    let (head, body) = text.split_at(end);
    let mut head = head.to_owned();
    let (via, param) = match over {
        Over::Tcp => ("TCP", "tcp"),
        Over::Tls | Over::Sips => ("TLS", "tls"),
    };
    if !head.starts_with("SIP/2.0 ") {
        head = head.replacen(
            &format!("\r\nVia: SIP/2.0/UDP {udp}"),
            &format!("\r\nVia: SIP/2.0/{via} {own}"),
            1,
        );
    }
    let ours = format!("\r\nContact: <sip:edge@{udp}");
    if let Some(i) = head.find(&ours)
        && let Some(j) = head[i..].find('>')
    {
        if over == Over::Sips {
            head.replace_range(i..i + ours.len(), &format!("\r\nContact: <sips:edge@{own}"));
        } else {
            head.insert_str(i + j, &format!(";transport={param}"));
            head.replace_range(i..i + ours.len(), &format!("\r\nContact: <sip:edge@{own}"));
        }
    }
    let mut out = head.into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// How often the edge looks for calls it is asked to place.
const ORDER_POLL: Duration = Duration::from_millis(500);

/// How often a queued call looks at its place in line.
const QUEUE_TICK: Duration = Duration::from_secs(1);
/// How often a talking call's quality is sampled for live monitoring.
const QUALITY_EVERY: Duration = Duration::from_secs(10);

/// What a call's actor holds besides the state machine.
struct CallIo {
    edge: Arc<Edge>,
    /// Given back (ports freed) as soon as the call ends.
    relay: Option<Relay>,
    segment: u32,
    segment_started_ms: i64,
    /// The record the segment being made belongs to (tenant, id), and the
    /// users on it.
    segment_of: Option<(TenantId, String, Vec<domain::AccountId>)>,
    /// The last call-record write; the next waits for it (writes stay in order).
    writes: Option<tokio::task::JoinHandle<()>>,
    /// The call's own inbox (a finished greeting reports there).
    inbox: Option<mpsc::Sender<Event>>,
    player: Option<tokio::task::JoinHandle<()>>,
    /// Prompts started so far; the last one's end is the one that counts.
    plays: u64,
    /// The accounts this call keeps busy (hunt groups skip them).
    held: Held,
    /// The record whose answer by a hunt group's member was counted.
    group_answered: Option<String>,
    /// Turns the call's record versions into numbered events.
    tracker: domain::event::Tracker,
}

impl Drop for CallIo {
    fn drop(&mut self) {
        self.stop_prompt();
        self.edge.directory.presence().hold(&mut self.held, None);
    }
}

impl CallIo {
    fn media<T>(&self, f: impl FnOnce(&mut crate::rtp::Media) -> T) -> Option<T> {
        self.relay.as_ref().and_then(|r| r.with(f))
    }

    /// What the media relay received so far from record `id`'s caller and
    /// callee (none for a party that sent nothing).
    fn quality(&self, call: &Call, id: &str) -> [Option<calls::Quality>; 2] {
        let caller = call.caller_leg(id);
        [caller, caller.other()].map(|leg| {
            self.media(|m| m.stats(leg))
                .filter(|s| s.packets > 0)
                .map(|s| calls::Quality {
                    packets: i64::try_from(s.packets).unwrap_or(i64::MAX),
                    lost: i64::try_from(s.lost).unwrap_or(i64::MAX),
                    jitter_tenth_ms: (s.jitter_ms * 10.0).round() as i64,
                })
        })
    }

    /// A talking call's quality so far, as a `call.quality` event (live
    /// monitoring shows it); the record carries it from its next write.
    fn sample_quality(&mut self, call: &mut Call) {
        let q = self.quality(call, &call.record.id);
        if q.iter().all(Option::is_none) || q == call.record.quality {
            return;
        }
        call.record.quality = q;
        let now = store::now_epoch_ms();
        if let Some(e) = self
            .tracker
            .note(&call.record, domain::event::Happening::Quality(q), now)
        {
            self.edge.events.emit(vec![e]);
        }
    }

    async fn perform(&mut self, call: &mut Call, actions: Vec<Action>) {
        let mut queue: std::collections::VecDeque<Action> = actions.into();
        while let Some(a) = queue.pop_front() {
            match a {
                Action::Send(to, bytes) => self.edge.send(to, &bytes).await,
                // The relay takes a side's SRTP keys from the call as it is
                // once the step is done (the SDP it was sent holds ours).
                Action::Media(leg, m) => {
                    let m = LegMedia {
                        srtp: call.keys(leg),
                        ..m
                    };
                    self.media(|media| media.set_leg(leg, m));
                }
                Action::Replace(leg, m) => {
                    let m = LegMedia {
                        srtp: call.keys(leg),
                        ..m
                    };
                    self.media(|media| media.replace_leg(leg, m));
                }
                Action::Record(true) => self.start_segment(call, false),
                Action::RecordVoicemail => self.start_segment(call, true),
                Action::Play(leg, g) => {
                    let Some(play) = self.relay.as_ref().map(|r| r.play(leg, samples(g))) else {
                        continue;
                    };
                    self.start_prompt(play);
                }
                Action::Say(leg, prompts) => {
                    let Some(relay) = self.relay.as_ref() else {
                        continue;
                    };
                    let play = relay.player(leg);
                    let voice = self.edge.voice.clone();
                    let tenant = call.record.tenant.clone();
                    self.start_prompt(async move {
                        let samples = voice.render(&tenant, &prompts).await;
                        play(samples).await;
                    });
                }
                Action::FileCallback(ask) => {
                    let filed = app::callbacks::ask(
                        &self.edge.app,
                        &ask.tenant,
                        &ask.number,
                        ask.name,
                        ask.source,
                        ask.via,
                        Some(ask.call_id),
                    )
                    .await;
                    let result = filed.map(|(_, merged)| merged).map_err(|f| f.message);
                    queue.extend(call.callback_filed(result, Instant::now()));
                }
                Action::HandOff(h) => {
                    let decided = {
                        let cx = self.edge.routing_context();
                        routing::ivr::hand_off(&h, &*self.edge.directory, &cx).await
                    };
                    queue.extend(
                        call.handed_off(decided.map_err(|e| e.to_string()), Instant::now()),
                    );
                }
                Action::Record(false) => self.stop_segment().await,
                Action::StopPrompt => self.stop_prompt(),
                Action::Listen(call_id) => {
                    if let Some(inbox) = &self.inbox {
                        self.edge.listen(&call_id, inbox);
                    }
                }
                Action::Save(r) => self.write(*r, false),
                Action::Close(mut r) => {
                    if self
                        .segment_of
                        .as_ref()
                        .is_some_and(|(_, id, _)| *id == r.id)
                    {
                        self.stop_segment().await;
                    }
                    for (i, q) in self.quality(call, &r.id).into_iter().enumerate() {
                        if q.is_some() {
                            r.quality[i] = q;
                        }
                    }
                    if r.id == call.record.id {
                        call.record.quality = r.quality;
                    }
                    self.write(*r, true);
                }
                Action::Release => {
                    self.stop_prompt();
                    self.stop_segment().await;
                    // The media ports go back now, not after the lingering.
                    self.relay = None;
                }
                Action::RouteTransfer(t) => {
                    let origin = Origin::User {
                        tenant: t.tenant,
                        account: t.account,
                    };
                    let decided = {
                        let cx = self.edge.routing_context();
                        routing::route(&origin, &t.dialled, &*self.edge.directory, &cx).await
                    };
                    queue.extend(call.transfer_routed(decided, Instant::now()));
                }
                Action::HandOver(r) => {
                    let result = self.edge.hand_over(r).await;
                    queue.extend(call.handed_over(result, Instant::now()));
                }
                Action::Notify(h) => {
                    let now = store::now_epoch_ms();
                    if let Some(e) = self.tracker.note(&call.record, h, now) {
                        self.edge.events.emit(vec![e]);
                    }
                }
            }
        }
        self.edge
            .directory
            .presence()
            .hold(&mut self.held, Some(&call.record));
    }

    /// A hunt group's state follows its calls: the round-robin memory
    /// when a member answers, the member's count and last call end when
    /// the call ends. A failed write is logged; routing goes on without it.
    fn hunt_progress(&mut self, r: &calls::CallRecord, close: bool) {
        let (Some(g), Some(member), Some(_)) = (&r.hunt_group, &r.callee.account, r.answered_ms)
        else {
            return;
        };
        if r.direction == calls::Direction::Voicemail {
            return; // The overflow's mailbox, not a member who answered.
        }
        let first = self.group_answered.as_deref() != Some(r.id.as_str());
        if !first && !close {
            return;
        }
        self.group_answered = Some(r.id.clone());
        let edge = self.edge.clone();
        let (t, g, member) = (r.tenant.clone(), g.clone(), member.clone());
        let ended = r.ended_ms.unwrap_or_else(store::now_epoch_ms) / 1000;
        tokio::spawn(async move {
            let store = &*edge.app.store;
            let group = match edge.directory.hunt_group(&t, &g).await {
                Ok(Some(group)) => group,
                Ok(None) => return, // Deleted meanwhile.
                Err(e) => {
                    tracing::warn!(error = %e, "hunt group state not updated");
                    return;
                }
            };
            let mut result = Ok(());
            if first {
                result = hunt_groups::answered(store, &group, &member).await;
            }
            if close && result.is_ok() {
                result = hunt_groups::call_ended(store, &group, &member, ended).await;
            }
            if let Err(e) = result {
                tracing::warn!(error = %e, group = %g, "hunt group state not updated");
            }
        });
    }

    /// Plays a prompt (`play`); its end is reported to the call unless
    /// another prompt started meanwhile.
    fn start_prompt(&mut self, play: impl std::future::Future<Output = ()> + Send + 'static) {
        self.stop_prompt();
        self.plays += 1;
        let (n, inbox) = (self.plays, self.inbox.clone());
        self.player = Some(tokio::spawn(async move {
            play.await;
            if let Some(tx) = inbox {
                let _ = tx.send(Event::PromptDone(n)).await;
            }
        }));
    }

    /// Stops a greeting playing, if one is.
    fn stop_prompt(&mut self) {
        if let Some(p) = self.player.take() {
            p.abort();
        }
    }

    fn write(&mut self, r: calls::CallRecord, close: bool) {
        self.hunt_progress(&r, close);
        self.edge
            .events
            .emit(self.tracker.observe(&r, close, store::now_epoch_ms()));
        let previous = self.writes.take();
        let store = self.edge.app.store.clone();
        self.writes = Some(tokio::spawn(async move {
            if let Some(p) = previous {
                let _ = p.await;
            }
            for attempt in 0..5u32 {
                let result = if close {
                    calls::close(&*store, &r).await
                } else {
                    calls::save_open(&*store, &r).await
                };
                match result {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, call = %r.id, attempt, "call record write failed");
                        tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                    }
                }
            }
        }));
    }

    fn start_segment(&mut self, call: &Call, voicemail: bool) {
        if self.media(|m| m.recording()).unwrap_or(true) {
            return;
        }
        let users = [&call.record.caller.account, &call.record.callee.account]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        self.segment_of = Some((call.record.tenant.clone(), call.record.id.clone(), users));
        self.segment += 1;
        let path = self.edge.spool.segment_path(&call.record.id, self.segment);
        let started = self.media(|m| m.elapsed()).unwrap_or(Duration::ZERO);
        let created = if voicemail {
            Recorder::create_mono(&path, started)
        } else {
            Recorder::create(&path, started)
        };
        match created {
            Ok(r) => {
                self.segment_started_ms = store::now_epoch_ms();
                self.media(|m| m.start_recording(r));
            }
            Err(e) => {
                tracing::error!(error = %e, path = %path.display(), "cannot start a recording")
            }
        }
    }

    /// Finishes the segment being made and queues it for upload under its record.
    async fn stop_segment(&mut self) {
        let Some(Some(rec)) = self.media(|m| m.stop_recording()) else {
            return;
        };
        let Some((tenant, call_id, accounts)) = self.segment_of.take() else {
            return;
        };
        let n = self.segment;
        let started_ms = self.segment_started_ms;
        let spool = self.edge.spool.clone();
        // Interleaving the channels is file work: off the async threads.
        tokio::task::spawn_blocking(move || match rec.finish() {
            Ok((wav, len)) => {
                let note = Note {
                    key: Spool::blob_key(&tenant, &call_id, started_ms, n),
                    tenant: tenant.to_string(),
                    call_id,
                    started_ms,
                    duration_ms: i64::try_from(len.as_millis()).unwrap_or(0),
                    accounts,
                };
                if let Err(e) = spool.enqueue(&wav, &note) {
                    tracing::error!(error = %e, "cannot queue a recording");
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot finish a recording"),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::{Over, for_stream, uses_sips};
    use crate::sip::message::Request;

    #[test]
    fn sips_targets_and_contacts_are_seen() {
        let req = |first: &str, contact: &str| {
            let method = first.split(' ').next().unwrap_or_default();
            Request::parse(
                format!("{first} SIP/2.0\r\nVia: SIP/2.0/TLS 10.0.0.5:5063;branch=z9hG4bKs\r\nFrom: <sip:1001@office>;tag=a\r\nTo: <sip:1001@office>\r\nCall-ID: s\r\nCSeq: 1 {method}\r\nContact: {contact}\r\nContent-Length: 0\r\n\r\n")
                    .as_bytes(),
            )
            .expect("request")
        };
        assert!(uses_sips(&req(
            "INVITE sips:1002@office",
            "<sip:1001@10.0.0.5>"
        )));
        assert!(uses_sips(&req(
            "INVITE SIPS:1002@office",
            "<sip:1001@10.0.0.5>"
        )));
        assert!(uses_sips(&req(
            "REGISTER sip:office",
            "\"Kim\" <sips:1001@10.0.0.5:5063>"
        )));
        assert!(
            !uses_sips(&req("INVITE sip:1002@office", "<sips:1001@10.0.0.5>")),
            "only a REGISTER's contacts count"
        );
        assert!(!uses_sips(&req(
            "REGISTER sip:office",
            "<sip:1001@10.0.0.5;transport=tls>"
        )));
    }

    #[test]
    fn down_a_sips_connection_our_contact_is_a_sips_uri() {
        let req = b"INVITE sips:1001@10.0.0.5:5063 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKx;rport\r\nContact: <sip:edge@203.0.113.1:5060>\r\nContent-Length: 0\r\n\r\n";
        let out = String::from_utf8(for_stream(req, Over::Sips, at(UDP), at("203.0.113.1:5061")))
            .expect("utf-8");
        assert!(
            out.contains("\r\nVia: SIP/2.0/TLS 203.0.113.1:5061;branch=z9hG4bKx;rport\r\n"),
            "{out}"
        );
        assert!(
            out.contains("\r\nContact: <sips:edge@203.0.113.1:5061>\r\n"),
            "{out}"
        );
    }

    const UDP: &str = "203.0.113.1:5060";

    fn at(s: &str) -> std::net::SocketAddr {
        s.parse().expect("address")
    }

    #[test]
    fn requests_down_a_tcp_connection_say_so_and_answers_keep_the_peers_via() {
        let req = b"BYE sip:1001@10.0.0.5:5062 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKx;rport\r\nContact: <sip:edge@203.0.113.1:5060>\r\nContent-Length: 0\r\n\r\n";
        let out = String::from_utf8(for_stream(req, Over::Tcp, at(UDP), at(UDP))).expect("utf-8");
        assert!(
            out.contains("\r\nVia: SIP/2.0/TCP 203.0.113.1:5060;branch=z9hG4bKx;rport\r\n"),
            "{out}"
        );
        assert!(
            out.contains("Contact: <sip:edge@203.0.113.1:5060;transport=tcp>"),
            "{out}"
        );
        assert!(out.ends_with("\r\n\r\n"));
        let resp = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKy\r\nContact: <sip:edge@203.0.113.1:5060>\r\nContent-Length: 0\r\n\r\n";
        let out = String::from_utf8(for_stream(resp, Over::Tcp, at(UDP), at(UDP))).expect("utf-8");
        assert!(
            out.contains("Via: SIP/2.0/UDP 10.0.0.5:5062"),
            "the peer's own Via stays: {out}"
        );
        assert!(out.contains(";transport=tcp>"));
    }

    #[test]
    fn down_a_tls_connection_the_edge_names_tls_and_its_tls_port() {
        let req = b"INVITE sip:1001@10.0.0.5:5063;transport=tls SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKx;rport\r\nContact: <sip:edge@203.0.113.1:5060>\r\nContent-Length: 0\r\n\r\n";
        let out = String::from_utf8(for_stream(req, Over::Tls, at(UDP), at("203.0.113.1:5061")))
            .expect("utf-8");
        assert!(
            out.contains("\r\nVia: SIP/2.0/TLS 203.0.113.1:5061;branch=z9hG4bKx;rport\r\n"),
            "{out}"
        );
        assert!(
            out.contains("\r\nContact: <sip:edge@203.0.113.1:5061;transport=tls>\r\n"),
            "{out}"
        );
        let resp = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS 10.0.0.5:5063;branch=z9hG4bKy\r\nContact: <sip:edge@203.0.113.1:5060>\r\nContent-Length: 0\r\n\r\n";
        let out = String::from_utf8(for_stream(resp, Over::Tls, at(UDP), at("203.0.113.1:5061")))
            .expect("utf-8");
        assert!(
            out.contains("Via: SIP/2.0/TLS 10.0.0.5:5063;branch=z9hG4bKy"),
            "{out}"
        );
        assert!(
            out.contains("Contact: <sip:edge@203.0.113.1:5061;transport=tls>"),
            "{out}"
        );
    }
}
