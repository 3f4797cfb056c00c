//! The Redis-style logger: one line per event,
//! `pid:role dd Mon yyyy hh:mm:ss.mmm <level-char> message`, written to
//! stdout or the `logfile` and flushed at once.
//!
//! Level mapping (Redis → `log`): warning `#` → Warn, notice `*` → Info,
//! verbose `-` → Debug, debug `.` → Trace. Redis counterpart: `serverLog`.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::sys;

/// Where log lines go.
enum Sink {
    Stdout,
    File(File),
}

struct RedisLogger {
    sink: Mutex<Sink>,
}

static LOGGER: RedisLogger = RedisLogger {
    sink: Mutex::new(Sink::Stdout),
};

/// The role character printed after the pid: `M` master, `S` replica,
/// `C` forked child.
static ROLE: AtomicU8 = AtomicU8::new(b'M');

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl log::Log for RedisLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = format_line(record.level(), &record.args().to_string());
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *sink {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(line.as_bytes());
                let _ = out.flush();
            }
            Sink::File(f) => {
                let _ = f.write_all(line.as_bytes());
            }
        }
    }

    fn flush(&self) {}
}

/// Formats one log line exactly as Redis does.
pub fn format_line(level: log::Level, msg: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let (y, mon, d, h, mi, s) = sys::localtime(now.as_secs() as i64);
    let ms = now.subsec_millis();
    let c = match level {
        log::Level::Error | log::Level::Warn => '#',
        log::Level::Info => '*',
        log::Level::Debug => '-',
        log::Level::Trace => '.',
    };
    format!(
        "{}:{} {:02} {} {} {:02}:{:02}:{:02}.{:03} {} {}\n",
        sys::getpid(),
        ROLE.load(Ordering::Relaxed) as char,
        d,
        MONTHS[mon.clamp(0, 11) as usize],
        y,
        h,
        mi,
        s,
        ms,
        c,
        msg
    )
}

/// Installs the logger (stdout until `set_logfile` says otherwise).
pub fn init() {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(log::LevelFilter::Info);
}

/// Maps a Redis `loglevel` name to the `log` filter.
pub fn level_filter(name: &str) -> Option<log::LevelFilter> {
    Some(match name.to_ascii_lowercase().as_str() {
        "debug" => log::LevelFilter::Trace,
        "verbose" => log::LevelFilter::Debug,
        "notice" => log::LevelFilter::Info,
        "warning" => log::LevelFilter::Warn,
        "nothing" => log::LevelFilter::Off,
        _ => return None,
    })
}

/// Applies `loglevel`.
pub fn set_level(name: &str) {
    if let Some(f) = level_filter(name) {
        log::set_max_level(f);
    }
}

/// Applies `logfile`: empty means stdout; otherwise the file is opened in
/// append mode (created if missing).
pub fn set_logfile(path: &str) -> std::io::Result<()> {
    let sink = if path.is_empty() {
        sys::set_crash_log_fd(1);
        Sink::Stdout
    } else {
        let f = OpenOptions::new().create(true).append(true).open(path)?;
        use std::os::fd::AsRawFd;
        sys::set_crash_log_fd(f.as_raw_fd());
        Sink::File(f)
    };
    *LOGGER.sink.lock().unwrap_or_else(|e| e.into_inner()) = sink;
    Ok(())
}

/// Sets the role character (`M`, `S`, `C`).
pub fn set_role(c: u8) {
    ROLE.store(c, Ordering::Relaxed);
}

/// Writes a line straight to the sink, bypassing the level filter (used for
/// the start-up banner and crash reports).
pub fn raw(text: &str) {
    let mut sink = LOGGER.sink.lock().unwrap_or_else(|e| e.into_inner());
    match &mut *sink {
        Sink::Stdout => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
        Sink::File(f) => {
            let _ = f.write_all(text.as_bytes());
        }
    }
}

/// A line in the shape Redis gives what its signal handlers log
/// (`serverLogFromHandler`: `<pid>:signal-handler (<unix secs>) <msg>`),
/// which log watchers match: SIGTERM/SIGINT's scheduling of the shutdown.
/// A warning, so dropped only by `loglevel nothing`.
pub fn from_signal_handler(msg: &str) {
    if !log::log_enabled!(log::Level::Warn) {
        return;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    raw(&format!(
        "{}:signal-handler ({}) {}\n",
        sys::getpid(),
        now,
        msg
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_has_redis_shape() {
        let line = format_line(log::Level::Info, "Ready to accept connections");
        let (pid_role, rest) = line.split_once(' ').unwrap();
        assert!(pid_role.ends_with(":M"));
        assert!(rest.ends_with(" * Ready to accept connections\n"));
        // dd Mon yyyy hh:mm:ss.mmm
        let parts: Vec<&str> = rest.split(' ').collect();
        assert_eq!(parts[0].len(), 2);
        assert!(MONTHS.contains(&parts[1]));
        assert_eq!(parts[3].len(), 12);
    }
}
