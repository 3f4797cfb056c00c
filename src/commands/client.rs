//! CLIENT and its subcommands.
//!
//! Redis counterpart: `clientCommand` in `networking.c`.

use super::spec::CommandSpec;
use crate::errors::{CmdError, CmdResult};

pub static COMMANDS: &[CommandSpec] = &[];

/// Client names may not contain spaces, newlines or other special
/// characters (Redis's `validateClientName`... rule: chars '!'..='~').
pub fn validate_name(name: &[u8]) -> CmdResult {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(CmdError::msg(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}
