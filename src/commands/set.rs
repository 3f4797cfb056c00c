//! Set commands.
//!
//! Redis counterpart: `t_set.c` (the command half).

use super::spec::CommandSpec;

pub static COMMANDS: &[CommandSpec] = &[];
