//! ZSet commands.
//!
//! Redis counterpart: `t_zset.c` (the command half).

use super::spec::CommandSpec;

pub static COMMANDS: &[CommandSpec] = &[];
