//! Identifier and secret generation without an external RNG crate.
//!
//! A lock-free SplitMix64 stream: an atomic state advanced by the golden
//! gamma on every draw, then scrambled by the SplitMix finaliser. The state is
//! seeded from [`std::collections::hash_map::RandomState`] (which the standard
//! library seeds from the OS) mixed with the current time, so two mock servers
//! never hand out the same ids. This is *not* cryptographically secure, which
//! is fine for a test server.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const HEX: &[u8; 16] = b"0123456789abcdef";

/// A thread-safe pseudo-random generator.
#[derive(Debug)]
pub(crate) struct Rng {
    state: AtomicU64,
}

impl Rng {
    /// A generator seeded from the process's hash randomness and the clock.
    pub(crate) fn from_entropy() -> Self {
        let mut hasher = RandomState::new().build_hasher();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        hasher.write_u128(nanos);
        hasher.write_usize(std::process::id() as usize);
        Self {
            state: AtomicU64::new(hasher.finish()),
        }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&self) -> u64 {
        let mut z = self
            .state
            .fetch_add(GOLDEN_GAMMA, Ordering::Relaxed)
            .wrapping_add(GOLDEN_GAMMA);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Appends `len` random base62 characters to `out`.
    pub(crate) fn push_base62(&self, out: &mut String, len: usize) {
        let mut remaining = len;
        while remaining > 0 {
            // 62^10 < 2^64, so ten digits come out of one draw with negligible bias.
            let mut bits = self.next_u64();
            for _ in 0..remaining.min(10) {
                out.push(char::from(BASE62[(bits % 62) as usize]));
                bits /= 62;
            }
            remaining = remaining.saturating_sub(10);
        }
    }

    /// Appends 32 lowercase hex characters (128 random bits) to `out`.
    pub(crate) fn push_hex128(&self, out: &mut String) {
        for _ in 0..2 {
            let bits = self.next_u64();
            for shift in (0..16).rev() {
                out.push(char::from(HEX[((bits >> (shift * 4)) & 0xF) as usize]));
            }
        }
    }

    /// Fills `buf` with random bytes.
    pub(crate) fn fill(&self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// Appends the unpadded base64url encoding of `input` to `out`.
pub(crate) fn push_base64url(out: &mut String, input: &[u8]) {
    let mut chunks = input.chunks_exact(3);
    for c in &mut chunks {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        for shift in [18, 12, 6, 0] {
            out.push(char::from(BASE64URL[((n >> shift) & 0x3F) as usize]));
        }
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.push(char::from(BASE64URL[((n >> 18) & 0x3F) as usize]));
            out.push(char::from(BASE64URL[((n >> 12) & 0x3F) as usize]));
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.push(char::from(BASE64URL[((n >> 18) & 0x3F) as usize]));
            out.push(char::from(BASE64URL[((n >> 12) & 0x3F) as usize]));
            out.push(char::from(BASE64URL[((n >> 6) & 0x3F) as usize]));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(input: &[u8]) -> String {
        let mut s = String::new();
        push_base64url(&mut s, input);
        s
    }

    #[test]
    fn base64url_matches_rfc4648_vectors_without_padding() {
        assert_eq!(b64(b""), "");
        assert_eq!(b64(b"f"), "Zg");
        assert_eq!(b64(b"fo"), "Zm8");
        assert_eq!(b64(b"foo"), "Zm9v");
        assert_eq!(b64(b"foob"), "Zm9vYg");
        assert_eq!(b64(b"fooba"), "Zm9vYmE");
        assert_eq!(b64(b"foobar"), "Zm9vYmFy");
        assert_eq!(b64(&[0xfb, 0xff, 0xfe]), "-__-");
    }

    #[test]
    fn base62_and_hex_have_requested_shape() {
        let rng = Rng::from_entropy();
        let mut s = String::new();
        rng.push_base62(&mut s, 27);
        assert_eq!(s.len(), 27);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        let mut h = String::new();
        rng.push_hex128(&mut h);
        assert_eq!(h.len(), 32);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }

    #[test]
    fn draws_differ() {
        let rng = Rng::from_entropy();
        let a = rng.next_u64();
        let b = rng.next_u64();
        assert_ne!(a, b);
        let mut buf = [0u8; 13];
        rng.fill(&mut buf);
        assert!(buf.iter().any(|&b| b != 0));
    }
}
