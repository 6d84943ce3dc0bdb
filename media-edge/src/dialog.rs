//! SIP dialogs (RFC 3261 §12), sans-IO: the state one side of a call keeps
//! (Call-ID, tags, remote target, CSeq), how it is formed from an INVITE
//! the edge answered (UAS) or a 2xx it received (UAC), and the requests
//! and ACKs sent inside it.

use std::net::SocketAddr;

use crate::sip::message::{Request, Response, addr_uri, param, request};

/// One dialog of a call, as the edge (our side) sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub call_id: String,
    /// Our name-addr (without tag) and tag.
    pub local: String,
    pub local_tag: String,
    /// The peer's name-addr (without tag) and tag.
    pub remote: String,
    pub remote_tag: String,
    /// The peer's Contact: the Request-URI of our requests.
    pub target: String,
    /// Where the peer's messages come from (NAT-safe) and ours go.
    pub peer: SocketAddr,
    /// Our last CSeq.
    pub cseq: u32,
}

/// `name-addr;tag=...`.
pub fn with_tag(nameaddr: &str, tag: &str) -> String {
    format!("{nameaddr};tag={tag}")
}

/// A name-addr without its parameters (tag and all): `"Kim" <sip:1@h>`.
pub fn strip_params(v: &str) -> String {
    match v.rfind('>') {
        Some(i) => v[..=i].to_owned(),
        None => v.split(';').next().unwrap_or(v).to_owned(),
    }
}

fn tag_of(header: Option<&str>) -> String {
    header
        .and_then(|h| param(h, "tag"))
        .unwrap_or("")
        .to_owned()
}

impl Dialog {
    /// The dialog our answer to `invite` (with `local_tag`) forms: we are
    /// the UAS, the peer is at `peer`.
    pub fn answering(invite: &Request, local_tag: &str, peer: SocketAddr) -> Self {
        Self {
            call_id: invite.header("Call-ID").unwrap_or("").to_owned(),
            local: strip_params(invite.header("To").unwrap_or("")),
            local_tag: local_tag.to_owned(),
            remote: strip_params(invite.header("From").unwrap_or("")),
            remote_tag: tag_of(invite.header("From")),
            target: invite
                .header("Contact")
                .map(|c| addr_uri(c).to_owned())
                .unwrap_or_else(|| invite.uri.clone()),
            peer,
            cseq: 0,
        }
    }

    /// The dialog a 2xx to our INVITE forms: we are the UAC. `uri` is the
    /// Request-URI the INVITE went to (the target when the 2xx has no
    /// Contact), `cseq` the INVITE's.
    pub fn answered(
        call_id: &str,
        (local, local_tag): (&str, &str),
        resp: &Response,
        uri: &str,
        peer: SocketAddr,
        cseq: u32,
    ) -> Self {
        Self {
            call_id: call_id.to_owned(),
            local: local.to_owned(),
            local_tag: local_tag.to_owned(),
            remote: strip_params(resp.header("To").unwrap_or("")),
            remote_tag: tag_of(resp.header("To")),
            target: resp
                .header("Contact")
                .map(|c| addr_uri(c).to_owned())
                .unwrap_or_else(|| uri.to_owned()),
            peer,
            cseq,
        }
    }

    /// Whether a request from the peer belongs to this dialog (its From tag).
    pub fn is_from_peer(&self, req: &Request) -> bool {
        req.header("From").and_then(|f| param(f, "tag")) == Some(self.remote_tag.as_str())
    }

    /// A new request of ours in the dialog (the next CSeq).
    pub fn request(
        &mut self,
        method: &str,
        via: String,
        contact: String,
        extra: &[(&str, String)],
        body: Option<(&str, &[u8])>,
    ) -> Vec<u8> {
        self.cseq += 1;
        let mut headers: Vec<(&str, String)> = vec![
            ("Via", via),
            ("Max-Forwards", "70".into()),
            ("From", with_tag(&self.local, &self.local_tag)),
            ("To", with_tag(&self.remote, &self.remote_tag)),
            ("Call-ID", self.call_id.clone()),
            ("CSeq", format!("{} {method}", self.cseq)),
            ("Contact", contact),
        ];
        headers.extend(extra.iter().cloned());
        request(method, &self.target, &headers, body)
    }

    /// The ACK of a 2xx to our (re-)INVITE: a request of its own, to the
    /// answer's Contact, with the INVITE's CSeq number.
    pub fn ack(&self, resp: &Response, via: String) -> Vec<u8> {
        let target = resp
            .header("Contact")
            .map(|c| addr_uri(c).to_owned())
            .unwrap_or_else(|| self.target.clone());
        ack(
            &target,
            via,
            (&self.local, &self.local_tag),
            resp,
            &self.call_id,
            resp.cseq(),
        )
    }

    /// The ACK of a failure to our re-INVITE: hop by hop, on the INVITE's
    /// branch (in `via`), to the INVITE's Request-URI (RFC 3261 §17.1.1.3).
    pub fn ack_failure(&self, resp: &Response, via: String) -> Vec<u8> {
        let from = (self.local.as_str(), self.local_tag.as_str());
        ack(&self.target, via, from, resp, &self.call_id, resp.cseq())
    }
}

/// An ACK to `uri` for the answer `resp` (its To, with the tag it gave).
pub fn ack(
    uri: &str,
    via: String,
    (from, from_tag): (&str, &str),
    resp: &Response,
    call_id: &str,
    cseq: u32,
) -> Vec<u8> {
    request(
        "ACK",
        uri,
        &[
            ("Via", via),
            ("Max-Forwards", "70".into()),
            ("From", with_tag(from, from_tag)),
            ("To", resp.header("To").unwrap_or("").to_owned()),
            ("Call-ID", call_id.to_owned()),
            ("CSeq", format!("{cseq} ACK")),
        ],
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite() -> Request {
        Request::parse(b"INVITE sip:1002@office SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1\r\nFrom: \"Kim\" <sip:1001@office>;tag=a1\r\nTo: <sip:1002@office>\r\nCall-ID: c1\r\nCSeq: 2 INVITE\r\nContact: <sip:1001@192.0.2.10:5062;ob>\r\nContent-Length: 0\r\n\r\n").expect("invite")
    }

    #[test]
    fn answering_an_invite_forms_the_dialog_requests_go_in() {
        let peer: SocketAddr = "192.0.2.10:5062".parse().expect("addr");
        let mut d = Dialog::answering(&invite(), "e1", peer);
        assert_eq!(
            (d.remote.as_str(), d.remote_tag.as_str(), d.target.as_str()),
            (
                "\"Kim\" <sip:1001@office>",
                "a1",
                "sip:1001@192.0.2.10:5062;ob"
            )
        );
        let bye = d.request(
            "BYE",
            "SIP/2.0/UDP edge;branch=z9hG4bKb".into(),
            "<sip:edge@e>".into(),
            &[],
            None,
        );
        let bye = Request::parse(&bye).expect("bye");
        assert_eq!(bye.uri, "sip:1001@192.0.2.10:5062;ob");
        assert_eq!(bye.header("From"), Some("<sip:1002@office>;tag=e1"));
        assert_eq!(bye.header("To"), Some("\"Kim\" <sip:1001@office>;tag=a1"));
        assert_eq!(bye.header("CSeq"), Some("1 BYE"));
        assert!(d.is_from_peer(&invite()));
    }

    #[test]
    fn a_2xx_forms_the_dialog_and_its_ack_goes_to_the_answers_contact() {
        let peer: SocketAddr = "192.0.2.20:5060".parse().expect("addr");
        let ok = Response::parse(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP edge;branch=z9hG4bKx\r\nFrom: <sip:1001@office>;tag=b1\r\nTo: <sip:1002@office>;tag=d1\r\nCall-ID: leg-b\r\nCSeq: 1 INVITE\r\nContact: <sip:1002@192.0.2.20:5060>\r\nContent-Length: 0\r\n\r\n").expect("200");
        let d = Dialog::answered(
            "leg-b",
            ("<sip:1001@office>", "b1"),
            &ok,
            "sip:1002@x",
            peer,
            1,
        );
        assert_eq!(
            (d.remote_tag.as_str(), d.target.as_str()),
            ("d1", "sip:1002@192.0.2.20:5060")
        );
        let ack =
            Request::parse(&d.ack(&ok, "SIP/2.0/UDP edge;branch=z9hG4bKa".into())).expect("ack");
        assert_eq!(
            (ack.method.as_str(), ack.header("CSeq")),
            ("ACK", Some("1 ACK"))
        );
        assert_eq!(ack.uri, "sip:1002@192.0.2.20:5060");
    }
}
