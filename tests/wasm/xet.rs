//! The Xet core compiled to wasm32, checked against every chunking and hashing vector.
//!
//! Runs under `wasm-bindgen-test-runner` in Node (`cargo test --target wasm32-unknown-unknown
//! --no-default-features --test wasm_xet`) and, with `WASM_BINDGEN_USE_BROWSER=1`, in headless
//! Chromium. Natively this file compiles to nothing (the native suites live in crates/xet).
#![cfg(target_arch = "wasm32")]

mod vectors;

use hf_buckets::xet::{
    chunk_hash, file_hash, file_hash_with_salt, hmac, is_global_dedup_eligible, merkle_root,
    next_stable_chunk_boundary, verification_hash, xorb_hash, Chunk, ChunkHasher, Chunker, Hash,
};
use serde_json::Value;
use vectors::{from_hex, generate, hash, load};
use wasm_bindgen_test::wasm_bindgen_test;

/// Chunks `data` with a `ChunkHasher` fed the slice sizes of `sizes`, cycled.
fn chunk_sliced(data: &[u8], sizes: &[usize]) -> Vec<Chunk> {
    let mut hasher = ChunkHasher::new();
    let mut out = Vec::new();
    let mut rest = data;
    for &n in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (head, tail) = rest.split_at(n.min(rest.len()));
        hasher.push(head, &mut out);
        rest = tail;
    }
    hasher.finish(&mut out);
    out
}

/// End offsets found by the boundary-only `Chunker`, fed the slice sizes of `sizes`, cycled.
fn boundaries_sliced(data: &[u8], sizes: &[usize]) -> Vec<u64> {
    let mut chunker = Chunker::new();
    let (mut ends, mut consumed) = (Vec::new(), 0u64);
    let mut rest = data;
    for &n in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (mut head, tail) = rest.split_at(n.min(rest.len()));
        while let Some(k) = chunker.next_boundary(head) {
            consumed += k as u64;
            ends.push(consumed);
            head = &head[k..];
        }
        consumed += head.len() as u64;
        rest = tail;
    }
    if let Some(k) = chunker.finish() {
        assert_eq!(ends.last().copied().unwrap_or(0) + k as u64, consumed);
        ends.push(consumed);
    }
    ends
}

fn leaves_of(chunks: &[Chunk]) -> Vec<(Hash, u64)> {
    chunks.iter().map(|c| (c.hash, u64::from(c.len))).collect()
}

#[wasm_bindgen_test]
fn every_case_chunks_and_hashes_like_the_official_engine() {
    let v = load(vectors::XET);
    let cases = v["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 18);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let data = generate(&case["input"]);
        assert_eq!(
            data.len() as u64,
            case["size"].as_u64().expect("size"),
            "{name}"
        );
        let expected: Vec<(u64, u32, Hash)> = case["chunks"]
            .as_array()
            .expect("chunks")
            .iter()
            .map(|c| {
                (
                    c["offset"].as_u64().expect("offset"),
                    c["length"].as_u64().expect("length") as u32,
                    hash(&c["hash"]),
                )
            })
            .collect();
        let boundaries: Vec<u64> = case["chunk_boundaries"]
            .as_array()
            .expect("boundaries")
            .iter()
            .map(|b| b.as_u64().expect("u64"))
            .collect();
        for sizes in [
            &[usize::MAX][..],
            &[1 << 20, 3 << 20, 123_457],
            &[37, 8191, 65_537, 131_073, 1],
        ] {
            let chunks = chunk_sliced(&data, sizes);
            let got: Vec<(u64, u32, Hash)> =
                chunks.iter().map(|c| (c.offset, c.len, c.hash)).collect();
            assert_eq!(got, expected, "{name}, slices {sizes:?}");
            assert_eq!(
                boundaries_sliced(&data, sizes),
                boundaries,
                "{name}, slices {sizes:?}"
            );
        }
        let chunks = chunk_sliced(&data, &[usize::MAX]);
        let leaves = leaves_of(&chunks);
        assert_eq!(file_hash(&leaves), hash(&case["file_hash"]), "{name}");
        assert_eq!(
            xorb_hash(&leaves),
            hash(&case["xorb_hash_of_all_chunks"]),
            "{name}"
        );
        if !case["verification_hash_of_all_chunks"].is_null() {
            let hashes: Vec<Hash> = chunks.iter().map(|c| c.hash).collect();
            assert_eq!(
                verification_hash(&hashes),
                hash(&case["verification_hash_of_all_chunks"]),
                "{name}"
            );
        }
        for (c, e) in chunks
            .iter()
            .zip(case["chunks"].as_array().expect("chunks"))
        {
            let start = c.offset as usize;
            assert_eq!(
                chunk_hash(&data[start..start + c.len as usize]),
                c.hash,
                "{name}"
            );
            assert_eq!(
                is_global_dedup_eligible(&c.hash),
                e["global_dedup_eligible_by_hash"].as_bool().expect("bool")
            );
        }
    }
}

#[wasm_bindgen_test]
fn chunker_edge_cases_ignore_matches_before_the_minimum() {
    let v = load(vectors::XET);
    let e = &v["chunker_edge_cases"];
    let cases = e["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 128);
    for case in cases {
        let spec = serde_json::json!({
            "kind": "pattern_padded_repeat", "pattern_hex": e["pattern_hex"],
            "padding": case["padding"], "size": e["input_size"],
        });
        let data = generate(&spec);
        let expected: Vec<u64> = case["chunk_boundaries"]
            .as_array()
            .expect("boundaries")
            .iter()
            .map(|b| b.as_u64().expect("u64"))
            .collect();
        let ends: Vec<u64> = chunk_sliced(&data, &[4096, 60_000])
            .iter()
            .map(|c| c.offset + u64::from(c.len))
            .collect();
        assert_eq!(ends, expected, "padding {}", case["padding"]);
        assert_eq!(
            boundaries_sliced(&data, &[usize::MAX]),
            expected,
            "padding {}",
            case["padding"]
        );
    }
}

#[wasm_bindgen_test]
fn next_stable_chunk_boundary_samples() {
    let v = load(vectors::XET);
    let mut checked = 0;
    for case in v["cases"].as_array().expect("cases") {
        let boundaries: Vec<u64> = case["chunk_boundaries"]
            .as_array()
            .expect("boundaries")
            .iter()
            .map(|b| b.as_u64().expect("u64"))
            .collect();
        for sample in case["next_stable_chunk_boundary_samples"]
            .as_array()
            .expect("samples")
        {
            let position = sample["starting_position"].as_u64().expect("position");
            let expected = sample["next_stable_boundary"].as_u64();
            assert_eq!(
                next_stable_chunk_boundary(position, &boundaries),
                expected,
                "{} @ {position}",
                case["name"]
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
}

fn leaves(case: &Value) -> Vec<(Hash, u64)> {
    case["leaves"]
        .as_array()
        .expect("leaves")
        .iter()
        .map(|l| (hash(&l["hash"]), l["size"].as_u64().expect("size")))
        .collect()
}

#[wasm_bindgen_test]
fn merkle_vectors_xorb_file_and_verification_hashes() {
    let m = load(vectors::MERKLE);
    let cases = m["cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    for case in cases {
        let leaves = leaves(case);
        let salt: [u8; 32] = hash(&case["salt"]).as_bytes().to_owned();
        assert_eq!(
            xorb_hash(&leaves),
            hash(&case["xorb_hash"]),
            "{} leaves",
            leaves.len()
        );
        assert_eq!(merkle_root(&leaves), hash(&case["xorb_hash"]));
        assert_eq!(
            file_hash(&leaves),
            hash(&case["file_hash_zero_salt"]),
            "{} leaves",
            leaves.len()
        );
        assert_eq!(
            file_hash_with_salt(&leaves, &salt),
            hash(&case["file_hash_with_salt"]),
            "{} leaves",
            leaves.len()
        );
        if !case["verification_hash_all_leaves"].is_null() {
            let hashes: Vec<Hash> = leaves.iter().map(|l| l.0).collect();
            assert_eq!(
                verification_hash(&hashes),
                hash(&case["verification_hash_all_leaves"])
            );
        }
    }
}

#[wasm_bindgen_test]
fn chunk_hash_dedup_hmac_and_hex_examples() {
    let m = load(vectors::MERKLE);
    for ex in m["chunk_hash_examples"].as_array().expect("examples") {
        let data = match ex["input_hex"].as_str() {
            Some(h) => from_hex(h),
            None => ex["input_utf8"].as_str().expect("utf8").as_bytes().to_vec(),
        };
        let h = chunk_hash(&data);
        assert_eq!(h, hash(&ex["hash"]));
        assert_eq!(
            h.as_bytes().to_vec(),
            from_hex(ex["raw_bytes_hex"].as_str().expect("raw"))
        );
        assert_eq!(h.to_hex(), ex["hash"].as_str().expect("hash"));
    }
    for ex in m["global_dedup_eligible_examples"]
        .as_array()
        .expect("examples")
    {
        let h = chunk_hash(&from_hex(ex["data_hex"].as_str().expect("data")));
        assert_eq!(h, hash(&ex["chunk_hash"]));
        assert!(is_global_dedup_eligible(&h));
    }
    let enc = &m["hash_string_encoding"];
    let raw: [u8; 32] = from_hex(enc["raw_bytes_hex"].as_str().expect("raw"))
        .try_into()
        .expect("32 bytes");
    assert_eq!(
        Hash::from_bytes(raw).to_hex(),
        enc["xet_hex_string"].as_str().expect("hex")
    );
    let ex = &m["hmac_example"];
    let key: [u8; 32] = hash(&ex["key_hash"]).as_bytes().to_owned();
    assert_eq!(hmac(&hash(&ex["message_hash"]), &key), hash(&ex["hmac"]));
}

#[wasm_bindgen_test]
fn upload_vectors_file_xorb_and_term_verification_hashes() {
    let v = load(vectors::XET);
    let (mut files, mut terms) = (0, 0);
    for upload in v["uploads"].as_array().expect("uploads") {
        for session in upload["sessions"].as_array().expect("sessions") {
            for f in session["files"].as_array().expect("files") {
                let leaves = leaves_of(&chunk_sliced(&generate(&f["input"]), &[1 << 20]));
                assert_eq!(
                    file_hash(&leaves),
                    hash(&f["returned_xet_file_info"]["hash"]),
                    "{}",
                    f["name"]
                );
                files += 1;
            }
            let shard = &session["uploaded_shard"];
            if shard.is_null() {
                continue;
            }
            let mut xorbs = Vec::new();
            for x in shard["xorb_info"].as_array().expect("xorb_info") {
                let chunks: Vec<(Hash, u64)> = x["chunks"]
                    .as_array()
                    .expect("chunks")
                    .iter()
                    .map(|c| {
                        (
                            hash(&c["chunk_hash"]),
                            c["unpacked_segment_bytes"].as_u64().expect("size"),
                        )
                    })
                    .collect();
                assert_eq!(xorb_hash(&chunks), hash(&x["xorb_hash"]));
                xorbs.push((hash(&x["xorb_hash"]), chunks));
            }
            for fi in shard["file_info"].as_array().expect("file_info") {
                let ranges = fi["verification_range_hashes"]
                    .as_array()
                    .expect("verification");
                for (entry, expected) in fi["entries"]
                    .as_array()
                    .expect("entries")
                    .iter()
                    .zip(ranges)
                {
                    let Some((_, chunks)) =
                        xorbs.iter().find(|(h, _)| *h == hash(&entry["xorb_hash"]))
                    else {
                        continue; // a xorb uploaded by an earlier session
                    };
                    let (a, b) = (
                        entry["chunk_index_start"].as_u64().expect("a") as usize,
                        entry["chunk_index_end"].as_u64().expect("b") as usize,
                    );
                    let hashes: Vec<Hash> = chunks[a..b].iter().map(|c| c.0).collect();
                    assert_eq!(verification_hash(&hashes), hash(expected));
                    terms += 1;
                }
            }
        }
    }
    assert!(files >= 6 && terms >= 6, "{files} files, {terms} terms");
}

#[wasm_bindgen_test]
fn serialization_vectors_chunk_and_xorb_hashes() {
    let s = load(vectors::SERIALIZATION);
    for c in s["chunk_serialization"].as_array().expect("chunks") {
        assert_eq!(
            chunk_hash(&generate(&c["input"])),
            hash(&c["chunk_hash"]),
            "{}",
            c["input_name"]
        );
    }
    let x = &s["xorb_3_chunks"];
    let data = generate(&x["input"]);
    let cuts: Vec<usize> = x["chunk_cuts"]
        .as_array()
        .expect("cuts")
        .iter()
        .map(|c| c.as_u64().expect("cut") as usize)
        .collect();
    let leaves: Vec<(Hash, u64)> = cuts
        .windows(2)
        .zip(x["chunk_hashes"].as_array().expect("hashes"))
        .map(|(w, h)| {
            assert_eq!(chunk_hash(&data[w[0]..w[1]]), hash(h));
            (hash(h), (w[1] - w[0]) as u64)
        })
        .collect();
    for case in x["cases"].as_array().expect("cases") {
        assert_eq!(xorb_hash(&leaves), hash(&case["xorb_hash"]));
    }
}

#[wasm_bindgen_test]
fn random_inputs_do_not_depend_on_slicing() {
    // Inputs outside the vectors: one-shot boundaries equal those of many slicings.
    let mut seed = 0x9E37_79B9u32;
    let mut next = move || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        seed
    };
    for round in 0..4u64 {
        let size = (next() % (3 << 20)) as usize;
        let data = generate(
            &serde_json::json!({ "kind": "splitmix64", "seed": 500 + round, "size": size }),
        );
        let one_shot = chunk_sliced(&data, &[usize::MAX]);
        let sizes: Vec<usize> = (0..5).map(|_| 1 + (next() % 300_000) as usize).collect();
        assert_eq!(
            chunk_sliced(&data, &sizes),
            one_shot,
            "size {size}, slices {sizes:?}"
        );
        let ends: Vec<u64> = one_shot
            .iter()
            .map(|c| c.offset + u64::from(c.len))
            .collect();
        assert_eq!(boundaries_sliced(&data, &sizes), ends);
        assert_eq!(ends.last().copied().unwrap_or(0), size as u64);
    }
}
