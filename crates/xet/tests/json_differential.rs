//! `xet::json` against serde_json: the same documents accepted and refused, and the same values
//! read, over generated documents and byte-level mutations of them.

#[path = "support/json.rs"]
mod support;

use support::check;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const PIECES: &[&str] = &[
    "a",
    "é",
    "😀",
    "\\n",
    "\\\"",
    "\\\\",
    "\\/",
    "\\u00e9",
    "\\ud83d\\ude00",
    "\\u0000",
    " ",
    "x y",
];
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-17",
    "123456789012",
    "18446744073709551615",
    "3.25",
    "-0.5",
    "1e3",
    "2E-2",
    "6.02e+23",
];

fn gen(rng: &mut Rng, depth: u32, out: &mut String) {
    let ws = |rng: &mut Rng, out: &mut String| {
        for _ in 0..rng.below(3) {
            out.push([' ', '\n', '\t', '\r'][rng.below(4) as usize]);
        }
    };
    ws(rng, out);
    match if depth > 4 {
        rng.below(4)
    } else {
        rng.below(6)
    } {
        0 => out.push_str(["null", "true", "false"][rng.below(3) as usize]),
        1 => out.push_str(NUMBERS[rng.below(NUMBERS.len() as u64) as usize]),
        2 | 3 => {
            out.push('"');
            for _ in 0..rng.below(4) {
                out.push_str(PIECES[rng.below(PIECES.len() as u64) as usize]);
            }
            out.push('"');
        }
        4 => {
            out.push('[');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push(',');
                }
                gen(rng, depth + 1, out);
            }
            out.push(']');
        }
        _ => {
            out.push('{');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push(',');
                }
                ws(rng, out);
                out.push_str(["\"k\"", "\"id\"", "\"\\u00e9\"", "\"\""][rng.below(4) as usize]);
                ws(rng, out);
                out.push(':');
                gen(rng, depth + 1, out);
            }
            out.push('}');
        }
    }
    ws(rng, out);
}

#[test]
fn agrees_with_serde_json() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let mut doc = String::new();
        gen(&mut rng, 0, &mut doc);
        check(doc.as_bytes());
        let mut bytes = doc.into_bytes();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(bytes.len() as u64 + 1) as usize;
            match rng.below(3) {
                0 if at < bytes.len() => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, b"{}[],:\"\\0-eE.x \x01\xff\xc3"[rng.below(18) as usize]),
                _ if at < bytes.len() => bytes[at] = rng.below(256) as u8,
                _ => {}
            }
        }
        check(&bytes);
    }
}

#[test]
fn reads_the_vectors_as_serde_json_does() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            check(&std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    assert!(n > 0, "no JSON vectors in {dir}");
}
