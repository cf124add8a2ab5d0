//! Shared helpers of the conformance tests: the input generators of `xet-vectors.json`
//! (`generators` section) and small JSON accessors.

#![allow(dead_code)]

use serde_json::Value;
use xet::Hash;

pub const XET_VECTORS: &str = include_str!("../../../../tests/vectors/xet-vectors.json");
pub const MERKLE_VECTORS: &str = include_str!("../../../../tests/vectors/xet-merkle-vectors.json");
pub const SERIALIZATION_VECTORS: &str =
    include_str!("../../../../tests/vectors/xet-serialization-vectors.json");
pub const GEAR_VECTORS: &str = include_str!("../../../../tests/vectors/gearhash-table.json");

pub fn load(text: &str) -> Value {
    serde_json::from_str(text).expect("vector file is valid JSON")
}

/// The splitmix64 byte stream: outputs written little-endian, truncated to `size`.
pub fn splitmix64(seed: u64, size: usize) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(size + 8);
    while out.len() < size {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(size);
    out
}

/// `line {i}: the quick brown fox {i*i}\n` lines, truncated to `size`.
pub fn text_lines(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 64);
    let mut i: u64 = 0;
    while out.len() < size {
        out.extend_from_slice(format!("line {i}: the quick brown fox {}\n", i * i).as_bytes());
        i += 1;
    }
    out.truncate(size);
    out
}

pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn usize_of(v: &Value, key: &str) -> usize {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("missing {key} in {v}")) as usize
}

fn repeat_to(unit: &[u8], size: usize) -> Vec<u8> {
    if unit.is_empty() {
        return vec![0; 0];
    }
    unit.iter().copied().cycle().take(size).collect()
}

/// Regenerates an input described by a vector `input` object.
pub fn generate(spec: &Value) -> Vec<u8> {
    match spec["kind"].as_str().expect("input kind") {
        "splitmix64" => splitmix64(spec["seed"].as_u64().expect("seed"), usize_of(spec, "size")),
        "text_lines" => text_lines(usize_of(spec, "size")),
        "const" => vec![spec["byte"].as_u64().expect("byte") as u8; usize_of(spec, "size")],
        "hex" => hex(spec["hex"].as_str().expect("hex")),
        "repeat" => repeat_to(&generate(&spec["block"]), usize_of(spec, "size")),
        "concat" => spec["parts"]
            .as_array()
            .expect("parts")
            .iter()
            .flat_map(generate)
            .collect(),
        "xor_byte" => {
            let mut b = generate(&spec["base"]);
            b[usize_of(spec, "offset")] ^= spec["xor"].as_u64().expect("xor") as u8;
            b
        }
        "insert" => {
            let mut b = generate(&spec["base"]);
            let at = usize_of(spec, "offset");
            let ins = hex(spec["hex"].as_str().expect("hex"));
            b.splice(at..at, ins);
            b
        }
        "pattern_padded_repeat" => {
            let mut unit = hex(spec["pattern_hex"].as_str().expect("pattern_hex"));
            unit.extend(std::iter::repeat_n(0u8, usize_of(spec, "padding")));
            repeat_to(&unit, usize_of(spec, "size"))
        }
        "f32_ramp" => (0..usize_of(spec, "count"))
            .flat_map(|i| (((i % 1000) as f32) * 0.001f32 - 0.5f32).to_le_bytes())
            .collect(),
        other => panic!("unknown generator {other}"),
    }
}

pub fn hash(v: &Value) -> Hash {
    Hash::from_hex(
        v.as_str()
            .unwrap_or_else(|| panic!("hash string expected, got {v}")),
    )
    .expect("valid xet hex")
}

pub fn u64_of(v: &Value) -> u64 {
    match v {
        Value::Number(n) => n.as_u64().expect("u64"),
        Value::String(s) => s.parse().expect("decimal u64 string"),
        other => panic!("u64 expected, got {other}"),
    }
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

/// The `bf16_like_65536` input of `auto_scheme_choice` (its `hex` field shows only the first
/// 256 bytes): for i in 0..32768, f = ((i % 977) as f32) * 0.002 - 1.0, upper 16 bits of the
/// f32 bits as u16 little-endian.
pub fn bf16_like(count: usize) -> Vec<u8> {
    (0..count)
        .flat_map(|i| {
            let f = ((i % 977) as f32) * 0.002f32 - 1.0f32;
            ((f.to_bits() >> 16) as u16).to_le_bytes()
        })
        .collect()
}

/// A seeded splitmix64 generator for property tests (sizes, offsets, edits).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        out.truncate(n);
        out
    }
}
