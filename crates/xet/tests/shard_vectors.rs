//! Conformance of shards: the uploads the official client sent (`xet-vectors.json → uploads`,
//! `xet-serialization-vectors.json → one_file_upload`) rebuilt from the same inputs byte for
//! byte, the full shard with footer and lookup tables, and their parsed contents.

mod common;

use std::collections::HashMap;

use common::*;
use serde_json::Value;
use xet::shard::{parse_shard, FileInfo, FileTerm, FooterOptions, Shard, ShardBuilder, XorbInfo};
use xet::xorb::{CompressionPolicy, XorbBuilder};
use xet::{chunk_all, FormatError, Hash};

/// Checks a parsed shard against the `uploaded_shard` expectation object.
fn check_parsed(shard: &Shard, expected: &Value, name: &str) {
    let files = expected["file_info"].as_array().unwrap();
    assert_eq!(shard.files.len(), files.len(), "{name}");
    for (f, e) in shard.files.iter().zip(files) {
        assert_eq!(f.file_hash, hash(&e["file_hash"]), "{name}");
        assert_eq!(u64::from(f.flags()), u64_of(&e["file_flags"]), "{name}");
        assert_eq!(f.terms.len() as u64, u64_of(&e["num_entries"]));
        for (t, te) in f.terms.iter().zip(e["entries"].as_array().unwrap()) {
            assert_eq!(t.xorb_hash, hash(&te["xorb_hash"]));
            assert_eq!(u64::from(t.xorb_flags), u64_of(&te["xorb_flags"]));
            assert_eq!(
                u64::from(t.unpacked_bytes),
                u64_of(&te["unpacked_segment_bytes"])
            );
            assert_eq!(u64::from(t.chunk_start), u64_of(&te["chunk_index_start"]));
            assert_eq!(u64::from(t.chunk_end), u64_of(&te["chunk_index_end"]));
        }
        let v: Vec<Hash> = e["verification_range_hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(hash)
            .collect();
        assert_eq!(f.verification.as_ref(), Some(&v), "{name}");
        let sha = f.sha256.expect("sha256 metadata ext");
        assert_eq!(
            to_hex(&sha),
            e["metadata_ext_sha256_hexform"].as_str().unwrap()
        );
        assert_eq!(
            to_hex(&xet::shard::sha256_stored_form(&sha)),
            e["metadata_ext_sha256_stored_bytes_hex"].as_str().unwrap()
        );
    }
    let xorbs = expected["xorb_info"].as_array().unwrap();
    assert_eq!(shard.xorbs.len(), xorbs.len(), "{name}");
    for (x, e) in shard.xorbs.iter().zip(xorbs) {
        assert_eq!(x.xorb_hash, hash(&e["xorb_hash"]));
        assert_eq!(u64::from(x.xorb_flags), u64_of(&e["xorb_flags"]));
        assert_eq!(x.chunks.len() as u64, u64_of(&e["num_entries"]));
        assert_eq!(
            u64::from(x.num_bytes_in_xorb),
            u64_of(&e["num_bytes_in_xorb"])
        );
        assert_eq!(
            u64::from(x.num_bytes_on_disk),
            u64_of(&e["num_bytes_on_disk"])
        );
        for (c, ce) in x.chunks.iter().zip(e["chunks"].as_array().unwrap()) {
            assert_eq!(c.hash, hash(&ce["chunk_hash"]));
            assert_eq!(
                u64::from(c.byte_range_start),
                u64_of(&ce["chunk_byte_range_start"])
            );
            assert_eq!(u64::from(c.len), u64_of(&ce["unpacked_segment_bytes"]));
            assert_eq!(u64::from(c.flags), u64_of(&ce["flags"]));
        }
    }
}

/// Rebuilds the shard the official client uploaded in `session`.
///
/// Inputs: the session's files (regenerated), the xorbs uploaded so far in this upload (chunk
/// lists, indexed by xorb hash) and the terms the client chose (dedup decisions are the upload
/// pipeline's, not the format's). Everything else — file hashes, SHA-256, term sizes,
/// verification hashes, xorb listings — is computed here.
fn rebuild_session_shard(
    session: &Value,
    known_xorbs: &mut HashMap<Hash, Vec<(Hash, u32)>>,
) -> ShardBuilder {
    let files: Vec<Vec<u8>> = session["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| generate(&f["input"]))
        .collect();
    let mut lens: HashMap<Hash, u32> = HashMap::new();
    for data in &files {
        for c in chunk_all(data) {
            lens.insert(c.hash, c.len);
        }
    }
    let mut shard = ShardBuilder::new();
    for x in session["uploaded_xorbs"].as_array().unwrap() {
        let chunks: Vec<(Hash, u32)> = x["chunk_hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (hash(h), lens[&hash(h)]))
            .collect();
        let leaves: Vec<(Hash, u64)> = chunks.iter().map(|&(h, l)| (h, u64::from(l))).collect();
        let xorb_hash = xet::xorb_hash(&leaves);
        assert_eq!(xorb_hash, hash(&x["hash_from_path"]));
        shard.add_xorb(XorbInfo::from_chunks(xorb_hash, &chunks));
        known_xorbs.insert(xorb_hash, chunks);
    }
    let expected_files = session["uploaded_shard"]["file_info"].as_array().unwrap();
    for data in &files {
        let chunks = chunk_all(data);
        let leaves: Vec<(Hash, u64)> = chunks.iter().map(|c| (c.hash, u64::from(c.len))).collect();
        let file_hash = xet::file_hash(&leaves);
        let expected = expected_files
            .iter()
            .find(|e| hash(&e["file_hash"]) == file_hash)
            .expect("file of the session is in the shard");
        let mut terms = Vec::new();
        let mut verification = Vec::new();
        let mut covered = Vec::new();
        for te in expected["entries"].as_array().unwrap() {
            let xorb_hash = hash(&te["xorb_hash"]);
            let (start, end) = (
                u64_of(&te["chunk_index_start"]) as usize,
                u64_of(&te["chunk_index_end"]) as usize,
            );
            let xorb = &known_xorbs[&xorb_hash];
            let range = &xorb[start..end];
            let unpacked: u32 = range.iter().map(|c| c.1).sum();
            terms.push(FileTerm::new(xorb_hash, unpacked, start as u32, end as u32));
            verification.push(xet::verification_hash(
                &range.iter().map(|c| c.0).collect::<Vec<_>>(),
            ));
            covered.extend(range.iter().map(|c| c.0));
        }
        // The terms reproduce the file's chunk sequence.
        assert_eq!(covered, chunks.iter().map(|c| c.hash).collect::<Vec<_>>());
        shard.add_file(FileInfo {
            file_hash,
            terms,
            verification: Some(verification),
            sha256: Some(sha256(data)),
        });
    }
    shard
}

#[test]
fn uploaded_shards_rebuilt_byte_exact() {
    let v = load(XET_VECTORS);
    let mut checked = 0;
    for upload in v["uploads"].as_array().unwrap() {
        let mut known = HashMap::new();
        for session in upload["sessions"].as_array().unwrap() {
            let name = format!("{} session {}", upload["name"], session["session_index"]);
            let expected = &session["uploaded_shard"];
            let body = hex(expected["body_hex"].as_str().unwrap());
            assert_eq!(body.len() as u64, u64_of(&expected["body_len"]));
            let shard = rebuild_session_shard(session, &mut known);
            assert_eq!(shard.upload_len(), body.len() as u64, "{name}");
            let bytes = shard.upload_bytes().unwrap();
            assert_eq!(to_hex(&bytes), to_hex(&body), "{name}");
            let parsed = parse_shard(&body).unwrap();
            assert!(parsed.footer.is_none());
            assert_eq!(u64_of(&expected["header"]["footer_size"]), 0);
            check_parsed(&parsed, expected, &name);
            // The same body went to /v1/shards (and /v2/shards).
            for r in session["requests"].as_array().unwrap() {
                if r["path"].as_str().unwrap().ends_with("/shards") {
                    assert_eq!(r["body_hex"], expected["body_hex"]);
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 7);
}

fn one_file_shard() -> (ShardBuilder, Value) {
    let v = load(SERIALIZATION_VECTORS);
    let session = v["one_file_upload"]["sessions"][0].clone();
    // The xorb is rebuilt too, to tie the shard to our own xorb writer.
    let data = generate(&session["files"][0]["input"]);
    let mut xb = XorbBuilder::new(CompressionPolicy::Auto);
    for c in chunk_all(&data) {
        xb.add_chunk(c.hash, &data[c.offset as usize..][..c.len as usize])
            .unwrap();
    }
    let xorb = xb.finish();
    let request = session["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"].as_str().unwrap().starts_with("/v1/xorbs/"))
        .unwrap()
        .clone();
    assert_eq!(
        request["path"].as_str().unwrap(),
        format!("/v1/xorbs/default/{}", xorb.hash)
    );
    assert_eq!(
        to_hex(&sha256(&xorb.data)),
        request["body_sha256"].as_str().unwrap()
    );
    let mut known = HashMap::new();
    let shard = rebuild_session_shard(&session, &mut known);
    assert_eq!(known[&xorb.hash], xorb.chunk_hashes_and_lens());
    (shard, v)
}

#[test]
fn one_file_upload_shard_and_full_shard_with_footer() {
    let (shard, v) = one_file_shard();
    let session = &v["one_file_upload"]["sessions"][0];
    let upload = hex(session["uploaded_shard"]["body_hex"].as_str().unwrap());
    assert_eq!(to_hex(&shard.upload_bytes().unwrap()), to_hex(&upload));
    check_parsed(
        &parse_shard(&upload).unwrap(),
        &session["uploaded_shard"],
        "one_file_upload",
    );

    let full = &v["full_shard_with_footer"];
    let body = hex(full["body_hex"].as_str().unwrap());
    assert_eq!(body.len() as u64, u64_of(&full["body_len"]));
    let bytes = shard
        .to_bytes_with_footer(&FooterOptions::default())
        .unwrap();
    assert_eq!(to_hex(&bytes), to_hex(&body));
    let parsed = parse_shard(&body).unwrap();
    check_parsed(&parsed, &session["uploaded_shard"], "full shard");
    let f = parsed.footer.as_ref().expect("footer");
    let e = &full["footer"];
    assert_eq!(u64_of(&full["header"]["footer_size"]), 200);
    assert_eq!(u64_of(&e["version"]), 1);
    assert_eq!(f.file_info_offset, u64_of(&e["file_info_offset"]));
    assert_eq!(f.xorb_info_offset, u64_of(&e["xorb_info_offset"]));
    assert_eq!(f.file_lookup_offset, u64_of(&e["file_lookup_offset"]));
    assert_eq!(f.file_lookup_num_entry, u64_of(&e["file_lookup_num_entry"]));
    assert_eq!(f.xorb_lookup_offset, u64_of(&e["xorb_lookup_offset"]));
    assert_eq!(f.xorb_lookup_num_entry, u64_of(&e["xorb_lookup_num_entry"]));
    assert_eq!(f.chunk_lookup_offset, u64_of(&e["chunk_lookup_offset"]));
    assert_eq!(
        f.chunk_lookup_num_entry,
        u64_of(&e["chunk_lookup_num_entry"])
    );
    assert_eq!(
        to_hex(&f.chunk_hash_hmac_key),
        e["chunk_hash_hmac_key"].as_str().unwrap()
    );
    assert_eq!(
        f.shard_creation_timestamp,
        u64_of(&e["shard_creation_timestamp"])
    );
    assert_eq!(f.shard_key_expiry, u64_of(&e["shard_key_expiry"]));
    assert_eq!(f.stored_bytes_on_disk, u64_of(&e["stored_bytes_on_disk"]));
    assert_eq!(f.materialized_bytes, u64_of(&e["materialized_bytes"]));
    assert_eq!(f.stored_bytes, u64_of(&e["stored_bytes"]));
    assert_eq!(f.footer_offset, u64_of(&e["footer_offset"]));
    assert_eq!(parsed.chunk_hmac_key(), None);
    assert_eq!(parsed.key_expiry(), None);
    // Lookup tables point at the records they name.
    assert_eq!(
        parsed.lookups.files,
        vec![(parsed.files[0].file_hash.words()[0], 0)]
    );
    assert_eq!(
        parsed.lookups.xorbs,
        vec![(parsed.xorbs[0].xorb_hash.words()[0], 0)]
    );
    assert_eq!(parsed.lookups.chunks.len(), 3);
    for (key, xorb, pos) in &parsed.lookups.chunks {
        assert_eq!(*xorb, 0);
        assert_eq!(parsed.xorbs[0].chunks[*pos as usize].hash.words()[0], *key);
    }
    assert!(parsed.lookups.chunks.windows(2).all(|w| w[0].0 <= w[1].0));
}

#[test]
fn keyed_global_dedup_shard_round_trip() {
    let (shard, _) = one_file_shard();
    let mut dedup = ShardBuilder::new();
    for x in shard.xorbs() {
        dedup.add_xorb(x.clone());
    }
    let key = *xet::hash::chunk_hash(b"key").as_bytes();
    let options = FooterOptions {
        hmac_key: Some(key),
        creation_timestamp: 1_700_000_000,
        key_expiry: 1_700_086_400,
    };
    let bytes = dedup.to_bytes_with_footer(&options).unwrap();
    let parsed = parse_shard(&bytes).unwrap();
    assert!(parsed.files.is_empty());
    assert_eq!(parsed.chunk_hmac_key(), Some(key));
    assert_eq!(parsed.key_expiry(), Some(1_700_086_400));
    assert_eq!(
        parsed.footer.as_ref().unwrap().shard_creation_timestamp,
        1_700_000_000
    );
    let original = shard.xorbs().next().unwrap();
    for (keyed, plain) in parsed.xorbs[0].chunks.iter().zip(&original.chunks) {
        assert_eq!(keyed.hash, xet::hmac(&plain.hash, &key));
        assert_ne!(keyed.hash, plain.hash);
    }
}

#[test]
fn shard_parser_rejects_corruption() {
    let (shard, _) = one_file_shard();
    let full = shard
        .to_bytes_with_footer(&FooterOptions::default())
        .unwrap();
    let upload = shard.upload_bytes().unwrap();
    // Every truncation of either form is an error, never a panic.
    for bytes in [&full, &upload] {
        for cut in 0..bytes.len() {
            assert!(parse_shard(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
    let mut trailing = upload.clone();
    trailing.push(0);
    assert!(matches!(
        parse_shard(&trailing),
        Err(FormatError::TrailingBytes { .. })
    ));
    let mut bad_offset = full.clone();
    let fo = full.len() - 200;
    bad_offset[fo + 16] ^= 1; // xorb_info_offset
    assert_eq!(
        parse_shard(&bad_offset),
        Err(FormatError::ShardLayout {
            field: "xorb_info_offset"
        })
    );
    let mut bad_version = full.clone();
    bad_version[fo] = 2;
    assert_eq!(
        parse_shard(&bad_version),
        Err(FormatError::ShardVersion {
            part: "footer",
            version: 2
        })
    );
    let mut huge_count = upload.clone();
    huge_count[48 + 36..48 + 40].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        parse_shard(&huge_count),
        Err(FormatError::Truncated { .. })
    ));
    let mut bad_verification = shard.clone();
    let mut f = shard.files().next().unwrap().clone();
    f.verification = Some(vec![]);
    bad_verification.add_file(f);
    assert!(matches!(
        bad_verification.upload_bytes(),
        Err(FormatError::ShardCount { .. })
    ));
}
