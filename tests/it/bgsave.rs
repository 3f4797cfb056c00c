//! Background saves seen from outside: BGSAVE forks a child (visible with
//! `pgrep -P`, named and oom-adjusted like Redis's) while the server keeps
//! answering; a child killed from outside is noticed (`INFO` status err,
//! `-MISCONF` on writes until a save succeeds); save points fire from
//! cron; FLUSHALL and SIGTERM kill a running child; clients connecting
//! during the start-up load get `-LOADING`; a ferredis BGSAVE dump loads in
//! real redis-server with the same DEBUG DIGEST.
//!
//! Redis counterpart: `tests/integration/rdb.tcl`,
//! `tests/unit/other.tcl` (BGSAVE, FLUSHALL) and
//! `tests/integration/replication.tcl`'s loading tests in Redis's suite.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{escape, have_tool, unique_dir, wait_until, RawConn, TestServer};

const MISCONF: &str = "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.\\r\\n";
const WAIT: Duration = Duration::from_secs(20);

/// A server whose leftover fork children are killed with it.
struct Srv {
    s: TestServer,
}

impl std::ops::Deref for Srv {
    type Target = TestServer;
    fn deref(&self) -> &TestServer {
        &self.s
    }
}

impl Drop for Srv {
    fn drop(&mut self) {
        for c in children(self.s.pid()) {
            kill(c, "KILL");
        }
    }
}

fn start(dir: &Path, extra: &[&str]) -> Srv {
    let d = dir.to_str().expect("utf-8 dir");
    let mut args = vec!["--dir", d, "--enable-debug-command", "yes"];
    args.extend_from_slice(extra);
    Srv {
        s: TestServer::with_args(&args),
    }
}

/// The pids of `pid`'s children (`pgrep -P`).
fn children(pid: u32) -> Vec<u32> {
    let out = Command::new("pgrep")
        .args(["-P", &pid.to_string()])
        .output()
        .expect("run pgrep");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect()
}

fn kill(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args(["-s", sig, &pid.to_string()])
        .status();
}

fn r(c: &mut RawConn, args: &[&str]) -> String {
    escape(&c.cmd(args))
}

/// One `INFO` field's value.
fn info(c: &mut RawConn, section: &str, field: &str) -> String {
    let f = c.cmd_frame(&["info", section]);
    let text = String::from_utf8_lossy(f.bytes()).into_owned();
    let prefix = format!("{}:", field);
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {} in INFO {}", field, section))
        .to_string()
}

/// Waits for the BGSAVE child to be gone and the parent to have noticed.
fn wait_bgsave_done(c: &mut RawConn) {
    assert!(
        wait_until(WAIT, || info(c, "persistence", "rdb_bgsave_in_progress")
            == "0"),
        "BGSAVE did not end"
    );
}

#[test]
fn bgsave_forks_a_child_while_the_server_keeps_answering() {
    let dir = unique_dir("bgsave");
    let s = start(
        &dir,
        &[
            "--oom-score-adj",
            "yes",
            "--oom-score-adj-values",
            "10 200 800",
        ],
    );
    let mut c = s.raw();
    assert_eq!(r(&mut c, &["debug", "populate", "1000"]), "+OK\\r\\n");
    r(&mut c, &["set", "before", "fork"]);
    assert_eq!(
        r(&mut c, &["config", "set", "rdb-key-save-delay", "300"]),
        "+OK\\r\\n"
    );
    assert_eq!(r(&mut c, &["bgsave"]), "+Background saving started\\r\\n");
    assert!(s.wait_for_log("Background saving started by pid ", WAIT));
    let kids = children(s.pid());
    assert_eq!(kids.len(), 1, "one child: {:?}", kids);
    let child = kids[0];
    // The process title, as Redis's: the role and the listen address.
    let cmdline = |pid: &str| {
        std::fs::read(format!("/proc/{}/cmdline", pid))
            .map(|b| {
                let s = String::from_utf8_lossy(&b).into_owned();
                s.trim_end_matches('\0').to_string()
            })
            .unwrap_or_default()
    };
    let listen = format!("127.0.0.1:{}", s.port);
    assert_eq!(
        cmdline(&child.to_string()),
        format!("redis-rdb-bgsave {}", listen)
    );
    let server_title = cmdline(&s.pid().to_string());
    assert!(
        server_title.ends_with(&format!("ferredis-server {}", listen)),
        "{:?}",
        server_title
    );
    // `relative`: the values are added to the score the server started
    // with (this test process's, which it inherited).
    let read_adj = |pid: String| -> i32 {
        std::fs::read_to_string(format!("/proc/{}/oom_score_adj", pid))
            .unwrap_or_default()
            .trim()
            .parse()
            .unwrap_or(0)
    };
    let base = read_adj("self".into());
    assert_eq!(read_adj(s.pid().to_string()), (base + 10).min(1000));
    let child_adj = read_adj(child.to_string());
    assert_eq!(child_adj, (base + 800).min(1000), "relative bgchild score");

    // The parent serves while the child writes.
    assert_eq!(info(&mut c, "persistence", "rdb_bgsave_in_progress"), "1");
    assert_eq!(
        info(&mut c, "persistence", "current_save_keys_total"),
        "1001"
    );
    assert_eq!(
        r(&mut c, &["bgsave"]),
        "-ERR Background save already in progress\\r\\n"
    );
    assert_eq!(
        r(&mut c, &["bgsave", "schedule"]),
        "-ERR Background save already in progress\\r\\n"
    );
    assert_eq!(
        r(&mut c, &["save"]),
        "-ERR Background save already in progress\\r\\n"
    );
    for i in 0..50 {
        assert_eq!(
            r(&mut c, &["set", &format!("during{}", i), "x"]),
            "+OK\\r\\n"
        );
    }
    assert_eq!(info(&mut c, "persistence", "rdb_bgsave_in_progress"), "1");
    assert_eq!(info(&mut c, "stats", "total_forks"), "1");
    wait_bgsave_done(&mut c);
    let log = s.log();
    assert!(log.contains(&format!("{}:C ", child)), "child logs as C");
    assert!(log.contains("* DB saved on disk"));
    assert!(log.contains("Fork CoW for RDB: current "));
    assert!(log.contains("Background saving terminated with success"));
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "ok");
    assert_eq!(info(&mut c, "persistence", "rdb_saves"), "1");
    assert_ne!(
        info(&mut c, "persistence", "rdb_last_bgsave_time_sec"),
        "-1"
    );
    assert_eq!(
        info(&mut c, "persistence", "rdb_current_bgsave_time_sec"),
        "-1"
    );
    // Only the changes made during the save are left.
    assert_eq!(
        info(&mut c, "persistence", "rdb_changes_since_last_save"),
        "50"
    );
    assert!(!dir.join(format!("temp-{}.rdb", child)).exists());
    assert!(children(s.pid()).is_empty());
    drop(c);
    drop(s);

    // The dump holds what existed at fork time only.
    let s = start(&dir, &[]);
    let mut c = s.raw();
    assert_eq!(r(&mut c, &["dbsize"]), ":1001\\r\\n");
    assert_eq!(r(&mut c, &["get", "before"]), "$4\\r\\nfork\\r\\n");
    assert_eq!(r(&mut c, &["exists", "during0"]), ":0\\r\\n");
}

#[test]
fn child_killed_from_outside_is_an_error_until_a_save_succeeds() {
    let dir = unique_dir("bgsave-kill");
    let s = start(&dir, &["--save", "3600 1000000"]);
    let mut c = s.raw();
    r(&mut c, &["debug", "populate", "1000"]);
    r(&mut c, &["config", "set", "rdb-key-save-delay", "1000"]);
    // SIGUSR1 is how the server itself stops a child: not an error.
    assert_eq!(r(&mut c, &["bgsave"]), "+Background saving started\\r\\n");
    let child = children(s.pid())[0];
    kill(child, "USR1");
    wait_bgsave_done(&mut c);
    assert!(s.wait_for_log("Background saving terminated by signal 10", WAIT));
    assert!(s.log().contains(&format!("{}:signal-handler (", child)));
    assert!(s
        .log()
        .contains(") Received SIGUSR1 in child, exiting now."));
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "ok");
    assert_eq!(r(&mut c, &["ping"]), "+PONG\\r\\n");

    assert_eq!(r(&mut c, &["bgsave"]), "+Background saving started\\r\\n");
    let child = children(s.pid())[0];
    assert!(wait_until(WAIT, || dir
        .join(format!("temp-{}.rdb", child))
        .exists()));
    kill(child, "KILL");
    wait_bgsave_done(&mut c);
    assert!(s.wait_for_log("# Background saving terminated by signal 9", WAIT));
    assert!(!dir.join(format!("temp-{}.rdb", child)).exists());
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "err");
    assert_eq!(r(&mut c, &["set", "a", "1"]), MISCONF);
    assert_eq!(r(&mut c, &["ping"]), MISCONF);
    assert_eq!(r(&mut c, &["get", "a"]), "$-1\\r\\n");
    let errs = info(&mut c, "errorstats", "errorstat_MISCONF");
    assert_eq!(errs, "count=2");

    // A successful save lifts the refusal.
    r(&mut c, &["config", "set", "rdb-key-save-delay", "0"]);
    assert_eq!(r(&mut c, &["bgsave"]), "+Background saving started\\r\\n");
    wait_bgsave_done(&mut c);
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "ok");
    assert_eq!(r(&mut c, &["set", "a", "1"]), "+OK\\r\\n");
}

#[test]
fn save_points_fire_and_a_failed_save_is_retried_after_five_seconds() {
    let dir = unique_dir("bgsave-points");
    let s = start(&dir, &["--save", "1 2"]);
    let mut c = s.raw();
    r(&mut c, &["set", "a", "1"]);
    r(&mut c, &["set", "b", "2"]);
    assert!(s.wait_for_log("2 changes in 1 seconds. Saving...", WAIT));
    assert!(s.wait_for_log("Background saving terminated with success", WAIT));
    assert!(dir.join("dump.rdb").is_file());
    assert_eq!(
        info(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    drop(c);
    drop(s);

    // A directory in place of the dump: the child's rename fails.
    let dir = unique_dir("bgsave-retry");
    let s = start(&dir, &["--save", "1 1"]);
    std::fs::create_dir_all(dir.join("dump.rdb")).unwrap();
    let mut c = s.raw();
    r(&mut c, &["set", "a", "1"]);
    assert!(s.wait_for_log("# Background saving error", WAIT));
    let failed = Instant::now();
    assert!(s.log().contains("Error moving temp DB file temp-"));
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "err");
    assert_eq!(r(&mut c, &["set", "a", "1"]), MISCONF);
    assert!(wait_until(WAIT, || s
        .log()
        .matches("1 changes in 1 seconds. Saving...")
        .count()
        == 2));
    // CONFIG_BGSAVE_RETRY_DELAY: strictly more than 5 s after the attempt.
    assert!(
        failed.elapsed() >= Duration::from_millis(4500),
        "{:?}",
        failed.elapsed()
    );
}

#[test]
fn flushall_kills_the_child_and_saves_the_empty_dataset() {
    let dir = unique_dir("bgsave-flushall");
    let s = start(&dir, &["--save", "3600 1000000"]);
    let mut c = s.raw();
    r(&mut c, &["debug", "populate", "1000"]);
    r(&mut c, &["config", "set", "rdb-key-save-delay", "1000"]);
    assert_eq!(r(&mut c, &["bgsave"]), "+Background saving started\\r\\n");
    let child = children(s.pid())[0];
    assert_eq!(r(&mut c, &["flushall"]), "+OK\\r\\n");
    assert!(s
        .log()
        .contains("Background saving terminated by signal 10"));
    assert!(children(s.pid()).is_empty());
    assert!(!dir.join(format!("temp-{}.rdb", child)).exists());
    assert_eq!(info(&mut c, "persistence", "rdb_bgsave_in_progress"), "0");
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "ok");
    assert_eq!(
        info(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    assert!(dir.join("dump.rdb").is_file());
    drop(c);
    drop(s);
    let s = start(&dir, &[]);
    let mut c = s.raw();
    assert_eq!(r(&mut c, &["dbsize"]), ":0\\r\\n");
}

#[test]
fn sigterm_kills_the_child_then_saves() {
    let dir = unique_dir("bgsave-term");
    let mut s = start(&dir, &["--save", "3600 1000000"]);
    let mut c = s.raw();
    r(&mut c, &["debug", "populate", "1000"]);
    r(&mut c, &["config", "set", "rdb-key-save-delay", "1000"]);
    assert_eq!(r(&mut c, &["bgsave"]), "+Background saving started\\r\\n");
    let child = children(s.pid())[0];
    assert!(wait_until(WAIT, || dir
        .join(format!("temp-{}.rdb", child))
        .exists()));
    s.signal("TERM");
    assert!(s.s.wait_exit(WAIT).is_some_and(|st| st.success()));
    let log = s.log();
    assert!(log.contains("There is a child saving an .rdb. Killing it!"));
    assert!(log.contains("Saving the final RDB snapshot before exiting."));
    assert!(log.contains("ready to exit, bye bye"));
    assert!(!Path::new(&format!("/proc/{}", child)).exists());
    assert!(!dir.join(format!("temp-{}.rdb", child)).exists());
    drop(c);
    drop(s);
    let s = start(&dir, &[]);
    let mut c = s.raw();
    assert_eq!(r(&mut c, &["dbsize"]), ":1000\\r\\n");
}

#[test]
fn shutdown_nosave_kills_the_child_and_writes_nothing() {
    let dir = unique_dir("bgsave-shutdown");
    let mut s = start(&dir, &["--save", "3600 1000000"]);
    let mut c = s.raw();
    r(&mut c, &["debug", "populate", "1000"]);
    r(&mut c, &["config", "set", "rdb-key-save-delay", "1000"]);
    assert_eq!(r(&mut c, &["bgsave"]), "+Background saving started\\r\\n");
    let child = children(s.pid())[0];
    c.send_cmd(&["shutdown", "nosave"]);
    c.expect_closed();
    assert!(s.s.wait_exit(WAIT).is_some_and(|st| st.success()));
    let log = s.log();
    assert!(log.contains("There is a child saving an .rdb. Killing it!"));
    assert!(!log.contains("DB saved on disk"));
    assert!(!Path::new(&format!("/proc/{}", child)).exists());
    assert!(!dir.join(format!("temp-{}.rdb", child)).exists());
    assert!(!dir.join("dump.rdb").exists());
}

#[test]
fn clients_get_loading_while_the_dataset_loads() {
    let dir = unique_dir("bgsave-loading");
    {
        let s = start(&dir, &[]);
        let mut c = s.raw();
        r(&mut c, &["debug", "populate", "5000"]);
        assert_eq!(r(&mut c, &["save"]), "+OK\\r\\n");
    }
    let s = start(
        &dir,
        &[
            "--key-load-delay",
            "100",
            "--loading-process-events-interval-bytes",
            "1024",
        ],
    );
    let mut c = s.raw();
    let first = r(&mut c, &["ping"]);
    assert_eq!(
        first, "-LOADING Redis is loading the dataset in memory\\r\\n",
        "the load was too quick to observe"
    );
    assert_eq!(
        r(&mut c, &["get", "key:1"]),
        "-LOADING Redis is loading the dataset in memory\\r\\n"
    );
    let f = c.cmd_frame(&["info", "persistence"]);
    let text = String::from_utf8_lossy(f.bytes()).into_owned();
    assert!(text.contains("loading:1\r\n"), "{}", text);
    assert!(text.contains("loading_loaded_perc:"), "{}", text);
    // The used-mem AUX field is read before the first client is served.
    assert!(!text.contains("loading_rdb_used_mem:0\r\n"), "{}", text);
    assert!(text.contains("loading_eta_seconds:"), "{}", text);
    assert!(wait_until(WAIT, || r(&mut c, &["ping"]) == "+PONG\\r\\n"));
    assert_eq!(r(&mut c, &["dbsize"]), ":5000\\r\\n");
    assert_eq!(info(&mut c, "persistence", "loading"), "0");
    let log = s.log();
    let loaded = log.find("DB loaded from disk").expect("loaded line");
    let ready = log.find("Ready to accept connections").expect("ready line");
    assert!(ready > loaded);
}

#[test]
fn a_bgsave_dump_loads_in_redis_with_the_same_digest() {
    if !have_tool("redis-server") {
        return;
    }
    let dir = unique_dir("bgsave-cross");
    let digest = {
        let s = start(&dir, &[]);
        let mut c = s.raw();
        r(&mut c, &["debug", "populate", "2000", "k", "30"]);
        r(&mut c, &["set", "ttl", "v", "ex", "10000"]);
        r(&mut c, &["select", "3"]);
        r(&mut c, &["set", "n", "12345"]);
        assert_eq!(r(&mut c, &["bgsave"]), "+Background saving started\\r\\n");
        wait_bgsave_done(&mut c);
        assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "ok");
        r(&mut c, &["debug", "digest"])
    };
    let d = dir.to_str().expect("utf-8 dir");
    let redis = TestServer::start_binary(
        "redis-server",
        &["--dir", d, "--enable-debug-command", "yes"],
    );
    let mut c = redis.raw();
    assert_eq!(r(&mut c, &["debug", "digest"]), digest);
    assert_eq!(r(&mut c, &["dbsize"]), ":2001\\r\\n");
}

#[test]
fn bgsave_reports_keys_processed_while_it_runs() {
    let dir = unique_dir("bgsave-progress");
    let s = start(&dir, &[]);
    let mut c = s.raw();
    r(&mut c, &["debug", "populate", "3000"]);
    assert_eq!(info(&mut c, "persistence", "current_save_keys_total"), "0");
    r(&mut c, &["config", "set", "rdb-key-save-delay", "200"]);
    assert_eq!(r(&mut c, &["bgsave"]), "+Background saving started\\r\\n");
    // The first report comes at the first key, the next a second later.
    let mut seen = String::new();
    assert!(
        wait_until(WAIT, || {
            seen =
                String::from_utf8_lossy(c.cmd_frame(&["info", "persistence"]).bytes()).into_owned();
            let field = |name: &str| -> u64 {
                seen.lines()
                    .find_map(|l| l.strip_prefix(&format!("{}:", name)))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
            };
            field("current_save_keys_processed") > 1
        }),
        "no progress reported"
    );
    let field = |name: &str| -> String {
        seen.lines()
            .find_map(|l| l.strip_prefix(&format!("{}:", name)))
            .unwrap_or("")
            .to_string()
    };
    let processed: u64 = field("current_save_keys_processed").parse().unwrap();
    assert!(processed < 3000, "{}", processed);
    assert_eq!(field("current_save_keys_total"), "3000");
    assert_eq!(
        field("current_fork_perc"),
        format!("{:.2}", processed as f64 / 3000.0 * 100.0)
    );
    assert_eq!(field("rdb_bgsave_in_progress"), "1");
    // Stopped the way the server stops its own child: no error.
    for child in children(s.pid()) {
        kill(child, "USR1");
    }
    wait_bgsave_done(&mut c);
    assert_eq!(
        info(&mut c, "persistence", "current_save_keys_processed"),
        "0"
    );
    assert_eq!(info(&mut c, "persistence", "current_save_keys_total"), "0");
    assert_eq!(info(&mut c, "persistence", "current_fork_perc"), "0.00");
}
