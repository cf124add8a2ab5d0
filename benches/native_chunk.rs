//! Native reference point for `npm run bench`: the same metric as `benches/js/chunk-bench.mjs`
//! (chunk + chunk hashes + file hash, MiB/s, median of 5 runs after a warm-up, fed in the same
//! 1–8 MiB slices) on the same kinds of data (random, compressible text), with our Xet core
//! built for the host. Prints one JSON object on stdout for the JS report.
//!
//! `cargo bench --no-default-features --bench native_chunk` (env `BENCH_MIB`, default 256).

use std::time::Instant;

use hf_buckets::xet::{file_hash, ChunkHasher, Hash};

/// Slice sizes fed in turn (cycled), as in the JS bench.
const SLICES: [usize; 5] = [1 << 20, (3 << 20) + 17, 8 << 20, (2 << 20) - 3, 5 << 20];

fn random(n: usize) -> Vec<u8> {
    let mut state = 0x5EED_u64;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(n);
    out
}

fn text(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 64);
    let mut i = 0u64;
    while out.len() < n {
        out.extend_from_slice(format!("line {i}: the quick brown fox {}\n", i * i).as_bytes());
        i += 1;
    }
    out.truncate(n);
    out
}

/// Chunk + chunk hashes + file hash of `data`, fed in `SLICES`; returns (chunks, file hash).
fn run(data: &[u8]) -> (usize, Hash) {
    let mut hasher = ChunkHasher::new();
    let mut chunks = Vec::new();
    let mut rest = data;
    for &n in SLICES.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (head, tail) = rest.split_at(n.min(rest.len()));
        hasher.push(head, &mut chunks);
        rest = tail;
    }
    hasher.finish(&mut chunks);
    let leaves: Vec<(Hash, u64)> = chunks.iter().map(|c| (c.hash, u64::from(c.len))).collect();
    (chunks.len(), file_hash(&leaves))
}

fn main() {
    let mib: usize = std::env::var("BENCH_MIB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    let mut fields = Vec::new();
    for (name, data) in [("random", random(mib << 20)), ("text", text(mib << 20))] {
        let (chunks, hash) = run(&data); // warm-up
        let mut rates: Vec<f64> = (0..5)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(run(std::hint::black_box(&data)));
                mib as f64 / t.elapsed().as_secs_f64()
            })
            .collect();
        rates.sort_by(f64::total_cmp);
        let runs: Vec<String> = rates.iter().map(|r| format!("{r:.1}")).collect();
        fields.push(format!(
            "\"{name}\":{{\"mib_s\":{:.1},\"runs\":[{}],\"chunks\":{chunks},\"file_hash\":\"{hash}\"}}",
            rates[2],
            runs.join(",")
        ));
    }
    println!("{{\"mib\":{mib},{}}}", fields.join(","));
}
