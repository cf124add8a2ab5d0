//! Conformance of the chunker and the hashes over whole files (`xet-vectors.json → cases`,
//! `chunker_edge_cases`, `gearhash-table.json`), and the boundary table against the reference
//! chunker under every way of feeding.

mod common;

use common::*;
use xet::chunker::{Chunker, GEAR_TABLE, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE};
use xet::{chunk_all, reference, ChunkHasher, Hash};

/// Boundaries found by feeding `data` to a streaming [`Chunker`] in slices of the given sizes
/// (cycled).
fn streamed_ends(data: &[u8], slices: &[usize]) -> Vec<usize> {
    let mut chunker = Chunker::new();
    let mut ends = Vec::new();
    let mut pos = 0;
    for &size in slices.iter().cycle() {
        if pos >= data.len() {
            break;
        }
        let end = (pos + size.max(1)).min(data.len());
        let mut piece = &data[pos..end];
        let mut at = pos;
        while let Some(k) = chunker.next_boundary(piece) {
            assert!(
                k >= 1 && k <= piece.len(),
                "boundary {k} outside slice of {}",
                piece.len()
            );
            at += k;
            ends.push(at);
            piece = &piece[k..];
        }
        pos = end;
    }
    if let Some(last) = chunker.finish() {
        ends.push(ends.last().copied().unwrap_or(0) + last);
    }
    ends
}

fn streamed_chunks(data: &[u8], slices: &[usize]) -> Vec<xet::Chunk> {
    let mut hasher = ChunkHasher::new();
    let mut out = Vec::new();
    let mut pos = 0;
    for &size in slices.iter().cycle() {
        if pos >= data.len() {
            break;
        }
        let end = (pos + size.max(1)).min(data.len());
        hasher.push(&data[pos..end], &mut out);
        assert!(hasher.bytes_pending() <= MAX_CHUNK_SIZE as u64);
        pos = end;
    }
    hasher.finish(&mut out);
    out
}

#[test]
fn gear_table_matches_vector_file() {
    let v = load(GEAR_VECTORS);
    let table = v["table"].as_array().expect("table");
    assert_eq!(table.len(), 256);
    for (i, entry) in table.iter().enumerate() {
        let s = entry.as_str().expect("hex string");
        let value = u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex u64");
        assert_eq!(GEAR_TABLE[i], value, "entry {i}");
    }
}

#[test]
fn vector_cases_chunks_and_hashes() {
    let v = load(XET_VECTORS);
    let cases = v["cases"].as_array().expect("cases");
    assert!(cases.len() >= 18);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let data = generate(&case["input"]);
        assert_eq!(data.len() as u64, u64_of(&case["size"]), "{name}");
        assert_eq!(
            to_hex(&data[..data.len().min(16)]),
            case["first_bytes_hex"].as_str().unwrap_or(""),
            "{name}: generator"
        );
        let chunks = chunk_all(&data);
        let expected = case["chunks"].as_array().expect("chunks");
        assert_eq!(chunks.len(), expected.len(), "{name}: chunk count");
        assert_eq!(chunks.len() as u64, u64_of(&case["num_chunks"]), "{name}");
        for (c, e) in chunks.iter().zip(expected) {
            assert_eq!(c.offset, u64_of(&e["offset"]), "{name}");
            assert_eq!(u64::from(c.len), u64_of(&e["length"]), "{name}");
            assert_eq!(c.hash, hash(&e["hash"]), "{name}: chunk at {}", c.offset);
            assert_eq!(
                xet::hash::chunk_hash(&data[c.offset as usize..][..c.len as usize]),
                c.hash
            );
            assert_eq!(
                xet::is_global_dedup_eligible(&c.hash),
                e["global_dedup_eligible_by_hash"].as_bool().expect("bool"),
                "{name}"
            );
        }
        let ends: Vec<u64> = chunks.iter().map(|c| c.offset + u64::from(c.len)).collect();
        let expected_ends: Vec<u64> = case["chunk_boundaries"]
            .as_array()
            .expect("boundaries")
            .iter()
            .map(u64_of)
            .collect();
        assert_eq!(ends, expected_ends, "{name}");
        let leaves: Vec<(Hash, u64)> = chunks.iter().map(|c| (c.hash, u64::from(c.len))).collect();
        assert_eq!(
            xet::file_hash(&leaves),
            hash(&case["file_hash"]),
            "{name}: file hash"
        );
        assert_eq!(
            xet::xorb_hash(&leaves),
            hash(&case["xorb_hash_of_all_chunks"]),
            "{name}: xorb hash"
        );
        let hashes: Vec<Hash> = chunks.iter().map(|c| c.hash).collect();
        match &case["verification_hash_of_all_chunks"] {
            serde_json::Value::Null => assert!(chunks.is_empty(), "{name}"),
            h => assert_eq!(
                xet::verification_hash(&hashes),
                hash(h),
                "{name}: verification"
            ),
        }
        let distinct: std::collections::HashSet<Hash> = hashes.iter().copied().collect();
        assert_eq!(
            distinct.len() as u64,
            u64_of(&case["num_distinct_chunks"]),
            "{name}"
        );
        for sample in case["next_stable_chunk_boundary_samples"]
            .as_array()
            .expect("samples")
        {
            let position = u64_of(&sample["starting_position"]);
            let expected = match &sample["next_stable_boundary"] {
                serde_json::Value::Null => None,
                b => Some(u64_of(b)),
            };
            assert_eq!(
                xet::next_stable_chunk_boundary(position, &ends),
                expected,
                "{name} @ {position}"
            );
        }
        // Streaming with odd slice sizes gives the same chunks.
        if data.len() <= 2 << 20 {
            assert_eq!(
                streamed_chunks(&data, &[37, 100_003, 1, 65_536]),
                chunks,
                "{name}: streamed"
            );
        }
    }
}

#[test]
fn vector_chunker_edge_cases() {
    let v = load(XET_VECTORS);
    let edge = &v["chunker_edge_cases"];
    let pattern = edge["pattern_hex"].as_str().expect("pattern");
    let size = u64_of(&edge["input_size"]);
    let cases = edge["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 128);
    for case in cases {
        let spec = serde_json::json!({
            "kind": "pattern_padded_repeat", "pattern_hex": pattern,
            "padding": case["padding"], "size": size,
        });
        let data = generate(&spec);
        let expected: Vec<usize> = case["chunk_boundaries"]
            .as_array()
            .expect("b")
            .iter()
            .map(|b| u64_of(b) as usize)
            .collect();
        let ends: Vec<usize> = chunk_all(&data)
            .iter()
            .map(|c| (c.offset + u64::from(c.len)) as usize)
            .collect();
        assert_eq!(ends, expected, "padding {}", case["padding"]);
        assert_eq!(reference::chunk_ends(&data), expected);
        assert_eq!(streamed_ends(&data, &[1]), expected);
    }
}

/// A deterministic byte source for the boundary table.
fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    splitmix64(seed, n)
}

/// Low-entropy data: runs of 97 equal bytes cycling through the byte values (matches cluster
/// in some runs and never occur in others).
fn match_dense(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    let mut b = 0u8;
    while out.len() < n {
        out.extend(std::iter::repeat_n(b, 97));
        b = b.wrapping_add(31);
    }
    out.truncate(n);
    out
}

#[test]
fn boundary_table_against_reference() {
    let min = MIN_CHUNK_SIZE;
    let max = MAX_CHUNK_SIZE;
    let sizes = [
        0,
        1,
        2,
        63,
        64,
        65,
        min - 65,
        min - 64,
        min - 1,
        min,
        min + 1,
        2 * min,
        max - 1,
        max,
        max + 1,
        2 * max - 1,
        2 * max,
        2 * max + 1,
        3 * max + 7,
        1 << 20,
    ];
    let feeds: [&[usize]; 7] = [
        &[1],
        &[37],
        &[255],
        &[8191, 1],
        &[65536],
        &[1 << 30],
        &[3, 5000, 70_000],
    ];
    for (seed, &size) in sizes.iter().enumerate() {
        for data in [
            random_bytes(size, seed as u64 + 100),
            vec![0u8; size],
            match_dense(size),
            text_lines(size),
        ] {
            let expected = reference::chunk_ends(&data);
            let one_shot: Vec<usize> = chunk_all(&data)
                .iter()
                .map(|c| (c.offset + u64::from(c.len)) as usize)
                .collect();
            assert_eq!(one_shot, expected, "size {size} one-shot");
            for feed in feeds {
                // One-byte feeding of 1 MiB is slow-ish in the dev profile but still quick.
                assert_eq!(
                    streamed_ends(&data, feed),
                    expected,
                    "size {size} feed {feed:?}"
                );
            }
            let hashed = streamed_chunks(&data, &[255, 37]);
            assert_eq!(hashed, chunk_all(&data), "size {size}");
            if size == 0 {
                assert!(expected.is_empty());
            }
        }
    }
}

#[test]
fn many_chunks_every_split_point() {
    // ~40 chunks; split the input in two at many positions (around each boundary too).
    let data = random_bytes(3 << 20, 9);
    let expected = reference::chunk_ends(&data);
    assert!(expected.len() > 20);
    assert_eq!(streamed_ends(&data, &[1 << 30]), expected);
    let mut splits: Vec<usize> = (0..data.len()).step_by(99_991).collect();
    for &e in &expected[..10] {
        splits.extend([e - 1, e, e + 1, e.saturating_sub(8128), e + 8127, e + 8191]);
    }
    for split in splits {
        let split = split.min(data.len());
        assert_eq!(
            streamed_ends(&data, &[split, 1 << 30]),
            expected,
            "split at {split}"
        );
    }
}

#[test]
fn chunk_sizes_respect_limits() {
    let data = random_bytes(8 << 20, 77);
    let chunks = chunk_all(&data);
    let (last, body) = chunks.split_last().expect("chunks");
    for c in body {
        assert!((MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&(c.len as usize)));
    }
    assert!(last.len as usize <= MAX_CHUNK_SIZE);
}
