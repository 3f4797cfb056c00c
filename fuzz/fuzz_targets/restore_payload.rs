//! Fuzzes RESTORE payloads: any input must decode to a value or be refused
//! (`DUMP payload version or checksum are wrong` / `Bad data format`),
//! never panic. The entry point RESTORE calls (`rdb::restore_payload`),
//! with the checksum skipped as `DEBUG SET-SKIP-CHECKSUM-VALIDATION 1`
//! does in the mutation test of `src/commands/dump.rs`.
//!
//! Redis counterpart: `restoreCommand` with `sanitize-dump-payload yes`.
#![no_main]

use ferredis::persistence::rdb::{restore_payload, Encodings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = restore_payload(data, &Encodings::default(), false);
});
