//! Conformance of the hashes (`xet-merkle-vectors.json`): hash string form, chunk hashes,
//! every Merkle level, xorb/file/verification hashes, HMAC, global-dedup eligibility.

mod common;

use common::*;
use xet::hash::{chunk_hash, merkle_next_level, INTERNAL_NODE_KEY};
use xet::{
    file_hash, file_hash_with_salt, hmac, is_global_dedup_eligible, verification_hash, xorb_hash,
    Hash,
};

#[test]
fn hash_string_encoding() {
    let v = load(MERKLE_VECTORS);
    let e = &v["hash_string_encoding"];
    let raw: [u8; 32] = hex(e["raw_bytes_hex"].as_str().unwrap())
        .try_into()
        .unwrap();
    let h = Hash::from_bytes(raw);
    assert_eq!(h.to_hex(), e["xet_hex_string"].as_str().unwrap());
    assert_eq!(h.to_string(), e["xet_hex_string"].as_str().unwrap());
    assert_eq!(
        e["xet_hex_string"]
            .as_str()
            .unwrap()
            .parse::<Hash>()
            .unwrap(),
        h
    );
}

#[test]
fn chunk_hash_examples() {
    let v = load(MERKLE_VECTORS);
    for e in v["chunk_hash_examples"].as_array().unwrap() {
        let input = match e["input_utf8"].as_str() {
            Some(text) => text.as_bytes().to_vec(),
            None => hex(e["input_hex"].as_str().unwrap()),
        };
        let h = chunk_hash(&input);
        assert_eq!(h, hash(&e["hash"]));
        assert_eq!(to_hex(h.as_bytes()), e["raw_bytes_hex"].as_str().unwrap());
    }
}

#[test]
fn global_dedup_and_hmac_examples() {
    let v = load(MERKLE_VECTORS);
    let examples = v["global_dedup_eligible_examples"].as_array().unwrap();
    assert!(!examples.is_empty());
    for e in examples {
        let h = chunk_hash(&hex(e["data_hex"].as_str().unwrap()));
        assert_eq!(h, hash(&e["chunk_hash"]));
        assert_eq!(to_hex(h.as_bytes()), e["raw_bytes_hex"].as_str().unwrap());
        assert!(is_global_dedup_eligible(&h));
    }
    assert!(!is_global_dedup_eligible(&chunk_hash(b"a")));
    let e = &v["hmac_example"];
    let key = *hash(&e["key_hash"]).as_bytes();
    assert_eq!(hmac(&hash(&e["message_hash"]), &key), hash(&e["hmac"]));
}

#[test]
fn merkle_cases_every_level() {
    let v = load(MERKLE_VECTORS);
    let salt = *chunk_hash(b"xetvec-salt").as_bytes();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 13);
    for case in cases {
        let n = u64_of(&case["num_leaves"]) as usize;
        assert_eq!(to_hex(&salt), to_hex(hash(&case["salt"]).as_bytes()));
        let leaves: Vec<(Hash, u64)> = (0..n)
            .map(|i| {
                (
                    chunk_hash(format!("leaf {i}").as_bytes()),
                    1 + ((i as u64 * 7919) % 131072),
                )
            })
            .collect();
        for (leaf, e) in leaves.iter().zip(case["leaves"].as_array().unwrap()) {
            assert_eq!(leaf.0, hash(&e["hash"]));
            assert_eq!(leaf.1, u64_of(&e["size"]));
            assert_eq!(leaf.0.words()[3] % 4, u64_of(&e["hash_mod_4"]));
        }
        let mut level = leaves.clone();
        // `levels` is null for the largest case (only the final hashes are given).
        for (depth, lv) in case["levels"].as_array().into_iter().flatten().enumerate() {
            assert_eq!(
                level.len() as u64,
                u64_of(&lv["input_len"]),
                "n={n} depth={depth}"
            );
            let next = merkle_next_level(&level);
            let groups = lv["groups"].as_array().unwrap();
            assert_eq!(next.len(), groups.len(), "n={n} depth={depth}");
            let mut start = 0;
            for (node, g) in next.iter().zip(groups) {
                assert_eq!(start, u64_of(&g["start"]));
                start += u64_of(&g["len"]);
                assert_eq!(node.0, hash(&g["node_hash"]), "n={n} depth={depth}");
                assert_eq!(node.1, u64_of(&g["node_size"]));
            }
            level = next;
        }
        if let Some(text) = case["first_internal_node_input_text"].as_str() {
            // The documented text hashes to the first node of level 1, and it is built from the
            // leaves of that node.
            let first = merkle_next_level(&leaves)[0];
            assert_eq!(
                Hash::from_bytes(
                    *blake3::keyed_hash(&INTERNAL_NODE_KEY, text.as_bytes()).as_bytes()
                ),
                first.0
            );
            let len = text.lines().count();
            assert_eq!(leaves[..len].iter().map(|l| l.1).sum::<u64>(), first.1);
            let expected: String = leaves[..len]
                .iter()
                .map(|(h, s)| format!("{h} : {s}\n"))
                .collect();
            assert_eq!(text, expected);
        }
        assert_eq!(xorb_hash(&leaves), hash(&case["xorb_hash"]), "n={n}");
        assert_eq!(
            file_hash(&leaves),
            hash(&case["file_hash_zero_salt"]),
            "n={n}"
        );
        assert_eq!(
            file_hash_with_salt(&leaves, &salt),
            hash(&case["file_hash_with_salt"]),
            "n={n}"
        );
        let hashes: Vec<Hash> = leaves.iter().map(|l| l.0).collect();
        match &case["verification_hash_all_leaves"] {
            serde_json::Value::Null => assert_eq!(n, 0),
            h => assert_eq!(verification_hash(&hashes), hash(h), "n={n}"),
        }
    }
}
