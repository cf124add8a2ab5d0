//! Reconstruction JSON → download plan → decoded units → assembled bytes, the client's whole
//! path from a CAS answer to the bytes it returns (`src/download/plan.rs`).
//!
//! Input: byte 0 holds flags (bit 0: parse as V1 instead of V2; bit 1: a byte count `want` is
//! given; bit 2: a whole-file read, checked against a file hash; bit 3: `Verify::Structural`
//! instead of `Verify::Full`, where a needed footer is parsed from the end of the body), bytes
//! 1..9 `want` (u64 LE),
//! bytes 9..11 the JSON's length `n` (u16 LE), with bit 2 the file hash as 64 hex characters,
//! then `n` bytes of reconstruction JSON, then a body that every fetch of the plan is answered
//! with (chunk records, as from `/v1/fetch_term`).
//!
//! Asserts that nothing panics, that every step and piece of a plan lies inside its unit and
//! the unit inside the protocol's limits, that the assembler never hands out more bytes than
//! the plan asked for, and that a read it declares complete (`finish` is `Ok`) handed out
//! exactly `plan.len` bytes.
#![no_main]

use hf_buckets::download::footer::ProvenXorb;
use hf_buckets::download::plan::{decode_unit, Assembler, FetchPlan};
use hf_buckets::download::Verify;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 11 {
        return;
    }
    let flags = data[0];
    let want = u64::from_le_bytes(data[1..9].try_into().unwrap());
    let n = u16::from_le_bytes([data[9], data[10]]) as usize;
    let mut rest = &data[11..];
    let mut file_hash = None;
    if flags & 4 != 0 {
        let Some(hex) = rest.get(..64) else {
            return;
        };
        let Some(hash) = std::str::from_utf8(hex)
            .ok()
            .and_then(|h| xet::Hash::from_hex(h).ok())
        else {
            return;
        };
        file_hash = Some(hash);
        rest = &rest[64..];
    }
    let (json, body) = rest.split_at(n.min(rest.len()));
    let want = (flags & 2 != 0).then_some(want);
    let plan = if flags & 1 != 0 {
        xet::reconstruction::parse_v1(json)
            .ok()
            .map(|r| FetchPlan::from_v1(&r, want))
    } else {
        xet::reconstruction::parse_v2(json)
            .ok()
            .map(|r| FetchPlan::from_v2(&r, want))
    };
    let Some(Ok(mut plan)) = plan else {
        return;
    };
    let fresh = plan.clone();
    plan.renew_urls(&fresh);
    plan.prune();
    for step in &plan.steps {
        let Some(unit) = plan.units.get(step.unit) else {
            panic!("a step names unit {} of {}", step.unit, plan.units.len());
        };
        assert!(unit.chunks.start < unit.chunks.end, "{unit:?}");
        assert!(
            unit.bytes.start <= unit.bytes.end && unit.bytes.end < 66 << 20,
            "{unit:?}"
        );
        for p in &step.pieces {
            assert!(
                unit.chunks.start <= p.chunks.start
                    && p.chunks.start < p.chunks.end
                    && p.chunks.end <= unit.chunks.end,
                "piece {p:?} outside {unit:?}"
            );
        }
    }
    let verify = if flags & 8 != 0 {
        Verify::Structural
    } else {
        Verify::Full
    };
    let whole = file_hash.map(|h| (h, plan.len));
    let mut assembler = Assembler::new(&plan, whole, verify);
    let mut emitted = 0u64;
    for step in &plan.steps {
        let Some(unit) = plan.units.get(step.unit) else {
            return;
        };
        let Ok(decoded) = decode_unit(unit, body) else {
            return;
        };
        if assembler.needs_footer(unit.xorb, &decoded) {
            let proof = xet::xorb::XorbFooter::parse_tail(body)
                .ok()
                .and_then(|(f, _)| ProvenXorb::from_footer(unit.xorb, &f).ok());
            let Some(proof) = proof else {
                return;
            };
            assembler.add_proof(unit.xorb, proof);
        }
        match assembler.take(unit, step, &decoded) {
            Ok(pieces) => emitted += pieces.iter().map(|p| p.len() as u64).sum::<u64>(),
            Err(_) => return,
        }
        assert!(
            emitted <= plan.len,
            "{emitted} bytes handed out, {} planned",
            plan.len
        );
    }
    if assembler.finish().is_ok() {
        assert_eq!(
            emitted, plan.len,
            "a complete read handed out a different length"
        );
    }
});
