//! `rebound::decode` on arbitrary bytes: it must never panic, and must answer the same
//! way twice (no hidden state).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = rebound::decode(data);
    assert_eq!(report, rebound::decode(data), "decode is not deterministic");
});
