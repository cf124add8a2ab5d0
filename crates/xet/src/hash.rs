//! Xet hashes (spec §1.1 and §3): the [`Hash`](struct@Hash) newtype with its "xet hex" text form, chunk
//! hashes, the Merkle aggregation behind xorb and file hashes, term verification hashes, the
//! keyed re-hash and the global-dedup eligibility rule.
//!
//! Every hash is BLAKE3 in keyed mode with one of three fixed keys ([`DATA_KEY`],
//! [`INTERNAL_NODE_KEY`], [`VERIFICATION_KEY`]).
//!
//! ```
//! use xet::hash::{chunk_hash, file_hash, Hash};
//!
//! let h = chunk_hash(b"hello");
//! let f = file_hash(&[(h, 5)]);
//! assert_eq!(f.to_hex().len(), 64);
//! assert_eq!(f.to_hex().parse::<Hash>().unwrap(), f);
//! assert_eq!(file_hash(&[]), Hash::ZERO);
//! ```

use core::fmt;
use core::str::FromStr;

/// BLAKE3 key of chunk hashes (spec §3.1).
pub const DATA_KEY: [u8; 32] = [
    0x66, 0x97, 0xf5, 0x77, 0x5b, 0x95, 0x50, 0xde, 0x31, 0x35, 0xcb, 0xac, 0xa5, 0x97, 0x18, 0x1c,
    0x9d, 0xe4, 0x21, 0x10, 0x9b, 0xeb, 0x2b, 0x58, 0xb4, 0xd0, 0xb0, 0x4b, 0x93, 0xad, 0xf2, 0x29,
];

/// BLAKE3 key of Merkle interior nodes (spec §3.3).
pub const INTERNAL_NODE_KEY: [u8; 32] = [
    0x01, 0x7e, 0xc5, 0xc7, 0xa5, 0x47, 0x29, 0x96, 0xfd, 0x94, 0x66, 0x66, 0xb4, 0x8a, 0x02, 0xe6,
    0x5d, 0xdd, 0x53, 0x6f, 0x37, 0xc7, 0x6d, 0xd2, 0xf8, 0x63, 0x52, 0xe6, 0x4a, 0x53, 0x71, 0x3f,
];

/// BLAKE3 key of term verification ("range") hashes (spec §3.6).
pub const VERIFICATION_KEY: [u8; 32] = [
    0x7f, 0x18, 0x57, 0xd6, 0xce, 0x56, 0xed, 0x66, 0x12, 0x7f, 0xf9, 0x13, 0xe7, 0xa5, 0xc3, 0xf3,
    0xa4, 0xcd, 0x26, 0xd5, 0xb5, 0xdb, 0x49, 0xe6, 0x41, 0x24, 0x98, 0x7f, 0x28, 0xfb, 0x94, 0xc3,
];

/// Mean branching factor of the Merkle aggregation (spec §3.3).
const MERKLE_MEAN_BRANCHING: u64 = 4;
/// Maximum number of children of a Merkle interior node (spec §3.3).
const MERKLE_MAX_CHILDREN: usize = 9;
/// A chunk hash is eligible for the global-dedup index when `w3 % 1024 == 0` (spec §3.7).
const GLOBAL_DEDUP_MODULUS: u64 = 1024;

/// A 32-byte Xet hash.
///
/// The bytes are kept in their natural (binary-format) order. Text uses the "xet hex" form of
/// spec §1.1: the four little-endian `u64` words, each printed as 16 hex digits. `Ord` is the
/// order of the words `(w0, w1, w2, w3)`, which equals the order of the hex strings.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash([u8; 32]);

/// Error returned when a string is not a valid xet hex hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashParseError {
    /// The string is not exactly 64 characters long.
    #[error("a xet hash is 64 hex digits, got {len} bytes of text")]
    Length {
        /// Length of the rejected string in bytes.
        len: usize,
    },
    /// A character is not a hex digit.
    #[error("invalid hex digit at index {index} of a xet hash")]
    Digit {
        /// Byte index of the first invalid character.
        index: usize,
    },
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

impl Hash {
    /// The all-zero hash (empty file hash, empty Merkle tree).
    pub const ZERO: Hash = Hash([0; 32]);

    /// Wraps 32 raw bytes.
    #[inline]
    pub const fn from_bytes(bytes: [u8; 32]) -> Hash {
        Hash(bytes)
    }

    /// The 32 raw bytes, in binary-format order.
    #[inline]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The word view of spec §1: the bytes read as four little-endian `u64`.
    #[inline]
    pub fn words(&self) -> [u64; 4] {
        let mut w = [0u64; 4];
        for (word, bytes) in w.iter_mut().zip(self.0.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(bytes);
            *word = u64::from_le_bytes(b);
        }
        w
    }

    /// Builds a hash from its word view (inverse of [`Hash::words`]).
    #[inline]
    pub fn from_words(words: [u64; 4]) -> Hash {
        let mut b = [0u8; 32];
        for (bytes, word) in b.chunks_exact_mut(8).zip(words) {
            bytes.copy_from_slice(&word.to_le_bytes());
        }
        Hash(b)
    }

    /// Parses the xet hex form (64 hex digits, upper- or lowercase).
    ///
    /// # Errors
    /// [`HashParseError`] when the length is not 64 or a character is not a hex digit.
    pub fn from_hex(s: &str) -> Result<Hash, HashParseError> {
        let text = s.as_bytes();
        if text.len() != 64 {
            return Err(HashParseError::Length { len: text.len() });
        }
        let mut out = [0u8; 32];
        for (group, digits) in text.chunks_exact(16).enumerate() {
            for (j, pair) in digits.chunks_exact(2).enumerate() {
                let index = group * 16 + j * 2;
                let hi = hex_value(pair[0]).ok_or(HashParseError::Digit { index })?;
                let lo = hex_value(pair[1]).ok_or(HashParseError::Digit { index: index + 1 })?;
                // Digit pair j (most significant first) is byte 7 - j of the little-endian word.
                out[group * 8 + 7 - j] = (hi << 4) | lo;
            }
        }
        Ok(Hash(out))
    }

    /// Writes the lowercase xet hex form into a 64-byte buffer.
    pub fn to_hex_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        for (group, digits) in out.chunks_exact_mut(16).enumerate() {
            for (j, pair) in digits.chunks_exact_mut(2).enumerate() {
                let byte = self.0[group * 8 + 7 - j];
                pair[0] = HEX_DIGITS[usize::from(byte >> 4)];
                pair[1] = HEX_DIGITS[usize::from(byte & 0xf)];
            }
        }
        out
    }

    /// The lowercase xet hex form (64 characters).
    pub fn to_hex(&self) -> String {
        let bytes = self.to_hex_bytes();
        bytes.iter().map(|&b| char::from(b)).collect()
    }
}

#[inline]
fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl Ord for Hash {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.words().cmp(&other.words())
    }
}

impl PartialOrd for Hash {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_hex_bytes();
        // The buffer holds only ASCII hex digits.
        f.write_str(core::str::from_utf8(&bytes).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Hash {
    type Err = HashParseError;
    fn from_str(s: &str) -> Result<Hash, HashParseError> {
        Hash::from_hex(s)
    }
}

impl From<[u8; 32]> for Hash {
    fn from(bytes: [u8; 32]) -> Hash {
        Hash(bytes)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bytes = self.to_hex_bytes();
        serializer.serialize_str(core::str::from_utf8(&bytes).map_err(serde::ser::Error::custom)?)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Hash, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Hash;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a 64-digit xet hex hash")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Hash, E> {
                Hash::from_hex(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// Chunk hash: BLAKE3 keyed with [`DATA_KEY`] over the uncompressed chunk bytes (spec §3.1).
#[inline]
pub fn chunk_hash(data: &[u8]) -> Hash {
    Hash(*blake3::keyed_hash(&DATA_KEY, data).as_bytes())
}

/// Keyed re-hash: BLAKE3 keyed with `key` over the 32 raw bytes of `hash` (spec §3.2).
#[inline]
pub fn hmac(hash: &Hash, key: &[u8; 32]) -> Hash {
    Hash(*blake3::keyed_hash(key, &hash.0).as_bytes())
}

/// Hashes one Merkle interior node over its children (spec §3.3).
fn merkle_node(children: &[(Hash, u64)]) -> (Hash, u64) {
    let mut hasher = blake3::Hasher::new_keyed(&INTERNAL_NODE_KEY);
    let mut total = 0u64;
    // One line: 64 hex digits, " : ", up to 20 decimal digits, "\n".
    let mut line = [0u8; 64 + 3 + 20 + 1];
    for (hash, size) in children {
        total = total.wrapping_add(*size);
        line[..64].copy_from_slice(&hash.to_hex_bytes());
        line[64..67].copy_from_slice(b" : ");
        let mut digits = [0u8; 20];
        let mut n = *size;
        let mut start = digits.len();
        loop {
            start -= 1;
            // `n % 10` is below 10.
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let decimal = &digits[start..];
        let end = 67 + decimal.len();
        line[67..end].copy_from_slice(decimal);
        line[end] = b'\n';
        hasher.update(&line[..=end]);
    }
    (Hash(*hasher.finalize().as_bytes()), total)
}

/// Length of the next group of a Merkle level, taken from the front of `rest` (spec §3.3).
fn merkle_group_len(rest: &[(Hash, u64)]) -> usize {
    if rest.len() <= 2 {
        return rest.len();
    }
    let end = rest.len().min(MERKLE_MAX_CHILDREN);
    (2..end)
        .find(|&i| rest[i].0.words()[3] % MERKLE_MEAN_BRANCHING == 0)
        .map_or(end, |i| i + 1)
}

/// Computes the next level of the Merkle aggregation from `level` (spec §3.3).
///
/// Exposed so tests can compare every intermediate level; most callers want [`merkle_root`].
pub fn merkle_next_level(level: &[(Hash, u64)]) -> Vec<(Hash, u64)> {
    let mut next = Vec::with_capacity(level.len() / 2 + 1);
    let mut rest = level;
    while !rest.is_empty() {
        let (group, tail) = rest.split_at(merkle_group_len(rest));
        next.push(merkle_node(group));
        rest = tail;
    }
    next
}

/// Merkle aggregation of `(hash, size)` leaves (spec §3.3); the empty list gives [`Hash::ZERO`].
pub fn merkle_root(leaves: &[(Hash, u64)]) -> Hash {
    match leaves {
        [] => Hash::ZERO,
        [(only, _)] => *only,
        _ => {
            let mut level = merkle_next_level(leaves);
            while level.len() > 1 {
                level = merkle_next_level(&level);
            }
            level.first().map_or(Hash::ZERO, |(h, _)| *h)
        }
    }
}

/// Xorb hash: the Merkle aggregation of the xorb's chunks (spec §3.4).
#[inline]
pub fn xorb_hash(chunks: &[(Hash, u64)]) -> Hash {
    merkle_root(chunks)
}

/// File hash with the all-zero salt used by every Hub upload (spec §3.5).
#[inline]
pub fn file_hash(chunks: &[(Hash, u64)]) -> Hash {
    file_hash_with_salt(chunks, &[0; 32])
}

/// File hash: [`hmac`] of the Merkle aggregation with `salt`; an empty file hashes to
/// [`Hash::ZERO`] (spec §3.5).
pub fn file_hash_with_salt(chunks: &[(Hash, u64)], salt: &[u8; 32]) -> Hash {
    if chunks.is_empty() {
        return Hash::ZERO;
    }
    hmac(&merkle_root(chunks), salt)
}

/// Term verification ("range") hash over the chunk hashes of a term (spec §3.6).
pub fn verification_hash(chunk_hashes: &[Hash]) -> Hash {
    let mut hasher = blake3::Hasher::new_keyed(&VERIFICATION_KEY);
    for h in chunk_hashes {
        hasher.update(&h.0);
    }
    Hash(*hasher.finalize().as_bytes())
}

/// Whether a chunk hash is eligible for the global-dedup index: `w3 % 1024 == 0` (spec §3.7).
///
/// The first chunk of every file is treated as eligible regardless; that rule belongs to the
/// caller.
#[inline]
pub fn is_global_dedup_eligible(hash: &Hash) -> bool {
    hash.words()[3] % GLOBAL_DEDUP_MODULUS == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_swizzle() {
        let mut raw = [0u8; 32];
        for (i, b) in raw.iter_mut().enumerate() {
            *b = i as u8;
        }
        let h = Hash::from_bytes(raw);
        let hex = h.to_hex();
        assert_eq!(
            hex,
            "07060504030201000f0e0d0c0b0a090817161514131211101f1e1d1c1b1a1918"
        );
        assert_eq!(Hash::from_hex(&hex.to_uppercase()), Ok(h));
        assert_eq!(format!("{h:?}"), hex);
        assert_eq!(Hash::from_hex("00"), Err(HashParseError::Length { len: 2 }));
        let mut bad = hex.clone();
        bad.replace_range(5..6, "g");
        assert_eq!(
            Hash::from_hex(&bad),
            Err(HashParseError::Digit { index: 5 })
        );
        assert_eq!(
            Hash::from_hex(&"é".repeat(32)),
            Err(HashParseError::Digit { index: 0 })
        );
    }

    #[test]
    fn order_follows_words() {
        let a = Hash::from_words([1, 0, 0, 0]);
        let b = Hash::from_words([0, u64::MAX, 0, 0]);
        assert!(b < a);
        assert!(b.to_hex() < a.to_hex());
    }

    #[test]
    fn merkle_small_cases() {
        let leaves: Vec<(Hash, u64)> = (0..3u8).map(|i| (chunk_hash(&[i]), 1)).collect();
        assert_eq!(merkle_root(&[]), Hash::ZERO);
        assert_eq!(merkle_root(&leaves[..1]), leaves[0].0);
        let two = merkle_root(&leaves[..2]);
        assert_eq!(two, merkle_node(&leaves[..2]).0);
        assert_ne!(two, merkle_root(&leaves));
    }
}
