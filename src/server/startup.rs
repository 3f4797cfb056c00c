//! Start-up: `--version` / `--help`, configuration (fatal errors exit 1),
//! daemonizing, logging, the open-files limit, the listeners, the pid file,
//! the log lines Redis prints, the RDB load (with the listeners already up:
//! clients connecting meanwhile get `-LOADING`), then the reactor.
//! `oom-score-adj` is applied by `Server::new` (through `apply_config`).
//!
//! Redis counterpart: `main` in `server.c` (with `version`, `usage`,
//! `createPidFile`, `redisAsciiArt`).

use super::reactor::Reactor;
use super::Server;
use crate::config::Config;
use crate::{logging, sys};

/// Where Redis writes its pid when daemonized without a `pidfile`.
const DEFAULT_PIDFILE: &str = "/var/run/redis.pid";

/// The `--version` line, in redis-server's format (`v=` is what tools
/// parse).
pub fn version_line() -> String {
    format!(
        "Redis server v={} sha=00000000:0 malloc={} bits=64 build=ferredis-{}",
        crate::REDIS_VERSION,
        sys::MEM_ALLOCATOR,
        crate::FERREDIS_VERSION
    )
}

/// The `--help` text (redis-server's usage, for ferredis).
pub fn usage() -> String {
    let p = "./ferredis-server";
    format!(
        "Usage: {p} [/path/to/redis.conf] [options] [-]\n       \
         {p} - (read config from stdin)\n       \
         {p} -v or --version\n       \
         {p} -h or --help\n\n\
         Examples:\n       \
         {p} (run the server with default conf)\n       \
         echo 'maxmemory 128mb' | {p} -\n       \
         {p} /etc/redis/6379.conf\n       \
         {p} --port 7777\n       \
         {p} --port 7777 --replicaof 127.0.0.1 8888\n       \
         {p} /etc/myredis.conf --loglevel verbose -\n       \
         {p} /etc/myredis.conf --loglevel verbose\n"
    )
}

/// Runs the server with `redis-server`-style arguments (program name
/// excluded). Returns the process exit code.
pub fn run(args: &[String]) -> i32 {
    if let Some(first) = args.first() {
        match first.as_str() {
            "-v" | "--version" => {
                println!("{}", version_line());
                return 0;
            }
            "-h" | "--help" => {
                eprint!("{}", usage());
                return 1;
            }
            _ => {}
        }
    }
    logging::init();
    // Until the server is initialized Redis's log lines carry the `C` role.
    logging::set_role(b'C');
    let mut config = match Config::from_args(args) {
        Ok(c) => c,
        Err(e) => {
            crate::config::print_fatal_error(&e);
            return 1;
        }
    };
    if config.daemonize {
        sys::daemonize();
    }
    logging::set_level(&config.loglevel);
    if let Err(e) = logging::set_logfile(&config.logfile) {
        eprintln!("Can't open the log file: {}", crate::config::strerror(&e));
        return 1;
    }
    sys::install_signal_handlers(crate::REDIS_VERSION);
    install_panic_hook();
    log::warn!("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
    log::warn!(
        "Redis version={}, bits=64, commit=00000000, modified=0, pid={}, just started",
        crate::REDIS_VERSION,
        sys::getpid()
    );
    if args.is_empty() {
        log::warn!(
            "Warning: no config file specified, using the default config. In order to specify a config file use {} /path/to/redis.conf",
            std::env::args().next().unwrap_or_else(|| "ferredis-server".into())
        );
    } else {
        log::warn!("Configuration loaded");
    }
    // As Redis's log role: `S` while `replicaof` is set.
    logging::set_role(if config.replicaof.is_some() {
        b'S'
    } else {
        b'M'
    });
    if !config.adjust_open_files_limit() {
        return 1;
    }
    if config.daemonize && config.pidfile.is_empty() {
        config.pidfile = DEFAULT_PIDFILE.into();
    }
    let mut srv = Server::new(config);
    srv.lazyfree.start();
    for (old, new) in srv.config.renamed_commands.clone() {
        // Checked while loading the configuration.
        let _ = srv.commands.rename(old.as_bytes(), new.as_bytes());
    }
    let mut reactor = match Reactor::new(&mut srv) {
        Ok(r) => r,
        Err(msg) => {
            log::warn!("{}", msg);
            return 1;
        }
    };
    if !srv.config.pidfile.is_empty() {
        create_pid_file(&srv.config.pidfile);
    }
    // From here on the process title is ours (argv was parsed above).
    let exec_name = std::env::args()
        .next()
        .unwrap_or_else(|| "ferredis-server".into());
    crate::server::proc_title::apply(&srv.config, &exec_name);
    srv.exec_name = Some(exec_name);
    if srv.config.always_show_logo {
        logging::raw(&banner(&srv));
    } else {
        log::info!("Running mode=standalone, port={}.", srv.config.port);
    }
    log::warn!("Server initialized");
    if !load_modules(&srv.config) {
        remove_pid_file(&srv.config.pidfile);
        return 1;
    }
    // The listeners are up: clients connecting during the load are served
    // every few megabytes and get -LOADING for most commands.
    crate::replication::replica::configure_at_startup(&mut srv);
    let loaded = crate::persistence::aof::load_data_from_disk(&mut srv, &mut |s: &mut Server| {
        reactor.serve_while_loading(s);
    });
    if !loaded {
        remove_pid_file(&srv.config.pidfile);
        return 1;
    }
    if srv.config.port != 0 {
        log::info!("Ready to accept connections");
    }
    if !srv.config.unixsocket.is_empty() {
        log::info!(
            "The server is now ready to accept connections at {}",
            srv.config.unixsocket
        );
    }
    if srv.config.maxmemory > 0 && srv.config.maxmemory < 1024 * 1024 {
        log::warn!("WARNING: You specified a maxmemory value that is less than 1MB (current value is {} bytes). Are you sure this is what you really want?", srv.config.maxmemory);
    }
    // `replicaof` in the configuration: cron connects to the master.
    crate::replication::replica::start_from_config(&mut srv);
    reactor.run(&mut srv)
}

/// Writes the pid file (failure is only logged, as in Redis).
fn create_pid_file(path: &str) {
    if let Err(e) = std::fs::write(path, format!("{}\n", sys::getpid())) {
        log::warn!("Failed to write PID file: {}", crate::config::strerror(&e));
    }
}

fn remove_pid_file(path: &str) {
    if !path.is_empty() {
        let _ = std::fs::remove_file(path);
    }
}

/// ferredis has no module system: a `loadmodule` line (or a module config
/// line) stops the server the way a failed module load stops Redis.
fn load_modules(cfg: &Config) -> bool {
    if let Some(m) = cfg.loadmodules.first() {
        let path = m.first().map(String::as_str).unwrap_or("");
        log::warn!(
            "Module {} failed to load: ferredis does not support modules",
            path
        );
        log::warn!("Can't load module from {}: server aborting", path);
        return false;
    }
    if !cfg.module_configs.is_empty() {
        log::warn!("Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting");
        return false;
    }
    true
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = format!("=== REDIS BUG REPORT START: Cut & paste starting from here ===\n------ ASSERTION FAILED ------\n{}\n", info);
        log::warn!("{}", msg);
        sys::write_crash_report(6, &format!("panic: {}", info));
        sys::abort();
    }));
}

/// The start-up banner shown with `always-show-logo yes`.
fn banner(srv: &Server) -> String {
    format!(
        "                _._                                                  \n           _.-``__ ''-._                                             \n      _.-``    `.  `_.  ''-._           ferredis {} (Redis {} compatible) 64 bit\n  .-`` .-```.  ```\\/    _.,_ ''-._                                  \n (    '      ,       .-`  | `,    )     Running in standalone mode\n |`-._`-...-` __...-.``-._|'` _.-'|     Port: {}\n |    `-._   `._    /     _.-'    |     PID: {}\n  `-._    `-._  `-./  _.-'    _.-'                                   \n |`-._`-._    `-.__.-'    _.-'_.-'|                                  \n |    `-._`-._        _.-'_.-'    |                                  \n  `-._    `-._`-.__.-'_.-'    _.-'                                   \n      `-._    `-.__.-'    _.-'                                       \n          `-._        _.-'                                           \n              `-.__.-'                                               \n\n",
        env!("CARGO_PKG_VERSION"),
        crate::REDIS_VERSION,
        srv.config.port,
        sys::getpid()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_line_is_parsable() {
        let v = version_line();
        assert!(v.starts_with(
            "Redis server v=7.0.15 sha=00000000:0 malloc=libc bits=64 build=ferredis-"
        ));
        assert!(
            usage().starts_with("Usage: ./ferredis-server [/path/to/redis.conf] [options] [-]\n")
        );
    }
}
