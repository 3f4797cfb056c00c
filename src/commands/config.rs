//! CONFIG GET/SET/RESETSTAT/REWRITE.
//!
//! Redis counterpart: `configCommand` in `config.c`.

use super::spec::CommandSpec;

pub static COMMANDS: &[CommandSpec] = &[];
