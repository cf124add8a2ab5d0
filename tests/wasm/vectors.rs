//! Test-only: the shared vectors (loaded with `include_str!`, no file I/O under wasm) and the
//! input generators described in `xet-vectors.json → generators`.

use hf_buckets::xet::Hash;
use serde_json::Value;

pub const XET: &str = include_str!("../vectors/xet-vectors.json");
pub const MERKLE: &str = include_str!("../vectors/xet-merkle-vectors.json");
pub const SERIALIZATION: &str = include_str!("../vectors/xet-serialization-vectors.json");

pub fn load(text: &str) -> Value {
    serde_json::from_str(text).expect("vector file is JSON")
}

fn size(spec: &Value, key: &str) -> usize {
    spec[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in {spec}")) as usize
}

fn splitmix64(seed: u64, size: usize) -> Vec<u8> {
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

fn repeat_to(unit: &[u8], size: usize) -> Vec<u8> {
    unit.iter()
        .copied()
        .cycle()
        .take(if unit.is_empty() { 0 } else { size })
        .collect()
}

pub fn from_hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// Regenerates the bytes of a vector's `input` description.
pub fn generate(spec: &Value) -> Vec<u8> {
    match spec["kind"].as_str().expect("kind") {
        "splitmix64" => splitmix64(spec["seed"].as_u64().expect("seed"), size(spec, "size")),
        "const" => vec![spec["byte"].as_u64().expect("byte") as u8; size(spec, "size")],
        "text_lines" => {
            let n = size(spec, "size");
            let mut out = Vec::with_capacity(n + 64);
            let mut i = 0u64;
            while out.len() < n {
                out.extend_from_slice(
                    format!("line {i}: the quick brown fox {}\n", i * i).as_bytes(),
                );
                i += 1;
            }
            out.truncate(n);
            out
        }
        "hex" => from_hex(spec["hex"].as_str().expect("hex")),
        "repeat" => repeat_to(&generate(&spec["block"]), size(spec, "size")),
        "pattern_padded_repeat" => {
            let mut unit = from_hex(spec["pattern_hex"].as_str().expect("pattern_hex"));
            unit.resize(unit.len() + size(spec, "padding"), 0);
            repeat_to(&unit, size(spec, "size"))
        }
        "concat" => spec["parts"]
            .as_array()
            .expect("parts")
            .iter()
            .flat_map(generate)
            .collect(),
        "xor_byte" => {
            let mut out = generate(&spec["base"]);
            out[size(spec, "offset")] ^= spec["xor"].as_u64().expect("xor") as u8;
            out
        }
        "insert" => {
            let mut out = generate(&spec["base"]);
            let at = size(spec, "offset");
            out.splice(at..at, from_hex(spec["hex"].as_str().expect("hex")));
            out
        }
        "f32_ramp" => (0..size(spec, "count"))
            .flat_map(|i| (((i % 1000) as f32) * 0.001f32 - 0.5f32).to_le_bytes())
            .collect(),
        other => panic!("unknown generator {other}"),
    }
}

pub fn hash(v: &Value) -> Hash {
    Hash::from_hex(
        v.as_str()
            .unwrap_or_else(|| panic!("hash expected, got {v}")),
    )
    .expect("xet hex")
}
