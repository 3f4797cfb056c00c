//! The declarative table of every directive Redis 7.0.15 knows: name, alias,
//! kind with bounds or allowed values, default and flags. Everything else
//! in the config module (loading, CONFIG GET/SET, CONFIG REWRITE) is driven
//! by this table.
//!
//! Redis counterpart: `static_configs[]` and the `configEnum` tables in
//! `config.c`.

use super::validate;

/// Directive flags (Redis's `*_CONFIG` flags).
pub mod dflags {
    /// CONFIG SET refuses it (`can't set immutable config`).
    pub const IMMUTABLE: u8 = 1 << 0;
    /// CONFIG SET only when `enable-protected-configs` allows it.
    pub const PROTECTED: u8 = 1 << 1;
    /// Its value is redacted from logs (passwords).
    pub const SENSITIVE: u8 = 1 << 2;
    /// Only CONFIG GET with the exact name shows it.
    pub const HIDDEN: u8 = 1 << 3;
    /// Not settable while loading the dataset.
    pub const DENY_LOADING: u8 = 1 << 4;
    /// Takes any number of arguments in a config file; CONFIG SET splits
    /// its value on spaces.
    pub const MULTI_ARG: u8 = 1 << 5;
}

use dflags::*;

/// How a numeric value is written and parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumFmt {
    /// A plain integer (`string2ll`).
    Int,
    /// A memory size: `100mb`, `1gb`, `512k` (`memtoull`), shown in bytes.
    Memory,
    /// A memory size or a percentage `N%` (stored negated).
    MemoryPercent,
    /// An octal number (`unixsocketperm`).
    Octal,
}

/// A validity check for a boolean directive.
pub type BoolCheck = fn(bool) -> Result<(), &'static str>;

/// A validity check for an enum directive's value.
pub type EnumCheck = fn(u32) -> Result<(), &'static str>;

/// The kind of a directive, with its default.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `yes` / `no`, with an optional validity check.
    Bool {
        default: bool,
        check: Option<BoolCheck>,
    },
    /// A number. `unsigned` makes the bounds check unsigned, as Redis does
    /// for its unsigned C types.
    Num {
        fmt: NumFmt,
        unsigned: bool,
        min: i64,
        max: u64,
        default: i64,
    },
    /// One of a fixed list of names (several names may share a value). With
    /// `multi`, a set of flags given as several names (value 0 = the name
    /// whose value is 0).
    Enum {
        values: &'static [(&'static str, u32)],
        default: u32,
        multi: bool,
        check: Option<EnumCheck>,
    },
    /// A string. With `null_if_empty`, the empty string means "not set".
    Str {
        default: Option<&'static str>,
        null_if_empty: bool,
        check: Option<validate::StrCheck>,
    },
    /// Directives with their own parser and storage.
    Special(Special),
}

/// The directives with hand-written parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    Dir,
    Save,
    ClientOutputBufferLimit,
    OomScoreAdjValues,
    NotifyKeyspaceEvents,
    Bind,
    ReplicaOf,
    LatencyTrackingInfoPercentiles,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Directive {
    /// The primary name.
    pub name: &'static str,
    /// The old name still accepted (`slave-*`, `*-ziplist-*`, ...).
    pub alias: Option<&'static str>,
    /// `dflags::*`.
    pub flags: u8,
    pub kind: Kind,
}

impl Directive {
    const fn new(name: &'static str, kind: Kind) -> Self {
        let flags = match kind {
            Kind::Enum { multi: true, .. } => MULTI_ARG,
            Kind::Special(s) => match s {
                Special::Dir | Special::NotifyKeyspaceEvents => 0,
                _ => MULTI_ARG,
            },
            _ => 0,
        };
        Directive {
            name,
            alias: None,
            flags,
            kind,
        }
    }

    const fn alias(mut self, alias: &'static str) -> Self {
        self.alias = Some(alias);
        self
    }

    const fn f(mut self, flags: u8) -> Self {
        self.flags |= flags;
        self
    }

    /// Whether a flag is set.
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

const fn boolean(name: &'static str, default: bool) -> Directive {
    Directive::new(
        name,
        Kind::Bool {
            default,
            check: None,
        },
    )
}

const fn num(
    name: &'static str,
    fmt: NumFmt,
    unsigned: bool,
    min: i64,
    max: u64,
    default: i64,
) -> Directive {
    Directive::new(
        name,
        Kind::Num {
            fmt,
            unsigned,
            min,
            max,
            default,
        },
    )
}

/// A C `int` config.
const fn int(name: &'static str, min: i64, max: u64, default: i64) -> Directive {
    num(name, NumFmt::Int, false, min, max, default)
}

/// A `long long` (or `long`, `time_t`, ...) config: signed bounds check.
const fn long(name: &'static str, min: i64, max: u64, default: i64) -> Directive {
    num(name, NumFmt::Int, false, min, max, default)
}

/// An unsigned (`size_t`, `unsigned int`) config: unsigned bounds check.
const fn uint(name: &'static str, min: i64, max: u64, default: i64) -> Directive {
    num(name, NumFmt::Int, true, min, max, default)
}

const fn mem(name: &'static str, unsigned: bool, min: i64, max: u64, default: i64) -> Directive {
    num(name, NumFmt::Memory, unsigned, min, max, default)
}

const fn enumeration(
    name: &'static str,
    values: &'static [(&'static str, u32)],
    default: u32,
) -> Directive {
    Directive::new(
        name,
        Kind::Enum {
            values,
            default,
            multi: false,
            check: None,
        },
    )
}

const fn string(name: &'static str, default: &'static str) -> Directive {
    Directive::new(
        name,
        Kind::Str {
            default: Some(default),
            null_if_empty: false,
            check: None,
        },
    )
}

/// A string whose empty value means "unset" (C `NULL`).
const fn nullable(name: &'static str) -> Directive {
    Directive::new(
        name,
        Kind::Str {
            default: None,
            null_if_empty: true,
            check: None,
        },
    )
}

const fn checked_string(
    name: &'static str,
    default: Option<&'static str>,
    null_if_empty: bool,
    check: validate::StrCheck,
) -> Directive {
    Directive::new(
        name,
        Kind::Str {
            default,
            null_if_empty,
            check: Some(check),
        },
    )
}

const fn special(name: &'static str, s: Special) -> Directive {
    Directive::new(name, Kind::Special(s))
}

const INT_MAX: u64 = i32::MAX as u64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: u64 = u32::MAX as u64;
const LONG_MAX: u64 = i64::MAX as u64;
const ULLONG_MAX: u64 = u64::MAX;
const MB: i64 = 1024 * 1024;

pub const MAXMEMORY_POLICY: &[(&str, u32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
const SYSLOG_FACILITY: &[(&str, u32)] = &[
    ("user", 0),
    ("local0", 1),
    ("local1", 2),
    ("local2", 3),
    ("local3", 4),
    ("local4", 5),
    ("local5", 6),
    ("local6", 7),
    ("local7", 8),
];
pub const LOGLEVEL: &[(&str, u32)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const SUPERVISED: &[(&str, u32)] = &[("upstart", 0), ("systemd", 1), ("auto", 2), ("no", 3)];
pub const APPENDFSYNC: &[(&str, u32)] = &[("everysec", 0), ("always", 1), ("no", 2)];
const REPL_DISKLESS_LOAD: &[(&str, u32)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH_CLIENTS: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("optional", 2)];
const OOM_SCORE_ADJ: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: &[(&str, u32)] = &[("allchannels", 0), ("resetchannels", 1)];
const SANITIZE_DUMP_PAYLOAD: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
/// `no`, `yes`, `local`: enable-debug-command and friends.
pub const PROTECTED_ACTION: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const CLUSTER_ENDPOINT_TYPE: &[(&str, u32)] =
    &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR_BEHAVIOR: &[(&str, u32)] =
    &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];
/// Flags of `shutdown-on-sigint` / `shutdown-on-sigterm`.
pub const SHUTDOWN_ON_SIG: &[(&str, u32)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];

const fn shutdown_on(name: &'static str) -> Directive {
    Directive::new(
        name,
        Kind::Enum {
            values: SHUTDOWN_ON_SIG,
            default: 0,
            multi: true,
            check: Some(validate::shutdown_flags),
        },
    )
}

/// Every directive, in a stable order (CONFIG GET * and CONFIG REWRITE
/// follow it).
pub static TABLE: &[Directive] = &[
    // Booleans.
    boolean("rdbchecksum", true).f(IMMUTABLE),
    boolean("daemonize", false).f(IMMUTABLE),
    boolean("io-threads-do-reads", false).f(IMMUTABLE),
    boolean("always-show-logo", false).f(IMMUTABLE),
    boolean("protected-mode", true),
    boolean("rdbcompression", true),
    boolean("rdb-del-sync-files", false),
    boolean("activerehashing", true),
    boolean("stop-writes-on-bgsave-error", true),
    boolean("set-proc-title", true).f(IMMUTABLE),
    boolean("dynamic-hz", true),
    boolean("lazyfree-lazy-eviction", false),
    boolean("lazyfree-lazy-expire", false),
    boolean("lazyfree-lazy-server-del", false),
    boolean("lazyfree-lazy-user-del", false),
    boolean("lazyfree-lazy-user-flush", false),
    boolean("repl-disable-tcp-nodelay", false),
    boolean("repl-diskless-sync", true),
    boolean("aof-rewrite-incremental-fsync", true),
    boolean("no-appendfsync-on-rewrite", false),
    boolean("cluster-require-full-coverage", true),
    boolean("rdb-save-incremental-fsync", true),
    boolean("aof-load-truncated", true),
    boolean("aof-use-rdb-preamble", true),
    boolean("aof-timestamp-enabled", false),
    boolean("cluster-replica-no-failover", false).alias("cluster-slave-no-failover"),
    boolean("replica-lazy-flush", false).alias("slave-lazy-flush"),
    boolean("replica-serve-stale-data", true).alias("slave-serve-stale-data"),
    boolean("replica-read-only", true).alias("slave-read-only"),
    boolean("replica-ignore-maxmemory", true).alias("slave-ignore-maxmemory"),
    boolean("jemalloc-bg-thread", true),
    Directive::new(
        "activedefrag",
        Kind::Bool {
            default: false,
            check: Some(validate::active_defrag),
        },
    ),
    boolean("syslog-enabled", false).f(IMMUTABLE),
    boolean("cluster-enabled", false).f(IMMUTABLE),
    boolean("appendonly", false).f(DENY_LOADING),
    boolean("cluster-allow-reads-when-down", false),
    boolean("cluster-allow-pubsubshard-when-down", true),
    boolean("crash-log-enabled", true),
    boolean("crash-memcheck-enabled", true),
    boolean("use-exit-on-panic", false).f(HIDDEN),
    boolean("disable-thp", true).f(IMMUTABLE),
    boolean("cluster-allow-replica-migration", true),
    boolean("replica-announced", true),
    boolean("latency-tracking", true),
    boolean("aof-disable-auto-gc", false),
    boolean("replica-ignore-disk-write-errors", false),
    // Strings.
    string("aclfile", "").f(IMMUTABLE),
    nullable("unixsocket").f(IMMUTABLE),
    nullable("pidfile").f(IMMUTABLE),
    nullable("replica-announce-ip").alias("slave-announce-ip"),
    nullable("masteruser").f(SENSITIVE),
    nullable("cluster-announce-ip"),
    string("cluster-config-file", "nodes.conf").f(IMMUTABLE),
    checked_string("cluster-announce-hostname", None, true, validate::hostname),
    string("syslog-ident", "redis").f(IMMUTABLE),
    checked_string("dbfilename", Some("dump.rdb"), false, validate::dbfilename).f(PROTECTED),
    checked_string(
        "appendfilename",
        Some("appendonly.aof"),
        false,
        validate::appendfilename,
    )
    .f(IMMUTABLE),
    checked_string(
        "appenddirname",
        Some("appendonlydir"),
        false,
        validate::appenddirname,
    )
    .f(IMMUTABLE),
    nullable("server_cpulist").f(IMMUTABLE),
    nullable("bio_cpulist").f(IMMUTABLE),
    nullable("aof_rewrite_cpulist").f(IMMUTABLE),
    nullable("bgsave_cpulist").f(IMMUTABLE),
    string("ignore-warnings", ""),
    checked_string(
        "proc-title-template",
        Some("{title} {listen-addr} {server-mode}"),
        false,
        validate::proc_title_template,
    ),
    nullable("bind-source-addr"),
    string("logfile", "").f(IMMUTABLE),
    nullable("masterauth").f(SENSITIVE),
    nullable("requirepass").f(SENSITIVE),
    // Enums.
    enumeration("supervised", SUPERVISED, 3).f(IMMUTABLE),
    enumeration("syslog-facility", SYSLOG_FACILITY, 1).f(IMMUTABLE),
    enumeration("repl-diskless-load", REPL_DISKLESS_LOAD, 0).f(DENY_LOADING),
    enumeration("loglevel", LOGLEVEL, 2),
    enumeration("maxmemory-policy", MAXMEMORY_POLICY, 7),
    enumeration("appendfsync", APPENDFSYNC, 0),
    enumeration("oom-score-adj", OOM_SCORE_ADJ, 0),
    enumeration("acl-pubsub-default", ACL_PUBSUB_DEFAULT, 1),
    enumeration("sanitize-dump-payload", SANITIZE_DUMP_PAYLOAD, 0),
    enumeration("enable-protected-configs", PROTECTED_ACTION, 0).f(IMMUTABLE),
    enumeration("enable-debug-command", PROTECTED_ACTION, 0).f(IMMUTABLE),
    enumeration("enable-module-command", PROTECTED_ACTION, 0).f(IMMUTABLE),
    enumeration("cluster-preferred-endpoint-type", CLUSTER_ENDPOINT_TYPE, 0),
    enumeration("propagation-error-behavior", PROPAGATION_ERROR_BEHAVIOR, 0),
    shutdown_on("shutdown-on-sigint"),
    shutdown_on("shutdown-on-sigterm"),
    // Integers.
    int("databases", 1, INT_MAX, 16).f(IMMUTABLE),
    int("port", 0, 65535, 6379),
    int("io-threads", 1, 128, 1).f(IMMUTABLE),
    int("auto-aof-rewrite-percentage", 0, INT_MAX, 100),
    int("cluster-replica-validity-factor", 0, INT_MAX, 10).alias("cluster-slave-validity-factor"),
    int("list-max-listpack-size", INT_MIN, INT_MAX, -2).alias("list-max-ziplist-size"),
    int("tcp-keepalive", 0, INT_MAX, 300),
    int("cluster-migration-barrier", 0, INT_MAX, 1),
    int("active-defrag-cycle-min", 1, 99, 1),
    int("active-defrag-cycle-max", 1, 99, 25),
    int("active-defrag-threshold-lower", 0, 1000, 10),
    int("active-defrag-threshold-upper", 0, 1000, 100),
    int("lfu-log-factor", 0, INT_MAX, 10),
    int("lfu-decay-time", 0, INT_MAX, 1),
    int("replica-priority", 0, INT_MAX, 100).alias("slave-priority"),
    int("repl-diskless-sync-delay", 0, INT_MAX, 5),
    int("maxmemory-samples", 1, INT_MAX, 5),
    int("maxmemory-eviction-tenacity", 0, 100, 10),
    int("timeout", 0, INT_MAX, 0),
    int("replica-announce-port", 0, 65535, 0).alias("slave-announce-port"),
    int("tcp-backlog", 0, INT_MAX, 511).f(IMMUTABLE),
    int("cluster-port", 0, 65535, 0).f(IMMUTABLE),
    int("cluster-announce-bus-port", 0, 65535, 0),
    int("cluster-announce-port", 0, 65535, 0),
    int("cluster-announce-tls-port", 0, 65535, 0),
    int("repl-timeout", 1, INT_MAX, 60),
    int("repl-ping-replica-period", 1, INT_MAX, 10).alias("repl-ping-slave-period"),
    int("list-compress-depth", 0, INT_MAX, 0),
    int("rdb-key-save-delay", INT_MIN, INT_MAX, 0).f(HIDDEN),
    int("key-load-delay", INT_MIN, INT_MAX, 0).f(HIDDEN),
    int("active-expire-effort", 1, 10, 1),
    int("hz", 0, INT_MAX, 10),
    int("min-replicas-to-write", 0, INT_MAX, 0).alias("min-slaves-to-write"),
    int("min-replicas-max-lag", 0, INT_MAX, 10).alias("min-slaves-max-lag"),
    int("watchdog-period", 0, INT_MAX, 0).f(HIDDEN),
    int("shutdown-timeout", 0, INT_MAX, 10),
    int("repl-diskless-sync-max-replicas", 0, INT_MAX, 0),
    uint("maxclients", 1, UINT_MAX, 10000),
    num("unixsocketperm", NumFmt::Octal, true, 0, 0o777, 0).f(IMMUTABLE),
    uint("socket-mark-id", 0, UINT_MAX, 0).f(IMMUTABLE),
    long("active-defrag-max-scan-fields", 1, LONG_MAX, 1000),
    long("slowlog-max-len", 0, LONG_MAX, 128),
    long("acllog-max-len", 0, LONG_MAX, 128),
    long("busy-reply-threshold", 0, LONG_MAX, 5000).alias("lua-time-limit"),
    long("cluster-node-timeout", 0, LONG_MAX, 15000),
    long("slowlog-log-slower-than", -1, LONG_MAX, 10000),
    long("latency-monitor-threshold", 0, LONG_MAX, 0),
    mem("proto-max-bulk-len", false, MB, LONG_MAX, 512 * MB),
    long("stream-node-max-entries", 0, LONG_MAX, 100),
    mem("repl-backlog-size", false, 1, LONG_MAX, MB),
    mem("maxmemory", true, 0, ULLONG_MAX, 0),
    mem("cluster-link-sendbuf-limit", true, 0, ULLONG_MAX, 0),
    uint("hash-max-listpack-entries", 0, LONG_MAX, 512).alias("hash-max-ziplist-entries"),
    uint("set-max-intset-entries", 0, LONG_MAX, 512),
    uint("zset-max-listpack-entries", 0, LONG_MAX, 128).alias("zset-max-ziplist-entries"),
    mem("active-defrag-ignore-bytes", true, 1, LONG_MAX, 100 * MB),
    mem("hash-max-listpack-value", true, 0, LONG_MAX, 64).alias("hash-max-ziplist-value"),
    mem("stream-node-max-bytes", true, 0, LONG_MAX, 4096),
    mem("zset-max-listpack-value", true, 0, LONG_MAX, 64).alias("zset-max-ziplist-value"),
    mem("hll-sparse-max-bytes", true, 0, LONG_MAX, 3000),
    uint("tracking-table-max-keys", 0, LONG_MAX, 1_000_000),
    mem("client-query-buffer-limit", true, MB, LONG_MAX, 1024 * MB),
    num(
        "maxmemory-clients",
        NumFmt::MemoryPercent,
        false,
        -100,
        LONG_MAX,
        0,
    ),
    long("repl-backlog-ttl", 0, LONG_MAX, 3600),
    mem("auto-aof-rewrite-min-size", false, 0, LONG_MAX, 64 * MB),
    long(
        "loading-process-events-interval-bytes",
        1024,
        INT_MAX,
        2 * MB,
    )
    .f(HIDDEN),
    // TLS (accepted and kept; ferredis has no TLS listener yet).
    int("tls-port", 0, 65535, 0),
    int("tls-session-cache-size", 0, INT_MAX, 20 * 1024),
    int("tls-session-cache-timeout", 0, INT_MAX, 300),
    boolean("tls-cluster", false),
    boolean("tls-replication", false),
    enumeration("tls-auth-clients", TLS_AUTH_CLIENTS, 1),
    boolean("tls-prefer-server-ciphers", false),
    boolean("tls-session-caching", true),
    nullable("tls-cert-file"),
    nullable("tls-key-file"),
    nullable("tls-key-file-pass").f(SENSITIVE),
    nullable("tls-client-cert-file"),
    nullable("tls-client-key-file"),
    nullable("tls-client-key-file-pass").f(SENSITIVE),
    nullable("tls-dh-params-file"),
    nullable("tls-ca-cert-file"),
    nullable("tls-ca-cert-dir"),
    nullable("tls-protocols"),
    nullable("tls-ciphers"),
    nullable("tls-ciphersuites"),
    // Special.
    special("dir", Special::Dir).f(PROTECTED | DENY_LOADING),
    special("save", Special::Save),
    special(
        "client-output-buffer-limit",
        Special::ClientOutputBufferLimit,
    ),
    special("oom-score-adj-values", Special::OomScoreAdjValues),
    special("notify-keyspace-events", Special::NotifyKeyspaceEvents),
    special("bind", Special::Bind),
    special("replicaof", Special::ReplicaOf)
        .alias("slaveof")
        .f(IMMUTABLE),
    special(
        "latency-tracking-info-percentiles",
        Special::LatencyTrackingInfoPercentiles,
    ),
];

/// Looks a directive up by name or alias, any case. Returns its index in
/// `TABLE` and the name it was registered under (the alias when looked up
/// through it).
pub fn lookup(name: &[u8]) -> Option<(usize, &'static str)> {
    for (i, d) in TABLE.iter().enumerate() {
        if d.name.as_bytes().eq_ignore_ascii_case(name) {
            return Some((i, d.name));
        }
        if let Some(a) = d.alias {
            if a.as_bytes().eq_ignore_ascii_case(name) {
                return Some((i, a));
            }
        }
    }
    None
}

/// Index of a directive by its primary name (exact, lowercase).
pub fn index_of(name: &str) -> Option<usize> {
    TABLE.iter().position(|d| d.name == name)
}

/// Directives Redis 7.0 still accepts in a config file but ignores.
pub const DEPRECATED: &[&str] = &[
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];
