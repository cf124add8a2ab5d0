//! Conformance of xorb serialization (`xet-serialization-vectors.json`: chunk records, BG4,
//! auto scheme choice, the 3-chunk xorb with and without footer) and of the xorbs the official
//! client uploaded (`xet-vectors.json → uploads`).

mod common;

use std::collections::HashMap;

use common::*;
use serde_json::Value;
use xet::xorb::{
    bg4_regroup, bg4_split, choose_scheme, chunk_records, parse_xorb, write_chunk,
    CompressionPolicy, CompressionScheme, XorbBuilder, XorbFooter,
};
use xet::{chunk_all, FormatError, Hash};

fn scheme_named(name: &str) -> CompressionPolicy {
    match name {
        "auto" => CompressionPolicy::Auto,
        "none" => CompressionPolicy::Fixed(CompressionScheme::None),
        "lz4" => CompressionPolicy::Fixed(CompressionScheme::Lz4),
        "bg4-lz4" => CompressionPolicy::Fixed(CompressionScheme::ByteGrouping4Lz4),
        other => panic!("unknown scheme {other}"),
    }
}

fn fixed(name: &str) -> CompressionScheme {
    match scheme_named(name) {
        CompressionPolicy::Fixed(s) => s,
        CompressionPolicy::Auto => panic!("auto is not a stored scheme"),
    }
}

#[test]
fn chunk_serialization_vectors() {
    let v = load(SERIALIZATION_VECTORS);
    let cases = v["chunk_serialization"].as_array().expect("cases");
    assert!(cases.len() >= 15);
    for case in cases {
        let name = format!("{} {}", case["input_name"], case["requested_scheme"]);
        let data = generate(&case["input"]);
        assert_eq!(data.len() as u64, u64_of(&case["input_len"]));
        assert_eq!(
            xet::hash::chunk_hash(&data),
            hash(&case["chunk_hash"]),
            "{name}"
        );
        let mut out = Vec::new();
        let stored = write_chunk(
            &data,
            fixed(case["requested_scheme"].as_str().unwrap()),
            &mut out,
        )
        .unwrap();
        assert_eq!(
            stored.name(),
            case["stored_scheme"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(u64::from(stored.id()), u64_of(&case["stored_scheme_id"]));
        let expected = hex(case["serialized_hex"].as_str().unwrap());
        assert_eq!(to_hex(&out), to_hex(&expected), "{name}: bytes");
        // Parse the expected bytes back.
        let records: Vec<_> = chunk_records(&expected).collect::<Result<_, _>>().unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(
            u64::from(records[0].header.compressed_len),
            u64_of(&case["compressed_length"])
        );
        assert_eq!(
            u64::from(records[0].header.uncompressed_len),
            u64_of(&case["uncompressed_length"])
        );
        assert_eq!(records[0].decompress().unwrap(), data, "{name}: decode");
    }
}

#[test]
fn bg4_split_vectors() {
    let v = load(SERIALIZATION_VECTORS);
    for case in v["bg4_split_examples"].as_array().expect("cases") {
        let input = hex(case["input_hex"].as_str().unwrap());
        let grouped = hex(case["grouped_hex"].as_str().unwrap());
        assert_eq!(bg4_split(&input), grouped);
        assert_eq!(bg4_regroup(&grouped), input);
    }
}

#[test]
fn auto_scheme_choice_vectors() {
    let v = load(SERIALIZATION_VECTORS);
    let cases = v["auto_scheme_choice"].as_array().expect("cases");
    assert_eq!(cases.len(), 5);
    for case in cases {
        let name = case["input_name"].as_str().unwrap();
        let data = if name == "bf16_like_65536" {
            let d = bf16_like(32768);
            let shown = hex(case["input"]["hex"].as_str().unwrap());
            assert_eq!(&d[..shown.len()], &shown[..], "bf16 generator");
            d
        } else {
            generate(&case["input"])
        };
        assert_eq!(
            choose_scheme(&data).name(),
            case["choose_from_data"].as_str().unwrap(),
            "{name}"
        );
    }
}

fn check_parsed_footer(footer: &XorbFooter, expected: &Value) {
    assert_eq!(footer.version, 1);
    assert_eq!(footer.xorb_hash, hash(&expected["xorb_hash"]));
    assert_eq!(footer.num_chunks() as u64, u64_of(&expected["num_chunks"]));
    let hashes: Vec<Hash> = expected["chunk_hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(hash)
        .collect();
    assert_eq!(footer.chunk_hashes, hashes);
    let b: Vec<u32> = expected["chunk_boundary_offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| u64_of(x) as u32)
        .collect();
    assert_eq!(footer.chunk_boundary_offsets, b);
    let u: Vec<u32> = expected["unpacked_chunk_offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| u64_of(x) as u32)
        .collect();
    assert_eq!(footer.unpacked_chunk_offsets, u);
    assert_eq!(footer.info_length(), u64_of(&expected["info_length"]));
    let n = footer.num_chunks() as u64;
    assert_eq!(
        40 + 8 * n,
        u64_of(&expected["boundary_section_offset_from_end"])
    );
    assert_eq!(
        52 + 40 * n,
        u64_of(&expected["hashes_section_offset_from_end"])
    );
}

#[test]
fn xorb_three_chunks_vectors() {
    let v = load(SERIALIZATION_VECTORS);
    let x = &v["xorb_3_chunks"];
    let data = generate(&x["input"]);
    let cuts: Vec<usize> = x["chunk_cuts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| u64_of(c) as usize)
        .collect();
    let hashes: Vec<Hash> = x["chunk_hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(hash)
        .collect();
    let cases = x["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 8);
    for case in cases {
        let scheme = case["requested_scheme"].as_str().unwrap();
        let with_footer = case["serialize_footer"].as_bool().unwrap();
        let mut builder = XorbBuilder::new(scheme_named(scheme));
        for (w, h) in cuts.windows(2).zip(&hashes) {
            let piece = &data[w[0]..w[1]];
            assert_eq!(xet::hash::chunk_hash(piece), *h);
            builder.add_chunk(*h, piece).unwrap();
        }
        let xorb = builder.finish();
        assert_eq!(xorb.hash, hash(&case["xorb_hash"]), "{scheme}");
        let bytes = if with_footer {
            xorb.to_bytes_with_footer()
        } else {
            xorb.data.clone()
        };
        let expected = hex(case["serialized_hex"].as_str().unwrap());
        assert_eq!(bytes.len() as u64, u64_of(&case["serialized_len"]));
        assert_eq!(
            to_hex(&bytes),
            to_hex(&expected),
            "{scheme} footer={with_footer}"
        );
        let parsed = parse_xorb(&expected).unwrap();
        assert_eq!(parsed.hash, xorb.hash);
        assert_eq!(parsed.chunks, xorb.chunks);
        match &case["parsed_footer"] {
            Value::Null => assert!(parsed.footer.is_none()),
            pf => {
                let footer = parsed.footer.as_ref().expect("footer");
                check_parsed_footer(footer, pf);
                assert_eq!(parsed.records_len as u64, u64_of(&pf["footer_start"]));
                let (tail_footer, start) = XorbFooter::parse_tail(&expected).unwrap();
                assert_eq!(&tail_footer, footer);
                assert_eq!(start as u64, u64_of(&pf["footer_start"]));
            }
        }
        // Reassemble the data from the records.
        let mut out = Vec::new();
        xet::xorb::decode_chunks(&expected, &mut out).unwrap();
        assert_eq!(out, data);
    }
}

/// Legacy version 0 footer bytes for a parsed xorb.
fn footer_v0(footer: &XorbFooter) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(b"XETBLOB");
    f.push(0);
    f.extend_from_slice(footer.xorb_hash.as_bytes());
    f.extend_from_slice(&(footer.num_chunks() as u32).to_le_bytes());
    for b in &footer.chunk_boundary_offsets {
        f.extend_from_slice(&b.to_le_bytes());
    }
    for h in &footer.chunk_hashes {
        f.extend_from_slice(h.as_bytes());
    }
    f.extend_from_slice(&[0; 16]);
    let len = f.len() as u32;
    f.extend_from_slice(&len.to_le_bytes());
    f
}

#[test]
fn xorb_v0_footer_is_read() {
    let data = text_lines(300_000);
    let mut builder = XorbBuilder::new(CompressionPolicy::Auto);
    for c in chunk_all(&data) {
        builder
            .add_chunk(c.hash, &data[c.offset as usize..][..c.len as usize])
            .unwrap();
    }
    let xorb = builder.finish();
    let mut bytes = xorb.data.clone();
    bytes.extend(footer_v0(&xorb.footer()));
    let parsed = parse_xorb(&bytes).unwrap();
    let footer = parsed.footer.expect("v0 footer");
    assert_eq!(footer.version, 0);
    assert!(footer.unpacked_chunk_offsets.is_empty());
    assert_eq!(footer.chunk_hashes, xorb.footer().chunk_hashes);
    assert_eq!(parsed.hash, xorb.hash);
    // A v0 footer whose boundaries disagree with the records is rejected.
    let mut bad_footer = xorb.footer();
    bad_footer.chunk_boundary_offsets[0] += 1;
    let mut bad = xorb.data.clone();
    bad.extend(footer_v0(&bad_footer));
    assert_eq!(
        parse_xorb(&bad),
        Err(FormatError::FooterMismatch {
            field: "chunk_boundary_offsets"
        })
    );
}

/// Chunks of the session's files, by hash.
fn chunk_table(files: &[Vec<u8>]) -> HashMap<Hash, Vec<u8>> {
    let mut table = HashMap::new();
    for data in files {
        for c in chunk_all(data) {
            table
                .entry(c.hash)
                .or_insert_with(|| data[c.offset as usize..][..c.len as usize].to_vec());
        }
    }
    table
}

#[test]
fn uploaded_xorbs_rebuilt_byte_exact() {
    let v = load(XET_VECTORS);
    let mut checked = 0;
    for upload in v["uploads"].as_array().unwrap() {
        for session in upload["sessions"].as_array().unwrap() {
            let files: Vec<Vec<u8>> = session["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| generate(&f["input"]))
                .collect();
            let table = chunk_table(&files);
            for x in session["uploaded_xorbs"].as_array().unwrap() {
                let name = format!("{} {}", upload["name"], x["path"]);
                let hashes: Vec<Hash> = x["chunk_hashes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(hash)
                    .collect();
                // The xorb holds the new chunks of the session's files in order; Auto starts a
                // section at each file's first chunk in the xorb.
                let mut builder = XorbBuilder::new(CompressionPolicy::Auto);
                let mut pos = 0;
                for data in &files {
                    let mut started = false;
                    for c in chunk_all(data) {
                        if hashes.get(pos) == Some(&c.hash) {
                            if !started {
                                builder.start_file();
                                started = true;
                            }
                            builder.add_chunk(c.hash, &table[&c.hash]).unwrap();
                            pos += 1;
                        }
                    }
                }
                assert_eq!(
                    pos,
                    hashes.len(),
                    "{name}: every xorb chunk comes from the files"
                );
                let xorb = builder.finish();
                assert_eq!(xorb.hash, hash(&x["hash_from_path"]), "{name}");
                assert_eq!(xorb.data.len() as u64, u64_of(&x["body_len"]), "{name}");
                for (c, e) in xorb.chunks.iter().zip(x["chunks"].as_array().unwrap()) {
                    assert_eq!(c.scheme.name(), e["scheme"].as_str().unwrap(), "{name}");
                    assert_eq!(
                        u64::from(c.record_end) - 8 - u64_of(&e["compressed_length"]),
                        u64_of(&e["offset"])
                    );
                }
                let request = session["requests"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["path"] == x["path"])
                    .expect("xorb request");
                assert_eq!(
                    to_hex(&sha256(&xorb.data)),
                    request["body_sha256"].as_str().unwrap(),
                    "{name}"
                );
                assert_eq!(
                    to_hex(&xorb.footer().to_bytes().unwrap()),
                    x["footer_that_reader_would_append_hex"].as_str().unwrap(),
                    "{name}: footer"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 6);
}

#[test]
fn builder_limits() {
    let mut b = XorbBuilder::new(CompressionPolicy::Fixed(CompressionScheme::None));
    let chunk = vec![7u8; 8192];
    let h = xet::hash::chunk_hash(&chunk);
    for _ in 0..8192 {
        b.add_chunk(h, &chunk).unwrap();
    }
    assert_eq!(b.raw_bytes(), 64 << 20);
    assert!(!b.fits(0));
    assert!(matches!(
        b.add_chunk(h, &[1]),
        Err(FormatError::XorbFull { chunks: 8192, .. })
    ));
    let mut b = XorbBuilder::new(CompressionPolicy::Auto);
    let big = vec![1u8; 131072];
    let hb = xet::hash::chunk_hash(&big);
    for _ in 0..512 {
        b.add_chunk(hb, &big).unwrap();
    }
    assert!(b.fits(0) && !b.fits(1));
    assert!(matches!(
        b.add_chunk(hb, &[1]),
        Err(FormatError::XorbFull { .. })
    ));
    assert!(matches!(
        XorbBuilder::new(CompressionPolicy::Auto).add_chunk(hb, &vec![0u8; 131073]),
        Err(FormatError::ChunkTooLarge { .. })
    ));
}
