//! SIP messages: parse what arrives, write what we answer (RFC 3261 §7).
//!
//! Headers keep their order and repeats; names compare case-insensitively
//! and compact forms (`v`, `f`, `t`, `i`, `m`, `l`...) are expanded.

use std::fmt::Write as _;

/// A parsed SIP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("not UTF-8 headers")]
    Encoding,
    #[error("no empty line ends the headers")]
    Incomplete,
    #[error("malformed request line")]
    RequestLine,
    #[error("malformed header line {0:?}")]
    Header(String),
    #[error("this is a response, not a request")]
    Response,
    #[error("missing mandatory header {0}")]
    Missing(&'static str),
    #[error("SIP version other than 2.0")]
    Version,
    #[error("the Request-URI is not an absolute URI without headers")]
    RequestUri,
    #[error("Content-Length {0}")]
    ContentLength(&'static str),
    #[error("header {0} appears more than once")]
    Repeated(&'static str),
    #[error("CSeq {0}")]
    CSeq(&'static str),
    #[error("Max-Forwards is not a number from 0 to 255")]
    MaxForwards,
    #[error("malformed {0} header")]
    Value(&'static str),
}

fn expand(name: &str) -> &str {
    // Compact forms are one letter; longer names are returned as they are
    // (and compared case-insensitively wherever they are looked up).
    let [c] = name.as_bytes() else {
        return name;
    };
    match c.to_ascii_lowercase() {
        b'v' => "Via",
        b'f' => "From",
        b't' => "To",
        b'i' => "Call-ID",
        b'm' => "Contact",
        b'l' => "Content-Length",
        b'c' => "Content-Type",
        b'k' => "Supported",
        b's' => "Subject",
        b'r' => "Refer-To",
        b'b' => "Referred-By",
        b'o' => "Event",
        _ => name,
    }
}

/// A parsed SIP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub code: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Either kind of SIP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}

type Head<'a> = (&'a str, Vec<(String, String)>, Vec<u8>);

/// Where the headers end and the body starts. A datagram that ends its last
/// header line but lacks the empty line after it is taken as headers only.
fn head_end(bytes: &[u8]) -> Option<(usize, usize)> {
    match bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(p) => Some((p, p + 4)),
        None if bytes.ends_with(b"\r\n") => Some((bytes.len() - 2, bytes.len())),
        None => None,
    }
}

/// Unfolds header lines and expands compact names. `strict` refuses a line
/// that is not `name: value`; otherwise such lines are skipped.
fn headers_of<'a>(
    lines: impl Iterator<Item = &'a str>,
    strict: bool,
) -> Result<Vec<(String, String)>, ParseError> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            // Folded continuation of the previous header.
            let Some(last) = headers.last_mut() else {
                if strict {
                    return Err(ParseError::Header(line.to_owned()));
                }
                continue;
            };
            if !last.1.is_empty() {
                last.1.push(' ');
            }
            last.1.push_str(line.trim());
            continue;
        }
        let named = line
            .split_once(':')
            .map(|(n, v)| (n.trim(), v))
            .filter(|(n, _)| !n.is_empty() && !n.contains([' ', '\t']));
        match named {
            Some((name, value)) => headers.push((expand(name).to_owned(), value.trim().to_owned())),
            None if strict => return Err(ParseError::Header(line.to_owned())),
            None => {}
        }
    }
    Ok(headers)
}

/// The message with its headers made UTF-8: bytes that are not (a CP949
/// display name from a Korean carrier, say) become U+FFFD. Only text the
/// edge displays is affected; tags, URIs and numbers are ASCII.
fn lossy_head(bytes: &[u8]) -> Vec<u8> {
    let Some((end, _)) = head_end(bytes) else {
        return Vec::new();
    };
    let mut out = String::from_utf8_lossy(&bytes[..end])
        .into_owned()
        .into_bytes();
    out.extend_from_slice(&bytes[end..]);
    out
}

/// Splits a message into its first line, headers (unfolded, names expanded) and body.
fn parse_head(bytes: &[u8]) -> Result<Head<'_>, ParseError> {
    let (end, start) = head_end(bytes).ok_or(ParseError::Incomplete)?;
    let head = std::str::from_utf8(&bytes[..end]).map_err(|_| ParseError::Encoding)?;
    let mut lines = head.split("\r\n");
    let first = lines.next().ok_or(ParseError::RequestLine)?;
    let headers = headers_of(lines, true)?;
    let mut body = bytes[start..].to_vec();
    let mut lengths = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Content-Length"));
    if let Some((_, v)) = lengths.next() {
        if lengths.next().is_some() {
            return Err(ParseError::Repeated("Content-Length"));
        }
        let len: usize = v
            .parse()
            .map_err(|_| ParseError::ContentLength("is not a non-negative number"))?;
        // Over UDP a datagram may carry padding after the body; a body
        // shorter than announced is a message cut short.
        if len > body.len() {
            return Err(ParseError::ContentLength("is larger than the message"));
        }
        body.truncate(len);
    }
    Ok((first, headers, body))
}

fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn values(headers: &[(String, String)], name: &str) -> Vec<String> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| split_list(v))
        .collect()
}

fn check_mandatory(headers: &[(String, String)]) -> Result<(), ParseError> {
    for h in ["Via", "From", "To", "Call-ID", "CSeq"] {
        if find(headers, h).is_none() {
            return Err(ParseError::Missing(h));
        }
    }
    Ok(())
}

/// RFC 3261 `token` characters (methods, header names, parameter names).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c))
}

/// An absolute URI (`scheme:rest`) with no spaces, quotes or brackets; a
/// SIP URI may not carry `?headers` as a Request-URI (RFC 3261 §19.1.5).
fn valid_request_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok
        || rest.is_empty()
        || uri
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"".contains(c))
    {
        return false;
    }
    let sip = scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips");
    // The user part may hold '?'; headers can only follow the host.
    let host_part = rest.split_once('@').map_or(rest, |(_, h)| h);
    !(sip && host_part.contains('?'))
}

/// The method of a `number method` CSeq whose number is below 2^31.
fn cseq_parts(cseq: Option<&str>) -> Result<&str, ParseError> {
    let mut parts = cseq.unwrap_or("").split_whitespace();
    let (Some(number), Some(method), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ParseError::CSeq("is not a number and a method"));
    };
    if !number.bytes().all(|b| b.is_ascii_digit())
        || number.parse::<u32>().map_or(true, |n| n >= 1 << 31)
    {
        return Err(ParseError::CSeq("number is not below 2^31"));
    }
    Ok(method)
}

/// Each Via value of a header (whitespace around separators is allowed).
fn via_ok(value: &str) -> bool {
    if !value.contains(',') {
        return one_via_ok(value);
    }
    split_list(value).iter().all(|via| one_via_ok(via)) && !value.trim_end().ends_with(',')
}

/// One Via value: `SIP / 2.0 / transport sent-by`, then non-empty parameters.
fn one_via_ok(via: &str) -> bool {
    let mut params = via.split(';');
    let mut protocol = params.next().unwrap_or("").split('/');
    let sent_by_ok = match (
        protocol.next(),
        protocol.next(),
        protocol.next(),
        protocol.next(),
    ) {
        (Some(name), Some(version), Some(rest), None) => {
            name.trim() == "SIP" && version.trim() == "2.0" && rest.split_whitespace().count() == 2
        }
        _ => false,
    };
    sent_by_ok && params.all(|p| !p.trim().is_empty())
}

/// Every quoted string in the value is closed (backslash escapes inside).
fn quotes_balanced(value: &str) -> bool {
    let (mut quoted, mut escaped) = (false, false);
    for c in value.chars() {
        match (quoted, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (_, _, '"') => quoted = !quoted,
            _ => {}
        }
    }
    !quoted
}

/// Request checks beyond the grammar of each line (RFC 4475 §3.1.2, §3.3):
/// single-valued headers appear once, CSeq is `number method` with the
/// request's method and a number below 2^31, Max-Forwards is 0 to 255.
fn check_semantics(method: &str, headers: &[(String, String)]) -> Result<(), ParseError> {
    const SINGLE: [&str; 5] = ["From", "To", "Call-ID", "CSeq", "Max-Forwards"];
    let mut seen = [false; SINGLE.len()];
    for (name, _) in headers {
        if let Some(i) = SINGLE.iter().position(|h| name.eq_ignore_ascii_case(h)) {
            if seen[i] {
                return Err(ParseError::Repeated(SINGLE[i]));
            }
            seen[i] = true;
        }
    }
    let cseq_method = cseq_parts(find(headers, "CSeq"))?;
    if cseq_method != method {
        return Err(ParseError::CSeq("method differs from the request's"));
    }
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("Via") && !via_ok(value) {
            return Err(ParseError::Value("Via"));
        }
        for h in ["From", "To", "Contact"] {
            if name.eq_ignore_ascii_case(h) && !quotes_balanced(value) {
                return Err(ParseError::Value(h));
            }
        }
    }
    if let Some(mf) = find(headers, "Max-Forwards")
        && (!mf.bytes().all(|b| b.is_ascii_digit()) || mf.parse::<u8>().is_err())
    {
        return Err(ParseError::MaxForwards);
    }
    Ok(())
}

impl Message {
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        if bytes.starts_with(b"SIP/") {
            Response::parse(bytes).map(Message::Response)
        } else {
            Request::parse(bytes).map(Message::Request)
        }
    }
}

impl Response {
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        let (first, headers, body) = match parse_head(bytes) {
            Err(ParseError::Encoding) => return Self::parse(&lossy_head(bytes)),
            head => head?,
        };
        let mut parts = first.splitn(3, ' ');
        let (Some("SIP/2.0"), Some(code), reason) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(ParseError::RequestLine);
        };
        let code: u16 = code.parse().map_err(|_| ParseError::RequestLine)?;
        if !(100..700).contains(&code) || code.to_string().len() != 3 {
            return Err(ParseError::RequestLine);
        }
        check_mandatory(&headers)?;
        cseq_parts(find(&headers, "CSeq"))?;
        Ok(Self {
            code,
            reason: reason.unwrap_or("").to_owned(),
            headers,
            body,
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    pub fn header_values(&self, name: &str) -> Vec<String> {
        values(&self.headers, name)
    }

    /// The method in the CSeq (which request this answers).
    pub fn cseq_method(&self) -> &str {
        self.header("CSeq")
            .and_then(|c| c.split_whitespace().nth(1))
            .unwrap_or("")
    }

    pub fn cseq(&self) -> u32 {
        cseq_number(self.header("CSeq"))
    }
}

/// The number of a CSeq header value.
pub fn cseq_number(v: Option<&str>) -> u32 {
    v.and_then(|c| c.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

impl Request {
    /// Parses one datagram or stream frame holding exactly one request.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        if bytes.starts_with(b"SIP/") {
            return Err(ParseError::Response);
        }
        let (first, headers, body) = match parse_head(bytes) {
            Err(ParseError::Encoding) => return Self::parse(&lossy_head(bytes)),
            head => head?,
        };
        let mut parts = first.split(' ');
        let (Some(method), Some(uri), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ParseError::RequestLine);
        };
        if version != "SIP/2.0" {
            let other_version = version
                .strip_prefix("SIP/")
                .and_then(|v| v.split_once('.'))
                .is_some_and(|(a, b)| {
                    !a.is_empty()
                        && !b.is_empty()
                        && (a.bytes().chain(b.bytes())).all(|c| c.is_ascii_digit())
                });
            return Err(if other_version {
                ParseError::Version
            } else {
                ParseError::RequestLine
            });
        }
        if !is_token(method) {
            return Err(ParseError::RequestLine);
        }
        if !valid_request_uri(uri) {
            return Err(ParseError::RequestUri);
        }
        check_mandatory(&headers)?;
        check_semantics(method, &headers)?;
        Ok(Self {
            method: method.to_owned(),
            uri: uri.to_owned(),
            headers,
            body,
        })
    }

    pub fn cseq(&self) -> u32 {
        cseq_number(self.header("CSeq"))
    }

    /// The first header of that name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// Every value of a header, comma-separated lists split (outside quotes and <>).
    pub fn header_values(&self, name: &str) -> Vec<String> {
        values(&self.headers, name)
    }
}

/// Splits a comma-separated header value, respecting quotes and angle brackets.
pub fn split_list(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut angle) = (false, false);
    for ch in v.chars() {
        match ch {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                out.push(cur.trim().to_owned());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

/// A `;name=value` parameter of a header value (case-insensitive name).
pub fn param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    // Parameters follow the URI's closing '>' when there is one.
    let tail = value.rsplit_once('>').map_or(value, |(_, t)| t);
    tail.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The user part of a SIP URI inside a header (`"Kim" <sip:1001@host>;tag=1`).
pub fn uri_user(value: &str) -> Option<&str> {
    let uri = addr_uri(value);
    let rest = uri
        .trim()
        .strip_prefix("sip:")
        .or_else(|| uri.trim().strip_prefix("sips:"))?;
    let (user, _) = rest.split_once('@')?;
    (!user.is_empty()).then_some(user.split(';').next().unwrap_or(user))
}

/// A response to a request: status, the request's dialog headers, extras.
pub fn response(
    req: &Request,
    code: u16,
    reason: &str,
    extra: &[(&str, String)],
    to_tag: Option<&str>,
) -> Vec<u8> {
    response_with(req, code, reason, extra, to_tag, None)
}

/// The answer to a request that cannot be accepted as it stands (RFC 3261
/// §8.2, the RFC 4475 invalid messages): 505 for another SIP version, 400
/// otherwise, saying why in a Warning header. `None` when there is nobody
/// to answer: a response, bytes that are no request head, or no Via.
pub fn rejection(bytes: &[u8], err: &ParseError) -> Option<Vec<u8>> {
    // Never to a response, and never to an ACK (RFC 3261 §17.2.1).
    if matches!(err, ParseError::Response | ParseError::Encoding)
        || bytes.starts_with(b"SIP/")
        || bytes.starts_with(b"ACK ")
    {
        return None;
    }
    let (end, _) = head_end(bytes)?;
    let head = std::str::from_utf8(&bytes[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let method = lines.next()?.split(' ').next()?;
    let headers = headers_of(lines, false).ok()?;
    find(&headers, "Via")?;
    let req = Request {
        method: method.to_owned(),
        uri: String::new(),
        headers,
        body: Vec::new(),
    };
    let (code, reason) = match err {
        ParseError::Version => (505, "Version Not Supported"),
        _ => (400, "Bad Request"),
    };
    // Short, so a forged source address gets no more than it sent.
    let why: String = err
        .to_string()
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    let warning = format!("399 office-edge \"{}\"", why.replace(['"', '\\'], "'"));
    Some(response(
        &req,
        code,
        reason,
        &[("Warning", warning)],
        Some("edge"),
    ))
}

/// A response with an optional body (`(content type, bytes)`).
pub fn response_with(
    req: &Request,
    code: u16,
    reason: &str,
    extra: &[(&str, String)],
    to_tag: Option<&str>,
    body: Option<(&str, &[u8])>,
) -> Vec<u8> {
    let mut s = format!("SIP/2.0 {code} {reason}\r\n");
    for (n, v) in &req.headers {
        if n.eq_ignore_ascii_case("Via") {
            let _ = write!(s, "Via: {v}\r\n");
        }
    }
    for name in ["From", "To", "Call-ID", "CSeq"] {
        if let Some(v) = req.header(name) {
            if name == "To"
                && let Some(tag) = to_tag
                && param(v, "tag").is_none()
            {
                let _ = write!(s, "To: {v};tag={tag}\r\n");
            } else {
                let _ = write!(s, "{name}: {v}\r\n");
            }
        }
    }
    for (n, v) in extra {
        let _ = write!(s, "{n}: {v}\r\n");
    }
    s.push_str("Server: office-edge\r\n");
    finish(s, body)
}

/// A request: the request line, the headers in order, then the body.
pub fn request(
    method: &str,
    uri: &str,
    headers: &[(&str, String)],
    body: Option<(&str, &[u8])>,
) -> Vec<u8> {
    let mut s = format!("{method} {uri} SIP/2.0\r\n");
    for (n, v) in headers {
        let _ = write!(s, "{n}: {v}\r\n");
    }
    s.push_str("User-Agent: office-edge\r\n");
    finish(s, body)
}

fn finish(mut s: String, body: Option<(&str, &[u8])>) -> Vec<u8> {
    match body {
        Some((ctype, b)) => {
            let _ = write!(
                s,
                "Content-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
                b.len()
            );
            let mut out = s.into_bytes();
            out.extend_from_slice(b);
            out
        }
        None => {
            s.push_str("Content-Length: 0\r\n\r\n");
            s.into_bytes()
        }
    }
}

/// The URI inside a name-addr (`"Kim" <sip:1@h>;tag=x` gives `sip:1@h`), or the bare URI.
pub fn addr_uri(value: &str) -> &str {
    match value.find('<') {
        Some(i) => {
            let rest = &value[i + 1..];
            &rest[..rest.find('>').unwrap_or(rest.len())]
        }
        None => value.split(';').next().unwrap_or(value).trim(),
    }
}

/// The host and port of a SIP URI (`sip:u@10.0.0.5:5062;transport=udp`),
/// port 5060 if absent (5061 for `sips:`).
pub fn uri_host_port(uri: &str) -> Option<(String, u16)> {
    let (rest, default) = match uri.strip_prefix("sips:") {
        Some(rest) => (rest, 5061),
        None => (uri.strip_prefix("sip:")?, 5060),
    };
    let rest = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let hostport = rest.split([';', '?']).next()?;
    if let Some(v6) = hostport.strip_prefix('[') {
        let (host, tail) = v6.split_once(']')?;
        let port = tail
            .strip_prefix(':')
            .map_or(Some(default), |p| p.parse().ok())?;
        return Some((host.to_owned(), port));
    }
    match hostport.rsplit_once(':') {
        Some((h, p)) => Some((h.to_owned(), p.parse().ok()?)),
        None => Some((hostport.to_owned(), default)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTER: &str = "REGISTER sip:office SIP/2.0\r\n\
v: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK776asdhds;rport\r\n\
Max-Forwards: 70\r\n\
To: <sip:1234567890@office>\r\n\
f: \"Kim\" <sip:1234567890@office>;tag=1928301774\r\n\
i: a84b4c76e66710@10.0.0.5\r\n\
CSeq: 1 REGISTER\r\n\
m: <sip:1234567890@10.0.0.5:5062;transport=udp>;expires=600, <sip:1234567890@192.0.2.4>\r\n\
Expires: 3600\r\n\
l: 0\r\n\r\n";

    #[test]
    fn a_register_with_compact_headers_parses() {
        let r = Request::parse(REGISTER.as_bytes()).expect("parse");
        assert_eq!(r.method, "REGISTER");
        assert_eq!(
            r.header("via"),
            Some("SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK776asdhds;rport")
        );
        assert_eq!(r.header("Call-ID"), Some("a84b4c76e66710@10.0.0.5"));
        let contacts = r.header_values("Contact");
        assert_eq!(contacts.len(), 2);
        assert_eq!(param(&contacts[0], "expires"), Some("600"));
        assert_eq!(uri_user(r.header("To").expect("to")), Some("1234567890"));
        assert_eq!(
            uri_user(r.header("From").expect("from")),
            Some("1234567890")
        );
    }

    #[test]
    fn headers_in_cp949_are_read_with_replacement_characters() {
        // "김" in CP949 is B1 E8: not UTF-8.
        let mut msg = b"INVITE sip:07012345678@office SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx\r\nFrom: \"".to_vec();
        msg.extend_from_slice(&[0xB1, 0xE8]);
        msg.extend_from_slice(b"\" <sip:0212345678@carrier>;tag=1\r\nTo: <sip:07012345678@office>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 3\r\n\r\n\xffv=");
        let r = Request::parse(&msg).expect("parsed");
        assert_eq!(
            uri_user(r.header("From").expect("from")),
            Some("0212345678")
        );
        assert!(r.header("From").expect("from").contains('\u{FFFD}'));
        assert_eq!(r.body, b"\xffv=", "the body is left as it came");
        assert!(Request::parse(b"INVITE sip:a SIP/2.0\r\nVia: \xff").is_err());
    }

    #[test]
    fn garbage_and_incomplete_messages_are_errors_not_panics() {
        for bad in [
            &b""[..],
            b"\r\n\r\n",
            b"REGISTER\r\n\r\n",
            b"\xff\xfe\r\n\r\n",
            b"SIP/2.0 200 OK\r\n\r\n",
            b"INVITE sip:a SIP/2.0\r\nnocolon\r\n\r\n",
        ] {
            assert!(Request::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Request::parse(b"OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n"),
            Err(ParseError::Missing("From"))
        );
    }

    #[test]
    fn responses_copy_via_and_dialog_headers_and_tag_the_to() {
        let r = Request::parse(REGISTER.as_bytes()).expect("parse");
        let out = String::from_utf8(response(
            &r,
            401,
            "Unauthorized",
            &[("WWW-Authenticate", "Digest x".into())],
            Some("abc"),
        ))
        .expect("utf8");
        assert!(out.starts_with("SIP/2.0 401 Unauthorized\r\n"));
        assert!(out.contains("Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK776asdhds;rport\r\n"));
        assert!(out.contains("To: <sip:1234567890@office>;tag=abc\r\n"));
        assert!(out.contains("CSeq: 1 REGISTER\r\n"));
        assert!(out.ends_with("Content-Length: 0\r\n\r\n"));
    }
}
