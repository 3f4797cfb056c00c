//! Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE
//! SSUBSCRIBE SUNSUBSCRIBE PUBLISH SPUBLISH and the PUBSUB introspection
//! container, plus the RESP2 subscribed-context rule used by dispatch.
//! The registry and delivery live in `server/pubsub.rs`.
//!
//! Redis counterpart: the command half of `pubsub.c`.

use super::client::reply_help;
use super::spec::{cmd, container, keys, CommandSpec, Group, NO_KEYS};
use super::Ctx;
use crate::commands::flags::*;
use crate::errors::{CmdError, CmdResult};
use crate::server::pubsub::{self, Kind};

const PS: Group = Group::Pubsub;
const SUB_FLAGS: u32 = PUBSUB | NOSCRIPT | LOADING | STALE;
const INTRO_FLAGS: u32 = PUBSUB | LOADING | STALE;

static PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(
        "pubsub|channels",
        -2,
        INTRO_FLAGS,
        NO_KEYS,
        PS,
        channels_command,
    )
    .doc("List active channels", "2.8.0"),
    cmd("pubsub|help", 2, LOADING | STALE, NO_KEYS, PS, help_command)
        .without_group_acl()
        .doc("Show helpful text about the different subcommands", "6.2.0"),
    cmd("pubsub|numpat", 2, INTRO_FLAGS, NO_KEYS, PS, numpat_command).doc(
        "Get the count of unique patterns pattern subscriptions",
        "2.8.0",
    ),
    cmd(
        "pubsub|numsub",
        -2,
        INTRO_FLAGS,
        NO_KEYS,
        PS,
        numsub_command,
    )
    .doc("Get the count of subscribers for channels", "2.8.0"),
    cmd(
        "pubsub|shardchannels",
        -2,
        INTRO_FLAGS,
        NO_KEYS,
        PS,
        shardchannels_command,
    )
    .doc("List active shard channels", "7.0.0"),
    cmd(
        "pubsub|shardnumsub",
        -2,
        INTRO_FLAGS,
        NO_KEYS,
        PS,
        shardnumsub_command,
    )
    .doc("Get the count of subscribers for shard channels", "7.0.0"),
];

pub static COMMANDS: &[CommandSpec] = &[
    cmd("psubscribe", -2, SUB_FLAGS, NO_KEYS, PS, psubscribe_command).doc(
        "Listen for messages published to channels matching the given patterns",
        "2.0.0",
    ),
    cmd(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST,
        NO_KEYS,
        PS,
        publish_command,
    )
    .doc("Post a message to a channel", "2.0.0"),
    container("pubsub", -2, PS, PUBSUB_SUBCOMMANDS)
        .doc("A container for Pub/Sub commands", "2.8.0"),
    cmd(
        "punsubscribe",
        -1,
        SUB_FLAGS,
        NO_KEYS,
        PS,
        punsubscribe_command,
    )
    .doc(
        "Stop listening for messages posted to channels matching the given patterns",
        "2.0.0",
    ),
    cmd(
        "spublish",
        3,
        PUBSUB | LOADING | STALE | FAST,
        keys(1, 1, 1),
        PS,
        spublish_command,
    )
    .doc("Post a message to a shard channel", "7.0.0"),
    cmd(
        "ssubscribe",
        -2,
        SUB_FLAGS,
        keys(1, -1, 1),
        PS,
        ssubscribe_command,
    )
    .doc(
        "Listen for messages published to the given shard channels",
        "7.0.0",
    ),
    cmd("subscribe", -2, SUB_FLAGS, NO_KEYS, PS, subscribe_command).doc(
        "Listen for messages published to the given channels",
        "2.0.0",
    ),
    cmd(
        "sunsubscribe",
        -1,
        SUB_FLAGS,
        keys(1, -1, 1),
        PS,
        sunsubscribe_command,
    )
    .doc(
        "Stop listening for messages posted to the given shard channels",
        "7.0.0",
    ),
    cmd(
        "unsubscribe",
        -1,
        SUB_FLAGS,
        NO_KEYS,
        PS,
        unsubscribe_command,
    )
    .doc(
        "Stop listening for messages posted to the given channels",
        "2.0.0",
    ),
];

/// Whether a command runs in the RESP2 subscribed context.
pub fn allowed_in_context(spec: &CommandSpec) -> bool {
    matches!(
        spec.name,
        "subscribe"
            | "unsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "ssubscribe"
            | "sunsubscribe"
            | "ping"
            | "quit"
            | "reset"
    )
}

/// The RESP2 subscribed-context refusal for `spec`.
pub fn context_error(spec: &CommandSpec) -> String {
    format!(
        "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
        spec.name
    )
}

fn subscribe_each(ctx: &mut Ctx, kind: Kind) -> CmdResult {
    for name in &ctx.argv[1..] {
        pubsub::subscribe(ctx.srv, ctx.client, kind, name);
    }
    Ok(())
}

fn unsubscribe_each(ctx: &mut Ctx, kind: Kind) -> CmdResult {
    if ctx.argc() == 1 {
        pubsub::unsubscribe_all(ctx.srv, ctx.client, kind, true);
    } else {
        for name in &ctx.argv[1..] {
            pubsub::unsubscribe(ctx.srv, ctx.client, kind, name, true);
        }
    }
    Ok(())
}

/// SUBSCRIBE channel [channel ...]
fn subscribe_command(ctx: &mut Ctx) -> CmdResult {
    subscribe_each(ctx, Kind::Channel)
}

/// PSUBSCRIBE pattern [pattern ...]
fn psubscribe_command(ctx: &mut Ctx) -> CmdResult {
    subscribe_each(ctx, Kind::Pattern)
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
fn ssubscribe_command(ctx: &mut Ctx) -> CmdResult {
    subscribe_each(ctx, Kind::Shard)
}

/// UNSUBSCRIBE [channel [channel ...]]
fn unsubscribe_command(ctx: &mut Ctx) -> CmdResult {
    unsubscribe_each(ctx, Kind::Channel)
}

/// PUNSUBSCRIBE [pattern [pattern ...]]
fn punsubscribe_command(ctx: &mut Ctx) -> CmdResult {
    unsubscribe_each(ctx, Kind::Pattern)
}

/// SUNSUBSCRIBE [shardchannel [shardchannel ...]]
fn sunsubscribe_command(ctx: &mut Ctx) -> CmdResult {
    unsubscribe_each(ctx, Kind::Shard)
}

/// PUBLISH channel message
fn publish_command(ctx: &mut Ctx) -> CmdResult {
    let n = pubsub::publish(
        ctx.srv,
        Some(&mut *ctx.client),
        Kind::Channel,
        ctx.argv[1],
        ctx.argv[2],
    );
    ctx.client.reply.int(n as i64);
    Ok(())
}

/// SPUBLISH shardchannel message
fn spublish_command(ctx: &mut Ctx) -> CmdResult {
    let n = pubsub::publish(
        ctx.srv,
        Some(&mut *ctx.client),
        Kind::Shard,
        ctx.argv[1],
        ctx.argv[2],
    );
    ctx.client.reply.int(n as i64);
    Ok(())
}

fn wrong_args(ctx: &Ctx) -> CmdError {
    CmdError::owned(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
        String::from_utf8_lossy(&crate::errors::truncate_arg(ctx.argv[1]))
    ))
}

fn reply_channels(ctx: &mut Ctx, kind: Kind) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(wrong_args(ctx));
    }
    let pattern = ctx.argv.get(2).copied();
    let names = ctx.srv.pubsub.channel_names(kind, pattern);
    let r = &mut ctx.client.reply;
    r.array_len(names.len());
    for n in names {
        r.bulk(n);
    }
    Ok(())
}

fn reply_numsub(ctx: &mut Ctx, kind: Kind) -> CmdResult {
    let r = &mut ctx.client.reply;
    r.array_len((ctx.argv.len() - 2) * 2);
    for ch in &ctx.argv[2..] {
        r.bulk(ch);
        r.int(ctx.srv.pubsub.numsub(kind, ch) as i64);
    }
    Ok(())
}

/// PUBSUB CHANNELS [pattern]
fn channels_command(ctx: &mut Ctx) -> CmdResult {
    reply_channels(ctx, Kind::Channel)
}

/// PUBSUB SHARDCHANNELS [pattern]
fn shardchannels_command(ctx: &mut Ctx) -> CmdResult {
    reply_channels(ctx, Kind::Shard)
}

/// PUBSUB NUMSUB [channel [channel ...]]
fn numsub_command(ctx: &mut Ctx) -> CmdResult {
    reply_numsub(ctx, Kind::Channel)
}

/// PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]]
fn shardnumsub_command(ctx: &mut Ctx) -> CmdResult {
    reply_numsub(ctx, Kind::Shard)
}

/// PUBSUB NUMPAT
fn numpat_command(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.srv.pubsub.pattern_count();
    ctx.client.reply.int(n as i64);
    Ok(())
}

/// PUBSUB HELP
fn help_command(ctx: &mut Ctx) -> CmdResult {
    reply_help(
        ctx,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;

    #[test]
    fn subscribe_replies_and_counts() {
        let mut h = Harness::new();
        assert_eq!(
            h.run_str(&["subscribe", "a", "a"]),
            "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
        );
        assert_eq!(
            h.run_str(&["psubscribe", "a*"]),
            "*3\r\n$10\r\npsubscribe\r\n$2\r\na*\r\n:2\r\n"
        );
        assert_eq!(h.run_str(&["get", "x"]), "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n");
        assert_eq!(h.run_str(&["ping"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
        assert_eq!(
            h.run_str(&["unsubscribe", "zz"]),
            "*3\r\n$11\r\nunsubscribe\r\n$2\r\nzz\r\n:2\r\n"
        );
        assert_eq!(
            h.run_str(&["punsubscribe"]),
            "*3\r\n$12\r\npunsubscribe\r\n$2\r\na*\r\n:1\r\n"
        );
        assert_eq!(
            h.run_str(&["unsubscribe"]),
            "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n"
        );
        assert_eq!(
            h.run_str(&["unsubscribe"]),
            "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
        );
        assert_eq!(h.run_str(&["get", "x"]), "$-1\r\n");
        let info = h.run_str(&["info", "stats"]);
        assert!(info.contains("pubsub_channels:0\r\n"), "{}", info);
    }

    #[test]
    fn resp3_self_publish_pushes_before_the_reply() {
        let mut h = Harness::new();
        h.run_str(&["hello", "3"]);
        assert_eq!(
            h.run_str(&["ssubscribe", "s"]),
            ">3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n"
        );
        assert_eq!(
            h.run_str(&["spublish", "s", "m"]),
            ">3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nm\r\n:1\r\n"
        );
        assert_eq!(h.run_str(&["publish", "s", "m"]), ":0\r\n");
        assert_eq!(
            h.run_str(&["pubsub", "shardnumsub", "s", "t"]),
            "*4\r\n$1\r\ns\r\n:1\r\n$1\r\nt\r\n:0\r\n"
        );
        assert_eq!(h.run_str(&["pubsub", "shardchannels", "x*"]), "*0\r\n");
        assert_eq!(h.run_str(&["reset"]), "+RESET\r\n");
        assert_eq!(h.run_str(&["pubsub", "shardchannels"]), "*0\r\n");
    }

    #[test]
    fn pubsub_introspection_errors() {
        let mut h = Harness::new();
        assert_eq!(
            h.run_str(&["pubsub", "channels", "a", "b"]),
            "-ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP.\r\n"
        );
        assert_eq!(
            h.run_str(&["pubsub", "numpat", "x"]),
            "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n"
        );
        assert_eq!(h.run_str(&["pubsub", "numpat"]), ":0\r\n");
        assert_eq!(h.run_str(&["pubsub", "numsub"]), "*0\r\n");
    }
}
