//! List commands.
//!
//! Redis counterpart: `t_list.c` (the command half).

use super::spec::CommandSpec;

pub static COMMANDS: &[CommandSpec] = &[];
