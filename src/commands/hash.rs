//! Hash commands.
//!
//! Redis counterpart: `t_hash.c` (the command half).

use super::spec::CommandSpec;

pub static COMMANDS: &[CommandSpec] = &[];
