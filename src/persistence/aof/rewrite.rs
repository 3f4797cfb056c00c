//! AOF rewrite (BGREWRITEAOF, automatic rewrites, turning the AOF on at
//! runtime), Redis 7.0's multi-part way: at the start the parent flushes
//! its buffer and opens a new INCR file that takes every later write; a
//! forked child writes the new BASE (an RDB preamble or commands) to
//! `temp-rewriteaof-bg-<pid>.aof` in `dir`; when it succeeds the parent
//! renames it into the AOF directory, writes a manifest naming the new
//! BASE and the INCR files opened since the rewrite started, and deletes
//! the older files.
//!
//! Redis counterpart: `aof.c` (`rewriteAppendOnlyFileBackground`,
//! `rewriteAppendOnlyFileRio`, `backgroundRewriteDoneHandler`,
//! `bgrewriteaofCommand`).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use super::{aof_dir, filename, flush, manifest_name, manifest_size, root_dir, Status};
use crate::commands::spec::{cmd, CommandSpec, Group, NO_KEYS};
use crate::commands::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::persistence::bgsave::SaveWriter;
use crate::persistence::child::{self, ChildKind};
use crate::persistence::rdb;
use crate::server::propagate::encode_command;
use crate::server::Server;
use crate::sys::ChildExit;
use crate::types::Value;

/// The BGREWRITEAOF row of the command table.
pub static COMMANDS: &[CommandSpec] = &[{
    use crate::commands::flags::*;
    cmd(
        "bgrewriteaof",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        NO_KEYS,
        Group::Server,
        bgrewriteaof_command,
    )
    .acl(crate::commands::spec::acl::DANGEROUS)
    .doc("Asynchronously rewrite the append-only file", "1.0.0")
}];

/// Items per command when a BASE is written as commands (Redis's
/// `AOF_REWRITE_ITEMS_PER_CMD`).
const ITEMS_PER_CMD: usize = 64;

/// BGREWRITEAOF
pub fn bgrewriteaof_command(ctx: &mut Ctx) -> CmdResult {
    if ctx.srv.aof.rewrite_running {
        return Err(CmdError::msg(
            "ERR Background append only file rewriting already in progress",
        ));
    }
    if ctx.srv.child.is_some() {
        ctx.srv.aof.rewrite_scheduled = true;
        ctx.client
            .reply
            .simple(b"Background append only file rewriting scheduled");
        return Ok(());
    }
    if !start(ctx.srv) {
        return Err(CmdError::msg(
            "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
        ));
    }
    ctx.client
        .reply
        .simple(b"Background append only file rewriting started");
    Ok(())
}

/// The temp file a rewrite child writes (in `dir`).
fn temp_name(pid: i32) -> String {
    format!("temp-rewriteaof-bg-{}.aof", pid)
}

/// Starts a background rewrite. Returns false (logged) when it cannot.
pub fn start(srv: &mut Server) -> bool {
    if srv.child.is_some() {
        return false;
    }
    srv.aof.rewrite_scheduled = false;
    let dir = aof_dir(&srv.config);
    if let Err(e) = fs::create_dir_all(&dir) {
        log::warn!(
            "Can't open or create append-only dir {}: {}",
            dir.display(),
            crate::config::strerror(&e)
        );
        return false;
    }
    // Everything written so far goes to the old INCR file.
    flush(srv, true);
    if srv.aof.status != Status::Off && !open_new_incr(srv, &dir) {
        return false;
    }
    let preamble = srv.config.get_bool("aof-use-rdb-preamble");
    let root = root_dir(&srv.config);
    let spawned = child::spawn(srv, ChildKind::Aof, on_done, move |srv| {
        let tmp = temp_name(std::process::id() as i32);
        match write_base_file(srv, &root.join(&tmp), preamble) {
            Ok(()) => {
                log::info!("Successfully created the temporary AOF base file {}", tmp);
                child::send_cow_info(child::InfoKind::AofCowSize, "AOF rewrite");
                0
            }
            Err(e) => {
                log::warn!(
                    "Write error writing append only file on disk: {}",
                    crate::config::strerror(&e)
                );
                let _ = fs::remove_file(root.join(&tmp));
                1
            }
        }
    });
    match spawned {
        Ok(pid) => {
            log::info!(
                "Background append only file rewriting started by pid {}",
                pid
            );
            let now = srv.now_ms;
            let aof = &mut srv.aof;
            aof.rewrite_running = true;
            aof.rewrite_started_ms = now;
            aof.rewrite_preamble = preamble;
            aof.rewrites += 1;
            true
        }
        Err(e) => {
            log::warn!(
                "Can't rewrite append only file in background: fork: {}",
                crate::config::strerror(&e)
            );
            srv.aof.last_rewrite_ok = false;
            false
        }
    }
}

/// Opens the INCR file later writes go to. When the AOF is on, the
/// manifest names it at once; when it was just turned on, the old files
/// are history and the manifest is written when the rewrite succeeds.
fn open_new_incr(srv: &mut Server, dir: &Path) -> bool {
    let fname = filename(&srv.config);
    let mname = manifest_name(&srv.config);
    if srv.aof.status == Status::WaitRewrite {
        return open_temp_incr(srv, dir);
    }
    let mut m = srv.aof.manifest.clone();
    let incr = m.next_incr(&fname);
    let file = match super::open_append(&dir.join(&incr.name)) {
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
    let split = m.incrs.len();
    m.incrs.push(incr.clone());
    if let Err(e) = m.persist(dir, &mname) {
        log::warn!(
            "Can't persist the AOF manifest file {}: {}",
            mname,
            crate::config::strerror(&e)
        );
        let _ = fs::remove_file(dir.join(&incr.name));
        return false;
    }
    log::info!("Creating AOF incr file {} on background rewrite", incr.name);
    if let Some(old) = srv.aof.file.take() {
        let _ = old.sync_data();
    }
    let aof = &mut srv.aof;
    aof.manifest = m;
    aof.rewrite_split = split;
    aof.incr_len = 0;
    aof.file = Some(file);
    aof.encoder.selected_db = None;
    true
}

/// The INCR file of an AOF turned on at runtime, named in the manifest
/// only once the first rewrite succeeds.
pub fn temp_incr_name(fname: &str) -> String {
    format!("temp-{}.incr", fname)
}

/// AOF turned on at runtime: writes go to a temp INCR file (emptied: the
/// rewrite's snapshot holds everything before), which becomes a real one
/// when the rewrite succeeds; every older file is history then.
fn open_temp_incr(srv: &mut Server, dir: &Path) -> bool {
    let name = temp_incr_name(&filename(&srv.config));
    let file = match File::create(dir.join(&name)) {
        Ok(f) => f,
        Err(e) => {
            log::warn!(
                "Can't open the append-only file {}: {}",
                name,
                crate::config::strerror(&e)
            );
            return false;
        }
    };
    log::info!("Creating AOF incr file {} on background rewrite", name);
    let aof = &mut srv.aof;
    aof.rewrite_split = aof.manifest.incrs.len();
    aof.incr_len = 0;
    aof.temp_incr = true;
    aof.file = Some(file);
    aof.encoder.selected_db = None;
    true
}

/// Called in the parent when the rewrite child ends.
fn on_done(srv: &mut Server, exit: ChildExit) {
    srv.aof.rewrite_running = false;
    let elapsed = srv.now_ms - srv.aof.rewrite_started_ms;
    srv.aof.last_rewrite_time_sec = elapsed.max(0) / 1000;
    let tmp = root_dir(&srv.config).join(temp_name(exit.pid));
    if exit.signal == 0 && exit.code == 0 {
        log::info!("Background AOF rewrite terminated with success");
        if install_new_base(srv, &tmp) {
            srv.aof.last_rewrite_ok = true;
            srv.aof.rewrites_consecutive_failures = 0;
            log::info!("Background AOF rewrite finished successfully");
            return;
        }
    } else if exit.signal != 0 {
        log::warn!(
            "Background AOF rewrite terminated by signal {}",
            exit.signal
        );
    } else {
        log::warn!("Background AOF rewrite terminated with error");
    }
    let _ = fs::remove_file(&tmp);
    // A rewrite we killed on purpose is not a failure.
    if exit.signal != crate::sys::SIGUSR1 {
        srv.aof.last_rewrite_ok = false;
        srv.aof.rewrites_consecutive_failures += 1;
    }
    if srv.aof.status == Status::WaitRewrite {
        // AOF was turned on and its first rewrite failed: try again.
        srv.aof.rewrite_scheduled = true;
    }
}

/// Renames the child's file into the AOF directory as the new BASE, writes
/// the manifest and removes the files it replaces. False on failure.
fn install_new_base(srv: &mut Server, tmp: &Path) -> bool {
    let dir = aof_dir(&srv.config);
    let fname = filename(&srv.config);
    let mname = manifest_name(&srv.config);
    let mut m = srv.aof.manifest.clone();
    let base = m.next_base(&fname, srv.aof.rewrite_preamble);
    let tmp_name = tmp
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Err(e) = fs::rename(tmp, dir.join(&base.name)) {
        log::warn!(
            "Error trying to rename the temporary AOF base file {} into {}: {}",
            tmp_name,
            base.name,
            crate::config::strerror(&e)
        );
        return false;
    }
    log::info!(
        "Successfully renamed the temporary AOF base file {} into {}",
        tmp_name,
        base.name
    );
    let split = srv.aof.rewrite_split.min(m.incrs.len());
    // Redis lists (and deletes) the rewritten INCR files, then the BASE.
    let mut history: Vec<super::AofFile> = m.incrs.drain(..split).collect();
    history.extend(m.base.take());
    m.base = Some(base.clone());
    if srv.aof.temp_incr {
        let incr = m.next_incr(&fname);
        let temp = temp_incr_name(&fname);
        if let Err(e) = fs::rename(dir.join(&temp), dir.join(&incr.name)) {
            log::warn!(
                "Error trying to rename the temporary AOF incr file {} into {}: {}",
                temp,
                incr.name,
                crate::config::strerror(&e)
            );
            let _ = fs::remove_file(dir.join(&base.name));
            return false;
        }
        log::info!(
            "Successfully renamed the temporary AOF incr file {} into {}",
            temp,
            incr.name
        );
        history.append(&mut m.incrs);
        m.incrs.push(incr);
        srv.aof.temp_incr = false;
    }
    if srv.aof.status == Status::Off {
        // BGREWRITEAOF with the AOF off: the new BASE alone.
        history.append(&mut m.incrs);
    }
    // With `aof-disable-auto-gc yes` the files stay, listed as history
    // (newest first, as Redis lists them) until the option is turned off.
    let keep_history = !super::auto_gc(srv);
    if keep_history {
        for f in &mut history {
            f.kind = super::FileKind::History;
        }
        history.append(&mut m.history);
        m.history = history;
        history = Vec::new();
    }
    if let Err(e) = m.persist(&dir, &mname) {
        log::warn!(
            "Can't persist the AOF manifest file {}: {}",
            mname,
            crate::config::strerror(&e)
        );
        let _ = fs::remove_file(dir.join(&base.name));
        return false;
    }
    if !keep_history {
        super::remove_history_files(&dir, &history);
        m.history.clear();
    }
    srv.aof.manifest = m;
    srv.aof.rewrite_split = 0;
    if srv.aof.status == Status::WaitRewrite {
        srv.aof.status = Status::On;
    }
    srv.aof.current_size = manifest_size(&srv.config, &srv.aof.manifest);
    srv.aof.base_size = srv.aof.current_size;
    true
}

/// Writes a whole BASE file to `path` (fsynced): an RDB when `preamble`,
/// else commands. Used by the rewrite child and at start-up.
pub fn write_base_file(srv: &Server, path: &Path, preamble: bool) -> std::io::Result<()> {
    let file = File::create(path)?;
    // `rdb-key-save-delay` (a test hook) slows a rewrite as it slows a
    // BGSAVE.
    let delay = srv.config.get_i64("rdb-key-save-delay");
    let file = if preamble {
        let mut opts = rdb::SaveOptions::from_config(
            &srv.config,
            srv.now_ms / 1000,
            crate::sys::used_memory() as u64,
        );
        opts.aof_base = true;
        opts.progress = Some(crate::persistence::child::aof_progress);
        let w = SaveWriter::for_aof_rewrite(BufWriter::with_capacity(64 * 1024, file), delay);
        let w = rdb::save_keyspace(w, &srv.keyspace, &opts)?;
        w.into_inner().into_inner().map_err(|e| e.into_error())?
    } else {
        let mut w = BufWriter::with_capacity(64 * 1024, file);
        write_commands(srv, &mut w, delay)?;
        w.into_inner().map_err(|e| e.into_error())?
    };
    file.sync_all()?;
    Ok(())
}

/// The keyspace as commands, as Redis's `rewriteAppendOnlyFileRio`:
/// per database a SELECT, then per key the commands that rebuild it
/// (at most 64 items each) and its `PEXPIREAT`.
fn write_commands<W: Write>(srv: &Server, w: &mut W, delay: i64) -> std::io::Result<()> {
    let mut out = Vec::with_capacity(64 * 1024);
    let mut keys: u64 = 0;
    let mut calls = 0;
    for (i, db) in srv.keyspace.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let n = i.to_string();
        encode_command(&mut out, &[b"SELECT".as_slice(), n.as_bytes()]);
        for (slot, key, value) in db.dict.iter() {
            if delay != 0 {
                crate::persistence::bgsave::debug_delay(delay, &mut calls);
            }
            write_value(&mut out, key, value);
            if db.dict.flag(slot) {
                if let Some(when) = db.expire_of(key) {
                    let t = when.to_string();
                    encode_command(&mut out, &[b"PEXPIREAT".as_slice(), key, t.as_bytes()]);
                }
            }
            if out.len() >= 64 * 1024 {
                w.write_all(&out)?;
                out.clear();
            }
            // Progress for INFO, checked every 1024 keys as Redis does.
            if keys & (rdb::PROGRESS_EVERY_KEYS - 1) == 0 {
                crate::persistence::child::aof_progress(keys + 1);
            }
            keys += 1;
        }
    }
    w.write_all(&out)
}

/// Emits `cmd key items...` in batches of `ITEMS_PER_CMD` items.
fn batched(out: &mut Vec<u8>, cmd: &[u8], key: &[u8], items: Vec<Vec<u8>>, per_item: usize) {
    for chunk in items.chunks(ITEMS_PER_CMD * per_item) {
        let mut argv: Vec<&[u8]> = Vec::with_capacity(chunk.len() + 2);
        argv.push(cmd);
        argv.push(key);
        argv.extend(chunk.iter().map(|v| v.as_slice()));
        encode_command(out, &argv);
    }
}

fn write_value(out: &mut Vec<u8>, key: &[u8], value: &Value) {
    match value {
        Value::List(l) => {
            let items = l.to_vec().into_iter().map(|e| e.into_bytes()).collect();
            batched(out, b"RPUSH", key, items, 1);
        }
        Value::Set(s) => {
            let items = s.iter().map(|m| m.to_vec()).collect();
            batched(out, b"SADD", key, items, 1);
        }
        Value::ZSet(z) => {
            let mut items = Vec::with_capacity(z.len() * 2);
            z.for_each(|m, s| {
                items.push(crate::util::numfmt::format_g17(s).into_bytes());
                items.push(m.to_vec());
            });
            batched(out, b"ZADD", key, items, 2);
        }
        Value::Hash(h) => {
            let mut items = Vec::with_capacity(h.len() * 2);
            for (f, v) in h.iter() {
                items.push(f.to_vec());
                items.push(v.to_vec());
            }
            batched(out, b"HMSET", key, items, 2);
        }
        other => {
            let v = other.to_bytes();
            encode_command(out, &[b"SET".as_slice(), key, &v]);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;
    use crate::persistence::child::{Child, ChildKind};

    fn fake_child(kind: ChildKind) -> Child {
        fn nothing(_: &mut crate::server::Server, _: crate::sys::ChildExit) {}
        Child {
            pid: i32::MAX,
            kind,
            started_ms: 0,
            started: std::time::Instant::now(),
            on_done: nothing,
            info_pipe: None,
        }
    }

    #[test]
    fn replies_while_another_child_runs() {
        let mut h = Harness::new();
        h.srv.child = Some(fake_child(ChildKind::Rdb));
        assert_eq!(
            h.run_str(&["bgrewriteaof"]),
            "+Background append only file rewriting scheduled\r\n"
        );
        assert!(h.srv.aof.rewrite_scheduled);
        let (main, _) = crate::persistence::aof::info_fields(&h.srv);
        assert_eq!(main[2], ("aof_rewrite_scheduled", "1".to_string()));
        h.srv.child = Some(fake_child(ChildKind::Aof));
        h.srv.aof.rewrite_running = true;
        assert_eq!(
            h.run_str(&["bgrewriteaof"]),
            "-ERR Background append only file rewriting already in progress\r\n"
        );
        assert_eq!(
            h.run_str(&["bgrewriteaof", "x"]),
            "-ERR wrong number of arguments for 'bgrewriteaof' command\r\n"
        );
        h.srv.child = None;
    }

    #[test]
    fn misconf_while_the_aof_cannot_be_written() {
        let mut h = Harness::new();
        h.srv.aof.status = crate::persistence::aof::Status::On;
        h.srv.aof.last_write_ok = false;
        h.srv.aof.last_write_error = "No space left on device".into();
        let misconf = "-MISCONF Errors writing to the AOF file: No space left on device\r\n";
        assert_eq!(h.run_str(&["set", "a", "1"]), misconf);
        assert_eq!(h.run_str(&["ping"]), misconf);
        assert_eq!(h.run_str(&["get", "a"]), "$-1\r\n");
        h.srv.aof.last_write_ok = true;
        assert_eq!(h.run_str(&["set", "a", "1"]), "+OK\r\n");
    }
}
