//! Generic keyspace commands: DEL EXISTS TYPE RENAME KEYS SCAN EXPIRE ...
//!
//! Redis counterpart: `db.c`, `expire.c` (command halves).

use super::spec::CommandSpec;

pub static COMMANDS: &[CommandSpec] = &[];
