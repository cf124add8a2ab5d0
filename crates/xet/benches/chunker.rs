//! Native throughput of the chunker (boundary scan only), chunk + hash, BLAKE3 alone and the
//! reference chunker, on random and text data. `cargo bench -p xet --bench chunker`.
//! Prints MiB/s, median of 5 runs after a warm-up. Set `XET_BENCH_MIB` to change the size.

use std::time::Instant;

fn random(n: usize) -> Vec<u8> {
    let mut s = 0x1234_5678_9abc_def0u64;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
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

fn median_mib_s(data: &[u8], mut f: impl FnMut(&[u8]) -> usize) -> (f64, usize) {
    let mut result = f(data);
    let mut rates = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        result = f(data);
        rates.push(data.len() as f64 / (1 << 20) as f64 / t.elapsed().as_secs_f64());
    }
    rates.sort_by(|a, b| a.total_cmp(b));
    (rates[2], result)
}

fn boundaries(data: &[u8]) -> usize {
    let mut c = xet::Chunker::new();
    let mut n = 0;
    let mut rest = data;
    // Feed 1 MiB slices, as a streaming caller would.
    for slice in data.chunks(1 << 20) {
        rest = slice;
        while let Some(k) = c.next_boundary(rest) {
            n += 1;
            rest = &rest[k..];
        }
    }
    let _ = rest;
    n + usize::from(c.finish().is_some())
}

fn chunk_and_hash(data: &[u8]) -> usize {
    let mut h = xet::ChunkHasher::new();
    let mut out = Vec::new();
    for slice in data.chunks(1 << 20) {
        h.push(slice, &mut out);
    }
    h.finish(&mut out);
    let leaves: Vec<(xet::Hash, u64)> = out.iter().map(|c| (c.hash, u64::from(c.len))).collect();
    let f = xet::file_hash(&leaves);
    out.len() + usize::from(f.as_bytes()[0] == 0)
}

fn main() {
    let mib: usize = std::env::var("XET_BENCH_MIB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    for (name, data) in [("random", random(mib << 20)), ("text", text(mib << 20))] {
        let (scan, n) = median_mib_s(&data, boundaries);
        let (full, m) = median_mib_s(&data, chunk_and_hash);
        let (b3, _) = median_mib_s(&data, |d| {
            usize::from(blake3::keyed_hash(&xet::hash::DATA_KEY, d).as_bytes()[0])
        });
        let (refc, r) = median_mib_s(&data[..data.len().min(32 << 20)], |d| {
            xet::reference::chunk_ends(d).len()
        });
        println!(
            "{name:>6} {mib} MiB: scan {scan:.0} MiB/s ({n} chunks) | chunk+hash+file hash {full:.0} MiB/s ({m}) | blake3 alone {b3:.0} MiB/s | reference chunker {refc:.0} MiB/s ({r})"
        );
    }
}
