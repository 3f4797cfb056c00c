//! THE command table: the concatenation of every family's rows. Each
//! family module (`string.rs`, `keys.rs`, ...) owns a `COMMANDS` slice of
//! rows built with `spec::cmd`/`spec::container`, in Redis's group order and
//! sorted by name within the family. COMMAND, arity checks, key positions
//! and the docs all derive from here.

use super::spec::CommandSpec;
use super::{
    bitmap, client, command, config, connection, debug, dump, hash, keys, list, multi, pubsub,
    replicaof, replication, server, set, sort, string, zset,
};

/// Every family's rows.
const FAMILIES: &[&[CommandSpec]] = &[
    keys::COMMANDS,
    dump::COMMANDS,
    string::COMMANDS,
    bitmap::COMMANDS,
    list::COMMANDS,
    set::COMMANDS,
    zset::COMMANDS,
    hash::COMMANDS,
    sort::COMMANDS,
    multi::COMMANDS,
    pubsub::COMMANDS,
    connection::COMMANDS,
    client::COMMANDS,
    server::COMMANDS,
    replicaof::COMMANDS,
    command::COMMANDS,
    debug::COMMANDS,
    config::COMMANDS,
    crate::persistence::aof::rewrite::COMMANDS,
    replication::COMMANDS,
];

/// Every top-level command.
pub fn all() -> impl Iterator<Item = &'static CommandSpec> {
    FAMILIES.iter().flat_map(|f| f.iter())
}

/// Renders docs/commands.md: every command and subcommand with its arity,
/// flags and key positions, grouped as Redis's documentation groups them.
pub fn render_docs() -> String {
    let mut rows: Vec<&'static CommandSpec> = Vec::new();
    for s in all() {
        rows.push(s);
        rows.extend(s.subcommands.iter());
    }
    rows.sort_by_key(|s| (s.group.name(), s.name));
    let mut out = String::from(
        "# Commands\n\nGenerated from the command table (`src/commands/table.rs`) by\n`cargo test` (set `UPDATE_DOCS=1` to rewrite it); do not edit by hand.\n",
    );
    let mut group = "";
    for s in rows {
        if s.group.name() != group {
            group = s.group.name();
            out.push_str(&format!(
                "\n## {}\n\n| command | arity | flags | keys (first, last, step) | summary |\n|---|---:|---|---|---|\n",
                group
            ));
        }
        let keys = if s.get_keys.is_some() {
            "movable".to_string()
        } else if s.first_key > 0 {
            format!("{}, {}, {}", s.first_key, s.last_key, s.step)
        } else {
            "-".to_string()
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            s.name.replace('|', "\\|"),
            s.arity,
            s.flag_names().join(", "),
            keys,
            s.summary
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::flags;
    use std::collections::HashSet;

    #[test]
    fn docs_commands_md_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/commands.md");
        let want = render_docs();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, &want).expect("write docs/commands.md");
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "docs/commands.md is stale: run `UPDATE_DOCS=1 cargo test --lib docs_commands_md`"
        );
    }

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
