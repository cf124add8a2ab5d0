//! Seeded random round trips of our own writers through our parsers (xorbs under every policy,
//! shards in both forms), and mutated bytes fed to every parser: each call returns `Ok` or a
//! typed error, never panics. A deterministic complement to the cargo-fuzz targets.

mod common;

use common::Rng;

use xet::reconstruction::{parse_v1, parse_v2};
use xet::shard::{parse_shard, FileInfo, FileTerm, FooterOptions, ShardBuilder, XorbInfo};
use xet::xorb::{
    decode_chunks, parse_xorb, CompressionPolicy, CompressionScheme, XorbBuilder, XorbFooter,
};
use xet::Hash;

/// A chunk of one of several textures (random, constant, text, float-like).
fn chunk(rng: &mut Rng) -> Vec<u8> {
    let len = match rng.below(4) {
        0 => rng.below(64) as usize,
        1 => 131_072 - rng.below(2) as usize,
        _ => rng.below(40_000) as usize,
    };
    match rng.below(4) {
        0 => (0..len).map(|_| rng.next() as u8).collect(),
        1 => vec![rng.next() as u8; len],
        2 => common::text_lines(len),
        _ => (0..len)
            .map(|i| if i % 4 == 3 { 0x3f } else { (i / 4) as u8 })
            .collect(),
    }
}

/// Mutations of `bytes`: bit flips, truncations, insertions, overwrites with large values.
fn mutants(bytes: &[u8], rng: &mut Rng, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|_| {
            let mut b = bytes.to_vec();
            match rng.below(4) {
                0 if !b.is_empty() => {
                    let i = rng.below(b.len() as u64) as usize;
                    b[i] ^= 1 << rng.below(8);
                }
                1 => b.truncate(rng.below(b.len() as u64 + 1) as usize),
                2 => {
                    let at = rng.below(b.len() as u64 + 1) as usize;
                    b.insert(at, rng.next() as u8);
                }
                _ if b.len() >= 4 => {
                    let i = rng.below(b.len() as u64 - 3) as usize;
                    b[i..i + 4].copy_from_slice(&(rng.next() as u32 | 0x8000_0000).to_le_bytes());
                }
                _ => {}
            }
            b
        })
        .collect()
}

#[test]
fn xorbs_round_trip_and_survive_mutation() {
    let mut rng = Rng(42);
    let policies = [
        CompressionPolicy::Auto,
        CompressionPolicy::Fixed(CompressionScheme::None),
        CompressionPolicy::Fixed(CompressionScheme::Lz4),
        CompressionPolicy::Fixed(CompressionScheme::ByteGrouping4Lz4),
    ];
    for round in 0..60 {
        let policy = policies[round % policies.len()];
        let mut builder = XorbBuilder::new(policy).with_retest_interval(rng.below(4) as usize);
        let mut raw = Vec::new();
        for _ in 0..1 + rng.below(12) {
            if rng.below(3) == 0 {
                builder.start_file();
            }
            let c = chunk(&mut rng);
            builder.add_chunk(xet::hash::chunk_hash(&c), &c).unwrap();
            raw.extend_from_slice(&c);
        }
        let xorb = builder.finish();
        for bytes in [xorb.data.clone(), xorb.to_bytes_with_footer()] {
            let parsed = parse_xorb(&bytes).unwrap();
            assert_eq!(parsed.hash, xorb.hash);
            assert_eq!(parsed.chunks, xorb.chunks);
            let mut out = Vec::new();
            decode_chunks(&bytes, &mut out).unwrap();
            assert_eq!(out, raw);
            for m in mutants(&bytes, &mut rng, 40) {
                if let Ok(p) = parse_xorb(&m) {
                    // A mutant that still parses is self-consistent.
                    if let Some(f) = &p.footer {
                        assert_eq!(f.xorb_hash, p.hash);
                    }
                }
                let _ = XorbFooter::parse_tail(&m);
                let mut sink = Vec::new();
                let _ = decode_chunks(&m, &mut sink);
            }
        }
    }
}

fn random_hash(rng: &mut Rng) -> Hash {
    Hash::from_words([rng.next(), rng.next(), rng.next(), rng.next()])
}

#[test]
fn shards_round_trip_and_survive_mutation() {
    let mut rng = Rng(7);
    for _ in 0..60 {
        let mut shard = ShardBuilder::new();
        let mut xorbs = Vec::new();
        for _ in 0..rng.below(4) {
            let chunks: Vec<(Hash, u32)> = (0..1 + rng.below(20))
                .map(|_| (random_hash(&mut rng), 1 + rng.below(131_072) as u32))
                .collect();
            let x = XorbInfo::from_chunks(random_hash(&mut rng), &chunks);
            xorbs.push(x.clone());
            shard.add_xorb(x);
        }
        for _ in 0..rng.below(4) {
            let terms: Vec<FileTerm> = (0..rng.below(5))
                .map(|_| {
                    FileTerm::new(
                        random_hash(&mut rng),
                        rng.next() as u32,
                        0,
                        1 + rng.below(9) as u32,
                    )
                })
                .collect();
            let with_verification = rng.below(2) == 0;
            let verification =
                with_verification.then(|| terms.iter().map(|_| random_hash(&mut rng)).collect());
            let sha256 = (rng.below(2) == 0).then(|| *random_hash(&mut rng).as_bytes());
            shard.add_file(FileInfo {
                file_hash: random_hash(&mut rng),
                terms,
                verification,
                sha256,
            });
        }
        let key = (rng.below(2) == 0).then(|| *random_hash(&mut rng).as_bytes());
        let options = FooterOptions {
            hmac_key: key,
            creation_timestamp: rng.next(),
            key_expiry: rng.next(),
        };
        let upload = shard.upload_bytes().unwrap();
        let full = shard.to_bytes_with_footer(&options).unwrap();
        let files: Vec<FileInfo> = shard.files().cloned().collect();
        let parsed = parse_shard(&upload).unwrap();
        assert_eq!(parsed.files, files);
        assert_eq!(parsed.xorbs, shard.xorbs().cloned().collect::<Vec<_>>());
        let parsed_full = parse_shard(&full).unwrap();
        assert_eq!(parsed_full.files, files);
        assert_eq!(parsed_full.chunk_hmac_key(), key);
        assert_eq!(
            parsed_full.footer.as_ref().unwrap().shard_key_expiry,
            options.key_expiry
        );
        assert_eq!(parsed_full.lookups.files.len(), files.len());
        for (keyed, plain) in parsed_full.xorbs.iter().zip(shard.xorbs()) {
            for (k, p) in keyed.chunks.iter().zip(&plain.chunks) {
                assert_eq!(k.hash, key.map_or(p.hash, |key| xet::hmac(&p.hash, &key)));
            }
        }
        for bytes in [&upload, &full] {
            for m in mutants(bytes, &mut rng, 60) {
                let _ = parse_shard(&m);
            }
        }
    }
}

#[test]
fn reconstruction_json_survives_mutation() {
    let v = common::load(common::XET_VECTORS);
    let mut rng = Rng(9);
    let mut bodies = Vec::new();
    for upload in v["uploads"].as_array().unwrap() {
        for session in upload["sessions"].as_array().unwrap() {
            for rec in session["reconstructions"].as_array().unwrap() {
                bodies.push(serde_json::to_vec(&rec["v1"]).unwrap());
                bodies.push(serde_json::to_vec(&rec["v2"]).unwrap());
            }
        }
    }
    assert!(bodies.len() > 40);
    for body in &bodies {
        for m in mutants(body, &mut rng, 30) {
            let _ = parse_v1(&m);
            let _ = parse_v2(&m);
        }
    }
}
