//! Fuzzes the RDB loader with whole files: any input must load or be
//! refused with an error, never panic or allocate without bound. The same
//! entry point as the mutation test in `src/persistence/rdb/decode.rs`
//! (`rdb::load_keyspace` into 16 empty databases, as a start-up load).
//!
//! Redis counterpart: `rdbLoad` fed corrupt files (Redis's corrupt-dump
//! fuzzer, `tests/integration/corrupt-dump-fuzzer.tcl`).
#![no_main]

use ferredis::db::Keyspace;
use ferredis::persistence::rdb::{load_keyspace, Encodings, LoadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // With the checksum verified almost every mutation stops at the end;
    // the first byte picks, so the decoder itself gets most inputs.
    let verify_checksum = data.first().is_some_and(|b| b & 1 == 1);
    let opts = LoadOptions {
        verify_checksum,
        encodings: Encodings::default(),
    };
    let mut ks = Keyspace::new(16);
    let _ = load_keyspace(data, &mut ks, 0, true, &opts);
});
