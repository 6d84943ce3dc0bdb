//! The UDP transport: datagrams in, answers out, with `received`/`rport`
//! (RFC 3581) so phones behind NAT get their answers.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::UdpSocket;

use crate::registrar::Registrar;
use crate::sip::message::{Request, param};

/// Marks the top Via with where the request really came from.
pub fn stamp_via(req: &mut Request, source: SocketAddr) {
    if let Some((_, via)) = req
        .headers
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case("Via"))
    {
        let wants_rport = via
            .split(';')
            .any(|p| p.trim().eq_ignore_ascii_case("rport"));
        if param(via, "received").is_none() {
            via.push_str(&format!(";received={}", source.ip()));
        }
        if wants_rport {
            let parts: Vec<String> = via
                .split(';')
                .map(|p| {
                    if p.trim().eq_ignore_ascii_case("rport") {
                        format!("rport={}", source.port())
                    } else {
                        p.to_owned()
                    }
                })
                .collect();
            *via = parts.join(";");
        }
    }
}

/// Serves SIP over UDP on `socket` until the task is dropped.
pub async fn serve_udp(socket: UdpSocket, registrar: Arc<Registrar>) {
    let socket = Arc::new(socket);
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, source) = match socket.recv_from(&mut buf).await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "SIP receive failed");
                continue;
            }
        };
        let data = buf[..n].to_vec();
        // Keep-alive CRLFs (RFC 5626) get no answer.
        if data.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let Ok(mut req) = Request::parse(&data) else {
            tracing::debug!(%source, "unparsable SIP datagram dropped");
            continue;
        };
        stamp_via(&mut req, source);
        let (socket, registrar) = (socket.clone(), registrar.clone());
        tokio::spawn(async move {
            let answer = registrar
                .handle(&req, source, store::now_epoch_seconds())
                .await;
            if !answer.is_empty()
                && let Err(e) = socket.send_to(&answer, source).await
            {
                tracing::warn!(error = %e, %source, "SIP send failed");
            }
        });
    }
}
