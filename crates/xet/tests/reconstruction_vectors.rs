//! Conformance of the reconstruction types (`xet-vectors.json → uploads[*].reconstructions`):
//! every V1 and V2 answer of the reference CAS parses, and, with the xorbs rebuilt by our
//! writer, its terms and byte ranges reproduce exactly the requested bytes of the file.

mod common;

use std::collections::HashMap;

use common::*;
use xet::reconstruction::{parse_v1, parse_v2, ByteRange, ChunkRange, Term};
use xet::xorb::{CompressionPolicy, SerializedXorb, XorbBuilder};
use xet::{chunk_all, FormatError, Hash};

/// Rebuilds every xorb of an upload (all sessions) with our writer.
fn rebuild_xorbs(
    upload: &serde_json::Value,
) -> (HashMap<Hash, SerializedXorb>, HashMap<Hash, Vec<u8>>) {
    let mut chunks_by_hash: HashMap<Hash, Vec<u8>> = HashMap::new();
    let mut xorbs = HashMap::new();
    for session in upload["sessions"].as_array().unwrap() {
        let files: Vec<Vec<u8>> = session["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| generate(&f["input"]))
            .collect();
        for data in &files {
            for c in chunk_all(data) {
                chunks_by_hash
                    .entry(c.hash)
                    .or_insert_with(|| data[c.offset as usize..][..c.len as usize].to_vec());
            }
        }
        for x in session["uploaded_xorbs"].as_array().unwrap() {
            let mut b = XorbBuilder::new(CompressionPolicy::Auto);
            for h in x["chunk_hashes"].as_array().unwrap().iter().map(hash) {
                b.add_chunk(h, &chunks_by_hash[&h]).unwrap();
            }
            let xorb = b.finish();
            xorbs.insert(xorb.hash, xorb);
        }
    }
    (xorbs, chunks_by_hash)
}

/// Bytes of `terms`, from our xorbs decoded through the served byte range of each term.
fn term_bytes(
    term: &Term,
    fetch: ByteRange,
    fetch_chunks: ChunkRange,
    xorbs: &HashMap<Hash, SerializedXorb>,
) -> Vec<u8> {
    let xorb = &xorbs[&term.hash];
    // The served range is the records of `fetch_chunks`, end inclusive.
    let start = if fetch_chunks.start == 0 {
        0
    } else {
        xorb.chunks[fetch_chunks.start as usize - 1].record_end
    };
    let end = xorb.chunks[fetch_chunks.end as usize - 1].record_end;
    assert_eq!(
        (u64::from(start), u64::from(end) - 1),
        (fetch.start, fetch.end),
        "served byte range"
    );
    let mut out = Vec::new();
    let lens =
        xet::xorb::decode_chunks(&xorb.data[start as usize..end as usize], &mut out).unwrap();
    let skip: usize = lens[..(term.range.start - fetch_chunks.start) as usize]
        .iter()
        .map(|&l| l as usize)
        .sum();
    let take: usize = lens[(term.range.start - fetch_chunks.start) as usize
        ..(term.range.end - fetch_chunks.start) as usize]
        .iter()
        .map(|&l| l as usize)
        .sum();
    assert_eq!(take as u64, term.unpacked_length);
    out[skip..skip + take].to_vec()
}

#[test]
fn reconstruction_vectors_parse_and_reassemble() {
    let v = load(XET_VECTORS);
    let mut checked = 0;
    for upload in v["uploads"].as_array().unwrap() {
        let (xorbs, _) = rebuild_xorbs(upload);
        for session in upload["sessions"].as_array().unwrap() {
            let files: HashMap<Hash, Vec<u8>> = session["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        hash(&f["returned_xet_file_info"]["hash"]),
                        generate(&f["input"]),
                    )
                })
                .collect();
            for rec in session["reconstructions"].as_array().unwrap() {
                let data = &files[&hash(&rec["file_hash"])];
                assert_eq!(data.len() as u64, u64_of(&rec["file_size"]));
                let (lo, hi) = match &rec["request_range_half_open"] {
                    serde_json::Value::Null => (0, data.len()),
                    r => (
                        u64_of(&r[0]) as usize,
                        (u64_of(&r[1]) as usize).min(data.len()),
                    ),
                };
                if rec["v1"].is_string() {
                    // The reference CAS answered 416: the range starts at or after the end.
                    assert!(rec["v1"].as_str().unwrap().starts_with("416") && lo >= data.len());
                    assert_eq!(rec["v2"], rec["v1"]);
                    continue;
                }
                let want = &data[lo..hi];

                let v1 = parse_v1(serde_json::to_string(&rec["v1"]).unwrap().as_bytes()).unwrap();
                assert_eq!(
                    serde_json::to_value(&v1).unwrap(),
                    rec["v1"],
                    "typed V1 keeps every field"
                );
                let mut got = Vec::new();
                for t in &v1.terms {
                    let f = v1.fetch_info[&t.hash]
                        .iter()
                        .find(|f| f.range.start <= t.range.start && t.range.end <= f.range.end)
                        .unwrap();
                    got.extend(term_bytes(t, f.url_range, f.range, &xorbs));
                }
                let skip = v1.offset_into_first_range as usize;
                assert_eq!(
                    &got[skip.min(got.len())..][..want.len()],
                    want,
                    "V1 {}",
                    rec["http_range_header"]
                );

                let v2 = parse_v2(serde_json::to_string(&rec["v2"]).unwrap().as_bytes()).unwrap();
                assert_eq!(
                    serde_json::to_value(&v2).unwrap(),
                    rec["v2"],
                    "typed V2 keeps every field"
                );
                assert_eq!(v2.terms, v1.terms);
                let mut got = Vec::new();
                for t in &v2.terms {
                    let r = v2.xorbs[&t.hash]
                        .iter()
                        .flat_map(|e| &e.ranges)
                        .find(|r| r.chunks.start <= t.range.start && t.range.end <= r.chunks.end)
                        .unwrap();
                    got.extend(term_bytes(t, r.bytes, r.chunks, &xorbs));
                }
                let skip = v2.offset_into_first_range as usize;
                assert_eq!(
                    &got[skip.min(got.len())..][..want.len()],
                    want,
                    "V2 {}",
                    rec["http_range_header"]
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "{checked} reconstructions checked");
}

#[test]
fn malformed_reconstructions_are_typed_errors() {
    let h = "a37efc43430427097588f8948c87f7ddb5993dc186b6bc16e63c04fb2dd116df";
    let term = |s: u32, e: u32| {
        format!(r#"{{"hash":"{h}","unpacked_length":10,"range":{{"start":{s},"end":{e}}}}}"#)
    };
    let v1 = |terms: String, fetch: &str| {
        format!(
            r#"{{"offset_into_first_range":0,"terms":[{terms}],"fetch_info":{{"{h}":[{fetch}]}}}}"#
        )
    };
    let fetch = |s: u32, e: u32| {
        format!(
            r#"{{"range":{{"start":{s},"end":{e}}},"url":"u","url_range":{{"start":0,"end":9}}}}"#
        )
    };
    assert!(parse_v1(v1(term(0, 2), &fetch(0, 2)).as_bytes()).is_ok());
    assert!(matches!(
        parse_v1(v1(term(0, 3), &fetch(0, 2)).as_bytes()),
        Err(FormatError::Reconstruction { .. })
    ));
    assert!(matches!(
        parse_v1(v1(term(2, 2), &fetch(0, 2)).as_bytes()),
        Err(FormatError::Reconstruction { .. })
    ));
    let reversed = r#"{"range":{"start":0,"end":2},"url":"u","url_range":{"start":9,"end":0}}"#;
    assert!(matches!(
        parse_v1(v1(term(0, 2), reversed).as_bytes()),
        Err(FormatError::Reconstruction { .. })
    ));
    let text = v1(term(0, 2), &fetch(0, 2));
    for cut in 0..text.len() {
        assert!(parse_v1(&text.as_bytes()[..cut]).is_err());
    }
    let negative = text.replace("\"unpacked_length\":10", "\"unpacked_length\":-1");
    assert!(matches!(
        parse_v1(negative.as_bytes()),
        Err(FormatError::Json { .. })
    ));
    let v2 = |terms: String, ranges: &str| {
        format!(
            r#"{{"offset_into_first_range":0,"terms":[{terms}],"xorbs":{{"{h}":[{{"url":"u","ranges":[{ranges}]}}]}}}}"#
        )
    };
    let range = |s: u32, e: u32| {
        format!(r#"{{"chunks":{{"start":{s},"end":{e}}},"bytes":{{"start":0,"end":9}}}}"#)
    };
    assert!(
        parse_v2(v2(term(0, 4), &format!("{},{}", range(0, 2), range(2, 4))).as_bytes()).is_ok()
    );
    assert!(matches!(
        parse_v2(v2(term(0, 4), &format!("{},{}", range(0, 2), range(3, 4))).as_bytes()),
        Err(FormatError::Reconstruction { .. })
    ));
    let offset = v2(term(0, 4), &range(0, 4)).replace(
        "\"offset_into_first_range\":0",
        "\"offset_into_first_range\":10",
    );
    assert!(matches!(
        parse_v2(offset.as_bytes()),
        Err(FormatError::Reconstruction { term: 0, .. })
    ));
}
