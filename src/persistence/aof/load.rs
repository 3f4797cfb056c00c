//! Loading the AOF: the manifest, then the BASE (an RDB, or commands that
//! may start with an RDB preamble) and the INCR files in order, each
//! command executed by a fake client whose replies are dropped, with
//! propagation suspended. `MULTI`...`EXEC` blocks are applied only when
//! complete. A partial last command is truncated away with
//! `aof-load-truncated yes` (and refused with `no`); anything else that is
//! not a command is refused with the file name and offset. An old
//! single-file `appendonly.aof` in `dir` is moved into the AOF directory
//! as its BASE, as Redis 7.0 upgrades it.
//!
//! Redis counterpart: `aof.c` (`loadAppendOnlyFiles`,
//! `loadSingleAppendOnlyFile`, `aofUpgradePrepare`), `debug.c` (DEBUG
//! LOADAOF).

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::time::Instant;

use super::{aof_dir, filename, manifest_name, root_dir, AofFile, FileKind, Manifest};
use crate::persistence::rdb;
use crate::server::client::{Client, Conn};
use crate::server::Server;

/// What an AOF load needs to serve clients while it runs (Redis's
/// `processEventsWhileBlocked` from `loadSingleAppendOnlyFile` and the RDB
/// preamble's progress callback) and to honour `key-load-delay`.
struct Progress<'e> {
    events: &'e mut dyn FnMut(&mut Server),
    /// Bytes of the files loaded before the current one.
    base: u64,
    /// `loading-process-events-interval-bytes`, for the RDB preamble.
    interval: u64,
    /// `key-load-delay` (a test hook): per read call in the preamble, per
    /// command after it.
    delay: i64,
    calls: u64,
}

impl Progress<'_> {
    /// Records `offset` bytes of the current file as loaded and serves the
    /// clients once.
    fn serve(&mut self, srv: &mut Server, offset: u64) {
        srv.persistence.loading.loaded_bytes = self.base + offset;
        srv.persistence.loading.rdb_used_mem = rdb::loading_used_mem();
        (self.events)(srv);
    }
}

/// Replayed commands between two rounds of serving clients, as Redis.
const EVENTS_EVERY_COMMANDS: u64 = 1024;

/// Reads an RDB preamble: counts the bytes read (where the commands
/// start) and serves clients every `loading-process-events-interval-bytes`.
struct PreambleReader<'a, 'e, R: BufRead> {
    inner: &'a mut R,
    srv: &'a mut Server,
    progress: &'a mut Progress<'e>,
    n: u64,
    next_events: u64,
}

impl<R: BufRead> Read for PreambleReader<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        crate::persistence::read_through_buffer(self, buf)
    }
}

impl<R: BufRead> BufRead for PreambleReader<'_, '_, R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.progress.delay != 0 {
            crate::persistence::bgsave::debug_delay(self.progress.delay, &mut self.progress.calls);
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
        self.n += n as u64;
        if self.n >= self.next_events {
            self.next_events = self.n + self.progress.interval;
            self.progress.serve(self.srv, self.n);
        }
    }
}

/// Why a file did not load completely.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    /// Ended inside a command (or an open MULTI) at this offset of valid
    /// data.
    Truncated(u64),
    /// Not a command at this offset.
    BadFormat(u64),
    /// Logged already (unknown command, I/O error, bad RDB preamble).
    Fatal,
}

/// Loads the AOF named by the manifest at start-up (upgrading an old
/// single-file AOF first), in the LOADING state, calling `events` from
/// time to time to serve clients. Returns false when the server must not
/// start.
pub fn load_at_startup(srv: &mut Server, events: &mut dyn FnMut(&mut Server)) -> bool {
    let dir = aof_dir(&srv.config);
    let mpath = dir.join(manifest_name(&srv.config));
    let m = match Manifest::load(&mpath) {
        Ok(Some(m)) => m,
        Ok(None) => match upgrade_old_aof(srv) {
            Ok(Some(m)) => m,
            Ok(None) => {
                srv.aof.manifest = Manifest::default();
                return true;
            }
            Err(()) => return false,
        },
        Err(e) => {
            log::warn!("{}", e);
            return false;
        }
    };
    srv.aof.manifest = m.clone();
    load_files(srv, &m, events)
}

/// An old-style `appendonly.aof` in `dir` with no manifest: moved into the
/// AOF directory and named as the BASE by a new manifest.
fn upgrade_old_aof(srv: &mut Server) -> Result<Option<Manifest>, ()> {
    let fname = filename(&srv.config);
    let old = root_dir(&srv.config).join(&fname);
    if !old.is_file() {
        return Ok(None);
    }
    let dir = aof_dir(&srv.config);
    let m = Manifest {
        base: Some(AofFile {
            name: fname.clone(),
            seq: 1,
            kind: FileKind::Base,
        }),
        base_seq: 1,
        ..Default::default()
    };
    let moved = fs::create_dir_all(&dir)
        .and_then(|_| fs::rename(&old, dir.join(&fname)))
        .and_then(|_| m.persist(&dir, &manifest_name(&srv.config)));
    if let Err(e) = moved {
        log::warn!(
            "Error moving the old AOF file {} into the AOF directory {}: {}",
            fname,
            dir.display(),
            crate::config::strerror(&e)
        );
        return Err(());
    }
    log::info!(
        "Successfully migrated an old-style AOF file ({}) into the AOF directory ({}).",
        fname,
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    Ok(Some(m))
}

/// Loads BASE then INCR files of `m`, logging as Redis. The server is in
/// the LOADING state meanwhile (`loading_total_bytes` = the size of all
/// the files) and `events` is called every 1024 commands and every
/// `loading-process-events-interval-bytes` of an RDB preamble, as Redis's
/// `loadAppendOnlyFiles`. False on failure (logged).
pub fn load_files(srv: &mut Server, m: &Manifest, events: &mut dyn FnMut(&mut Server)) -> bool {
    let files: Vec<AofFile> = m.base.iter().chain(m.incrs.iter()).cloned().collect();
    if files.is_empty() {
        return true;
    }
    let dir = aof_dir(&srv.config);
    let total: u64 = files
        .iter()
        .filter_map(|f| fs::metadata(dir.join(&f.name)).ok())
        .map(|md| md.len())
        .sum();
    let mut progress = Progress {
        events,
        base: 0,
        interval: srv
            .config
            .get_i64("loading-process-events-interval-bytes")
            .max(1024) as u64,
        delay: srv.config.get_i64("key-load-delay"),
        calls: 0,
    };
    crate::persistence::start_loading(srv, total);
    let started = Instant::now();
    srv.propagation.suspended = true;
    let last = files.len() - 1;
    let mut ok = true;
    for (i, f) in files.iter().enumerate() {
        let t = Instant::now();
        let path = dir.join(&f.name);
        if !path.is_file() {
            log::warn!("The AOF file {} doesn't exist", f.name);
            ok = false;
            break;
        }
        let size = fs::metadata(&path).map(|md| md.len()).unwrap_or(0);
        let loaded = load_file(srv, &path, &f.name, &mut progress);
        progress.base += size;
        srv.persistence.loading.loaded_bytes = progress.base;
        match loaded {
            Ok(()) => {}
            Err(Failure::Truncated(at)) => {
                if !truncate(srv, &path, &f.name, at) {
                    ok = false;
                    break;
                }
                if i != last {
                    log::warn!("Fatal error: the truncated file is not the last file");
                    ok = false;
                    break;
                }
            }
            Err(Failure::BadFormat(at)) => {
                log::warn!("Invalid AOF content in {} at offset {}", f.name, at);
                log::warn!("Bad file format reading the append only file {}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", f.name);
                ok = false;
                break;
            }
            Err(Failure::Fatal) => {
                ok = false;
                break;
            }
        }
        log::info!(
            "DB loaded from {} file {}: {:.3} seconds",
            if f.kind == FileKind::Base {
                "base"
            } else {
                "incr"
            },
            f.name,
            t.elapsed().as_secs_f64()
        );
    }
    srv.propagation.suspended = false;
    crate::persistence::stop_loading(srv);
    for db in srv.keyspace.dbs.iter_mut() {
        db.lazy_expired.clear();
    }
    // Redis keeps the replayed changes in `rdb_changes_since_last_save`.
    if ok {
        log::info!(
            "DB loaded from append only file: {:.3} seconds",
            started.elapsed().as_secs_f64()
        );
    }
    ok
}

/// Handles a file that ended inside a command: truncates it to the last
/// complete command with `aof-load-truncated yes`, refuses otherwise.
fn truncate(srv: &Server, path: &Path, name: &str, at: u64) -> bool {
    if !srv.config.get_bool("aof-load-truncated") {
        log::warn!("Unexpected end of file reading the append only file {}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", name);
        return false;
    }
    log::warn!(
        "!!! Warning: short read while loading the AOF file {}!!!",
        name
    );
    log::warn!("!!! Truncating the AOF {} at offset {} !!!", name, at);
    let done = OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_len(at).and_then(|_| f.sync_all()));
    if let Err(e) = done {
        log::warn!(
            "Error truncating the AOF file {}: {}",
            name,
            crate::config::strerror(&e)
        );
        return false;
    }
    log::warn!(
        "AOF {} loaded anyway because aof-load-truncated is enabled",
        name
    );
    true
}

/// A fake client for replaying commands.
fn fake_client(srv: &mut Server) -> Box<Client> {
    let mut c = Box::new(Client::new(
        0,
        usize::MAX,
        Conn::Detached,
        String::new(),
        String::new(),
        srv.now_ms,
    ));
    c.authenticated = true;
    c
}

/// Reads one `\n`-terminated line; None at a clean end of file.
fn read_line<R: BufRead>(r: &mut R, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    buf.clear();
    r.read_until(b'\n', buf)
}

/// Parses `<prefix><digits>\r\n`.
fn header(line: &[u8], prefix: u8) -> Option<i64> {
    let body = line.strip_prefix(&[prefix])?.strip_suffix(b"\r\n")?;
    crate::util::numfmt::parse_i64(body)
}

/// Loads one file: an optional RDB preamble, then commands, serving clients
/// through `progress` as it goes.
fn load_file(
    srv: &mut Server,
    path: &Path,
    name: &str,
    progress: &mut Progress<'_>,
) -> Result<(), Failure> {
    let file = File::open(path).map_err(|e| {
        log::warn!(
            "Fatal error: can't open the append log file {} for reading: {}",
            name,
            crate::config::strerror(&e)
        );
        Failure::Fatal
    })?;
    let mut r = BufReader::with_capacity(64 * 1024, file);
    let mut offset: u64 = 0;
    let is_rdb = r
        .fill_buf()
        .map(|b| b.starts_with(b"REDIS"))
        .unwrap_or(false);
    if is_rdb {
        let opts = rdb::LoadOptions::from_config(&srv.config);
        let now = srv.now_ms;
        // The keyspace is set aside while clients are served from the
        // reader (they see an empty one, as during an RDB load).
        let databases = srv.keyspace.dbs.len();
        let mut keyspace =
            std::mem::replace(&mut srv.keyspace, crate::db::Keyspace::new(databases));
        let mut pr = PreambleReader {
            inner: &mut r,
            srv: &mut *srv,
            progress: &mut *progress,
            n: 0,
            next_events: 0,
        };
        pr.next_events = pr.progress.interval;
        let result = rdb::load_keyspace(&mut pr, &mut keyspace, now, false, &opts);
        offset = pr.n;
        srv.keyspace = keyspace;
        srv.keyspace.set_clock(srv.now_ms);
        match result {
            Ok(stats) => {
                log::info!("RDB is base AOF");
                log::info!(
                    "Done loading RDB, keys loaded: {}, keys expired: {}.",
                    stats.keys_loaded,
                    stats.keys_expired
                );
            }
            Err(e) => {
                log::warn!(
                    "Internal error in RDB reading offset {}, file {} -> {}",
                    e.offset,
                    name,
                    e.error
                );
                log::warn!(
                    "Error reading the RDB base file {}, AOF loading aborted",
                    name
                );
                return Err(Failure::Fatal);
            }
        }
    }
    let mut client = fake_client(srv);
    let mut line = Vec::with_capacity(128);
    let mut multi: Option<(u64, Vec<Vec<Vec<u8>>>)> = None;
    let mut loops: u64 = 0;
    loop {
        // Serve the clients from time to time.
        if loops.is_multiple_of(EVENTS_EVERY_COMMANDS) {
            progress.serve(srv, offset);
        }
        loops += 1;
        let start = offset;
        let n = read_line(&mut r, &mut line).map_err(|_| Failure::Truncated(start))?;
        if n == 0 {
            break;
        }
        offset += n as u64;
        if line[0] == b'#' {
            // Annotations (aof-timestamp-enabled).
            if !line.ends_with(b"\n") {
                return Err(Failure::Truncated(start));
            }
            continue;
        }
        if line[0] != b'*' {
            return Err(Failure::BadFormat(start));
        }
        if !line.ends_with(b"\n") {
            return Err(Failure::Truncated(start));
        }
        let argc = match header(&line, b'*') {
            Some(n) if n >= 1 => n as usize,
            _ => return Err(Failure::BadFormat(start)),
        };
        let mut argv: Vec<Vec<u8>> = Vec::with_capacity(argc.min(1024));
        for _ in 0..argc {
            let n = read_line(&mut r, &mut line).map_err(|_| Failure::Truncated(start))?;
            if n == 0 || !line.ends_with(b"\n") {
                return Err(Failure::Truncated(start));
            }
            offset += n as u64;
            if line[0] != b'$' {
                return Err(Failure::BadFormat(offset - n as u64));
            }
            let len = match header(&line, b'$') {
                Some(l) if l >= 0 => l as usize,
                _ => return Err(Failure::BadFormat(offset - n as u64)),
            };
            // Read in bounded steps: a corrupt length must not allocate
            // more than the file holds.
            let mut arg = Vec::with_capacity(len.min(1 << 20) + 2);
            let got = (&mut r)
                .take(len as u64 + 2)
                .read_to_end(&mut arg)
                .map_err(|_| Failure::Truncated(start))?;
            if got < len + 2 {
                return Err(Failure::Truncated(start));
            }
            offset += got as u64;
            if !arg.ends_with(b"\r\n") {
                return Err(Failure::BadFormat(offset - 2));
            }
            arg.truncate(len);
            argv.push(arg);
        }
        if progress.delay != 0 {
            crate::persistence::bgsave::debug_delay(progress.delay, &mut progress.calls);
        }
        if argv[0].eq_ignore_ascii_case(b"multi") {
            multi = Some((start, Vec::new()));
            continue;
        }
        if argv[0].eq_ignore_ascii_case(b"exec") {
            if let Some((_, queued)) = multi.take() {
                for q in &queued {
                    execute(srv, &mut client, q, name)?;
                }
            }
            continue;
        }
        match multi.as_mut() {
            Some((_, queued)) => queued.push(argv),
            None => execute(srv, &mut client, &argv, name)?,
        }
    }
    if let Some((before, _)) = multi {
        log::warn!(
            "Revert incomplete MULTI/EXEC transaction in AOF file {}",
            name
        );
        return Err(Failure::Truncated(before));
    }
    Ok(())
}

/// Runs one command from the file with the fake client.
fn execute(
    srv: &mut Server,
    client: &mut Client,
    argv: &[Vec<u8>],
    name: &str,
) -> Result<(), Failure> {
    let args: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
    let Some(mut spec) = srv.commands.lookup(args[0]) else {
        log::warn!(
            "Unknown command '{}' reading the append only file {}",
            String::from_utf8_lossy(args[0]),
            name
        );
        return Err(Failure::Fatal);
    };
    if !spec.subcommands.is_empty() && args.len() >= 2 {
        if let Some(sub) = crate::commands::find_subcommand(spec, args[1]) {
            spec = sub;
        }
    }
    let Some(handler) = spec.handler else {
        log::warn!(
            "Unknown command '{}' reading the append only file {}",
            String::from_utf8_lossy(args[0]),
            name
        );
        return Err(Failure::Fatal);
    };
    if !spec.arity_ok(args.len()) {
        log::warn!(
            "Wrong number of arguments for '{}' reading the append only file {}",
            spec.name,
            name
        );
        return Err(Failure::Fatal);
    }
    {
        let mut ctx = crate::commands::Ctx {
            srv,
            client,
            argv: &args,
            cmd: spec,
        };
        let _ = handler(&mut ctx);
    }
    client.reply.buf.clear();
    client.reply.sent = 0;
    client.block_request = None;
    Ok(())
}

/// DEBUG LOADAOF: writes out the AOF buffer, empties the dataset and loads
/// it again from the AOF files. False when the load failed (Redis exits
/// then).
pub fn debug_loadaof(srv: &mut Server) -> bool {
    if srv.aof.status == super::Status::On {
        super::flush(srv, true);
    }
    for db in srv.keyspace.dbs.iter_mut() {
        drop(db.clear());
    }
    let dir = aof_dir(&srv.config);
    let m = match Manifest::load(&dir.join(manifest_name(&srv.config))) {
        Ok(Some(m)) => m,
        Ok(None) => {
            log::warn!("The AOF directory {} doesn't exist", dir.display());
            return false;
        }
        Err(e) => {
            log::warn!("{}", e);
            return false;
        }
    };
    if !load_files(srv, &m, &mut |_| {}) {
        return false;
    }
    srv.dirty = 0;
    log::info!("Append Only File loaded by DEBUG LOADAOF");
    true
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;
    use crate::config::Config;
    use crate::persistence::aof;
    use std::path::PathBuf;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "ferredis-aof-unit-{}-{}-{}",
            tag,
            std::process::id(),
            crate::server::unix_us()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn harness(dir: &std::path::Path, extra: &[(&str, &str)]) -> Harness {
        let mut cfg = Config::default();
        cfg.dir = dir.display().to_string();
        let mut pairs: Vec<(&[u8], &[u8])> = vec![(b"appendonly", b"yes")];
        pairs.extend(extra.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())));
        cfg.config_set(&pairs, true).unwrap();
        Harness::with_config(cfg)
    }

    fn incr_path(dir: &std::path::Path) -> PathBuf {
        dir.join("appendonlydir/appendonly.aof.1.incr.aof")
    }

    #[test]
    fn written_commands_reload_with_selects_and_manifest() {
        let dir = temp_dir("rw");
        let mut h = harness(&dir, &[("appendfsync", "always")]);
        assert!(aof::load_data_from_disk(&mut h.srv, &mut |_| {}));
        h.run(&["set", "a", "1"]);
        h.run(&["select", "5"]);
        h.run(&["rpush", "l", "x", "y"]);
        h.run(&["get", "a"]);
        aof::before_sleep(&mut h.srv);
        let text = std::fs::read_to_string(incr_path(&dir)).unwrap();
        assert_eq!(
            text,
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\n1\r\n\
             *2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n*4\r\n$5\r\nrpush\r\n$1\r\nl\r\n$1\r\nx\r\n$1\r\ny\r\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap(),
            "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
        );
        h.run(&["config", "set", "aof-timestamp-enabled", "yes"]);
        h.run(&["set", "ts", "1"]);
        aof::before_sleep(&mut h.srv);
        let with_ts = std::fs::read_to_string(incr_path(&dir)).unwrap();
        assert_eq!(
            &with_ts[text.len()..],
            format!(
                "#TS:{}\r\n*3\r\n$3\r\nset\r\n$2\r\nts\r\n$1\r\n1\r\n",
                h.srv.now_ms / 1000
            )
        );
        let text = with_ts;
        let (main, on) = aof::info_fields(&h.srv);
        assert_eq!(main[0], ("aof_enabled", "1".to_string()));
        assert_eq!(on[0].0, "aof_current_size");

        let mut h2 = harness(&dir, &[]);
        assert!(aof::load_data_from_disk(&mut h2.srv, &mut |_| {}));
        assert_eq!(h2.run_str(&["get", "a"]), "$1\r\n1\r\n");
        h2.run(&["select", "5"]);
        assert_eq!(h2.run_str(&["llen", "l"]), ":2\r\n");
        assert_eq!(h2.run_str(&["get", "ts"]), "$1\r\n1\r\n");
        assert!(h2.srv.dirty > 0);
        // Replaying propagated nothing: the file is unchanged.
        aof::before_sleep(&mut h2.srv);
        assert_eq!(std::fs::read_to_string(incr_path(&dir)).unwrap(), text);
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn write_incr(dir: &std::path::Path, body: &[u8]) {
        let d = dir.join("appendonlydir");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("appendonly.aof.manifest"),
            "file appendonly.aof.1.incr.aof seq 1 type i\n",
        )
        .unwrap();
        std::fs::write(d.join("appendonly.aof.1.incr.aof"), body).unwrap();
    }

    const GOOD: &[u8] = b"*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\n1\r\n";

    #[test]
    fn truncation_multi_and_bad_format() {
        let dir = temp_dir("trunc");
        let mut partial = GOOD.to_vec();
        partial.extend_from_slice(b"*3\r\n$3\r\nset\r\n$1\r\nb\r\n$3\r\nab");
        write_incr(&dir, &partial);
        let mut h = harness(&dir, &[("aof-load-truncated", "no")]);
        assert!(!super::load_at_startup(&mut h.srv, &mut |_| {}));
        let mut h = harness(&dir, &[]);
        assert!(super::load_at_startup(&mut h.srv, &mut |_| {}));
        assert_eq!(h.run_str(&["get", "a"]), "$1\r\n1\r\n");
        assert_eq!(
            std::fs::metadata(incr_path(&dir)).unwrap().len(),
            GOOD.len() as u64
        );

        // A MULTI block runs only once complete.
        let mut multi = GOOD.to_vec();
        multi.extend_from_slice(
            b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nset\r\n$1\r\nm\r\n$1\r\n1\r\n*1\r\n$4\r\nEXEC\r\n",
        );
        multi.extend_from_slice(b"*1\r\n$5\r\nmulti\r\n*3\r\n$3\r\nset\r\n$1\r\nn\r\n$1\r\n1\r\n");
        write_incr(&dir, &multi);
        let mut h = harness(&dir, &[]);
        assert!(super::load_at_startup(&mut h.srv, &mut |_| {}));
        assert_eq!(h.run_str(&["exists", "m", "n"]), ":1\r\n");

        for bad in [
            &b"xyz\r\n"[..],
            b"*1\r\n$4\r\nping\r\n",
            b"*1\r\nping\r\n",
            b"*2\r\n$3\r\nget\r\n$1\r\nab\r\n",
            b"*1\r\n$7\r\nnosuchc\r\n",
            b"*-5\r\n",
        ] {
            let mut body = GOOD.to_vec();
            body.extend_from_slice(bad);
            write_incr(&dir, &body);
            let mut h = harness(&dir, &[]);
            let ok = super::load_at_startup(&mut h.srv, &mut |_| {});
            // PING is a valid command; everything else is refused.
            assert_eq!(ok, bad == b"*1\r\n$4\r\nping\r\n", "{:?}", bad);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn history_files_are_removed_at_start() {
        let dir = temp_dir("hist");
        let d = dir.join("appendonlydir");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("appendonly.aof.manifest"),
            "file appendonly.aof.1.base.aof seq 1 type h\nfile appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n",
        )
        .unwrap();
        std::fs::write(d.join("appendonly.aof.1.base.aof"), GOOD).unwrap();
        std::fs::write(d.join("appendonly.aof.2.base.aof"), GOOD).unwrap();
        std::fs::write(d.join("appendonly.aof.3.incr.aof"), b"").unwrap();
        let mut h = harness(&dir, &[]);
        assert!(aof::load_data_from_disk(&mut h.srv, &mut |_| {}));
        assert_eq!(h.run_str(&["get", "a"]), "$1\r\n1\r\n");
        assert!(!d.join("appendonly.aof.1.base.aof").exists());
        assert_eq!(
            std::fs::read_to_string(d.join("appendonly.aof.manifest")).unwrap(),
            "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
