//! THE command table: the concatenation of every family's rows. Each
//! family module (`string.rs`, `keys.rs`, ...) owns a `COMMANDS` slice of
//! rows built with `spec::cmd`/`spec::container`, in Redis's group order and
//! sorted by name within the family. COMMAND, arity checks, key positions
//! and the docs all derive from here.

use super::spec::CommandSpec;
use super::{
    client, command, config, connection, debug, hash, keys, list, server, set, string, zset,
};

/// Every family's rows.
const FAMILIES: &[&[CommandSpec]] = &[
    keys::COMMANDS,
    string::COMMANDS,
    list::COMMANDS,
    set::COMMANDS,
    zset::COMMANDS,
    hash::COMMANDS,
    connection::COMMANDS,
    client::COMMANDS,
    server::COMMANDS,
    command::COMMANDS,
    debug::COMMANDS,
    config::COMMANDS,
];

/// Every top-level command.
pub fn all() -> impl Iterator<Item = &'static CommandSpec> {
    FAMILIES.iter().flat_map(|f| f.iter())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::flags;
    use std::collections::HashSet;

    #[test]
    fn table_is_consistent() {
        let mut names = HashSet::new();
        let mut check = |s: &CommandSpec| {
            assert!(names.insert(s.name), "duplicate command {}", s.name);
            assert_ne!(s.arity, 0, "{} has arity 0", s.name);
            assert!(
                !(s.has(flags::WRITE) && s.has(flags::READONLY)),
                "{} is both write and readonly",
                s.name
            );
            assert!(
                s.handler.is_some() || !s.subcommands.is_empty(),
                "{} has neither handler nor subcommands",
                s.name
            );
            assert_eq!(s.name, s.name.to_ascii_lowercase());
            if s.first_key > 0 {
                assert!(s.step > 0, "{} has keys but step 0", s.name);
                if s.arity > 0 {
                    assert!(s.first_key < s.arity, "{} key outside arity", s.name);
                }
            }
        };
        for s in all() {
            check(s);
            for sub in s.subcommands {
                assert!(
                    sub.name.starts_with(&format!("{}|", s.name)),
                    "{}",
                    sub.name
                );
                check(sub);
            }
        }
    }
}
