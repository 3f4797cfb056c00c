//! Server configuration: the typed values the server reads, their defaults
//! (Redis 7.0's embedded defaults), and loading from a config file and the
//! command line.
//!
//! Redis counterpart: `config.c`.

/// Typed configuration the server acts on.
#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    /// `bind` addresses; `*` and `-::*` (the `-` means "optional").
    pub bind: Vec<String>,
    /// Whether a `bind` directive was given explicitly.
    pub bind_explicit: bool,
    pub unixsocket: String,
    pub unixsocketperm: u32,
    pub tcp_backlog: i32,
    /// `timeout` in seconds (0 = never close idle clients).
    pub timeout: u64,
    pub tcp_keepalive: u64,
    pub maxclients: u64,
    pub databases: usize,
    pub hz: u32,
    pub requirepass: Option<Vec<u8>>,
    pub protected_mode: bool,
    pub logfile: String,
    pub loglevel: String,
    pub pidfile: String,
    pub daemonize: bool,
    pub dir: String,
    /// Save points (seconds, changes).
    pub save: Vec<(u64, u64)>,
    /// `enable-debug-command`: no, yes or local.
    pub enable_debug_command: String,
    /// `enable-protected-configs`: no, yes or local.
    pub enable_protected_configs: String,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: usize,
    /// `client-output-buffer-limit normal`: hard bytes, soft bytes, soft secs.
    pub obuf_limit_normal: (u64, u64, u64),
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: usize,
    pub always_show_logo: bool,
    pub maxmemory: u64,
    /// Path of the config file, if any (for CONFIG REWRITE and INFO).
    pub config_file: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6379,
            bind: vec!["*".into(), "-::*".into()],
            bind_explicit: false,
            unixsocket: String::new(),
            unixsocketperm: 0,
            tcp_backlog: 511,
            timeout: 0,
            tcp_keepalive: 300,
            maxclients: 10000,
            databases: 16,
            hz: 10,
            requirepass: None,
            protected_mode: true,
            logfile: String::new(),
            loglevel: "notice".into(),
            pidfile: String::new(),
            daemonize: false,
            dir: ".".into(),
            save: vec![(3600, 1), (300, 100), (60, 10000)],
            enable_debug_command: "no".into(),
            enable_protected_configs: "no".into(),
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            obuf_limit_normal: (0, 0, 0),
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            always_show_logo: false,
            maxmemory: 0,
            config_file: None,
        }
    }
}

/// A configuration error, reported as Redis's FATAL CONFIG FILE ERROR.
#[derive(Debug)]
pub struct ConfigError {
    pub line_no: usize,
    pub line: String,
    pub reason: String,
}

impl Config {
    /// Builds the configuration from `redis-server`-style arguments:
    /// `[config-file] [--directive value ...]`.
    pub fn from_args(args: &[String]) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        let mut text = String::new();
        let mut i = 0;
        if let Some(first) = args.first() {
            if !first.starts_with("--") {
                cfg.config_file = Some(first.clone());
                text = std::fs::read_to_string(first).map_err(|e| ConfigError {
                    line_no: 0,
                    line: first.clone(),
                    reason: format!("Fatal error, can't open config file '{}': {}", first, e),
                })?;
                text.push('\n');
                i = 1;
            }
        }
        let mut opts = String::new();
        while i < args.len() {
            let a = &args[i];
            if let Some(name) = a.strip_prefix("--") {
                if !opts.is_empty() {
                    opts.push('\n');
                }
                opts.push_str(name);
            } else {
                opts.push(' ');
                opts.push_str(a);
            }
            i += 1;
        }
        text.push_str(&opts);
        cfg.load_text(&text)?;
        Ok(cfg)
    }

    /// Applies config-file text.
    pub fn load_text(&mut self, text: &str) -> Result<(), ConfigError> {
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let err = |reason: &str| ConfigError {
                line_no: n + 1,
                line: line.to_string(),
                reason: reason.to_string(),
            };
            let Some(argv) = crate::resp::parser::split_args(trimmed.as_bytes()) else {
                return Err(err("Unbalanced quotes in configuration line"));
            };
            let argv: Vec<String> = argv
                .into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect();
            let name = argv[0].to_ascii_lowercase();
            let v = argv.get(1).cloned().unwrap_or_default();
            let int = |s: &str| -> Result<i64, ConfigError> {
                s.parse::<i64>()
                    .map_err(|_| err("argument couldn't be parsed into an integer"))
            };
            match name.as_str() {
                "port" => self.port = int(&v)? as u16,
                "bind" => {
                    self.bind = argv[1..].to_vec();
                    self.bind_explicit = true;
                }
                "hz" => self.hz = int(&v)?.clamp(1, 500) as u32,
                "databases" => self.databases = int(&v)?.max(1) as usize,
                "requirepass" => {
                    self.requirepass = if v.is_empty() {
                        None
                    } else {
                        Some(v.into_bytes())
                    }
                }
                "unixsocket" => self.unixsocket = v,
                "unixsocketperm" => {
                    self.unixsocketperm = u32::from_str_radix(&v, 8)
                        .ok()
                        .filter(|p| *p <= 0o777)
                        .ok_or_else(|| err("Invalid socket file permissions"))?
                }
                "logfile" => self.logfile = v,
                "loglevel" => self.loglevel = v,
                "pidfile" => self.pidfile = v,
                "dir" => self.dir = v,
                "protected-mode" => self.protected_mode = v == "yes",
                "enable-debug-command" => self.enable_debug_command = v,
                "save" => self.save.clear(),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Prints Redis's FATAL CONFIG FILE ERROR block to stderr.
pub fn print_fatal_error(e: &ConfigError) {
    eprintln!(
        "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***",
        crate::REDIS_VERSION
    );
    if e.line_no > 0 {
        eprintln!("Reading the configuration file, at line {}", e.line_no);
        eprintln!(">>> '{}'", e.line.trim());
    }
    eprintln!("{}", e.reason);
}
