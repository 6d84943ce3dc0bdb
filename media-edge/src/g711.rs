//! G.711 µ-law and A-law (ITU-T G.711): decode to 16-bit linear, encode
//! back, and the direct µ↔A conversions the relay uses to transcode.
//! Everything per sample is a table lookup built once.

use std::sync::OnceLock;

const BIAS: i32 = 0x84;
const CLIP: i32 = 32_635;

pub fn ulaw_decode(u: u8) -> i16 {
    let u = !u;
    let sign = u & 0x80;
    let exponent = i32::from((u >> 4) & 0x07);
    let mantissa = i32::from(u & 0x0F);
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    // Magnitudes stay below 32,768, so the narrowing is exact.
    let m = magnitude as i16;
    if sign != 0 { -m } else { m }
}

pub fn ulaw_encode(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s < 0 { 0x80 } else { 0 };
    if s < 0 {
        s = -s;
    }
    s = s.min(CLIP) + BIAS;
    let mut exponent = 7;
    let mut mask = 0x4000;
    while exponent > 0 && s & mask == 0 {
        exponent -= 1;
        mask >>= 1;
    }
    let mantissa = (s >> (exponent + 3)) & 0x0F;
    // sign | exponent | mantissa fit in 8 bits by construction.
    !((sign | (exponent << 4) | mantissa) as u8)
}

pub fn alaw_decode(a: u8) -> i16 {
    let a = a ^ 0x55;
    let sign = a & 0x80;
    let exponent = i32::from((a >> 4) & 0x07);
    let mantissa = i32::from(a & 0x0F);
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    let m = magnitude as i16;
    if sign != 0 { m } else { -m }
}

pub fn alaw_encode(sample: i16) -> u8 {
    let s = i32::from(sample);
    let (sign, mag) = if s >= 0 { (0x80, s) } else { (0, -s - 1) };
    let mag = mag.min(0x7FFF);
    let out = if mag < 256 {
        mag >> 4
    } else {
        let mut exponent = 1;
        while exponent < 7 && mag >= (256 << exponent) {
            exponent += 1;
        }
        (exponent << 4) | ((mag >> (exponent + 3)) & 0x0F)
    };
    ((sign | out) as u8) ^ 0x55
}

struct Tables {
    ulaw: [i16; 256],
    alaw: [i16; 256],
    u2a: [u8; 256],
    a2u: [u8; 256],
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = Tables {
            ulaw: [0; 256],
            alaw: [0; 256],
            u2a: [0; 256],
            a2u: [0; 256],
        };
        for b in 0..=255u8 {
            let i = usize::from(b);
            t.ulaw[i] = ulaw_decode(b);
            t.alaw[i] = alaw_decode(b);
            t.u2a[i] = alaw_encode(t.ulaw[i]);
            t.a2u[i] = ulaw_encode(t.alaw[i]);
        }
        t
    })
}

/// Decodes a payload of the given law into linear samples.
pub fn decode(alaw: bool, payload: &[u8], out: &mut Vec<i16>) {
    let t = tables();
    let table = if alaw { &t.alaw } else { &t.ulaw };
    out.extend(payload.iter().map(|&b| table[usize::from(b)]));
}

/// Converts a payload between the laws in place.
pub fn transcode(to_alaw: bool, payload: &mut [u8]) {
    let t = tables();
    let table = if to_alaw { &t.u2a } else { &t.a2u };
    for b in payload {
        *b = table[usize::from(*b)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_code_points_decode_as_the_standard_says() {
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0);
        assert_eq!(ulaw_decode(0x00), -32_124);
        assert_eq!(ulaw_decode(0x80), 32_124);
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xAA), 32_256);
        assert_eq!(alaw_decode(0x2A), -32_256);
    }

    #[test]
    fn every_code_survives_decode_then_encode() {
        for b in 0..=255u8 {
            assert_eq!(alaw_encode(alaw_decode(b)), b, "A-law {b:#x}");
            // µ-law has two zeros (0x7F and 0xFF); both decode to 0.
            if b != 0x7F {
                assert_eq!(ulaw_encode(ulaw_decode(b)), b, "µ-law {b:#x}");
            }
        }
    }

    #[test]
    fn transcoding_keeps_the_signal_within_a_quantisation_step() {
        for s in (-32_000i16..32_000).step_by(97) {
            let mut p = [ulaw_encode(s)];
            transcode(true, &mut p);
            let back = alaw_decode(p[0]);
            let tolerance = (i32::from(s).abs() / 8).max(40);
            assert!(
                (i32::from(back) - i32::from(s)).abs() <= tolerance,
                "{s} -> {back}"
            );
        }
    }
}
