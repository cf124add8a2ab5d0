//! `xet::json` against serde_json, one document at a time: shared by the differential test
//! (tests/json_differential.rs) and the `json` fuzz target (fuzz/fuzz_targets/json.rs), which
//! include this file.

use xet::json::{parse, Value};

/// Ours as serde_json's value (repeated names: the last wins in both).
pub fn as_serde(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => serde_json::from_str(n).expect("our number is valid JSON"),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Array(items) => serde_json::Value::Array(items.iter().map(as_serde).collect()),
        Value::Object(members) => {
            let mut map = serde_json::Map::new();
            for (k, v) in members {
                map.insert(k.clone(), as_serde(v));
            }
            serde_json::Value::Object(map)
        }
    }
}

/// Both accept `doc` or both refuse it (serde_json refuses a number beyond f64's range, and
/// stops at its recursion limit, where ours keeps the text or goes a level deeper); an accepted
/// document reads as the same value, and what ours writes reads back as the same value.
pub fn check(doc: &[u8]) {
    let ours = parse(doc);
    let theirs = serde_json::from_slice::<serde_json::Value>(doc);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(&as_serde(a), b, "{:?}", String::from_utf8_lossy(doc)),
        (Err(_), Err(_)) => {}
        // serde_json refuses a number beyond f64's range; ours keeps the text (as `JSON.parse`
        // reads it, as Infinity), and only integers are ever read from it.
        (Ok(_), Err(e)) if e.to_string().starts_with("number out of range") => return,
        (Ok(_), Err(e)) if e.to_string().starts_with("recursion limit exceeded") => return,
        _ => panic!(
            "{:?}: ours {:?}, serde_json {:?}",
            String::from_utf8_lossy(doc),
            ours.map(|_| ()),
            theirs.map(|_| ())
        ),
    }
    // Written back and read again: the same value.
    if let Ok(v) = ours {
        assert_eq!(parse(v.to_string().as_bytes()).unwrap(), v);
    }
}
