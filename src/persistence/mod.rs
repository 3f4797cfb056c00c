//! Persistence: the RDB snapshot on disk. Synchronous saves (`SAVE`, the
//! final save at shutdown, FLUSHALL with save points) through a temp file
//! that is fsynced and renamed into place, the load of `dir`/`dbfilename`
//! at start-up (with the LOADING state while it runs), Redis's log lines
//! for both, and the state `INFO persistence` reports. BGSAVE and save
//! points live in `bgsave`, the forked child in `child`.
//!
//! Redis counterpart: `rdb.c` (`rdbSave`, `rdbLoad`), `server.c`
//! (`loadDataFromDisk`, `startLoading`/`stopLoading`).

pub mod aof;
pub mod bgsave;
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
    /// Saves attempted (`rdb_saves`): SAVE and background saves.
    pub rdb_saves: u64,
    /// Outcome of the last background save (`rdb_last_bgsave_status`;
    /// a successful SAVE also sets it, as in Redis).
    pub last_bgsave_ok: bool,
    /// Counters of the last load (`rdb_last_load_keys_*`).
    pub last_load: rdb::LoadStats,
    /// `dirty` when the running BGSAVE forked (subtracted on success, so
    /// changes made during the save still count).
    pub dirty_before_bgsave: u64,
    /// Unix seconds of the last BGSAVE attempt (a failed one is retried by
    /// save points only after `bgsave::RETRY_DELAY_SECS`).
    pub lastbgsave_try: i64,
    /// Unix seconds the running BGSAVE started, -1 when none runs.
    pub rdb_save_time_start: i64,
    /// Duration of the last BGSAVE in seconds (`rdb_last_bgsave_time_sec`).
    pub rdb_save_time_last: i64,
    /// `BGSAVE SCHEDULE` (or a BGSAVE refused for another child): start one
    /// as soon as no child runs.
    pub bgsave_scheduled: bool,
    /// Private dirty bytes of the last successful BGSAVE child
    /// (`rdb_last_cow_size`).
    pub rdb_last_cow_size: u64,
    /// What the running child last reported (`current_cow_*`,
    /// `current_save_keys_*`); reset when it ends.
    pub fork_info: ForkInfo,
    /// The start-up load in progress, if any (`loading:1`, `loading_*`).
    pub loading: Loading,
}

impl Default for State {
    fn default() -> Self {
        State {
            rdb_saves: 0,
            last_bgsave_ok: true,
            last_load: rdb::LoadStats::default(),
            dirty_before_bgsave: 0,
            lastbgsave_try: 0,
            rdb_save_time_start: -1,
            rdb_save_time_last: -1,
            bgsave_scheduled: false,
            rdb_last_cow_size: 0,
            fork_info: ForkInfo::default(),
            loading: Loading::default(),
        }
    }
}

/// Progress a forked child reports through its info pipe.
#[derive(Debug, Clone, Default)]
pub struct ForkInfo {
    /// Peak private dirty bytes seen (`current_cow_peak`).
    pub cow_peak: u64,
    /// Latest private dirty bytes (`current_cow_size`).
    pub cow_size: u64,
    /// When `cow_size` was measured (`current_cow_size_age`).
    pub cow_updated: Option<Instant>,
    /// Keys written so far (`current_save_keys_processed`).
    pub keys_processed: u64,
    /// Keys in the dataset at fork time (`current_save_keys_total`).
    pub keys_total: u64,
}

/// The state of a dataset load in progress (Redis's `server.loading*`).
#[derive(Debug, Clone, Default)]
pub struct Loading {
    /// Whether a load runs: commands without the `loading` flag get
    /// `-LOADING`.
    pub active: bool,
    /// Unix seconds the load started.
    pub start_time: i64,
    /// Size of the file being loaded.
    pub total_bytes: u64,
    /// The `used-mem` the RDB was written with (0 when unknown).
    pub rdb_used_mem: u64,
    /// Bytes read so far.
    pub loaded_bytes: u64,
    /// A replica's `swapdb` load of the same history: the old data is
    /// served meanwhile (`active` stays false) and only commands flagged
    /// `no_async_loading` get `-LOADING` (Redis's `async_loading`).
    pub async_loading: bool,
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

/// The temp file a save by process `pid` writes (`temp-<pid>.rdb`).
pub fn temp_rdb_name(pid: i32) -> String {
    format!("temp-{}.rdb", pid)
}

/// Removes the temp file of process `pid` (a killed BGSAVE child's), as
/// Redis's `rdbRemoveTempFile`.
pub fn remove_temp_file(cfg: &Config, pid: i32) {
    let _ = fs::remove_file(PathBuf::from(root_dir(cfg)).join(temp_rdb_name(pid)));
}

/// Writes the keyspace to `dir`/`dbfilename` as Redis's `rdbSave`: into
/// `temp-<pid>.rdb` (this process's pid: the server's for SAVE, the
/// child's for BGSAVE), fsynced, then renamed over the old file, so a
/// crash never leaves a half-written dump. Logs the outcome in Redis's
/// words; touches no server state (the caller does the bookkeeping).
pub fn write_rdb(srv: &Server) -> bool {
    // A replica records the ID and offset of its master's stream, a master
    // with a backlog its own, so that after a restart the replicas can
    // continue (Redis's `rdbPopulateSaveInfo`).
    let repl = crate::replication::replica::rdb_save_info(srv)
        .or_else(|| crate::replication::master::rdb_save_info(srv));
    write_rdb_repl(srv, repl.as_ref())
}

/// `write_rdb` with the replication AUX fields (a disk-based full sync).
pub fn write_rdb_repl(srv: &Server, repl: Option<&rdb::ReplAux>) -> bool {
    let root = root_dir(&srv.config);
    let dir = PathBuf::from(&root);
    let tmp_name = temp_rdb_name(crate::sys::getpid());
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
    let mut opts = rdb::SaveOptions::from_config(
        &srv.config,
        crate::server::unix_us() / 1_000_000,
        crate::sys::used_memory() as u64,
    );
    opts.progress = Some(child::rdb_progress);
    opts.repl = repl.copied();
    let out = bgsave::SaveWriter::new(
        BufWriter::with_capacity(64 * 1024, file),
        srv.config.get_i64("rdb-key-save-delay"),
    );
    let written = rdb::save_keyspace(out, &srv.keyspace, &opts)
        .and_then(|w| w.into_inner().into_inner().map_err(|e| e.into_error()))
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
    true
}

/// Saves synchronously (SAVE, the final save at shutdown, FLUSHALL with
/// save points). On success resets `dirty`, sets `lastsave` and marks the
/// last save as good, as Redis's `rdbSave`.
pub fn save(srv: &mut Server) -> bool {
    if !write_rdb(srv) {
        return false;
    }
    srv.dirty = 0;
    srv.lastsave = crate::server::unix_us() / 1_000_000;
    srv.persistence.last_bgsave_ok = true;
    true
}

/// Enters the LOADING state for a file of `total_bytes` (Redis's
/// `startLoading`): from now on commands without the `loading` flag get
/// `-LOADING`, and `INFO` shows `loading:1` and the `loading_*` fields.
pub fn start_loading(srv: &mut Server, total_bytes: u64) {
    srv.persistence.loading = Loading {
        active: true,
        start_time: crate::server::unix_us() / 1_000_000,
        total_bytes,
        rdb_used_mem: 0,
        loaded_bytes: 0,
        async_loading: false,
    };
}

/// Leaves the LOADING state (Redis's `stopLoading`).
pub fn stop_loading(srv: &mut Server) {
    srv.persistence.loading.active = false;
    srv.persistence.loading.async_loading = false;
}

/// A reader that records the load's progress and, every
/// `loading-process-events-interval-bytes`, lets the server serve its
/// clients (who get `-LOADING` for most commands), as Redis's
/// `rdbLoadProgressCallback` calls `processEventsWhileBlocked`. The
/// start-up load and a replica's full-sync load both read through it.
pub(crate) struct LoadReader<'a, R> {
    inner: R,
    srv: &'a mut Server,
    events: &'a mut dyn FnMut(&mut Server),
    loaded: u64,
    next_events: u64,
    interval: u64,
    /// `key-load-delay` (a test hook), applied each time the loader asks
    /// for bytes; read again after serving clients (CONFIG SET).
    delay: i64,
    calls: u64,
}

impl<'a, R> LoadReader<'a, R> {
    /// Reads `inner`, calling `events` with `srv` every
    /// `loading-process-events-interval-bytes`.
    pub(crate) fn new(
        inner: R,
        srv: &'a mut Server,
        events: &'a mut dyn FnMut(&mut Server),
    ) -> Self {
        let interval = srv
            .config
            .get_i64("loading-process-events-interval-bytes")
            .max(1024) as u64;
        let delay = srv.config.get_i64("key-load-delay");
        LoadReader {
            inner,
            srv,
            events,
            loaded: 0,
            next_events: interval,
            interval,
            delay,
            calls: 0,
        }
    }

    /// The source, with whatever the loader left unread.
    pub(crate) fn into_inner(self) -> R {
        self.inner
    }

    /// The source, borrowed.
    pub(crate) fn inner(&self) -> &R {
        &self.inner
    }
}

/// `Read::read` of a reader that is really a `BufRead` (a `BufRead` must
/// be a `Read`; the RDB loader only uses the buffered half).
pub(crate) fn read_through_buffer<B: std::io::BufRead>(
    b: &mut B,
    buf: &mut [u8],
) -> std::io::Result<usize> {
    let avail = b.fill_buf()?;
    let n = avail.len().min(buf.len());
    buf[..n].copy_from_slice(&avail[..n]);
    b.consume(n);
    Ok(n)
}

impl<R: std::io::BufRead> std::io::Read for LoadReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        read_through_buffer(self, buf)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for LoadReader<'_, R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.delay != 0 {
            bgsave::debug_delay(self.delay, &mut self.calls);
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
        self.loaded += n as u64;
        if self.loaded >= self.next_events {
            self.next_events = self.loaded + self.interval;
            self.srv.persistence.loading.loaded_bytes = self.loaded;
            self.srv.persistence.loading.rdb_used_mem = rdb::loading_used_mem();
            self.srv.update_time();
            (self.events)(self.srv);
            self.delay = self.srv.config.get_i64("key-load-delay");
        }
    }
}

/// Loads `dir`/`dbfilename` into the (empty) keyspace at start-up, if it
/// exists, logging as Redis's `loadDataFromDisk`. While it loads the
/// server is in the LOADING state and `events` is called every
/// `loading-process-events-interval-bytes` to serve clients (the keyspace
/// being loaded is set aside meanwhile, so those clients see an empty
/// one). Returns false when the file is unreadable or corrupt: the server
/// must not start then (the reason is logged).
pub fn load_at_startup(srv: &mut Server, events: &mut dyn FnMut(&mut Server)) -> bool {
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
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    start_loading(srv, total);
    let started = Instant::now();
    let now_ms = crate::server::unix_us() / 1000;
    let opts = rdb::LoadOptions::from_config(&srv.config);
    let databases = srv.keyspace.dbs.len();
    let mut keyspace = std::mem::replace(&mut srv.keyspace, crate::db::Keyspace::new(databases));
    // A master drops keys already expired; a replica keeps them for its
    // master's DELs (Redis's iAmMaster check in rdbLoad).
    let expire_stale = !crate::replication::replica::is_replica(srv);
    let reader = LoadReader::new(BufReader::with_capacity(64 * 1024, file), &mut *srv, events);
    let result = rdb::load_keyspace(reader, &mut keyspace, now_ms, expire_stale, &opts);
    srv.keyspace = keyspace;
    srv.keyspace.set_clock(srv.now_ms);
    // The new databases take the configured policies (LRU/LFU, lazyfree).
    srv.apply_config();
    stop_loading(srv);
    match result {
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
            crate::replication::master::restore_after_load(srv);
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
        assert!(super::load_at_startup(&mut h2.srv, &mut |_| {}));
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
        assert!(super::load_at_startup(&mut h.srv, &mut |_| {}));
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
