//! SRTP for the legs that ask for it: the SDES key exchange of RFC 4568
//! (`a=crypto` lines in SDP) and one leg's pair of RFC 3711 contexts, which
//! the relay runs that leg's packets through.
//!
//! The transform itself (key derivation, AES counter mode, HMAC-SHA1 tags,
//! rollover counters, replay windows) is `rtc-srtp` from webrtc-rs, sans-IO
//! and backed by ring, the provider rustls already uses here (decision 32).
//! This module owns what SIP needs around it: reading and writing the
//! attribute, choosing a suite, fresh keys, and which context a packet
//! goes through.

use std::fmt;
use std::sync::{Arc, LazyLock};

use base64::Engine as _;
use rtc_srtp::context::Context;
use rtc_srtp::option::{srtcp_replay_protection, srtp_replay_protection};
use rtc_srtp::protection_profile::ProtectionProfile;

/// The crypto suites the edge speaks (RFC 4568 §6.2): AES-128 in counter
/// mode with an 80- or 32-bit HMAC-SHA1 tag. The F8 and AES-192/256 suites
/// are declined, as are keys with an MKI (one master key per direction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    AesCm128HmacSha1_80,
    AesCm128HmacSha1_32,
}

impl Suite {
    pub fn name(self) -> &'static str {
        match self {
            Self::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Self::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [Self::AesCm128HmacSha1_80, Self::AesCm128HmacSha1_32]
            .into_iter()
            .find(|s| s.name() == name)
    }

    fn profile(self) -> ProtectionProfile {
        match self {
            Self::AesCm128HmacSha1_80 => ProtectionProfile::Aes128CmHmacSha1_80,
            Self::AesCm128HmacSha1_32 => ProtectionProfile::Aes128CmHmacSha1_32,
        }
    }
}

const KEY_LEN: usize = 16;
const SALT_LEN: usize = 14;

/// A master key and salt (16 + 14 bytes), as `inline:` carries them.
/// Its `Debug` never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey([u8; KEY_LEN + SALT_LEN]);

impl MasterKey {
    pub fn random() -> Self {
        Self(rand::random())
    }

    fn base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    fn key(&self) -> &[u8] {
        &self.0[..KEY_LEN]
    }

    fn salt(&self) -> &[u8] {
        &self.0[KEY_LEN..]
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

/// One `a=crypto` attribute: its tag, suite and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crypto {
    pub tag: u32,
    pub suite: Suite,
    pub key: MasterKey,
}

/// Why an `a=crypto` line can't be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("malformed crypto attribute")]
    Malformed,
    #[error("crypto suite {0} is not supported")]
    Suite(String),
    #[error("the key is not 30 bytes of base64")]
    Key,
    #[error("keys with an MKI, or several keys, are not supported")]
    Mki,
    #[error("session parameter {0} is not supported")]
    SessionParameter(String),
}

impl Crypto {
    /// A fresh random key of `suite` under `tag`.
    pub fn fresh(tag: u32, suite: Suite) -> Self {
        Self {
            tag,
            suite,
            key: MasterKey::random(),
        }
    }

    /// The value of an attribute after `crypto:` (RFC 4568 §9.1):
    /// `tag suite inline:key-salt[|lifetime][|MKI:length] [session params]`.
    /// The lifetime is accepted and not acted on (calls end long before
    /// 2^31 packets); `WSH=` is a hint and ignored; any other session
    /// parameter changes the transform and refuses the line.
    pub fn parse(value: &str) -> Result<Self, CryptoError> {
        let mut fields = value.split_whitespace();
        let tag = fields
            .next()
            .filter(|t| (1..=9).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse().ok())
            .ok_or(CryptoError::Malformed)?;
        let name = fields.next().ok_or(CryptoError::Malformed)?;
        let suite = Suite::from_name(name).ok_or_else(|| CryptoError::Suite(name.to_owned()))?;
        let params = fields.next().ok_or(CryptoError::Malformed)?;
        if params.contains(';') {
            return Err(CryptoError::Mki);
        }
        let inline = params
            .strip_prefix("inline:")
            .ok_or(CryptoError::Malformed)?;
        let mut parts = inline.split('|');
        let encoded = parts.next().unwrap_or_default();
        for part in parts {
            if part.contains(':') {
                return Err(CryptoError::Mki);
            }
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| CryptoError::Key)?;
        let key =
            <[u8; KEY_LEN + SALT_LEN]>::try_from(bytes.as_slice()).map_err(|_| CryptoError::Key)?;
        if let Some(p) = fields.find(|p| !p.starts_with("WSH=")) {
            return Err(CryptoError::SessionParameter(p.to_owned()));
        }
        Ok(Self {
            tag,
            suite,
            key: MasterKey(key),
        })
    }

    /// The attribute's value, as `a=crypto:` is followed by.
    pub fn value(&self) -> String {
        format!(
            "{} {} inline:{}",
            self.tag,
            self.suite.name(),
            self.key.base64()
        )
    }
}

/// What the relay needs to secure one leg: the suite, the edge's key (what
/// it encrypts towards the party with) and the party's (what it sends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegKeys {
    pub suite: Suite,
    pub ours: MasterKey,
    pub theirs: MasterKey,
}

static PROVIDER: LazyLock<Arc<dyn rtc_crypto::RTCCryptoProvider>> = LazyLock::new(|| {
    rtc_crypto::default_provider().expect("rtc-crypto is built with its ring provider")
});

/// Packets the window has seen are dropped as replays (RFC 3711 §3.3.2).
const RTP_REPLAY_WINDOW: usize = 128;
const RTCP_REPLAY_WINDOW: usize = 64;

/// One leg's SRTP: what its party sends is opened with their key, what
/// goes to it is sealed with ours. A packet that fails authentication (or
/// is a replay) is dropped, never relayed.
pub struct LegCrypto {
    keys: LegKeys,
    inbound: Context,
    outbound: Context,
}

impl fmt::Debug for LegCrypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LegCrypto")
            .field("suite", &self.keys.suite)
            .finish_non_exhaustive()
    }
}

impl LegCrypto {
    pub fn new(keys: LegKeys) -> Result<Self, String> {
        let crypto = PROVIDER.crypto();
        let profile = keys.suite.profile();
        let inbound = Context::new(
            keys.theirs.key(),
            keys.theirs.salt(),
            profile,
            Some(srtp_replay_protection(RTP_REPLAY_WINDOW)),
            Some(srtcp_replay_protection(RTCP_REPLAY_WINDOW)),
            crypto,
        )
        .map_err(|e| e.to_string())?;
        let outbound = Context::new(
            keys.ours.key(),
            keys.ours.salt(),
            profile,
            None,
            None,
            crypto,
        )
        .map_err(|e| e.to_string())?;
        Ok(Self {
            keys,
            inbound,
            outbound,
        })
    }

    pub fn keys(&self) -> &LegKeys {
        &self.keys
    }

    /// An SRTP packet from the party, decrypted in place; false (and the
    /// packet untouched) when it does not authenticate.
    pub fn open_rtp(&mut self, packet: &mut Vec<u8>) -> bool {
        replace(packet, self.inbound.decrypt_rtp(packet))
    }

    /// An RTP packet for the party, encrypted and tagged in place.
    pub fn seal_rtp(&mut self, packet: &mut Vec<u8>) -> bool {
        replace(packet, self.outbound.encrypt_rtp(packet))
    }

    /// An SRTCP packet from the party, decrypted in place.
    pub fn open_rtcp(&mut self, packet: &mut Vec<u8>) -> bool {
        replace(packet, self.inbound.decrypt_rtcp(packet))
    }

    /// An RTCP packet for the party, encrypted, indexed and tagged in place.
    pub fn seal_rtcp(&mut self, packet: &mut Vec<u8>) -> bool {
        replace(packet, self.outbound.encrypt_rtcp(packet))
    }
}

fn replace<E>(packet: &mut Vec<u8>, result: Result<bytes::BytesMut, E>) -> bool {
    match result {
        Ok(out) => {
            packet.clear();
            packet.extend_from_slice(&out);
            true
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4568 §4's example key.
    const EXAMPLE: &str =
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32";

    fn rtp(seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x80, 0];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    fn pair(suite: Suite) -> (LegCrypto, LegCrypto) {
        let (a, b) = (MasterKey::random(), MasterKey::random());
        let edge = LegCrypto::new(LegKeys {
            suite,
            ours: a.clone(),
            theirs: b.clone(),
        })
        .expect("context");
        let phone = LegCrypto::new(LegKeys {
            suite,
            ours: b,
            theirs: a,
        })
        .expect("context");
        (edge, phone)
    }

    #[test]
    fn attributes_parse_and_render_back() {
        assert_eq!(
            Crypto::parse(EXAMPLE),
            Err(CryptoError::Mki),
            "the RFC's example carries an MKI"
        );
        let plain =
            "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20";
        let c = Crypto::parse(plain).expect("parse");
        assert_eq!((c.tag, c.suite), (1, Suite::AesCm128HmacSha1_80));
        assert_eq!(
            c.value(),
            "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
        );
        assert_eq!(Crypto::parse(&c.value()), Ok(c));
        let short =
            "2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR WSH=64";
        assert_eq!(
            Crypto::parse(short).map(|c| (c.tag, c.suite)),
            Ok((2, Suite::AesCm128HmacSha1_32))
        );
        let fresh = Crypto::fresh(7, Suite::AesCm128HmacSha1_80);
        assert_eq!(Crypto::parse(&fresh.value()), Ok(fresh));
        assert!(!format!("{:?}", Crypto::parse(plain)).contains("PS1u"));
    }

    #[test]
    fn lines_the_edge_cannot_honour_are_refused_with_the_reason() {
        for (line, why) in [
            (
                "1 AES_256_CM_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
                CryptoError::Suite("AES_256_CM_HMAC_SHA1_80".into()),
            ),
            (
                "1 F8_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
                CryptoError::Suite("F8_128_HMAC_SHA1_80".into()),
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=",
                CryptoError::Key,
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4;inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2:4",
                CryptoError::Mki,
            ),
            (
                "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR UNENCRYPTED_SRTP",
                CryptoError::SessionParameter("UNENCRYPTED_SRTP".into()),
            ),
            (
                "x AES_CM_128_HMAC_SHA1_80 inline:abc",
                CryptoError::Malformed,
            ),
            ("1 AES_CM_128_HMAC_SHA1_80", CryptoError::Malformed),
            ("1 AES_CM_128_HMAC_SHA1_80 key:abc", CryptoError::Malformed),
        ] {
            assert_eq!(Crypto::parse(line), Err(why), "{line}");
        }
    }

    #[test]
    fn what_one_end_seals_the_other_opens_and_tampering_is_dropped() {
        for suite in [Suite::AesCm128HmacSha1_80, Suite::AesCm128HmacSha1_32] {
            let (mut edge, mut phone) = pair(suite);
            let clear = rtp(1, 0x1234, &[0xD5; 160]);
            let mut packet = clear.clone();
            assert!(phone.seal_rtp(&mut packet));
            let tag = if suite == Suite::AesCm128HmacSha1_80 {
                10
            } else {
                4
            };
            assert_eq!(packet.len(), clear.len() + tag);
            assert_eq!(packet[..12], clear[..12], "the header stays in clear");
            assert_ne!(packet[12..172], clear[12..], "the payload is encrypted");
            let mut tampered = packet.clone();
            tampered[20] ^= 1;
            assert!(!edge.open_rtp(&mut tampered), "a flipped bit fails the tag");
            assert!(edge.open_rtp(&mut packet));
            assert_eq!(packet, clear);
            let mut again = clear.clone();
            assert!(phone.seal_rtp(&mut again));
            assert!(!edge.open_rtp(&mut again), "a replayed index is dropped");

            let mut back = rtp(9, 0x9999, &[0x55; 160]);
            assert!(edge.seal_rtp(&mut back));
            assert!(phone.open_rtp(&mut back));
            assert_eq!(back, rtp(9, 0x9999, &[0x55; 160]));
        }
    }

    #[test]
    fn rtcp_goes_through_srtcp() {
        let (mut edge, mut phone) = pair(Suite::AesCm128HmacSha1_80);
        // A receiver report with no blocks: V=2, RC=0, PT=201, length 1.
        let clear = vec![0x80, 201, 0, 1, 0, 0, 0x12, 0x34];
        let mut packet = clear.clone();
        assert!(phone.seal_rtcp(&mut packet));
        assert_eq!(
            packet.len(),
            clear.len() + 4 + 10,
            "E flag + index, then the tag"
        );
        assert!(edge.open_rtcp(&mut packet));
        assert_eq!(packet, clear);
        let mut forged = clear.clone();
        forged.extend_from_slice(&[0x80, 0, 0, 1]);
        forged.extend_from_slice(&[0; 10]);
        assert!(!edge.open_rtcp(&mut forged));
    }

    #[test]
    fn the_rfc_3711_key_derivation_and_a_whole_packet_match() {
        // RFC 3711 B.2's master key and salt derive the session key
        // C61E7A93..., salt 30CBBC08... and auth key CEBE321F...; the packet
        // below (SSRC 0, index 0, 16 zero bytes) was computed from those
        // with Python's `cryptography` and `hmac`: the key stream, then
        // HMAC-SHA1 over header, payload and ROC, cut to 80 bits.
        let mut master = [0u8; 30];
        master[..16]
            .copy_from_slice(&hex::decode("E1F97A0D3E018BE0D64FA32C06DE4139").expect("hex"));
        master[16..].copy_from_slice(&hex::decode("0EC675AD498AFEEBB6960B3AABE6").expect("hex"));
        let mut c = LegCrypto::new(LegKeys {
            suite: Suite::AesCm128HmacSha1_80,
            ours: MasterKey(master),
            theirs: MasterKey(master),
        })
        .expect("context");
        let mut packet = vec![0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        packet.extend_from_slice(&[0; 16]);
        assert!(c.seal_rtp(&mut packet));
        assert_eq!(
            hex::encode_upper(&packet),
            "800000000000000000000000FA63BC4668685B65F8FA1CE3909CEAD584FD47EE1B403C9E2871"
        );
    }
}
