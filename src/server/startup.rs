//! Start-up: configuration, logging, daemonizing, the working directory,
//! the pid file, the log lines Redis prints, then the reactor.
//!
//! Redis counterpart: `main` in `server.c`.

use super::reactor::Reactor;
use super::Server;
use crate::config::Config;
use crate::{logging, sys};

/// Runs the server with `redis-server`-style arguments (program name
/// excluded). Returns the process exit code.
pub fn run(args: &[String]) -> i32 {
    logging::init();
    let config = match Config::from_args(args) {
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
        eprintln!("Can't open the log file: {}", e);
        return 1;
    }
    sys::install_signal_handlers(crate::REDIS_VERSION);
    install_panic_hook();
    log::info!("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
    log::info!(
        "Redis version={}, bits=64, commit=00000000, modified=0, pid={}, just started",
        crate::REDIS_VERSION,
        sys::getpid()
    );
    if config.config_file.is_none() {
        log::warn!(
            "Warning: no config file specified, using the default config. In order to specify a config file use {} /path/to/redis.conf",
            std::env::args().next().unwrap_or_else(|| "ferredis-server".into())
        );
    } else {
        log::info!("Configuration loaded");
    }
    let wanted = config.maxclients + 32;
    let got = sys::raise_nofile_limit(wanted);
    let mut config = config;
    if got < wanted {
        let new_max = got.saturating_sub(32).max(1);
        log::warn!(
            "You requested maxclients of {} requiring at least {} max file descriptors.",
            config.maxclients,
            wanted
        );
        log::warn!(
            "Server can't set maximum open files to {} because of OS error: Operation not permitted.",
            wanted
        );
        log::warn!(
            "Current maximum open files is {}. maxclients has been reduced to {} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
            got,
            new_max
        );
        config.maxclients = new_max;
    } else if got > 1024 {
        log::info!(
            "Increased maximum number of open files to {} (it was originally set to 1024).",
            got
        );
    }
    let mut srv = Server::new(config);
    let mut reactor = match Reactor::new(&mut srv) {
        Ok(r) => r,
        Err(msg) => {
            log::warn!("{}", msg);
            return 1;
        }
    };
    if srv.config.always_show_logo {
        logging::raw(&banner(&srv));
    }
    log::info!("Running mode=standalone, port={}.", srv.config.port);
    log::info!("Server initialized");
    if !srv.config.pidfile.is_empty() {
        let _ = std::fs::write(&srv.config.pidfile, format!("{}\n", sys::getpid()));
    }
    log::info!("Ready to accept connections");
    reactor.run(&mut srv)
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
