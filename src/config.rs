//! Server configuration: every directive Redis 7.0.15 knows (the table in
//! `config/table.rs`), their values, loading from a config file and the
//! command line, and the engines behind CONFIG GET / SET / REWRITE.
//!
//! The directives the server acts on have typed fields in `Config` (the
//! field is the value's only home); the others are kept generically so that
//! CONFIG GET shows them and CONFIG REWRITE writes them back.
//!
//! Redis counterpart: `config.c` (and the argv handling of `main` in
//! `server.c`).

pub mod table;
pub mod validate;

mod rewrite;

use std::io::Read;

use table::{dflags, Directive, Kind, NumFmt, Special, TABLE};

/// Keyspace-notification class bits (`notify-keyspace-events`), with
/// Redis's values.
pub mod notify {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const KEYEVENT: u32 = 1 << 1;
    pub const GENERIC: u32 = 1 << 2;
    pub const STRING: u32 = 1 << 3;
    pub const LIST: u32 = 1 << 4;
    pub const SET: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const ZSET: u32 = 1 << 7;
    pub const EXPIRED: u32 = 1 << 8;
    pub const EVICTED: u32 = 1 << 9;
    pub const STREAM: u32 = 1 << 10;
    pub const KEY_MISS: u32 = 1 << 11;
    pub const LOADED: u32 = 1 << 12;
    pub const MODULE: u32 = 1 << 13;
    pub const NEW: u32 = 1 << 14;
    /// The `A` alias: every class but key-miss and new.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

    /// Parses the class letters; None on an unknown letter.
    pub fn parse(s: &[u8]) -> Option<u32> {
        let mut flags = 0;
        for &c in s {
            flags |= match c {
                b'A' => ALL,
                b'g' => GENERIC,
                b'$' => STRING,
                b'l' => LIST,
                b's' => SET,
                b'h' => HASH,
                b'z' => ZSET,
                b'x' => EXPIRED,
                b'e' => EVICTED,
                b'K' => KEYSPACE,
                b'E' => KEYEVENT,
                b't' => STREAM,
                b'm' => KEY_MISS,
                b'd' => MODULE,
                b'n' => NEW,
                _ => return None,
            };
        }
        Some(flags)
    }

    /// Formats the flags as Redis 7.0 prints them (`n` only shows when the
    /// classes are not all set, as `A` hides it).
    pub fn format(flags: u32) -> String {
        let mut s = String::new();
        if flags & ALL == ALL {
            s.push('A');
        } else {
            for (bit, c) in [
                (GENERIC, 'g'),
                (STRING, '$'),
                (LIST, 'l'),
                (SET, 's'),
                (HASH, 'h'),
                (ZSET, 'z'),
                (EXPIRED, 'x'),
                (EVICTED, 'e'),
                (STREAM, 't'),
                (MODULE, 'd'),
                (NEW, 'n'),
            ] {
                if flags & bit != 0 {
                    s.push(c);
                }
            }
        }
        for (bit, c) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
            if flags & bit != 0 {
                s.push(c);
            }
        }
        s
    }
}

/// A directive's value, for the directives without a typed field (and as
/// the common currency of parsing).
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Bool(bool),
    /// Numbers keep C's `long long` bits (memory sizes above `i64::MAX`
    /// wrap; percentages are stored negated).
    Num(i64),
    /// An enum value (flags for the multi-name enums).
    Enum(u32),
    /// A string; None is C's NULL (unset).
    Str(Option<Vec<u8>>),
    /// Values stored in their own fields (`save`, `bind`, ...).
    Special,
}

/// An output buffer limit: hard bytes, soft bytes, soft seconds.
pub type ObufLimit = (u64, u64, u64);

/// The configuration: typed fields for what the server acts on, plus every
/// other directive's value.
#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    /// `bind` addresses; `*` and `-::*` (the `-` means "optional").
    pub bind: Vec<String>,
    /// Whether a `bind` directive was given (file, command line or CONFIG
    /// SET).
    pub bind_explicit: bool,
    pub unixsocket: String,
    pub unixsocketperm: u32,
    pub tcp_backlog: i32,
    /// `timeout` in seconds (0 = never close idle clients).
    pub timeout: u64,
    pub tcp_keepalive: u64,
    pub maxclients: u64,
    pub databases: usize,
    /// `hz`, clamped to 1..=500 as Redis does.
    pub hz: u32,
    pub requirepass: Option<Vec<u8>>,
    pub protected_mode: bool,
    pub logfile: String,
    /// `loglevel`: debug, verbose, notice or warning.
    pub loglevel: String,
    /// Empty when unset.
    pub pidfile: String,
    pub daemonize: bool,
    /// The working directory (absolute once a configuration is loaded);
    /// CONFIG GET dir reports the live `getcwd`.
    pub dir: String,
    /// Save points (seconds, changes).
    pub save: Vec<(u64, u64)>,
    /// `enable-debug-command`: no, yes or local.
    pub enable_debug_command: String,
    /// `enable-protected-configs`: no, yes or local.
    pub enable_protected_configs: String,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: usize,
    /// `client-output-buffer-limit normal`.
    pub obuf_limit_normal: ObufLimit,
    /// `client-output-buffer-limit replica` (alias `slave`).
    pub obuf_limit_replica: ObufLimit,
    /// `client-output-buffer-limit pubsub`.
    pub obuf_limit_pubsub: ObufLimit,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: usize,
    pub always_show_logo: bool,
    pub maxmemory: u64,
    /// Absolute path of the config file, if any (CONFIG REWRITE, INFO).
    pub config_file: Option<String>,
    /// `notify-keyspace-events` as `notify::*` bits.
    pub notify_keyspace_events: u32,
    /// `oom-score-adj-values`: master, replica, background child.
    pub oom_score_adj_values: [i32; 3],
    /// `replicaof host port` (None: this is a master).
    pub replicaof: Option<(String, u16)>,
    /// `latency-tracking-info-percentiles`.
    pub latency_tracking_info_percentiles: Vec<f64>,
    /// `rename-command old new` lines, in order (new name empty = removed).
    pub renamed_commands: Vec<(String, String)>,
    /// `user ...` lines (arguments after `user`), kept for the ACL layer.
    pub users: Vec<Vec<String>>,
    /// `loadmodule path args...` lines.
    pub loadmodules: Vec<Vec<String>>,
    /// `module.name value` lines.
    pub module_configs: Vec<(String, String)>,
    /// Values of the directives without a typed field, indexed like
    /// `TABLE` (typed and special directives hold `Val::Special`).
    extra: Vec<Val>,
    /// Whether a `save` line of the file already replaced the defaults.
    save_loaded: bool,
}

const DEFAULT_SAVE: [(u64, u64); 3] = [(3600, 1), (300, 100), (60, 10000)];
const DEFAULT_OBUF_REPLICA: ObufLimit = (256 * 1024 * 1024, 64 * 1024 * 1024, 60);
const DEFAULT_OBUF_PUBSUB: ObufLimit = (32 * 1024 * 1024, 8 * 1024 * 1024, 60);
const DEFAULT_OOM_SCORE_ADJ_VALUES: [i32; 3] = [0, 200, 800];
const DEFAULT_BIND: [&str; 2] = ["*", "-::*"];
const MAX_BIND_ADDRS: usize = 16;
/// Nesting limit for `include` (Redis has none and would overflow its
/// stack on a cycle).
const MAX_INCLUDE_DEPTH: usize = 64;

impl Default for Config {
    fn default() -> Self {
        let mut c = Config {
            port: 0,
            bind: DEFAULT_BIND.iter().map(|s| s.to_string()).collect(),
            bind_explicit: false,
            unixsocket: String::new(),
            unixsocketperm: 0,
            tcp_backlog: 0,
            timeout: 0,
            tcp_keepalive: 0,
            maxclients: 0,
            databases: 0,
            hz: 0,
            requirepass: None,
            protected_mode: false,
            logfile: String::new(),
            loglevel: String::new(),
            pidfile: String::new(),
            daemonize: false,
            dir: ".".into(),
            save: DEFAULT_SAVE.to_vec(),
            enable_debug_command: String::new(),
            enable_protected_configs: String::new(),
            proto_max_bulk_len: 0,
            client_query_buffer_limit: 0,
            obuf_limit_normal: (0, 0, 0),
            obuf_limit_replica: DEFAULT_OBUF_REPLICA,
            obuf_limit_pubsub: DEFAULT_OBUF_PUBSUB,
            slowlog_log_slower_than: 0,
            slowlog_max_len: 0,
            always_show_logo: false,
            maxmemory: 0,
            config_file: None,
            notify_keyspace_events: 0,
            oom_score_adj_values: DEFAULT_OOM_SCORE_ADJ_VALUES,
            replicaof: None,
            latency_tracking_info_percentiles: vec![50.0, 99.0, 99.9],
            renamed_commands: Vec::new(),
            users: Vec::new(),
            loadmodules: Vec::new(),
            module_configs: Vec::new(),
            extra: vec![Val::Special; TABLE.len()],
            save_loaded: false,
        };
        for (i, d) in TABLE.iter().enumerate() {
            c.put(i, default_val(d));
        }
        c
    }
}

/// A directive's default value (`Val::Special` for the special ones).
fn default_val(d: &Directive) -> Val {
    match d.kind {
        Kind::Bool { default, .. } => Val::Bool(default),
        Kind::Num { default, .. } => Val::Num(default),
        Kind::Enum { default, .. } => Val::Enum(default),
        Kind::Str { default, .. } => Val::Str(default.map(|s| s.as_bytes().to_vec())),
        Kind::Special(_) => Val::Special,
    }
}

/// A configuration error, reported as Redis does: the FATAL CONFIG FILE
/// ERROR block on stderr, or (for unreadable files) a log line.
#[derive(Debug)]
pub struct ConfigError {
    /// 1-based line in the text being loaded; 0 when not about a line.
    pub line_no: usize,
    pub line: String,
    pub reason: String,
    /// Redis logs this one instead of printing the FATAL block.
    pub log_only: bool,
}

impl ConfigError {
    fn plain(reason: impl Into<String>) -> Self {
        ConfigError {
            line_no: 0,
            line: String::new(),
            reason: reason.into(),
            log_only: false,
        }
    }

    fn logged(reason: String) -> Self {
        ConfigError {
            line_no: 0,
            line: String::new(),
            reason,
            log_only: true,
        }
    }
}

/// Prints a configuration error the way Redis does and leaves the exit to
/// the caller (status 1).
pub fn print_fatal_error(e: &ConfigError) {
    if e.log_only {
        log::warn!("{}", e.reason);
        return;
    }
    let mut out = format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\n",
        crate::REDIS_VERSION
    );
    if e.line_no > 0 {
        out.push_str(&format!(
            "Reading the configuration file, at line {}\n>>> '{}'\n",
            e.line_no, e.line
        ));
    }
    out.push_str(&e.reason);
    out.push('\n');
    use std::io::Write;
    let _ = std::io::stderr().write_all(out.as_bytes());
}

/// The text of an OS error without Rust's " (os error N)" suffix, as C's
/// `strerror` gives it.
pub fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// State of one configuration load (file + stdin + command line).
struct Loader {
    /// Cleared after an `include`, as Redis's global flag is (so later
    /// `save` lines replace instead of appending).
    reading_file: bool,
    depth: usize,
    /// The command table the `rename-command` lines are checked against
    /// (built when the first one is seen).
    commands: Option<crate::commands::CommandTable>,
}

/// Trims the bytes Redis's `sdstrim(line, " \t\r\n")` removes.
fn trim_line(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if matches!(first, b' ' | b'\t' | b'\r' | b'\n') {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if matches!(last, b' ' | b'\t' | b'\r' | b'\n') {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Splits a CONFIG SET value of a multi-argument directive on single
/// spaces, as `sdssplitlen(value, " ")` does (empty value: no arguments).
fn split_spaces(v: &[u8]) -> Vec<Vec<u8>> {
    if v.is_empty() {
        return Vec::new();
    }
    v.split(|&b| b == b' ').map(|s| s.to_vec()).collect()
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Redis's `getAbsolutePath`: the path joined to the working directory,
/// with leading `../` components resolved.
pub fn absolute_path(path: &str) -> String {
    let p = path.trim_matches(|c| c == ' ' || c == '\r' || c == '\n' || c == '\t');
    if p.starts_with('/') {
        return p.to_string();
    }
    let mut base = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let mut rel = p;
    while let Some(rest) = rel.strip_prefix("../") {
        rel = rest;
        if let Some(i) = base.rfind('/') {
            base.truncate(i.max(1));
            if base == "/" {
                base.clear();
            }
        }
    }
    format!("{}/{}", base.trim_end_matches('/'), rel)
}

/// Current working directory as a string ("" if unavailable).
fn cwd() -> String {
    std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default()
}

impl Config {
    // ----------------------------------------------------------------
    // Loading
    // ----------------------------------------------------------------

    /// Builds the configuration from `redis-server`-style arguments
    /// (program name excluded): `[config-file] [-] [--directive value ...]`.
    /// The options are turned into config lines appended after the file
    /// (and stdin), exactly as Redis does.
    pub fn from_args(args: &[String]) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        if args.iter().any(|a| a == "--sentinel") {
            return Err(ConfigError::plain(
                "Sentinel mode is not supported by ferredis",
            ));
        }
        if args.is_empty() {
            cfg.dir = cwd();
            return Ok(cfg);
        }
        let (config_file, from_stdin, options) = build_options(args);
        let mut text = Vec::new();
        if let Some(path) = &config_file {
            text = read_config_file(path)?;
            cfg.config_file = Some(path.clone());
        }
        if from_stdin {
            log::warn!("Reading config from stdin");
            let mut buf = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut buf);
            text.extend_from_slice(&buf);
        }
        text.push(b'\n');
        text.extend_from_slice(&options);
        let mut loader = Loader {
            reading_file: true,
            depth: 0,
            commands: None,
        };
        cfg.load_bytes(&text, &mut loader)?;
        cfg.clamp_watchdog_period();
        cfg.dir = cwd();
        Ok(cfg)
    }

    /// Applies config-file text on top of the current values (tests and
    /// tools; the server uses `from_args`).
    pub fn load_text(&mut self, text: &str) -> Result<(), ConfigError> {
        let mut loader = Loader {
            reading_file: true,
            depth: 0,
            commands: None,
        };
        self.load_bytes(text.as_bytes(), &mut loader)
    }

    fn load_bytes(&mut self, text: &[u8], loader: &mut Loader) -> Result<(), ConfigError> {
        loader.reading_file = true;
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line = trim_line(raw);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let fail = |reason: String| ConfigError {
                line_no: i + 1,
                line: lossy(line),
                reason,
                log_only: false,
            };
            let Some(argv) = crate::resp::parser::split_args(line) else {
                return Err(fail("Unbalanced quotes in configuration line".into()));
            };
            if argv.is_empty() {
                continue;
            }
            let name = argv[0].to_ascii_lowercase();
            if let Some((idx, _)) = table::lookup(&name) {
                let d = &TABLE[idx];
                if !d.has(dflags::MULTI_ARG) && argv.len() != 2 {
                    return Err(fail("wrong number of arguments".into()));
                }
                // A multi-argument directive given as one non-empty quoted
                // argument ("normal 1mb 0 0") is split on spaces, as Redis
                // does.
                let split;
                let args: &[Vec<u8>] =
                    if d.has(dflags::MULTI_ARG) && argv.len() == 2 && !argv[1].is_empty() {
                        split = split_spaces(&argv[1]);
                        &split
                    } else {
                        &argv[1..]
                    };
                self.set_directive(idx, args, loader.reading_file)
                    .map_err(fail)?;
                continue;
            }
            if argv.len() == 2 && table::DEPRECATED.iter().any(|n| n.as_bytes() == name) {
                continue;
            }
            match (&name[..], argv.len()) {
                (b"include", 2) => {
                    if loader.depth >= MAX_INCLUDE_DEPTH {
                        return Err(fail("include nesting is too deep".into()));
                    }
                    let path = lossy(&argv[1]);
                    for file in include_paths(&path) {
                        let content = read_config_file(&file)?;
                        loader.depth += 1;
                        let r = self.load_bytes(&content, loader);
                        loader.depth -= 1;
                        r?;
                    }
                    // Redis clears its "reading the config file" flag when an
                    // included file ends.
                    loader.reading_file = false;
                }
                (b"rename-command", 3) => {
                    let table = loader
                        .commands
                        .get_or_insert_with(crate::commands::CommandTable::new);
                    table
                        .rename(&argv[1], &argv[2])
                        .map_err(|e| fail(e.to_string()))?;
                    self.renamed_commands
                        .push((lossy(&argv[1]), lossy(&argv[2])));
                }
                (b"user", n) if n >= 2 => {
                    self.users
                        .push(argv[1..].iter().map(|a| lossy(a)).collect());
                }
                (b"loadmodule", n) if n >= 2 => {
                    self.loadmodules
                        .push(argv[1..].iter().map(|a| lossy(a)).collect());
                }
                (n, argc) if n.contains(&b'.') => {
                    if argc < 2 {
                        return Err(fail("Module config specified without value".into()));
                    }
                    self.module_configs.push((lossy(n), lossy(&argv[1])));
                }
                (b"sentinel", 1) => {}
                (b"sentinel", _) => {
                    return Err(fail("sentinel directive while not in sentinel mode".into()))
                }
                _ => {
                    return Err(fail("Bad directive or wrong number of arguments".into()));
                }
            }
        }
        if !self.logfile.is_empty() {
            if let Err(e) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.logfile)
            {
                return Err(ConfigError::plain(format!(
                    "Can't open the log file: {}",
                    strerror(&e)
                )));
            }
        }
        if self.get_bool("cluster-enabled") && self.replicaof.is_some() {
            return Err(ConfigError::plain(
                "replicaof directive not allowed in cluster mode",
            ));
        }
        self.hz = self.hz.clamp(1, 500);
        loader.reading_file = false;
        Ok(())
    }

    // ----------------------------------------------------------------
    // Values
    // ----------------------------------------------------------------

    /// The value of directive `idx` (typed fields first).
    fn value(&self, idx: usize) -> Val {
        let d = &TABLE[idx];
        let enum_id = |name: &str| match d.kind {
            Kind::Enum { values, .. } => values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|&(_, v)| Val::Enum(v))
                .unwrap_or(Val::Enum(0)),
            _ => Val::Special,
        };
        match d.name {
            "protected-mode" => Val::Bool(self.protected_mode),
            "daemonize" => Val::Bool(self.daemonize),
            "always-show-logo" => Val::Bool(self.always_show_logo),
            "port" => Val::Num(self.port as i64),
            "tcp-backlog" => Val::Num(self.tcp_backlog as i64),
            "timeout" => Val::Num(self.timeout as i64),
            "tcp-keepalive" => Val::Num(self.tcp_keepalive as i64),
            "maxclients" => Val::Num(self.maxclients as i64),
            "databases" => Val::Num(self.databases as i64),
            "hz" => Val::Num(self.hz as i64),
            "unixsocketperm" => Val::Num(self.unixsocketperm as i64),
            "proto-max-bulk-len" => Val::Num(self.proto_max_bulk_len),
            "client-query-buffer-limit" => Val::Num(self.client_query_buffer_limit as i64),
            "slowlog-log-slower-than" => Val::Num(self.slowlog_log_slower_than),
            "slowlog-max-len" => Val::Num(self.slowlog_max_len as i64),
            "maxmemory" => Val::Num(self.maxmemory as i64),
            "loglevel" => enum_id(&self.loglevel),
            "enable-debug-command" => enum_id(&self.enable_debug_command),
            "enable-protected-configs" => enum_id(&self.enable_protected_configs),
            "requirepass" => Val::Str(self.requirepass.clone()),
            "logfile" => Val::Str(Some(self.logfile.as_bytes().to_vec())),
            "pidfile" => Val::Str(non_empty(&self.pidfile)),
            "unixsocket" => Val::Str(non_empty(&self.unixsocket)),
            _ => self.extra[idx].clone(),
        }
    }

    /// Stores a (validated) value of directive `idx`.
    fn put(&mut self, idx: usize, v: Val) {
        let d = &TABLE[idx];
        let num = match v {
            Val::Num(n) => n,
            _ => 0,
        };
        let flag = matches!(v, Val::Bool(true));
        let enum_name = || match (d.kind, &v) {
            (Kind::Enum { values, .. }, Val::Enum(id)) => values
                .iter()
                .find(|(_, x)| x == id)
                .map(|(n, _)| n.to_string())
                .unwrap_or_default(),
            _ => String::new(),
        };
        let text = || match &v {
            Val::Str(Some(s)) => lossy(s),
            _ => String::new(),
        };
        match d.name {
            "protected-mode" => self.protected_mode = flag,
            "daemonize" => self.daemonize = flag,
            "always-show-logo" => self.always_show_logo = flag,
            "port" => self.port = num as u16,
            "tcp-backlog" => self.tcp_backlog = num as i32,
            "timeout" => self.timeout = num as u64,
            "tcp-keepalive" => self.tcp_keepalive = num as u64,
            "maxclients" => self.maxclients = num as u64,
            "databases" => self.databases = num as usize,
            "hz" => self.hz = num as u32,
            "unixsocketperm" => self.unixsocketperm = num as u32,
            "proto-max-bulk-len" => self.proto_max_bulk_len = num,
            "client-query-buffer-limit" => self.client_query_buffer_limit = num as usize,
            "slowlog-log-slower-than" => self.slowlog_log_slower_than = num,
            "slowlog-max-len" => self.slowlog_max_len = num as usize,
            "maxmemory" => self.maxmemory = num as u64,
            "loglevel" => self.loglevel = enum_name(),
            "enable-debug-command" => self.enable_debug_command = enum_name(),
            "enable-protected-configs" => self.enable_protected_configs = enum_name(),
            "requirepass" => {
                self.requirepass = match v {
                    Val::Str(s) => s,
                    _ => None,
                }
            }
            "logfile" => self.logfile = text(),
            "pidfile" => self.pidfile = text(),
            "unixsocket" => self.unixsocket = text(),
            _ => self.extra[idx] = v,
        }
    }

    /// Parses and stores directive `idx` from its arguments (the config
    /// file's words, or a CONFIG SET value already split). Returns whether
    /// the value changed, or Redis's error text.
    fn set_directive(
        &mut self,
        idx: usize,
        args: &[Vec<u8>],
        reading_file: bool,
    ) -> Result<bool, String> {
        let d = &TABLE[idx];
        if let Kind::Special(s) = d.kind {
            return self.set_special(s, args, reading_file);
        }
        let v = self.parse_val(d, args)?;
        if self.value(idx) == v {
            return Ok(false);
        }
        self.put(idx, v);
        Ok(true)
    }

    fn parse_val(&self, d: &Directive, args: &[Vec<u8>]) -> Result<Val, String> {
        let empty = Vec::new();
        let arg = args.first().unwrap_or(&empty);
        match d.kind {
            Kind::Bool { check, .. } => {
                let b = if arg.eq_ignore_ascii_case(b"yes") {
                    true
                } else if arg.eq_ignore_ascii_case(b"no") {
                    false
                } else {
                    return Err("argument must be 'yes' or 'no'".into());
                };
                if let Some(check) = check {
                    check(b)?;
                }
                Ok(Val::Bool(b))
            }
            Kind::Num {
                fmt,
                unsigned,
                min,
                max,
                ..
            } => {
                let n = parse_number(fmt, arg)?;
                check_bounds(fmt, unsigned, min, max, n)?;
                Ok(Val::Num(n))
            }
            Kind::Enum {
                values,
                multi,
                check,
                ..
            } => {
                let find = |a: &[u8]| {
                    values
                        .iter()
                        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(a))
                        .map(|&(_, v)| v)
                };
                let bad = || {
                    let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
                    let mut msg = format!(
                        "argument(s) must be one of the following: {}",
                        names.join(", ")
                    );
                    msg.truncate(255);
                    msg
                };
                let v = if multi {
                    if args.is_empty() {
                        return Err(bad());
                    }
                    let mut v = 0;
                    for a in args {
                        v |= find(a).ok_or_else(bad)?;
                    }
                    v
                } else {
                    find(arg).ok_or_else(bad)?
                };
                if let Some(check) = check {
                    check(v)?;
                }
                Ok(Val::Enum(v))
            }
            Kind::Str {
                null_if_empty,
                check,
                ..
            } => {
                if let Some(check) = check {
                    check(self, arg)?;
                }
                if null_if_empty && arg.is_empty() {
                    Ok(Val::Str(None))
                } else {
                    Ok(Val::Str(Some(arg.clone())))
                }
            }
            Kind::Special(_) => Ok(Val::Special),
        }
    }

    fn set_special(
        &mut self,
        s: Special,
        args: &[Vec<u8>],
        reading_file: bool,
    ) -> Result<bool, String> {
        let wrong_args = || "wrong number of arguments".to_string();
        match s {
            Special::Dir => {
                if args.len() != 1 {
                    return Err(wrong_args());
                }
                std::env::set_current_dir(lossy(&args[0])).map_err(|e| strerror(&e))?;
                self.dir = cwd();
                Ok(true)
            }
            Special::Save => {
                let args = if args.len() == 1 && args[0].is_empty() {
                    &[][..]
                } else {
                    args
                };
                let invalid = || "Invalid save parameters".to_string();
                if !args.len().is_multiple_of(2) {
                    return Err(invalid());
                }
                let mut points = Vec::with_capacity(args.len() / 2);
                for pair in args.chunks(2) {
                    let secs = validate::strtoll_full(&pair[0], 10).ok_or_else(invalid)?;
                    let changes = validate::strtoll_full(&pair[1], 10).ok_or_else(invalid)?;
                    if secs < 1 || changes < 0 {
                        return Err(invalid());
                    }
                    // Redis keeps the change count in a C int.
                    points.push((secs as u64, (changes as i32).max(0) as u64));
                }
                // An empty `save` always clears; otherwise the first line of
                // a file replaces the defaults and later ones append.
                if args.is_empty() || !reading_file || !self.save_loaded {
                    self.save.clear();
                    if reading_file {
                        self.save_loaded = true;
                    }
                }
                self.save.extend(points);
                Ok(true)
            }
            Special::ClientOutputBufferLimit => {
                if !args.len().is_multiple_of(4) {
                    return Err("Wrong number of arguments in buffer limit configuration.".into());
                }
                let mut new = [
                    self.obuf_limit_normal,
                    self.obuf_limit_replica,
                    self.obuf_limit_pubsub,
                ];
                for group in args.chunks(4) {
                    let class = &group[0];
                    let slot = if class.eq_ignore_ascii_case(b"normal") {
                        0
                    } else if class.eq_ignore_ascii_case(b"slave")
                        || class.eq_ignore_ascii_case(b"replica")
                    {
                        1
                    } else if class.eq_ignore_ascii_case(b"pubsub") {
                        2
                    } else {
                        return Err(
                            "Invalid client class specified in buffer limit configuration.".into(),
                        );
                    };
                    let bad = || {
                        "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                            .to_string()
                    };
                    let hard = validate::memtoull(&group[1]).ok_or_else(bad)?;
                    let soft = validate::memtoull(&group[2]).ok_or_else(bad)?;
                    let secs = validate::strtoll_full(&group[3], 10).ok_or_else(bad)? as i32;
                    if secs < 0 {
                        return Err(bad());
                    }
                    new[slot] = (hard, soft, secs as u64);
                }
                self.obuf_limit_normal = new[0];
                self.obuf_limit_replica = new[1];
                self.obuf_limit_pubsub = new[2];
                Ok(true)
            }
            Special::OomScoreAdjValues => {
                if args.len() != 3 {
                    return Err(wrong_args());
                }
                let mut vals = [0i32; 3];
                for (slot, a) in vals.iter_mut().zip(args) {
                    match validate::strtoll_full(a, 10) {
                        Some(v) if (-2000..=2000).contains(&v) => *slot = v as i32,
                        _ => {
                            return Err("Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into())
                        }
                    }
                }
                if vals[1] < vals[0] || vals[2] < vals[1] {
                    log::warn!("The oom-score-adj-values configuration may not work for non-privileged processes! Please consult the documentation.");
                }
                let changed = vals != self.oom_score_adj_values;
                self.oom_score_adj_values = vals;
                Ok(changed)
            }
            Special::NotifyKeyspaceEvents => {
                if args.len() != 1 {
                    return Err(wrong_args());
                }
                let flags = notify::parse(&args[0]).ok_or_else(|| {
                    "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string()
                })?;
                self.notify_keyspace_events = flags;
                Ok(true)
            }
            Special::Bind => {
                if args.len() > MAX_BIND_ADDRS {
                    return Err("Too many bind addresses specified.".into());
                }
                let args = if args.len() == 1 && args[0].is_empty() {
                    &[][..]
                } else {
                    args
                };
                self.bind = args.iter().map(|a| lossy(a)).collect();
                self.bind_explicit = true;
                Ok(true)
            }
            Special::ReplicaOf => {
                if args.len() != 2 {
                    return Err(wrong_args());
                }
                if args[0].eq_ignore_ascii_case(b"no") && args[1].eq_ignore_ascii_case(b"one") {
                    self.replicaof = None;
                    return Ok(true);
                }
                match validate::strtoll_full(&args[1], 10) {
                    Some(p) if (0..=65535).contains(&p) => {
                        self.replicaof = Some((lossy(&args[0]), p as u16));
                        Ok(true)
                    }
                    _ => {
                        self.replicaof = None;
                        Err("Invalid master port".into())
                    }
                }
            }
            Special::LatencyTrackingInfoPercentiles => {
                let args = if args.len() == 1 && args[0].is_empty() {
                    &[][..]
                } else {
                    args
                };
                let mut vals = Vec::with_capacity(args.len().min(1024));
                for a in args {
                    let v = validate::string2d(a).ok_or_else(|| {
                        "Invalid latency-tracking-info-percentiles parameters".to_string()
                    })?;
                    if !(0.0..=100.0).contains(&v) {
                        return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
                    }
                    vals.push(v);
                }
                self.latency_tracking_info_percentiles = vals;
                Ok(true)
            }
        }
    }

    /// The value of directive `idx` as CONFIG GET prints it.
    fn format_value(&self, idx: usize) -> Vec<u8> {
        let d = &TABLE[idx];
        if let Kind::Special(s) = d.kind {
            return self.format_special(s).into_bytes();
        }
        match (self.value(idx), d.kind) {
            (Val::Bool(b), _) => if b { "yes" } else { "no" }.into(),
            (Val::Num(n), Kind::Num { fmt, .. }) => format_number(fmt, n).into_bytes(),
            (Val::Enum(v), Kind::Enum { values, multi, .. }) => {
                format_enum(values, multi, v).into_bytes()
            }
            (Val::Str(s), _) => s.unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn format_special(&self, s: Special) -> String {
        match s {
            Special::Dir => cwd(),
            Special::Save => self
                .save
                .iter()
                .map(|(s, c)| format!("{} {}", s, c))
                .collect::<Vec<_>>()
                .join(" "),
            Special::ClientOutputBufferLimit => {
                let (n, r, p) = (
                    self.obuf_limit_normal,
                    self.obuf_limit_replica,
                    self.obuf_limit_pubsub,
                );
                format!(
                    "normal {} {} {} slave {} {} {} pubsub {} {} {}",
                    n.0, n.1, n.2, r.0, r.1, r.2, p.0, p.1, p.2
                )
            }
            Special::OomScoreAdjValues => {
                let v = self.oom_score_adj_values;
                format!("{} {} {}", v[0], v[1], v[2])
            }
            Special::NotifyKeyspaceEvents => notify::format(self.notify_keyspace_events),
            Special::Bind => self.bind.join(" "),
            Special::ReplicaOf => match &self.replicaof {
                Some((h, p)) => format!("{} {}", h, p),
                None => String::new(),
            },
            Special::LatencyTrackingInfoPercentiles => self
                .latency_tracking_info_percentiles
                .iter()
                .map(|&v| validate::fmt_trimmed_f(v))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    // ----------------------------------------------------------------
    // Accessors for the rest of the server
    // ----------------------------------------------------------------

    /// The CONFIG GET text of a directive (by name or alias), None if
    /// unknown.
    pub fn get(&self, name: &str) -> Option<Vec<u8>> {
        table::lookup(name.as_bytes()).map(|(i, _)| self.format_value(i))
    }

    /// A boolean directive (false if unknown or not a boolean).
    pub fn get_bool(&self, name: &str) -> bool {
        match table::lookup(name.as_bytes()) {
            Some((i, _)) => matches!(self.value(i), Val::Bool(true)),
            None => false,
        }
    }

    /// A numeric directive as C's `long long` (0 if unknown).
    pub fn get_i64(&self, name: &str) -> i64 {
        match table::lookup(name.as_bytes()).map(|(i, _)| self.value(i)) {
            Some(Val::Num(n)) => n,
            _ => 0,
        }
    }

    /// The value of numeric directive number `idx` (from
    /// `table::index_of`), for hot paths that look the index up once.
    pub fn get_i64_at(&self, idx: usize) -> i64 {
        match self.value(idx) {
            Val::Num(n) => n,
            _ => 0,
        }
    }

    /// An enum directive's canonical name ("" if unknown).
    pub fn get_enum(&self, name: &str) -> &'static str {
        let Some((i, _)) = table::lookup(name.as_bytes()) else {
            return "";
        };
        match (self.value(i), TABLE[i].kind) {
            (Val::Enum(v), Kind::Enum { values, .. }) => values
                .iter()
                .find(|(_, x)| *x == v)
                .map(|(n, _)| *n)
                .unwrap_or(""),
            _ => "",
        }
    }

    /// A string directive (None when unset or unknown).
    pub fn get_str(&self, name: &str) -> Option<Vec<u8>> {
        match table::lookup(name.as_bytes()).map(|(i, _)| self.value(i)) {
            Some(Val::Str(s)) => s,
            _ => None,
        }
    }

    /// Whether a directive's value must be kept out of logs.
    pub fn is_sensitive(name: &[u8]) -> bool {
        table::lookup(name)
            .map(|(i, _)| TABLE[i].has(dflags::SENSITIVE))
            .unwrap_or(false)
    }

    // ----------------------------------------------------------------
    // CONFIG GET / CONFIG SET
    // ----------------------------------------------------------------

    /// CONFIG GET: the (name, value) pairs matching the patterns, in
    /// Redis's rules: an argument without glob characters is an exact
    /// (case-insensitive) lookup that also finds hidden directives and
    /// echoes the name as given; a pattern matches every visible name and
    /// alias, case-insensitively. Each directive name appears once.
    pub fn config_get(&self, patterns: &[&[u8]]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let seen = |out: &Vec<(Vec<u8>, Vec<u8>)>, n: &[u8]| {
            out.iter().any(|(k, _)| k.eq_ignore_ascii_case(n))
        };
        for &p in patterns {
            if !p.iter().any(|c| matches!(c, b'[' | b'*' | b'?')) {
                if seen(&out, p) {
                    continue;
                }
                if let Some((i, _)) = table::lookup(p) {
                    out.push((p.to_vec(), self.format_value(i)));
                }
                continue;
            }
            for (i, d) in TABLE.iter().enumerate() {
                if d.has(dflags::HIDDEN) {
                    continue;
                }
                for name in std::iter::once(d.name).chain(d.alias) {
                    if !seen(&out, name.as_bytes()) && glob_match(p, name.as_bytes()) {
                        out.push((name.as_bytes().to_vec(), self.format_value(i)));
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET with Redis's all-or-nothing semantics. `protected_ok`
    /// says whether the caller may change protected directives
    /// (`enable-protected-configs`). Returns the full error text (with its
    /// `ERR` prefix) on failure, leaving the configuration untouched.
    pub fn config_set(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        protected_ok: bool,
    ) -> Result<(), String> {
        let mut targets: Vec<(usize, &'static str)> = Vec::with_capacity(pairs.len().min(256));
        for &(name, _) in pairs {
            let Some((idx, reg)) = table::lookup(name) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                    one_line(name)
                ));
            };
            let d = &TABLE[idx];
            if d.has(dflags::IMMUTABLE) || (d.has(dflags::PROTECTED) && !protected_ok) {
                let why = if d.has(dflags::IMMUTABLE) {
                    "can't set immutable config"
                } else {
                    "can't set protected config"
                };
                return Err(set_failed(&one_line(name), why));
            }
            if targets.iter().any(|&(_, r)| r == reg) {
                return Err(set_failed(&one_line(name), "duplicate parameter"));
            }
            targets.push((idx, reg));
        }
        let old_dir = cwd();
        let mut new = self.clone();
        let mut changed: Vec<(usize, &'static str)> = Vec::new();
        for (&(idx, reg), &(_, value)) in targets.iter().zip(pairs) {
            let args = if TABLE[idx].has(dflags::MULTI_ARG) {
                split_spaces(value)
            } else {
                vec![value.to_vec()]
            };
            match new.set_directive(idx, &args, false) {
                Ok(true) => changed.push((idx, reg)),
                Ok(false) => {}
                Err(e) => {
                    restore_dir(&old_dir);
                    return Err(set_failed(reg, &e));
                }
            }
        }
        for &(idx, reg) in &changed {
            if let Err(e) = new.apply(idx, self) {
                log::warn!(
                    "Failed applying new configuration. Possibly related to new {} setting. Restoring previous settings.",
                    reg
                );
                restore_dir(&old_dir);
                return Err(set_failed(reg, &e));
            }
        }
        if new.loglevel != self.loglevel {
            crate::logging::set_level(&new.loglevel);
        }
        *self = new;
        Ok(())
    }

    /// What CONFIG SET does after storing a changed value (Redis's apply
    /// functions). `old` is the configuration before the command.
    fn apply(&mut self, idx: usize, old: &Config) -> Result<(), String> {
        match TABLE[idx].name {
            "hz" => self.hz = self.hz.clamp(1, 500),
            "port" if self.port != old.port => {
                log::warn!(
                    "Changing the listening port at runtime is not supported by ferredis yet."
                );
                return Err("Unable to listen on this port. Check server logs.".into());
            }
            "bind" if self.bind != old.bind => {
                log::warn!(
                    "Changing the bind addresses at runtime is not supported by ferredis yet."
                );
                return Err("Failed to bind to specified addresses.".into());
            }
            "maxclients" => {
                let wanted = self.maxclients;
                if !self.adjust_open_files_limit() || self.maxclients != wanted {
                    return Err(format!(
                        "The operating system is not able to handle the specified number of clients, try with {}",
                        self.maxclients
                    ));
                }
            }
            "repl-backlog-size" => {
                // Redis's smallest backlog.
                if let Some(i) = table::index_of("repl-backlog-size") {
                    if let Val::Num(n) = self.extra[i] {
                        self.extra[i] = Val::Num(n.max(16 * 1024));
                    }
                }
            }
            "watchdog-period" => self.clamp_watchdog_period(),
            "maxmemory" => {
                let used = crate::sys::used_memory() as u64;
                if self.maxmemory != 0 && self.maxmemory < used {
                    log::warn!("WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller than the current memory usage ({}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.", self.maxmemory, used);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A non-zero `watchdog-period` is at least two cron ticks, as Redis
    /// enforces when it arms the watchdog.
    fn clamp_watchdog_period(&mut self) {
        if let Some(i) = table::index_of("watchdog-period") {
            if let Val::Num(n) = self.extra[i] {
                let min = (1000 / self.hz.max(1) as i64) * 2;
                if n != 0 && n < min {
                    self.extra[i] = Val::Num(min);
                }
            }
        }
    }

    /// Raises the open-files limit for `maxclients` as Redis's
    /// `adjustOpenFilesLimit` does, lowering `maxclients` (with Redis's
    /// warnings) when the system refuses. Returns false when even the
    /// reserved descriptors do not fit (Redis exits then).
    pub fn adjust_open_files_limit(&mut self) -> bool {
        const RESERVED: u64 = 32;
        let wanted = self.maxclients + RESERVED;
        let Some(lim) = crate::sys::raise_nofile_limit(wanted) else {
            log::warn!("Unable to obtain the current NOFILE limit, assuming 1024 and setting the max clients configuration accordingly.");
            self.maxclients = 1024 - RESERVED;
            return true;
        };
        if lim.original >= wanted {
            return true;
        }
        if lim.current < wanted {
            let old_maxclients = self.maxclients;
            if lim.current <= RESERVED {
                log::warn!("Your current 'ulimit -n' of {} is not enough for the server to start. Please increase your open file limit to at least {}. Exiting.", lim.original, wanted);
                return false;
            }
            self.maxclients = lim.current - RESERVED;
            log::warn!(
                "You requested maxclients of {} requiring at least {} max file descriptors.",
                old_maxclients,
                wanted
            );
            log::warn!(
                "Server can't set maximum open files to {} because of OS error: {}.",
                wanted,
                strerror(&std::io::Error::from_raw_os_error(lim.errno))
            );
            log::warn!("Current maximum open files is {}. maxclients has been reduced to {} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.", lim.current, self.maxclients);
        } else {
            log::info!(
                "Increased maximum number of open files to {} (it was originally set to {}).",
                wanted,
                lim.original
            );
        }
        true
    }

    // ----------------------------------------------------------------
    // CONFIG REWRITE
    // ----------------------------------------------------------------

    /// Rewrites the config file (CONFIG REWRITE): keeps comments and
    /// unknown lines, updates directives in place, appends the rest.
    /// `force_all` writes every directive, default or not. Errors are
    /// `strerror` texts.
    pub fn rewrite(&self, force_all: bool) -> Result<(), String> {
        let Some(path) = &self.config_file else {
            return Err("The server is running without a config file".into());
        };
        rewrite::rewrite_file(self, path, force_all)
    }
}

fn non_empty(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() {
        None
    } else {
        Some(s.as_bytes().to_vec())
    }
}

fn restore_dir(dir: &str) {
    if cwd() != dir {
        let _ = std::env::set_current_dir(dir);
    }
}

/// An argument echoed in an error reply: newlines become spaces.
fn one_line(b: &[u8]) -> String {
    lossy(b).replace(['\r', '\n'], " ")
}

fn set_failed(name: &str, why: &str) -> String {
    format!(
        "ERR CONFIG SET failed (possibly related to argument '{}') - {}",
        name, why
    )
}

/// Parses a number in the directive's format, with Redis's error texts.
fn parse_number(fmt: NumFmt, arg: &[u8]) -> Result<i64, String> {
    if matches!(fmt, NumFmt::Memory | NumFmt::MemoryPercent) {
        if let Some(v) = validate::memtoull(arg) {
            return Ok(v as i64);
        }
    }
    if fmt == NumFmt::MemoryPercent {
        if let Some(digits) = arg.strip_suffix(b"%") {
            if !digits.is_empty() {
                if let Some(v) = crate::util::numfmt::parse_i64(digits) {
                    if v >= 0 {
                        return Ok(-v);
                    }
                }
            }
        }
    }
    if fmt == NumFmt::Octal {
        if let Some(v) = validate::strtoll_full(arg, 8) {
            // Saturation means strtoll's ERANGE.
            if v != i64::MAX && v != i64::MIN {
                return Ok(v);
            }
        }
    }
    if fmt == NumFmt::Int {
        if let Some(v) = crate::util::numfmt::parse_i64(arg) {
            return Ok(v);
        }
    }
    Err(match fmt {
        NumFmt::MemoryPercent => "argument must be a memory or percent value",
        NumFmt::Memory => "argument must be a memory value",
        NumFmt::Octal => "argument couldn't be parsed as an octal number",
        NumFmt::Int => "argument couldn't be parsed into an integer",
    }
    .into())
}

/// Redis's `numericBoundaryCheck`.
fn check_bounds(fmt: NumFmt, unsigned: bool, min: i64, max: u64, n: i64) -> Result<(), String> {
    if unsigned {
        let u = n as u64;
        if u > max || u < min as u64 {
            return Err(if fmt == NumFmt::Octal {
                format!(
                    "argument must be between {:o} and {:o} inclusive",
                    min as u64, max
                )
            } else {
                format!(
                    "argument must be between {} and {} inclusive",
                    min as u64, max
                )
            });
        }
        return Ok(());
    }
    if fmt == NumFmt::MemoryPercent && n < 0 {
        if n < min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -min
            ));
        }
        return Ok(());
    }
    if (n as i128) > max as i128 || n < min {
        return Err(format!(
            "argument must be between {} and {} inclusive",
            min, max
        ));
    }
    Ok(())
}

/// How CONFIG GET prints a number.
fn format_number(fmt: NumFmt, n: i64) -> String {
    match fmt {
        NumFmt::MemoryPercent if n < 0 => format!("{}%", -(n as i128)),
        NumFmt::Memory | NumFmt::MemoryPercent => (n as u64).to_string(),
        NumFmt::Octal => format!("{:o}", n as u64),
        NumFmt::Int => n.to_string(),
    }
}

/// How CONFIG GET prints an enum value.
fn format_enum(values: &[(&str, u32)], multi: bool, v: u32) -> String {
    if !multi || v == 0 {
        return values
            .iter()
            .find(|(_, x)| *x == v)
            .map(|(n, _)| n.to_string())
            .unwrap_or_else(|| "unknown".into());
    }
    values
        .iter()
        .filter(|(_, x)| *x != 0 && v & x == *x)
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Turns `redis-server` arguments into (config file, read stdin, option
/// lines), with Redis 7.0's rules: the first argument is the config file
/// unless it starts with `-`; `-` first or last means stdin; `--name`
/// starts a directive whose following arguments are its (quoted) values,
/// an argument may hold a name and its values together (`"--port 7000"`),
/// a value may itself start with `--` right after a bare name, and a bare
/// `--save` followed by another option (or last) means `save ""`.
fn build_options(args: &[String]) -> (Option<String>, bool, Vec<u8>) {
    let mut j = 0;
    let mut config_file = None;
    if let Some(first) = args.first() {
        if !first.starts_with('-') {
            config_file = Some(absolute_path(first));
            j = 1;
        }
    }
    let mut from_stdin = false;
    let mut options: Vec<u8> = Vec::new();
    let mut handled_last = true;
    while j < args.len() {
        let a = args[j].as_bytes();
        let last = j == args.len() - 1;
        if a == b"-" && (j == 0 || last) {
            from_stdin = true;
        } else if handled_last && a.starts_with(b"--") {
            if !options.is_empty() {
                options.push(b'\n');
            }
            options.extend_from_slice(&a[2..]);
            options.push(b' ');
            let words = crate::resp::parser::split_args(a)
                .map(|v| v.len())
                .unwrap_or(0);
            if words == 1 {
                handled_last = false;
                let is_save = a.eq_ignore_ascii_case(b"--save");
                if is_save && !last && args[j + 1].starts_with("--") {
                    options.extend_from_slice(b"\"\"");
                    handled_last = true;
                } else if is_save && last {
                    options.extend_from_slice(b"\"\"");
                }
            } else {
                handled_last = true;
            }
        } else {
            options.push(b'"');
            crate::util::repr::push_repr(&mut options, a);
            options.extend_from_slice(b"\" ");
            handled_last = true;
        }
        j += 1;
    }
    (config_file, from_stdin, options)
}

/// Reads a config file; failure is Redis's logged fatal error.
fn read_config_file(path: &str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| {
        ConfigError::logged(format!(
            "Fatal error, can't open config file '{}': {}",
            path,
            strerror(&e)
        ))
    })
}

/// The files an `include` names: the path itself, or the sorted matches of
/// a wildcard in its last component (none is fine, as with Redis's glob).
fn include_paths(path: &str) -> Vec<String> {
    if !path.contains(['*', '?', '[']) {
        return vec![path.to_string()];
    }
    let (dir, pat) = match path.rfind('/') {
        Some(i) => (&path[..i.max(1)], &path[i + 1..]),
        None => (".", path),
    };
    let Ok(entries) = std::fs::read_dir(if dir.is_empty() { "/" } else { dir }) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && glob_match_case(pat.as_bytes(), n.as_bytes(), false))
        .map(|n| {
            if path.contains('/') {
                format!("{}/{}", dir.trim_end_matches('/'), n)
            } else {
                n
            }
        })
        .collect();
    out.sort();
    out
}

/// Case-insensitive glob over directive names (CONFIG GET), Redis's
/// `stringmatch(..., nocase=1)`.
fn glob_match(pattern: &[u8], s: &[u8]) -> bool {
    crate::util::glob::glob_match(pattern, s, true)
}

/// Glob with explicit case sensitivity (include file names).
fn glob_match_case(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    crate::util::glob::glob_match(pattern, s, nocase)
}

#[cfg(test)]
mod tests;
