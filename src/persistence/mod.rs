//! Persistence: the RDB snapshot on disk. Synchronous saves (`SAVE`, the
//! final save at shutdown) through a temp file that is fsynced and renamed
//! into place, and the load of `dir`/`dbfilename` at start-up, with
//! Redis's log lines for both. BGSAVE (fork), AOF and DUMP/RESTORE build
//! on the `rdb` codec later.
//!
//! Redis counterpart: `rdb.c` (`rdbSave`, `rdbLoad`), `server.c`
//! (`loadDataFromDisk`).

pub mod child;
pub mod rdb;

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;
use std::time::Instant;

use crate::config::Config;
use crate::server::Server;

/// Persistence state reported by `INFO persistence`.
#[derive(Debug, Clone)]
pub struct State {
    /// Saves attempted (`rdb_saves`).
    pub rdb_saves: u64,
    /// Outcome of the last background save (`rdb_last_bgsave_status`;
    /// a successful SAVE also sets it, as in Redis).
    pub last_bgsave_ok: bool,
    /// Counters of the last load (`rdb_last_load_keys_*`).
    pub last_load: rdb::LoadStats,
}

impl Default for State {
    fn default() -> Self {
        State {
            rdb_saves: 0,
            last_bgsave_ok: true,
            last_load: rdb::LoadStats::default(),
        }
    }
}

/// The directory files are resolved in, for paths and log lines (the
/// server has changed into it; `dir` holds its absolute form).
fn root_dir(cfg: &Config) -> String {
    if cfg.dir.is_empty() || cfg.dir == "." {
        std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| ".".into())
    } else {
        cfg.dir.clone()
    }
}

/// The configured `dbfilename`.
fn dbfilename(cfg: &Config) -> String {
    cfg.get("dbfilename")
        .map(|v| String::from_utf8_lossy(&v).into_owned())
        .unwrap_or_else(|| "dump.rdb".into())
}

/// The full path of the RDB file (`dir`/`dbfilename`).
pub fn rdb_path(cfg: &Config) -> PathBuf {
    PathBuf::from(root_dir(cfg)).join(dbfilename(cfg))
}

/// Writes the keyspace to `dir`/`dbfilename` synchronously, as Redis's
/// `rdbSave`: into `temp-<pid>.rdb`, fsynced, then renamed over the old
/// file (a crash never leaves a half-written dump). Logs the outcome in
/// Redis's words; on success resets `dirty` and sets `lastsave`.
pub fn save(srv: &mut Server) -> bool {
    srv.persistence.rdb_saves += 1;
    let root = root_dir(&srv.config);
    let dir = PathBuf::from(&root);
    let tmp_name = format!("temp-{}.rdb", std::process::id());
    let final_name = dbfilename(&srv.config);
    let tmp = dir.join(&tmp_name);
    let file = match OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
    {
        Ok(f) => f,
        Err(e) => {
            log::warn!(
                "Failed opening the temp RDB file {} (in server root dir {}) for saving: {}",
                tmp_name,
                root,
                crate::config::strerror(&e)
            );
            return false;
        }
    };
    let opts = rdb::SaveOptions::from_config(
        &srv.config,
        srv.now_ms / 1000,
        crate::sys::used_memory() as u64,
    );
    let written = rdb::save_keyspace(
        BufWriter::with_capacity(64 * 1024, file),
        &srv.keyspace,
        &opts,
    )
    .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
    .and_then(|f| f.sync_all());
    if let Err(e) = written {
        log::warn!(
            "Write error saving DB on disk: {}",
            crate::config::strerror(&e)
        );
        let _ = fs::remove_file(&tmp);
        return false;
    }
    if let Err(e) = fs::rename(&tmp, dir.join(&final_name)) {
        log::warn!(
            "Error moving temp DB file {} on the final destination {} (in server root dir {}): {}",
            tmp_name,
            final_name,
            root,
            crate::config::strerror(&e)
        );
        let _ = fs::remove_file(&tmp);
        return false;
    }
    // Make the rename itself durable.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    log::info!("DB saved on disk");
    srv.dirty = 0;
    srv.lastsave = crate::server::unix_us() / 1_000_000;
    srv.persistence.last_bgsave_ok = true;
    true
}

/// Loads `dir`/`dbfilename` into the (empty) keyspace at start-up, if it
/// exists, logging as Redis's `loadDataFromDisk`. Returns false when the
/// file is unreadable or corrupt: the server must not start then (the
/// reason is logged).
pub fn load_at_startup(srv: &mut Server) -> bool {
    let path = rdb_path(&srv.config);
    let name = dbfilename(&srv.config);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return true,
        Err(e) => {
            log::warn!(
                "Fatal error loading the DB: {}. Exiting.",
                crate::config::strerror(&e)
            );
            return false;
        }
    };
    let started = Instant::now();
    let now_ms = crate::server::unix_us() / 1000;
    let opts = rdb::LoadOptions::from_config(&srv.config);
    let reader = BufReader::with_capacity(64 * 1024, file);
    match rdb::load_keyspace(reader, &mut srv.keyspace, now_ms, true, &opts) {
        Ok(stats) => {
            srv.persistence.last_load = stats;
            log::info!(
                "Done loading RDB, keys loaded: {}, keys expired: {}.",
                stats.keys_loaded,
                stats.keys_expired
            );
            log::info!(
                "DB loaded from disk: {:.3} seconds",
                started.elapsed().as_secs_f64()
            );
            true
        }
        Err(e) => {
            log_load_error(&name, &e);
            false
        }
    }
}

/// Logs why a load failed, in Redis's words where it has them, naming the
/// file and the byte offset.
fn log_load_error(name: &str, e: &rdb::LoadError) {
    use rdb::RdbError;
    match &e.error {
        RdbError::BadSignature | RdbError::BadVersion(_) => {
            log::warn!("{}", e.error);
            log::warn!("Fatal error loading the DB: Invalid argument. Exiting.");
            return;
        }
        RdbError::DbIndexOutOfRange { .. } => {
            log::warn!("{}", e.error);
            return;
        }
        RdbError::UnexpectedEof | RdbError::Io(_) => {
            log::warn!("Short read or OOM loading DB. Unrecoverable error, aborting now.")
        }
        RdbError::Checksum { expected, got } => log::warn!(
            "Wrong RDB checksum expected: ({:x}) but got ({:x}). Aborting now.",
            expected,
            got
        ),
        _ => {}
    }
    log::warn!(
        "Internal error in RDB reading offset {}, file {} -> {}",
        e.offset,
        name,
        e.error
    );
    log::warn!("Terminating server after rdb file reading failure.");
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;
    use crate::config::Config;

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!(
            "ferredis-unit-{}-{}-{}",
            tag,
            std::process::id(),
            crate::server::unix_us()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn save_writes_the_dump_and_startup_loads_it() {
        let dir = temp_dir("save");
        let mut cfg = Config::default();
        cfg.dir = dir.display().to_string();
        let mut h = Harness::with_config(cfg.clone());
        h.run(&["set", "a", "1"]);
        h.run(&["set", "b", "hello"]);
        h.run(&["set", "c", "x", "px", "100000"]);
        assert_eq!(h.srv.dirty, 3);
        assert_eq!(h.run_str(&["save"]), "+OK\r\n");
        assert_eq!(h.srv.dirty, 0);
        assert_eq!(h.srv.persistence.rdb_saves, 1);
        assert!(dir.join("dump.rdb").is_file());
        assert!(!dir
            .join(format!("temp-{}.rdb", std::process::id()))
            .exists());
        assert_eq!(
            h.run_str(&["save", "x"]),
            "-ERR wrong number of arguments for 'save' command\r\n"
        );

        let mut h2 = Harness::with_config(cfg);
        assert!(super::load_at_startup(&mut h2.srv));
        assert_eq!(h2.run_str(&["get", "b"]), "$5\r\nhello\r\n");
        assert_eq!(h2.run_str(&["object", "encoding", "a"]), "$3\r\nint\r\n");
        let pttl = h2.run_str(&["pttl", "c"]);
        assert!(pttl.starts_with(':') && pttl.len() > 4, "{}", pttl);
        assert_eq!(h2.srv.persistence.last_load.keys_loaded, 3);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn save_failure_replies_err_and_keeps_dirty() {
        let dir = temp_dir("fail");
        let mut cfg = Config::default();
        cfg.dir = dir.join("missing").display().to_string();
        let mut h = Harness::with_config(cfg);
        h.run(&["set", "a", "1"]);
        assert_eq!(h.run_str(&["save"]), "-ERR\r\n");
        assert_eq!(h.srv.dirty, 1);
        // A missing file is not an error at start-up.
        assert!(super::load_at_startup(&mut h.srv));
        // A directory in place of the dump: the rename fails.
        let mut cfg = Config::default();
        cfg.dir = dir.display().to_string();
        std::fs::create_dir_all(dir.join("dump.rdb")).unwrap();
        let mut h = Harness::with_config(cfg);
        assert_eq!(h.run_str(&["save"]), "-ERR\r\n");
        assert!(!dir
            .join(format!("temp-{}.rdb", std::process::id()))
            .exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
