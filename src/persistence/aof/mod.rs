//! The append-only file, multi-part as in Redis 7.0: `appenddirname`
//! holds a manifest, one BASE file (an RDB when `aof-use-rdb-preamble
//! yes`, else commands) and INCR files of commands. Propagated commands
//! (`server::propagate`) are encoded into `buf` and written in
//! `before_sleep` before any reply goes out; `appendfsync always` fsyncs
//! right there, `everysec` hands the fsync to a helper thread at most once
//! a second (postponing the write up to two seconds while one is still
//! running, as Redis does), `no` leaves it to the kernel.
//!
//! `rewrite` is BGREWRITEAOF (fork, new BASE, new INCR opened at start),
//! `load` replays the files at start-up and for DEBUG LOADAOF.
//!
//! Redis counterpart: `aof.c` (`feedAppendOnlyFile`,
//! `flushAppendOnlyFile`, `startAppendOnly`, `stopAppendOnly`,
//! `aofOpenIfNeededOnServerStart`), `bio.c` (the fsync job).

pub mod load;
pub mod manifest;
pub mod rewrite;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use crate::config::Config;
use crate::server::propagate::{Op, StreamEncoder};
use crate::server::Server;
pub use manifest::{AofFile, FileKind, Manifest};

/// Whether the AOF is on (`aof_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    /// `appendonly no`.
    #[default]
    Off,
    /// Writing commands to the current INCR file.
    On,
    /// Turned on at runtime: waiting for the first rewrite to create the
    /// BASE; commands are kept once that rewrite has started.
    WaitRewrite,
}

/// `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    Always,
    EverySec,
    No,
}

/// Fsyncs handed off the reactor thread (Redis's bio fsync job).
#[derive(Default)]
struct FsyncWorker {
    tx: Option<mpsc::Sender<File>>,
    busy: Arc<AtomicBool>,
}

impl FsyncWorker {
    /// Queues an fsync of `file` (a dup of the AOF descriptor).
    fn submit(&mut self, file: File) {
        if self.tx.is_none() {
            let (tx, rx) = mpsc::channel::<File>();
            let busy = self.busy.clone();
            let spawned = std::thread::Builder::new()
                .name("aof-fsync".into())
                .spawn(move || {
                    for f in rx {
                        let _ = f.sync_data();
                        busy.store(false, Ordering::Release);
                    }
                });
            if spawned.is_err() {
                let _ = file.sync_data();
                return;
            }
            self.tx = Some(tx);
        }
        self.busy.store(true, Ordering::Release);
        if let Some(tx) = &self.tx {
            if let Err(e) = tx.send(file) {
                let _ = e.0.sync_data();
                self.busy.store(false, Ordering::Release);
            }
        }
    }

    fn busy(&self) -> bool {
        self.busy.load(Ordering::Acquire)
    }
}

/// AOF state (Redis's `aof_*` fields of `redisServer`).
pub struct Aof {
    /// On, off, or waiting for the first rewrite.
    pub status: Status,
    /// Encoded commands not yet written (`aof_buf`).
    buf: Vec<u8>,
    /// SELECT tracking of the INCR stream.
    encoder: StreamEncoder,
    /// The INCR file being appended to.
    file: Option<File>,
    /// The files that make up the AOF.
    pub manifest: Manifest,
    /// Total size of BASE + INCR files (`aof_current_size`).
    pub current_size: u64,
    /// Size after the last rewrite or load (`aof_base_size`).
    pub base_size: u64,
    /// A rewrite waits for the running child to finish.
    pub rewrite_scheduled: bool,
    /// A rewrite child runs.
    pub rewrite_running: bool,
    /// Whether the running rewrite writes an RDB preamble.
    rewrite_preamble: bool,
    /// Unix ms at which the running rewrite started.
    rewrite_started_ms: i64,
    /// Incr files before this index predate the running rewrite.
    rewrite_split: usize,
    /// Writes go to the temp INCR file (AOF turned on at runtime).
    temp_incr: bool,
    /// `aof-timestamp-enabled`.
    pub timestamps: bool,
    /// Second of the last `#TS:` annotation.
    last_ts: i64,
    /// Seconds the last rewrite took (-1 if none).
    pub last_rewrite_time_sec: i64,
    /// Outcome of the last rewrite.
    pub last_rewrite_ok: bool,
    /// Rewrites started.
    pub rewrites: u64,
    /// Rewrites failed in a row.
    pub rewrites_consecutive_failures: u64,
    /// Back-off of automatic rewrites after repeated failures.
    limit: RewriteLimit,
    /// Outcome of the last write to the INCR file.
    pub last_write_ok: bool,
    /// Why the last write failed (strerror text), for `-MISCONF`.
    pub last_write_error: String,
    /// Bytes of the current INCR file known to be good.
    incr_len: u64,
    /// When a write was first postponed for a running fsync (unix ms, 0
    /// when none is).
    flush_postponed_start: i64,
    /// Writes done without waiting for a slow fsync (`aof_delayed_fsync`).
    pub delayed_fsync: u64,
    /// Copy-on-write bytes of the last rewrite child (`aof_last_cow_size`).
    pub last_cow_size: u64,
    /// Unix ms of the last fsync started.
    last_fsync_ms: i64,
    /// Bytes written since the last fsync.
    unsynced: bool,
    fsync: FsyncWorker,
}

impl Default for Aof {
    fn default() -> Self {
        Aof {
            status: Status::Off,
            buf: Vec::new(),
            encoder: StreamEncoder::default(),
            file: None,
            manifest: Manifest::default(),
            current_size: 0,
            base_size: 0,
            rewrite_scheduled: false,
            rewrite_running: false,
            rewrite_preamble: true,
            rewrite_started_ms: 0,
            rewrite_split: 0,
            temp_incr: false,
            timestamps: false,
            last_ts: 0,
            last_rewrite_time_sec: -1,
            last_rewrite_ok: true,
            rewrites: 0,
            rewrites_consecutive_failures: 0,
            limit: RewriteLimit::default(),
            last_write_ok: true,
            last_write_error: String::new(),
            incr_len: 0,
            flush_postponed_start: 0,
            delayed_fsync: 0,
            last_cow_size: 0,
            last_fsync_ms: 0,
            unsynced: false,
            fsync: FsyncWorker::default(),
        }
    }
}

impl Aof {
    /// Whether propagated commands are kept: AOF on, or turned on at
    /// runtime and its first rewrite already started.
    #[inline]
    pub fn accepts_commands(&self) -> bool {
        self.status == Status::On || (self.status == Status::WaitRewrite && self.rewrite_running)
    }

    /// Appends one propagated unit to the buffer, preceded by a `#TS:`
    /// annotation when `aof-timestamp-enabled` and the second changed.
    pub fn feed(&mut self, ops: &[Op], now_secs: i64) {
        if self.timestamps && self.last_ts < now_secs {
            self.buf
                .extend_from_slice(format!("#TS:{}\r\n", now_secs).as_bytes());
            self.last_ts = now_secs;
        }
        for op in ops {
            self.encoder.encode(&mut self.buf, op);
        }
    }

    /// Bytes waiting in the buffer (`aof_buffer_length`).
    pub fn buffer_len(&self) -> usize {
        self.buf.len()
    }
}

/// The configured `appendfilename`.
pub fn filename(cfg: &Config) -> String {
    cfg.get("appendfilename")
        .map(|v| String::from_utf8_lossy(&v).into_owned())
        .unwrap_or_else(|| "appendonly.aof".into())
}

/// The server root (`dir`): where temp files go.
pub fn root_dir(cfg: &Config) -> PathBuf {
    if cfg.dir.is_empty() {
        PathBuf::from(".")
    } else {
        PathBuf::from(&cfg.dir)
    }
}

/// The AOF directory (`dir`/`appenddirname`).
pub fn aof_dir(cfg: &Config) -> PathBuf {
    let name = cfg
        .get("appenddirname")
        .map(|v| String::from_utf8_lossy(&v).into_owned())
        .unwrap_or_else(|| "appendonlydir".into());
    root_dir(cfg).join(name)
}

/// The manifest's file name.
pub fn manifest_name(cfg: &Config) -> String {
    format!("{}.manifest", filename(cfg))
}

/// `appendfsync`.
pub fn fsync_policy(cfg: &Config) -> FsyncPolicy {
    match cfg.get_enum("appendfsync") {
        "always" => FsyncPolicy::Always,
        "no" => FsyncPolicy::No,
        _ => FsyncPolicy::EverySec,
    }
}

/// Opens (creating) a file of the AOF directory for appending.
fn open_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Size of a file of the AOF directory (0 when missing).
fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Sums the sizes of the files in the manifest.
fn manifest_size(cfg: &Config, m: &Manifest) -> u64 {
    let dir = aof_dir(cfg);
    m.base
        .iter()
        .chain(m.incrs.iter())
        .map(|f| file_size(&dir.join(&f.name)))
        .sum()
}

/// Start-up: loads the AOF when `appendonly yes` (the RDB is not read
/// then, as in Redis), else the RDB; then opens the AOF for appending.
/// Returns false when the server must not start.
pub fn load_data_from_disk(srv: &mut Server, events: &mut dyn FnMut(&mut Server)) -> bool {
    srv.aof.timestamps = srv.config.get_bool("aof-timestamp-enabled");
    if !srv.config.get_bool("appendonly") {
        return crate::persistence::load_at_startup(srv, events);
    }
    if !load::load_at_startup(srv, events) {
        return false;
    }
    open_on_server_start(srv)
}

/// After the start-up load with `appendonly yes`: creates the BASE from
/// the current data when there is none, and opens the last INCR file (or a
/// new one) for appending. Redis's `aofOpenIfNeededOnServerStart`.
fn open_on_server_start(srv: &mut Server) -> bool {
    let dir = aof_dir(&srv.config);
    let fname = filename(&srv.config);
    let mname = manifest_name(&srv.config);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        log::warn!(
            "Can't open or create append-only dir {}: {}",
            dir.display(),
            crate::config::strerror(&e)
        );
        return false;
    }
    let mut m = srv.aof.manifest.clone();
    // History files a crash left behind are deleted now (unless
    // `aof-disable-auto-gc` keeps them).
    if auto_gc(srv) {
        remove_history_files(&dir, &std::mem::take(&mut m.history));
    }
    if m.base.is_none() && m.incrs.is_empty() {
        let preamble = srv.config.get_bool("aof-use-rdb-preamble");
        let base = m.next_base(&fname, preamble);
        let written = rewrite::write_base_file(srv, &dir.join(&base.name), preamble);
        if let Err(e) = written {
            log::warn!(
                "Can't open the append-only file {}: {}",
                base.name,
                crate::config::strerror(&e)
            );
            return false;
        }
        log::info!("Creating AOF base file {} on server start", base.name);
        m.base = Some(base);
    }
    let incr = if let Some(last) = m.incrs.last().cloned() {
        log::info!("Opening AOF incr file {} on server start", last.name);
        last
    } else {
        let incr = m.next_incr(&fname);
        log::info!("Creating AOF incr file {} on server start", incr.name);
        m.incrs.push(incr.clone());
        incr
    };
    let file = match open_append(&dir.join(&incr.name)) {
        Ok(f) => f,
        Err(e) => {
            log::warn!(
                "Can't open the append-only file {}: {}",
                incr.name,
                crate::config::strerror(&e)
            );
            return false;
        }
    };
    if m != srv.aof.manifest || !dir.join(&mname).exists() {
        if let Err(e) = m.persist(&dir, &mname) {
            log::warn!(
                "Can't persist the AOF manifest file {}: {}",
                mname,
                crate::config::strerror(&e)
            );
            return false;
        }
    }
    let aof = &mut srv.aof;
    aof.manifest = m;
    aof.incr_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    aof.file = Some(file);
    aof.encoder.selected_db = None;
    aof.status = Status::On;
    srv.aof.current_size = manifest_size(&srv.config, &srv.aof.manifest);
    srv.aof.base_size = srv.aof.current_size;
    srv.aof.last_fsync_ms = srv.now_ms;
    true
}

/// Writes the buffer to the INCR file and fsyncs per `appendfsync`.
/// `force` writes even while a background fsync runs (rewrite start,
/// shutdown). Redis's `flushAppendOnlyFile`.
pub fn flush(srv: &mut Server, force: bool) {
    let policy = fsync_policy(&srv.config);
    let now = srv.now_ms;
    let aof = &mut srv.aof;
    if aof.file.is_none() {
        return;
    }
    if aof.buf.is_empty() {
        // An everysec fsync still owed for earlier writes.
        if policy == FsyncPolicy::EverySec
            && aof.unsynced
            && now - aof.last_fsync_ms >= 1000
            && !aof.fsync.busy()
        {
            start_background_fsync(aof, now);
        }
        return;
    }
    if policy == FsyncPolicy::EverySec && !force && aof.fsync.busy() {
        if aof.flush_postponed_start == 0 {
            aof.flush_postponed_start = now;
            return;
        }
        if now - aof.flush_postponed_start < 2000 {
            return;
        }
        aof.delayed_fsync += 1;
        log::info!("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
    }
    aof.flush_postponed_start = 0;
    let Some(file) = aof.file.as_mut() else {
        return;
    };
    match file.write_all(&aof.buf) {
        Ok(()) => {
            aof.current_size += aof.buf.len() as u64;
            aof.incr_len += aof.buf.len() as u64;
            aof.buf.clear();
            if aof.buf.capacity() > 4 * 1024 * 1024 {
                aof.buf = Vec::new();
            }
            if !aof.last_write_ok {
                log::warn!("AOF write error looks solved, Redis can write again.");
                aof.last_write_ok = true;
                aof.last_write_error.clear();
            }
            aof.unsynced = true;
        }
        Err(e) => {
            let text = crate::config::strerror(&e);
            log::warn!("Error writing to the AOF file: {}", text);
            // Drop a partial write so the retry does not duplicate it.
            if let Err(t) = file.set_len(aof.incr_len) {
                log::warn!(
                    "Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: {}",
                    crate::config::strerror(&t)
                );
            }
            aof.last_write_ok = false;
            aof.last_write_error = text;
            if policy == FsyncPolicy::Always {
                log::warn!("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
                std::process::exit(1);
            }
            return;
        }
    }
    let no_fsync_on_rewrite =
        srv.config.get_bool("no-appendfsync-on-rewrite") && srv.child.is_some();
    let aof = &mut srv.aof;
    if no_fsync_on_rewrite {
        return;
    }
    match policy {
        FsyncPolicy::Always => {
            if let Some(f) = aof.file.as_ref() {
                if let Err(e) = f.sync_data() {
                    log::warn!(
                        "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...",
                        crate::config::strerror(&e)
                    );
                    std::process::exit(1);
                }
            }
            aof.last_fsync_ms = now;
            aof.unsynced = false;
        }
        FsyncPolicy::EverySec => {
            if now - aof.last_fsync_ms >= 1000 && !aof.fsync.busy() {
                start_background_fsync(aof, now);
            }
        }
        FsyncPolicy::No => {}
    }
}

fn start_background_fsync(aof: &mut Aof, now: i64) {
    if let Some(f) = aof.file.as_ref().and_then(|f| f.try_clone().ok()) {
        aof.fsync.submit(f);
        aof.last_fsync_ms = now;
        aof.unsynced = false;
    }
}

/// Called from the reactor's `before_sleep`, before replies are written:
/// under `appendfsync always` a write is on disk before its reply leaves.
#[inline]
pub fn before_sleep(srv: &mut Server) {
    if !srv.aof.buf.is_empty() {
        flush(srv, false);
    }
}

/// Called from the cron tick: keys expired outside commands, a scheduled
/// or automatic rewrite, postponed writes and the everysec fsync.
pub fn cron(srv: &mut Server) {
    crate::server::propagate::flush_lazy_expired(srv);
    if srv.child.is_none() && srv.aof.rewrite_scheduled && !rewrite_limited(srv) {
        rewrite::start(srv);
    }
    if srv.aof.status == Status::On && srv.child.is_none() && !srv.aof.rewrite_scheduled {
        let perc = srv.config.get_i64("auto-aof-rewrite-percentage");
        let min = srv.config.get_i64("auto-aof-rewrite-min-size").max(0) as u64;
        if perc > 0 && srv.aof.current_size > min {
            let base = srv.aof.base_size.max(1);
            let growth = (srv.aof.current_size * 100 / base) as i64 - 100;
            if growth >= perc && !rewrite_limited(srv) {
                log::info!("Starting automatic rewriting of AOF on {}% growth", growth);
                rewrite::start(srv);
            }
        }
    }
    if srv.aof.file.is_some() {
        flush(srv, false);
    }
}

/// Failures in a row after which automatic rewrites back off.
const REWRITE_LIMIT_THRESHOLD: u64 = 3;
/// The longest back-off, in minutes.
const REWRITE_LIMIT_MAX_MINUTES: i64 = 60;

/// The back-off state of automatic rewrites (Redis keeps it in statics of
/// `aofRewriteLimited`).
#[derive(Debug, Clone, Copy, Default)]
struct RewriteLimit {
    /// The current delay (1, 2, 4, ... 60 minutes; 0 when not limited).
    next_delay_minutes: i64,
    /// Unix seconds before which no automatic rewrite starts (0: none).
    next_rewrite_time: i64,
}

/// Whether automatic and scheduled rewrites must wait, as Redis 7.0's
/// `aofRewriteLimited`: after 3 failures in a row the next one waits 1
/// minute, then 2, 4, ... up to 60, logging each new delay once. A
/// success (the failure count back under 3) lifts the limit; BGREWRITEAOF
/// itself always starts at once.
pub fn rewrite_limited(srv: &mut Server) -> bool {
    let now = srv.now_ms / 1000;
    let limit = &mut srv.aof.limit;
    if srv.aof.rewrites_consecutive_failures < REWRITE_LIMIT_THRESHOLD {
        *limit = RewriteLimit::default();
        return false;
    }
    if limit.next_rewrite_time != 0 {
        if now < limit.next_rewrite_time {
            return true;
        }
        limit.next_rewrite_time = 0;
        return false;
    }
    limit.next_delay_minutes = if limit.next_delay_minutes == 0 {
        1
    } else {
        (limit.next_delay_minutes * 2).min(REWRITE_LIMIT_MAX_MINUTES)
    };
    limit.next_rewrite_time = now + limit.next_delay_minutes * 60;
    log::warn!(
        "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {} minutes",
        limit.next_delay_minutes
    );
    true
}

/// Whether history files are deleted as soon as they are history (no
/// `aof-disable-auto-gc`).
pub fn auto_gc(srv: &Server) -> bool {
    !srv.config.get_bool("aof-disable-auto-gc")
}

/// Deletes the manifest's history files and writes the manifest without
/// them (`CONFIG SET aof-disable-auto-gc no`, as Redis's
/// `aofDelHistoryFiles`).
fn delete_history(srv: &mut Server) {
    let dir = aof_dir(&srv.config);
    let mut m = srv.aof.manifest.clone();
    let history = std::mem::take(&mut m.history);
    if let Err(e) = m.persist(&dir, &manifest_name(&srv.config)) {
        log::warn!(
            "Can't persist the AOF manifest file {}: {}",
            manifest_name(&srv.config),
            crate::config::strerror(&e)
        );
        return;
    }
    remove_history_files(&dir, &history);
    srv.aof.manifest = m;
}

/// Deletes history files without blocking the reactor on a big unlink, as
/// Redis's `bg_unlink`: each file is opened, unlinked here (cheap while it
/// is still open) and closed on a helper thread, where the kernel frees
/// its blocks. A file that cannot be opened is unlinked inline.
pub fn remove_history_files(dir: &Path, files: &[AofFile]) {
    let mut open = Vec::new();
    for h in files {
        log::info!("Removing the history file {} in the background", h.name);
        let path = dir.join(&h.name);
        if let Ok(f) = File::open(&path) {
            if std::fs::remove_file(&path).is_ok() {
                open.push(f);
            }
        } else {
            let _ = std::fs::remove_file(&path);
        }
    }
    if !open.is_empty() {
        // Should no thread start, the files are closed here instead.
        let _ = std::thread::Builder::new()
            .name("aof-unlink".into())
            .spawn(move || drop(open));
    }
}

/// Before exiting (Redis's `prepareForShutdown`): a running rewrite is
/// killed, what is buffered is written and fsynced. Returns false (the
/// shutdown is aborted) while the first rewrite of an AOF turned on at
/// runtime runs, unless `force`: exiting then would lose the dataset.
pub fn on_shutdown(srv: &mut Server, force: bool) -> bool {
    if srv.aof.status == Status::Off {
        return true;
    }
    if srv.aof.rewrite_running {
        if srv.aof.status == Status::WaitRewrite {
            if force {
                log::warn!("Writing initial AOF. Exit anyway.");
            } else {
                log::warn!("Writing initial AOF, can't exit.");
                log::warn!(
                    "Errors trying to shut down the server. Check the logs for more information."
                );
                return false;
            }
        }
        log::warn!("There is a child rewriting the AOF. Killing it!");
        kill_rewrite_child(srv);
    }
    log::info!("Calling fsync() on the AOF file.");
    flush(srv, true);
    if let Some(f) = srv.aof.file.as_ref() {
        let _ = f.sync_data();
    }
    true
}

/// After CONFIG SET: turns the AOF on (a rewrite creates its BASE) or off
/// when `appendonly` changed. Returns Redis's error when it cannot start.
pub fn apply_config(srv: &mut Server) -> Result<(), String> {
    srv.aof.timestamps = srv.config.get_bool("aof-timestamp-enabled");
    if auto_gc(srv) && !srv.aof.manifest.history.is_empty() {
        delete_history(srv);
    }
    let want = srv.config.get_bool("appendonly");
    match (want, srv.aof.status) {
        (true, Status::Off) => start_append_only(srv),
        (false, Status::On | Status::WaitRewrite) => {
            stop_append_only(srv);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// What CONFIG SET runs after a change: `apply_config`, and when turning
/// the AOF on fails, `appendonly` goes back to `no` and CONFIG SET fails
/// with Redis's text.
pub fn config_set_hook(srv: &mut Server) -> Result<(), String> {
    apply_config(srv).map_err(|e| {
        let _ = srv.config.config_set(&[(b"appendonly", b"no")], true);
        format!(
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - {}",
            e
        )
    })
}

/// The `-MISCONF` error writes (and PING) get while the AOF cannot be
/// written, as Redis's `writeCommandsDeniedByDiskError`.
pub fn write_denied_error(srv: &Server) -> Option<String> {
    if srv.aof.status == Status::Off || srv.aof.last_write_ok {
        return None;
    }
    Some(format!(
        "MISCONF Errors writing to the AOF file: {}",
        srv.aof.last_write_error
    ))
}

/// `CONFIG SET appendonly yes`: Redis's `startAppendOnly`.
/// Turns the AOF on (`CONFIG SET appendonly yes`, a replica after its
/// full sync): Redis's `startAppendOnly`.
pub fn start_append_only(srv: &mut Server) -> Result<(), String> {
    // The files on disk are stale: they are only history now.
    let dir = aof_dir(&srv.config);
    if let Ok(Some(m)) = Manifest::load(&dir.join(manifest_name(&srv.config))) {
        srv.aof.manifest = m;
    }
    srv.aof.status = Status::WaitRewrite;
    srv.aof.last_fsync_ms = srv.now_ms;
    match srv.child.as_ref().map(|c| c.kind) {
        Some(crate::persistence::child::ChildKind::Aof) => {
            log::info!("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
            kill_rewrite_child(srv);
            start_wait_rewrite(srv)
        }
        Some(_) => {
            srv.aof.rewrite_scheduled = true;
            log::warn!("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
            Ok(())
        }
        None => start_wait_rewrite(srv),
    }
}

fn start_wait_rewrite(srv: &mut Server) -> Result<(), String> {
    if rewrite::start(srv) {
        return Ok(());
    }
    srv.aof.status = Status::Off;
    log::warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
    Err("Unable to turn on AOF. Check server logs.".into())
}

/// `CONFIG SET appendonly no` (and a replica before loading its
/// master's snapshot): Redis's `stopAppendOnly`.
pub fn stop_append_only(srv: &mut Server) {
    flush(srv, true);
    if let Some(f) = srv.aof.file.take() {
        let _ = f.sync_data();
    }
    if srv.aof.rewrite_running {
        kill_rewrite_child(srv);
    }
    if srv.aof.temp_incr {
        let dir = aof_dir(&srv.config);
        let _ = std::fs::remove_file(dir.join(rewrite::temp_incr_name(&filename(&srv.config))));
        srv.aof.temp_incr = false;
    }
    let aof = &mut srv.aof;
    aof.buf.clear();
    aof.status = Status::Off;
    aof.rewrite_scheduled = false;
    aof.unsynced = false;
}

/// Kills a running rewrite child (its callback cleans up).
fn kill_rewrite_child(srv: &mut Server) {
    if let Some(c) = srv.child.as_ref() {
        if c.kind == crate::persistence::child::ChildKind::Aof {
            log::info!("Killing running AOF rewrite child: {}", c.pid);
            crate::persistence::child::kill_child(srv);
        }
    }
}

/// The `aof_*` fields of `INFO persistence`, in Redis's order: those
/// always shown (before `module_fork_*`) and those shown while the AOF is
/// on (after them).
pub type InfoFields = Vec<(&'static str, String)>;

/// See `InfoFields`.
pub fn info_fields(srv: &Server) -> (InfoFields, InfoFields) {
    let a = &srv.aof;
    let cur_rewrite = match (&srv.child, a.rewrite_running) {
        (Some(c), true) => c.started.elapsed().as_secs() as i64,
        _ => -1,
    };
    let v = vec![
        ("aof_enabled", u8::from(a.status != Status::Off).to_string()),
        (
            "aof_rewrite_in_progress",
            u8::from(a.rewrite_running).to_string(),
        ),
        (
            "aof_rewrite_scheduled",
            u8::from(a.rewrite_scheduled).to_string(),
        ),
        (
            "aof_last_rewrite_time_sec",
            a.last_rewrite_time_sec.to_string(),
        ),
        ("aof_current_rewrite_time_sec", cur_rewrite.to_string()),
        (
            "aof_last_bgrewrite_status",
            if a.last_rewrite_ok { "ok" } else { "err" }.into(),
        ),
        ("aof_rewrites", a.rewrites.to_string()),
        (
            "aof_rewrites_consecutive_failures",
            a.rewrites_consecutive_failures.to_string(),
        ),
        (
            "aof_last_write_status",
            if a.last_write_ok { "ok" } else { "err" }.into(),
        ),
        ("aof_last_cow_size", srv.aof.last_cow_size.to_string()),
    ];
    let mut on = Vec::new();
    if a.status != Status::Off {
        on.extend([
            ("aof_current_size", a.current_size.to_string()),
            ("aof_base_size", a.base_size.to_string()),
            (
                "aof_pending_rewrite",
                u8::from(a.rewrite_scheduled).to_string(),
            ),
            ("aof_buffer_length", a.buf.len().to_string()),
            (
                "aof_pending_bio_fsync",
                u8::from(a.fsync.busy()).to_string(),
            ),
            ("aof_delayed_fsync", a.delayed_fsync.to_string()),
        ]);
    }
    (v, on)
}

#[cfg(test)]
mod tests {
    use super::{remove_history_files, rewrite_limited, AofFile, FileKind};
    use crate::commands::testing::Harness;

    #[test]
    fn automatic_rewrites_back_off_after_three_failures() {
        let mut h = Harness::new();
        h.srv.aof.rewrites_consecutive_failures = 2;
        assert!(!rewrite_limited(&mut h.srv));
        h.srv.aof.rewrites_consecutive_failures = 3;
        // 1 minute, then 2, 4, ... capped at 60.
        for minutes in [1i64, 2, 4, 8, 16, 32, 60, 60] {
            assert!(rewrite_limited(&mut h.srv), "{}", minutes);
            assert_eq!(h.srv.aof.limit.next_delay_minutes, minutes);
            h.advance_ms(minutes * 60_000 - 1000);
            assert!(rewrite_limited(&mut h.srv));
            h.advance_ms(1000);
            // Due: one rewrite may start (and fail again).
            assert!(!rewrite_limited(&mut h.srv));
            h.srv.aof.rewrites_consecutive_failures += 1;
        }
        // A success lifts the limit.
        h.srv.aof.rewrites_consecutive_failures = 0;
        assert!(!rewrite_limited(&mut h.srv));
        assert_eq!(h.srv.aof.limit.next_delay_minutes, 0);
        h.srv.aof.rewrites_consecutive_failures = 3;
        assert!(rewrite_limited(&mut h.srv));
        assert_eq!(h.srv.aof.limit.next_delay_minutes, 1);
    }

    #[test]
    fn history_files_are_unlinked_at_once() {
        let dir = std::env::temp_dir().join(format!(
            "ferredis-aof-hist-{}-{}",
            std::process::id(),
            crate::server::unix_us()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let files: Vec<AofFile> = (1..=3)
            .map(|seq| AofFile {
                name: format!("appendonly.aof.{}.incr.aof", seq),
                seq,
                kind: FileKind::History,
            })
            .collect();
        for f in &files[..2] {
            std::fs::write(dir.join(&f.name), vec![b'x'; 1 << 16]).unwrap();
        }
        // The third does not exist: nothing to do for it.
        remove_history_files(&dir, &files);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
