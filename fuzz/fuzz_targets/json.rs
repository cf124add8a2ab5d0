//! `xet::json`, the client's JSON reader and writer, against serde_json on any input: both
//! accept or both refuse (serde_json refuses a number beyond f64's range, which ours keeps as
//! text), an accepted document reads as the same value, and what ours writes reads back as the
//! same value. Nothing may panic, however deep or malformed the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xet::json::{parse, Value};

fn as_serde(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => serde_json::from_str(n).expect("a number ours accepted"),
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

fuzz_target!(|data: &[u8]| {
    let ours = parse(data);
    let theirs = serde_json::from_slice::<serde_json::Value>(data);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(&as_serde(a), b),
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) if e.to_string().starts_with("number out of range") => return,
        // serde_json stops at 128 levels of nesting, ours after them.
        (Ok(_), Err(e)) if e.to_string().starts_with("recursion limit exceeded") => {}
        _ => panic!("ours {:?}, serde_json {:?}", ours.map(|_| ()), theirs.map(|_| ())),
    }
    if let Ok(v) = ours {
        assert_eq!(parse(v.to_string().as_bytes()).as_ref(), Ok(&v));
    }
});
