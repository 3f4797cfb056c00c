//! The CONFIG container: GET, SET, RESETSTAT, REWRITE, HELP. The parsing,
//! validation and rewriting live in `crate::config`; this module turns them
//! into replies and applies what the live server needs.
//!
//! Redis counterpart: `configCommand` and friends in `config.c`.

use super::spec::{cmd, container, CommandSpec, Group, NO_KEYS};
use super::Ctx;
use crate::commands::flags::*;
use crate::errors::{CmdError, CmdResult};
use crate::server::client::cflags;
use crate::server::Stats;

const ADMIN_FLAGS: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

static SUBCOMMANDS: &[CommandSpec] = &[
    cmd(
        "config|get",
        -3,
        ADMIN_FLAGS,
        NO_KEYS,
        Group::Server,
        config_get,
    )
    .doc(
        "Returns the effective values of configuration parameters.",
        "2.0.0",
    ),
    cmd(
        "config|help",
        2,
        LOADING | STALE,
        NO_KEYS,
        Group::Server,
        config_help,
    )
    .doc(
        "Returns helpful text about the different subcommands.",
        "5.0.0",
    ),
    cmd(
        "config|resetstat",
        2,
        ADMIN_FLAGS,
        NO_KEYS,
        Group::Server,
        config_resetstat,
    )
    .doc("Resets the server's statistics.", "2.0.0"),
    cmd(
        "config|rewrite",
        2,
        ADMIN_FLAGS,
        NO_KEYS,
        Group::Server,
        config_rewrite,
    )
    .doc("Persists the effective configuration to file.", "2.8.0"),
    cmd(
        "config|set",
        -4,
        ADMIN_FLAGS,
        NO_KEYS,
        Group::Server,
        config_set,
    )
    .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
    .doc("Sets configuration parameters in-flight.", "2.0.0"),
];

pub static COMMANDS: &[CommandSpec] = &[container("config", -2, Group::Server, SUBCOMMANDS)
    .doc("A container for server configuration commands.", "2.0.0")];

/// CONFIG GET parameter [parameter ...]
fn config_get(ctx: &mut Ctx) -> CmdResult {
    let pairs = ctx.srv.config.config_get(&ctx.argv[2..]);
    ctx.client.reply.map_len(pairs.len());
    for (name, value) in &pairs {
        ctx.client.reply.bulk(name);
        ctx.client.reply.bulk(value);
    }
    Ok(())
}

/// CONFIG SET parameter value [parameter value ...]
fn config_set(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() % 2 == 1 {
        return Err(CmdError::Syntax);
    }
    let pairs: Vec<(&[u8], &[u8])> = ctx.argv[2..].chunks(2).map(|p| (p[0], p[1])).collect();
    let local = ctx.client.has(cflags::LOCAL) || ctx.client.has(cflags::UNIX_SOCKET);
    let protected_ok = match ctx.srv.config.enable_protected_configs.as_str() {
        "yes" => true,
        "local" => local,
        _ => false,
    };
    ctx.srv
        .config
        .config_set(&pairs, protected_ok)
        .map_err(CmdError::owned)?;
    ctx.srv.apply_config();
    crate::persistence::aof::config_set_hook(ctx.srv).map_err(CmdError::owned)?;
    ctx.client.reply.ok();
    Ok(())
}

/// CONFIG RESETSTAT
fn config_resetstat(ctx: &mut Ctx) -> CmdResult {
    let fresh = Stats {
        ops_last_ms: ctx.srv.now_ms,
        ..Stats::default()
    };
    ctx.srv.stats = fresh;
    ctx.client.reply.ok();
    Ok(())
}

/// CONFIG REWRITE
fn config_rewrite(ctx: &mut Ctx) -> CmdResult {
    if ctx.srv.config.config_file.is_none() {
        return Err(CmdError::msg(
            "ERR The server is running without a config file",
        ));
    }
    match ctx.srv.config.rewrite(false) {
        Ok(()) => {
            log::warn!("CONFIG REWRITE executed with success.");
            ctx.client.reply.ok();
            Ok(())
        }
        Err(e) => {
            log::warn!("CONFIG REWRITE failed: {}", e);
            Err(CmdError::owned(format!("ERR Rewriting config file: {}", e)))
        }
    }
}

const HELP: &[&str] = &[
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
];

/// CONFIG HELP
fn config_help(ctx: &mut Ctx) -> CmdResult {
    ctx.client.reply.array_len(HELP.len());
    for line in HELP {
        ctx.client.reply.simple(line.as_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;

    fn bulk_map(pairs: &[(&str, &str)]) -> String {
        let mut s = format!("*{}\r\n", pairs.len() * 2);
        for (k, v) in pairs {
            s.push_str(&format!(
                "${}\r\n{}\r\n${}\r\n{}\r\n",
                k.len(),
                k,
                v.len(),
                v
            ));
        }
        s
    }

    #[test]
    fn get_defaults() {
        // Harness::new clears the save points; the real defaults here.
        let mut h = Harness::with_config(crate::config::Config::default());
        assert_eq!(
            h.run_str(&["config", "get", "maxmemory"]),
            bulk_map(&[("maxmemory", "0")])
        );
        assert_eq!(
            h.run_str(&["config", "get", "client-output-buffer-limit"]),
            bulk_map(&[(
                "client-output-buffer-limit",
                "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
            )])
        );
        assert_eq!(
            h.run_str(&["config", "get", "save"]),
            bulk_map(&[("save", "3600 1 300 100 60 10000")])
        );
        assert_eq!(
            h.run_str(&["config", "get", "PORT", "port", "nosuch"]),
            bulk_map(&[("PORT", "6379")])
        );
        assert_eq!(
            h.run_str(&["config", "get", "hash-max-*-entries"]),
            bulk_map(&[
                ("hash-max-listpack-entries", "512"),
                ("hash-max-ziplist-entries", "512")
            ])
        );
        assert_eq!(h.run_str(&["config", "get", "use-exit-*"]), "*0\r\n");
        assert_eq!(
            h.run_str(&["config", "get", "use-exit-on-panic"]),
            bulk_map(&[("use-exit-on-panic", "no")])
        );
        assert_eq!(
            h.run_str(&["config", "get"]),
            "-ERR wrong number of arguments for 'config|get' command\r\n"
        );
    }

    #[test]
    fn get_resp3_is_a_map() {
        let mut h = Harness::new();
        h.run(&["hello", "3"]);
        assert_eq!(
            h.run_str(&["config", "get", "maxmemory"]),
            "%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
        );
        assert_eq!(h.run_str(&["config", "get", "nosuch"]), "%0\r\n");
    }

    #[test]
    fn set_applies_and_validates() {
        let mut h = Harness::new();
        assert_eq!(
            h.run_str(&["config", "set", "maxmemory", "10mb"]),
            "+OK\r\n"
        );
        assert_eq!(h.srv.config.maxmemory, 10 * 1024 * 1024);
        assert_eq!(h.run_str(&["config", "set", "hz", "1000"]), "+OK\r\n");
        assert_eq!(h.srv.config.hz, 500);
        assert_eq!(
            h.run_str(&["config", "get", "hz"]),
            bulk_map(&[("hz", "500")])
        );
        assert_eq!(
            h.run_str(&["config", "set", "timeout", "5", "slowlog-max-len", "3"]),
            "+OK\r\n"
        );
        assert_eq!(h.srv.config.timeout, 5);
        assert_eq!(h.srv.config.slowlog_max_len, 3);
        assert_eq!(
            h.run_str(&["config", "set", "save", "10 2 20 3"]),
            "+OK\r\n"
        );
        assert_eq!(h.srv.config.save, vec![(10, 2), (20, 3)]);
        assert_eq!(
            h.run_str(&[
                "config",
                "set",
                "client-output-buffer-limit",
                "normal 1mb 2mb 3"
            ]),
            "+OK\r\n"
        );
        assert_eq!(h.srv.config.obuf_limit_normal, (1 << 20, 2 << 20, 3));
        assert_eq!(
            h.run_str(&["config", "set", "requirepass", "pw"]),
            "+OK\r\n"
        );
        assert_eq!(h.srv.config.requirepass.as_deref(), Some(&b"pw"[..]));
        // Changing the password does not log the current client out.
        assert_eq!(
            h.run_str(&["config", "get", "timeout"]),
            bulk_map(&[("timeout", "5")])
        );
    }

    #[test]
    fn set_errors() {
        let mut h = Harness::new();
        assert_eq!(
            h.run_str(&["config", "set", "a", "b", "c"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run_str(&["config", "set", "foo", "bar"]),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"
        );
        assert_eq!(
            h.run_str(&["config", "set", "maxmemory", "1", "maxmemory", "2"]),
            "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter\r\n"
        );
        assert_eq!(
            h.run_str(&["config", "set", "DATABASES", "2", "foo", "1"]),
            "-ERR CONFIG SET failed (possibly related to argument 'DATABASES') - can't set immutable config\r\n"
        );
        assert_eq!(
            h.run_str(&["config", "set", "dir", "/tmp"]),
            "-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config\r\n"
        );
        assert_eq!(
            h.run_str(&["config", "set", "hz", "5", "maxmemory", "abc"]),
            "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n"
        );
        // All or nothing: hz was not changed.
        assert_eq!(h.srv.config.hz, 10);
        assert_eq!(
            h.run_str(&["config", "set", "PORT", "abc"]),
            "-ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer\r\n"
        );
        assert_eq!(
            h.run_str(&["config", "set", "loglevel", "loud"]),
            "-ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning\r\n"
        );
        assert_eq!(
            h.run_str(&["config", "set", "protected-mode", "maybe"]),
            "-ERR CONFIG SET failed (possibly related to argument 'protected-mode') - argument must be 'yes' or 'no'\r\n"
        );
        assert_eq!(
            h.run_str(&["config", "set", "save", "1 2 3"]),
            "-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters\r\n"
        );
        assert_eq!(
            h.run_str(&["config", "set", "slave-priority", "-1"]),
            "-ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument must be between 0 and 2147483647 inclusive\r\n"
        );
        assert_eq!(
            h.run_str(&["config", "set", "maxmemory"]),
            "-ERR wrong number of arguments for 'config|set' command\r\n"
        );
    }

    #[test]
    fn protected_configs_follow_enable_protected_configs() {
        let mut cfg = crate::config::Config::default();
        cfg.load_text("enable-protected-configs local").unwrap();
        let mut h = Harness::with_config(cfg);
        assert_eq!(
            h.run_str(&["config", "set", "dbfilename", "x.rdb"]),
            "-ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config\r\n"
        );
        h.client.flags |= crate::server::client::cflags::LOCAL;
        assert_eq!(
            h.run_str(&["config", "set", "dbfilename", "x.rdb"]),
            "+OK\r\n"
        );
        assert_eq!(
            h.run_str(&["config", "set", "dbfilename", "a/b"]),
            "-ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a filename\r\n"
        );
    }

    #[test]
    fn resetstat_help_rewrite() {
        let mut h = Harness::new();
        h.run(&["get", "k"]);
        h.run(&["nosuch"]);
        assert!(h.srv.stats.keyspace_misses > 0);
        assert_eq!(h.run_str(&["config", "resetstat"]), "+OK\r\n");
        assert_eq!(h.srv.stats.keyspace_misses, 0);
        assert_eq!(h.srv.stats.total_error_replies, 0);
        assert!(h.srv.stats.errors.is_empty());
        // Only this CONFIG RESETSTAT call itself is counted.
        assert_eq!(h.srv.stats.commands.len(), 1);
        assert_eq!(
            h.run_str(&["config", "resetstat", "x"]),
            "-ERR wrong number of arguments for 'config|resetstat' command\r\n"
        );
        let help = h.run_str(&["config", "help"]);
        assert!(help.starts_with(
            "*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET <pattern>\r\n"
        ));
        assert!(help.ends_with("+HELP\r\n+    Prints this help.\r\n"));
        assert_eq!(
            h.run_str(&["config", "rewrite"]),
            "-ERR The server is running without a config file\r\n"
        );
        assert_eq!(
            h.run_str(&["config", "foo"]),
            "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n"
        );
        assert_eq!(
            h.run_str(&["config"]),
            "-ERR wrong number of arguments for 'config' command\r\n"
        );
    }
}
