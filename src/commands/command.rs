//! COMMAND and its subcommands (COUNT, INFO, DOCS, GETKEYS,
//! GETKEYSANDFLAGS, LIST, HELP), all derived from the command table.
//!
//! Redis counterpart: `commandCommand` and friends in `server.c`.

use super::client::reply_help;
use super::spec::{acl, cmd, container, CommandSpec, Group, NO_KEYS};
use super::{find_subcommand, Ctx};
use crate::commands::flags::*;
use crate::errors::{CmdError, CmdResult};
use crate::resp::reply::ReplyBuf;

const CONN: Group = Group::Connection;

static SUBCOMMANDS: &[CommandSpec] = &[
    cmd(
        "command|count",
        2,
        LOADING | STALE,
        NO_KEYS,
        CONN,
        count_command,
    )
    .doc("Get total number of Redis commands", "2.8.13"),
    cmd(
        "command|docs",
        -2,
        LOADING | STALE,
        NO_KEYS,
        CONN,
        docs_command,
    )
    .doc("Get array of specific Redis command documentation", "7.0.0")
    .tips(&["nondeterministic_output_order"]),
    cmd(
        "command|getkeys",
        -4,
        LOADING | STALE,
        NO_KEYS,
        CONN,
        getkeys_command,
    )
    .doc("Extract keys given a full Redis command", "2.8.13"),
    cmd(
        "command|getkeysandflags",
        -4,
        LOADING | STALE,
        NO_KEYS,
        CONN,
        getkeysandflags_command,
    )
    .doc(
        "Extract keys and access flags given a full Redis command",
        "7.0.0",
    ),
    cmd(
        "command|help",
        2,
        LOADING | STALE,
        NO_KEYS,
        CONN,
        help_command,
    )
    .doc("Show helpful text about the different subcommands", "5.0.0"),
    cmd(
        "command|info",
        -2,
        LOADING | STALE,
        NO_KEYS,
        CONN,
        info_command,
    )
    .doc(
        "Get array of specific Redis command details, or all when no argument is given.",
        "2.8.13",
    )
    .tips(&["nondeterministic_output_order"]),
    cmd(
        "command|list",
        -2,
        LOADING | STALE,
        NO_KEYS,
        CONN,
        list_command,
    )
    .doc("Get an array of Redis command names", "7.0.0")
    .tips(&["nondeterministic_output_order"]),
];

pub static COMMANDS: &[CommandSpec] = &[{
    let mut c = container("command", -1, CONN, SUBCOMMANDS)
        .doc("Get array of Redis command details", "2.8.13");
    c.flags = LOADING | STALE;
    c.handler = Some(command_command);
    c.tips = &["nondeterministic_output_order"];
    c
}];

/// Finds a command or `container|sub` subcommand by full name.
fn lookup_full(ctx: &Ctx, name: &[u8]) -> Option<&'static CommandSpec> {
    match name.iter().position(|&b| b == b'|') {
        None => ctx.srv.commands.lookup(name),
        Some(i) => {
            let parent = ctx.srv.commands.lookup(&name[..i])?;
            find_subcommand(parent, &name[i + 1..])
        }
    }
}

/// Key-spec flags derived from the command flags.
fn keyspec_flags(spec: &CommandSpec) -> &'static [&'static str] {
    if spec.has(WRITE) {
        &["RW", "update"]
    } else {
        &["RO", "access"]
    }
}

/// Writes one command's COMMAND INFO entry.
fn write_info(r: &mut ReplyBuf, spec: &CommandSpec) {
    r.array_len(10);
    r.bulk(spec.name.as_bytes());
    r.int(spec.arity as i64);
    let flags = spec.flag_names();
    r.set_len(flags.len());
    for f in flags {
        r.simple(f.as_bytes());
    }
    r.int(spec.first_key as i64);
    r.int(spec.last_key as i64);
    r.int(spec.step as i64);
    let cats = spec.acl_categories();
    let names: Vec<&str> = acl::NAMES
        .iter()
        .filter(|(bit, _)| cats & bit != 0)
        .map(|&(_, n)| n)
        .collect();
    r.set_len(names.len());
    for n in names {
        r.simple(n.as_bytes());
    }
    r.set_len(spec.tips.len());
    for t in spec.tips {
        r.bulk(t.as_bytes());
    }
    if spec.first_key > 0 {
        r.array_len(1);
        r.map_len(3);
        r.bulk(b"flags");
        let kf = keyspec_flags(spec);
        r.set_len(kf.len());
        for f in kf {
            r.simple(f.as_bytes());
        }
        r.bulk(b"begin_search");
        r.map_len(2);
        r.bulk(b"type");
        r.bulk(b"index");
        r.bulk(b"spec");
        r.map_len(1);
        r.bulk(b"index");
        r.int(spec.first_key as i64);
        r.bulk(b"find_keys");
        r.map_len(2);
        r.bulk(b"type");
        r.bulk(b"range");
        r.bulk(b"spec");
        r.map_len(3);
        r.bulk(b"lastkey");
        let last = if spec.last_key < 0 {
            spec.last_key as i64
        } else {
            (spec.last_key - spec.first_key) as i64
        };
        r.int(last);
        r.bulk(b"keystep");
        r.int(spec.step as i64);
        r.bulk(b"limit");
        r.int(0);
    } else {
        r.array_len(0);
    }
    r.array_len(spec.subcommands.len());
    for s in spec.subcommands {
        write_info(r, s);
    }
}

/// COMMAND (all commands' info)
fn command_command(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 1 {
        return Err(crate::errors::unknown_subcommand(ctx.argv[1], "command"));
    }
    let all: Vec<&'static CommandSpec> = ctx.srv.commands.iter().collect();
    let r = &mut ctx.client.reply;
    r.array_len(all.len());
    for spec in all {
        write_info(r, spec);
    }
    Ok(())
}

/// COMMAND COUNT
fn count_command(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.srv.commands.len() as i64;
    ctx.client.reply.int(n);
    Ok(())
}

/// COMMAND INFO [command-name ...]
fn info_command(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() == 2 {
        return command_command_all(ctx);
    }
    let specs: Vec<Option<&'static CommandSpec>> =
        ctx.argv[2..].iter().map(|n| lookup_full(ctx, n)).collect();
    let r = &mut ctx.client.reply;
    r.array_len(specs.len());
    for s in specs {
        match s {
            Some(spec) => write_info(r, spec),
            None => r.null(),
        }
    }
    Ok(())
}

fn command_command_all(ctx: &mut Ctx) -> CmdResult {
    let all: Vec<&'static CommandSpec> = ctx.srv.commands.iter().collect();
    let r = &mut ctx.client.reply;
    r.array_len(all.len());
    for spec in all {
        write_info(r, spec);
    }
    Ok(())
}

fn write_docs(r: &mut ReplyBuf, spec: &CommandSpec) {
    let summary = if spec.summary.is_empty() {
        spec.name
    } else {
        spec.summary
    };
    let has_subs = !spec.subcommands.is_empty();
    r.map_len(if has_subs { 4 } else { 3 });
    r.bulk(b"summary");
    r.bulk(summary.as_bytes());
    r.bulk(b"since");
    r.bulk(spec.since.as_bytes());
    r.bulk(b"group");
    r.bulk(spec.group.name().as_bytes());
    if has_subs {
        r.bulk(b"subcommands");
        r.map_len(spec.subcommands.len());
        for s in spec.subcommands {
            r.bulk(s.name.as_bytes());
            write_docs(r, s);
        }
    }
}

/// COMMAND DOCS [command-name ...]
fn docs_command(ctx: &mut Ctx) -> CmdResult {
    let specs: Vec<&'static CommandSpec> = if ctx.argc() == 2 {
        ctx.srv.commands.iter().collect()
    } else {
        ctx.argv[2..]
            .iter()
            .filter_map(|n| lookup_full(ctx, n))
            .collect()
    };
    let r = &mut ctx.client.reply;
    r.map_len(specs.len());
    for s in specs {
        r.bulk(s.name.as_bytes());
        write_docs(r, s);
    }
    Ok(())
}

/// Resolves the command named in a GETKEYS call and its key positions.
fn keys_of(ctx: &Ctx) -> Result<(&'static CommandSpec, Vec<usize>), CmdError> {
    let args = &ctx.argv[2..];
    let mut spec = ctx
        .srv
        .commands
        .lookup(args[0])
        .ok_or(CmdError::msg("ERR Invalid command specified"))?;
    if !spec.subcommands.is_empty() && args.len() >= 2 {
        if let Some(sub) = find_subcommand(spec, args[1]) {
            spec = sub;
        }
    }
    if !spec.arity_ok(args.len()) {
        return Err(CmdError::msg(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let keys = spec
        .keys_of(args)
        .ok_or(CmdError::msg("ERR Invalid arguments specified for command"))?;
    if keys.is_empty() {
        return Err(CmdError::msg("ERR The command has no key arguments"));
    }
    Ok((spec, keys))
}

/// COMMAND GETKEYS command [arg ...]
fn getkeys_command(ctx: &mut Ctx) -> CmdResult {
    let (_, keys) = keys_of(ctx)?;
    let args = &ctx.argv[2..];
    let r = &mut ctx.client.reply;
    r.array_len(keys.len());
    for k in keys {
        r.bulk(args[k]);
    }
    Ok(())
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]
fn getkeysandflags_command(ctx: &mut Ctx) -> CmdResult {
    let (spec, keys) = keys_of(ctx)?;
    let args = &ctx.argv[2..];
    let r = &mut ctx.client.reply;
    r.array_len(keys.len());
    let kf = keyspec_flags(spec);
    for k in keys {
        r.array_len(2);
        r.bulk(args[k]);
        r.set_len(kf.len());
        for f in kf {
            r.simple(f.as_bytes());
        }
    }
    Ok(())
}

/// COMMAND LIST [FILTERBY MODULE name|ACLCAT category|PATTERN pattern]
fn list_command(ctx: &mut Ctx) -> CmdResult {
    let mut names: Vec<&'static str> = Vec::new();
    let all: Vec<&'static CommandSpec> = ctx.srv.commands.iter().collect();
    let mut push_all = |f: &dyn Fn(&CommandSpec) -> bool| {
        for s in &all {
            if f(s) {
                names.push(s.name);
            }
            for sub in s.subcommands {
                if f(sub) {
                    names.push(sub.name);
                }
            }
        }
    };
    match ctx.argc() {
        2 => push_all(&|_| true),
        5 if super::args::is(ctx.argv[2], "filterby") => {
            let (kind, val) = (ctx.argv[3], ctx.argv[4]);
            if super::args::is(kind, "module") {
                // No modules: nothing matches.
            } else if super::args::is(kind, "aclcat") {
                let want = format!("@{}", String::from_utf8_lossy(val).to_ascii_lowercase());
                let bit = acl::NAMES.iter().find(|(_, n)| *n == want).map(|&(b, _)| b);
                if let Some(bit) = bit {
                    push_all(&|s| s.acl_categories() & bit != 0);
                }
            } else if super::args::is(kind, "pattern") {
                push_all(&|s| crate::util::glob::glob_match(val, s.name.as_bytes(), true));
            } else {
                return Err(CmdError::Syntax);
            }
        }
        _ => return Err(CmdError::Syntax),
    }
    let r = &mut ctx.client.reply;
    r.array_len(names.len());
    for n in names {
        r.bulk(n.as_bytes());
    }
    Ok(())
}

/// COMMAND HELP
fn help_command(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        ctx,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;

    #[test]
    fn info_matches_redis_shape() {
        let mut h = Harness::new();
        let get = h.run_str(&["command", "info", "get"]);
        assert!(get.starts_with(
            "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n"
        ), "{}", get);
        assert_eq!(h.run_str(&["command", "info", "nosuch"]), "*1\r\n$-1\r\n");
    }

    #[test]
    fn getkeys_and_errors() {
        let mut h = Harness::new();
        assert_eq!(
            h.run_str(&["command", "getkeys", "set", "a", "b"]),
            "*1\r\n$1\r\na\r\n"
        );
        assert_eq!(
            h.run_str(&["command", "getkeys", "nosuch", "a"]),
            "-ERR Invalid command specified\r\n"
        );
        assert_eq!(
            h.run_str(&["command", "getkeys", "get", "a", "b"]),
            "-ERR Invalid number of arguments specified for command\r\n"
        );
        assert_eq!(
            h.run_str(&["command", "getkeys", "ping", "a"]),
            "-ERR The command has no key arguments\r\n"
        );
        assert_eq!(
            h.run_str(&["command", "foo"]),
            "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n"
        );
    }
}
