//! Server administration over real sockets: SLOWLOG, INFO (sections,
//! commandstats, errorstats, keyspace, counters, RESP3), DEBUG (gating,
//! crashes, digests), COMMAND (COUNT, INFO compared with `redis-server`)
//! and SHUTDOWN.
//!
//! Redis counterpart: `tests/unit/slowlog.tcl`, `tests/unit/info.tcl`,
//! `tests/unit/introspection-2.tcl`, `tests/integration/logging.tcl`,
//! `tests/unit/shutdown.tcl` in Redis's suite.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::clients::{expect_eof_within, peer_addr_of, reference, text_of};
use crate::common::{escape, wait_until, Frame, RawConn, TestServer};

const DEBUG_ON: &[&str] = &["--enable-debug-command", "yes"];

/// One SLOWLOG GET entry.
#[derive(Debug)]
struct SlowEntry {
    id: i64,
    duration_us: i64,
    args: Vec<String>,
    peer: String,
    name: String,
}

fn slowlog_get(c: &mut RawConn, count: &str) -> Vec<SlowEntry> {
    let f = c.cmd_frame(&["SLOWLOG", "GET", count]);
    assert_eq!(f.kind, b'*', "{}", escape(&f.raw));
    f.children
        .iter()
        .map(|e| {
            assert_eq!(e.children.len(), 6, "{}", escape(&e.raw));
            let int = |f: &Frame| f.text().parse::<i64>().expect("integer");
            let ts = int(&e.children[1]);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_secs() as i64;
            assert!((ts - now).abs() < 60, "timestamp {}", ts);
            SlowEntry {
                id: int(&e.children[0]),
                duration_us: int(&e.children[2]),
                args: e.children[3]
                    .children
                    .iter()
                    .map(|a| String::from_utf8_lossy(a.bytes()).into_owned())
                    .collect(),
                peer: String::from_utf8_lossy(e.children[4].bytes()).into_owned(),
                name: String::from_utf8_lossy(e.children[5].bytes()).into_owned(),
            }
        })
        .collect()
}

#[test]
fn slowlog_records_debug_sleep_under_the_default_threshold() {
    let srv = TestServer::with_args(DEBUG_ON);
    let mut c = srv.raw();
    assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), b":0\r\n");
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "sleeper"]), b"+OK\r\n");
    for _ in 0..5 {
        assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    }
    assert_eq!(c.cmd(&["DEBUG", "SLEEP", "0.1"]), b"+OK\r\n");
    // Only the slow command is logged (10 ms default threshold).
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), b":1\r\n");
    let log = slowlog_get(&mut c, "10");
    assert_eq!(log.len(), 1, "{:?}", log);
    let e = &log[0];
    assert_eq!(e.args, ["DEBUG", "SLEEP", "0.1"]);
    assert!(e.duration_us >= 100_000, "{:?}", e);
    assert!(e.duration_us < 5_000_000, "{:?}", e);
    assert_eq!(e.peer, peer_addr_of(&mut c));
    assert_eq!(e.name, "sleeper");
    // Ids keep growing across RESET.
    let first_id = e.id;
    assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), b":0\r\n");
    assert_eq!(c.cmd(&["SLOWLOG", "GET"]), b"*0\r\n");
    c.cmd(&["DEBUG", "SLEEP", "0.02"]);
    c.cmd(&["DEBUG", "SLEEP", "0.02"]);
    let log = slowlog_get(&mut c, "-1");
    assert_eq!(log.len(), 2);
    assert!(log[0].id > log[1].id && log[1].id > first_id, "{:?}", log);
    assert_eq!(slowlog_get(&mut c, "1").len(), 1);
    assert_eq!(slowlog_get(&mut c, "0").len(), 0);
    assert_eq!(
        c.cmd(&["SLOWLOG", "GET", "-2"]),
        &b"-ERR count should be greater than or equal to -1\r\n"[..]
    );
}

#[test]
fn slowlog_threshold_zero_logs_everything_and_max_len_bounds_it() {
    let srv = TestServer::with_args(&["--slowlog-log-slower-than", "0", "--slowlog-max-len", "3"]);
    let mut c = srv.raw();
    let mut other = srv.raw();
    assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "me"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["SET", "k", "v"]), b"+OK\r\n");
    assert_eq!(other.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
    let log = slowlog_get(&mut c, "-1");
    // Newest first; bounded at 3.
    assert_eq!(log.len(), 3, "{:?}", log);
    assert_eq!(log[0].args, ["GET", "k"]);
    assert_eq!(log[0].peer, peer_addr_of(&mut other));
    assert_eq!(log[0].name, "");
    assert_eq!(log[1].args, ["SET", "k", "v"]);
    assert_eq!(log[1].peer, peer_addr_of(&mut c));
    assert_eq!(log[1].name, "me");
    assert_eq!(log[2].args, ["CLIENT", "SETNAME", "me"]);
    assert_eq!(log[2].name, "me");
    // Passwords never reach the slow log.
    c.cmd(&["AUTH", "secret"]);
    let log = slowlog_get(&mut c, "1");
    assert_eq!(log[0].args, ["AUTH", "(redacted)"]);
    // Long argument lists and values are cut as Redis cuts them.
    let long = "x".repeat(200);
    let mut args = vec!["ECHO", long.as_str()];
    c.cmd(&args);
    let log = slowlog_get(&mut c, "1");
    assert_eq!(
        log[0].args[1],
        format!("{}... (72 more bytes)", "x".repeat(128))
    );
    args = vec!["PING"; 40];
    c.cmd(&args);
    let log = slowlog_get(&mut c, "1");
    assert_eq!(log[0].args.len(), 32);
    assert_eq!(log[0].args[31], "... (9 more arguments)");
    // RESET: only the RESET itself is left (it is logged after running).
    assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), b":1\r\n");
}

/// Runs INFO with `args` and returns its text.
fn info(c: &mut RawConn, args: &[&str]) -> String {
    let mut a = vec!["INFO"];
    a.extend_from_slice(args);
    let f = c.cmd_frame(&a);
    assert_eq!(f.kind, b'$', "{}", escape(&f.raw));
    text_of(&f)
}

/// The value of `field` in INFO text.
fn info_field(text: &str, field: &str) -> Option<String> {
    text.split("\r\n")
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .map(|v| v.to_string())
}

fn headers(text: &str) -> Vec<String> {
    text.split("\r\n")
        .filter(|l| l.starts_with("# "))
        .map(|l| l.to_string())
        .collect()
}

#[test]
fn info_default_sections_in_redis_order() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let text = info(&mut c, &[]);
    let want = [
        "# Server",
        "# Clients",
        "# Memory",
        "# Persistence",
        "# Stats",
        "# Replication",
        "# CPU",
        "# Modules",
        "# Errorstats",
        "# Cluster",
        "# Keyspace",
    ];
    assert_eq!(headers(&text), want);
    assert_eq!(headers(&info(&mut c, &["default"])), want);
    // Every line ends with \r\n; sections are separated by an empty line.
    assert!(text.ends_with("\r\n"), "{:?}", &text[text.len() - 10..]);
    for (i, _) in text.match_indices('\n') {
        assert_eq!(&text[i - 1..i], "\r", "bare \\n at {}", i);
    }
    assert!(text.starts_with("# Server\r\nredis_version:7.0.15\r\n"));
    assert!(text.contains("\r\n\r\n# Clients\r\n"));
    let all = info(&mut c, &["all"]);
    assert_eq!(
        headers(&all),
        [
            "# Server",
            "# Clients",
            "# Memory",
            "# Persistence",
            "# Stats",
            "# Replication",
            "# CPU",
            "# Modules",
            "# Commandstats",
            "# Errorstats",
            "# Latencystats",
            "# Cluster",
            "# Keyspace",
        ]
    );
    assert_eq!(headers(&info(&mut c, &["everything"])), headers(&all));
    // Named sections, any case, in Redis's order whatever the order asked.
    assert_eq!(
        headers(&info(&mut c, &["KEYSPACE", "server", "Clients"])),
        ["# Server", "# Clients", "# Keyspace"]
    );
    assert_eq!(c.cmd(&["INFO", "nosuchsection"]), b"$0\r\n\r\n");
    if let Some(reference) = reference(&[]) {
        let mut r = reference.raw();
        assert_eq!(headers(&info(&mut r, &[])), want);
        assert_eq!(headers(&info(&mut r, &["all"])), headers(&all));
        assert_eq!(
            headers(&info(&mut r, &["KEYSPACE", "server", "Clients"])),
            ["# Server", "# Clients", "# Keyspace"]
        );
    }
}

/// Field names of INFO text by section, dropping the per-command,
/// per-error and per-db lines and the given extra fields.
fn field_names(text: &str, extras: &[&str]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut section = String::new();
    for l in text.split("\r\n") {
        if let Some(h) = l.strip_prefix("# ") {
            section = h.to_string();
            out.entry(section.clone()).or_default();
            continue;
        }
        let Some((name, _)) = l.split_once(':') else {
            continue;
        };
        let dynamic = name.starts_with("cmdstat_")
            || name.starts_with("errorstat_")
            || name.starts_with("latency_percentiles_usec_")
            || (name.starts_with("db") && name[2..].bytes().all(|b| b.is_ascii_digit()));
        if !dynamic && !extras.contains(&name) {
            out.entry(section.clone())
                .or_default()
                .push(name.to_string());
        }
    }
    out
}

#[test]
fn info_field_names_match_redis() {
    let Some(reference) = reference(&[]) else {
        return;
    };
    let srv = TestServer::start();
    // Fields ferredis adds: its own version, and two disconnection
    // counters from newer Redis versions.
    let extras = [
        "ferredis_version",
        "client_query_buffer_limit_disconnections",
        "client_output_buffer_limit_disconnections",
    ];
    let ours = field_names(&info(&mut srv.raw(), &["everything"]), &extras);
    let theirs = field_names(&info(&mut reference.raw(), &["everything"]), &[]);
    assert_eq!(ours, theirs);
}

/// A fixed session whose statistics are compared with Redis's.
fn stats_session(c: &mut RawConn) {
    for i in 0..3 {
        assert_eq!(c.cmd(&["SET", "a", &i.to_string()]), b"+OK\r\n");
    }
    c.cmd(&["GET", "a"]);
    c.cmd(&["GET", "nokey"]);
    c.cmd(&["GET", "nokey2"]);
    c.cmd(&["SET", "a"]); // arity: rejected
    c.cmd(&["GET", "a", "b"]); // arity: rejected
    c.cmd(&["SELECT", "99"]); // runs and fails
    c.cmd(&["SELECT", "x"]); // runs and fails
    c.cmd(&["NOSUCH"]); // unknown: only errorstats
    c.cmd(&["CLIENT", "NOSUCH"]);
    c.cmd(&["CLIENT", "KILL", "1.2.3.4:5"]);
    c.cmd(&["AUTH", "x", "y"]); // WRONGPASS
    c.cmd(&["HELLO", "9"]); // NOPROTO
    c.cmd(&["SELECT", "0"]);
}

/// The commandstats lines of the given commands with the timings masked,
/// plus every errorstat line and the error and hit/miss counters.
fn stats_view(c: &mut RawConn) -> Vec<String> {
    let text = info(c, &["all"]);
    let mut out = Vec::new();
    for l in text.split("\r\n") {
        if let Some(rest) = l.strip_prefix("cmdstat_") {
            let (name, fields) = rest.split_once(':').expect("cmdstat line");
            if !["set", "get", "select", "client|kill", "auth", "hello"].contains(&name) {
                continue;
            }
            let parts: Vec<&str> = fields.split(',').collect();
            assert_eq!(parts.len(), 5, "{}", l);
            assert!(parts[1].starts_with("usec="), "{}", l);
            let per = parts[2].strip_prefix("usec_per_call=").expect(l);
            let (_, decimals) = per.split_once('.').expect("%.2f");
            assert_eq!(decimals.len(), 2, "{}", l);
            out.push(format!("{}:{},{},{}", name, parts[0], parts[3], parts[4]));
        } else if l.starts_with("errorstat_") {
            out.push(l.to_string());
        }
    }
    for f in [
        "total_error_replies",
        "unexpected_error_replies",
        "keyspace_hits",
        "keyspace_misses",
    ] {
        out.push(format!("{}:{:?}", f, info_field(&text, f)));
    }
    out.sort();
    out
}

#[test]
fn info_commandstats_and_errorstats() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    stats_session(&mut c);
    let view = stats_view(&mut c);
    for want in [
        "set:calls=3,rejected_calls=1,failed_calls=0",
        "get:calls=3,rejected_calls=1,failed_calls=0",
        "select:calls=3,rejected_calls=0,failed_calls=2",
        "errorstat_ERR:count=7",
        "errorstat_WRONGPASS:count=1",
        "errorstat_NOPROTO:count=1",
        "total_error_replies:Some(\"9\")",
        "keyspace_hits:Some(\"1\")",
        "keyspace_misses:Some(\"2\")",
    ] {
        assert!(view.iter().any(|l| l == want), "{} not in {:?}", want, view);
    }
    if let Some(reference) = reference(&[]) {
        let mut r = reference.raw();
        stats_session(&mut r);
        assert_eq!(view, stats_view(&mut r));
    }
    // The exact shape of one line.
    let text = info(&mut c, &["commandstats"]);
    let line = text
        .split("\r\n")
        .find(|l| l.starts_with("cmdstat_set:"))
        .expect("cmdstat_set");
    let rest = line.strip_prefix("cmdstat_set:calls=3,usec=").expect(line);
    let (usec, rest) = rest.split_once(",usec_per_call=").expect(line);
    let usec: u64 = usec.parse().expect("usec");
    let (per, rest) = rest.split_once(',').expect(line);
    assert_eq!(per, format!("{:.2}", usec as f64 / 3.0));
    assert_eq!(rest, "rejected_calls=1,failed_calls=0");
}

#[test]
fn info_keyspace_and_connection_counters() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    assert!(!info(&mut c, &["keyspace"]).contains("db0:"));
    for k in ["a", "b", "c"] {
        c.cmd(&["SET", k, "1"]);
    }
    c.cmd(&["SELECT", "5"]);
    c.cmd(&["SET", "x", "y"]);
    c.cmd(&["SET", "x", "z"]);
    let ks = info(&mut c, &["keyspace"]);
    assert_eq!(
        ks,
        "# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\ndb5:keys=1,expires=0,avg_ttl=0\r\n"
    );

    let clients = |c: &mut RawConn| info_field(&info(c, &["clients"]), "connected_clients");
    assert_eq!(clients(&mut c).as_deref(), Some("1"));
    let received = |c: &mut RawConn| -> u64 {
        info_field(&info(c, &["stats"]), "total_connections_received")
            .expect("field")
            .parse()
            .expect("int")
    };
    let before = received(&mut c);
    let mut more: Vec<RawConn> = (0..3).map(|_| srv.raw()).collect();
    for m in &mut more {
        assert_eq!(m.cmd(&["PING"]), b"+PONG\r\n");
    }
    assert_eq!(clients(&mut c).as_deref(), Some("4"));
    assert_eq!(received(&mut c), before + 3);
    drop(more);
    assert!(wait_until(Duration::from_secs(5), || clients(&mut c)
        .as_deref()
        == Some("1")));
    assert_eq!(received(&mut c), before + 3);

    // Hits and misses count reads only.
    let stats = |c: &mut RawConn| {
        let t = info(c, &["stats"]);
        (
            info_field(&t, "keyspace_hits").expect("hits"),
            info_field(&t, "keyspace_misses").expect("misses"),
        )
    };
    let (h0, m0) = stats(&mut c);
    let (h0, m0): (u64, u64) = (h0.parse().expect("int"), m0.parse().expect("int"));
    c.cmd(&["GET", "x"]);
    c.cmd(&["GET", "x"]);
    c.cmd(&["GET", "nope"]);
    c.cmd(&["SET", "nope2", "1"]);
    let (h1, m1) = stats(&mut c);
    assert_eq!(h1, (h0 + 2).to_string());
    assert_eq!(m1, (m0 + 1).to_string());
    // Counters that must be non-trivial after all that.
    let t = info(&mut c, &[]);
    let processed: u64 = info_field(&t, "total_commands_processed")
        .expect("field")
        .parse()
        .expect("int");
    assert!(processed >= 15, "{}", processed);
    assert_eq!(
        info_field(&t, "tcp_port"),
        Some(srv.port.to_string()),
        "{}",
        t
    );
    assert_eq!(
        info_field(&t, "process_id"),
        Some(srv.pid().to_string()),
        "{}",
        t
    );
}

#[test]
fn info_over_resp3_is_a_verbatim_string() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    c.cmd(&["HELLO", "3"]);
    let f = c.cmd_frame(&["INFO"]);
    assert_eq!(f.kind, b'=', "{}", escape(&f.raw[..40.min(f.raw.len())]));
    let body = f.body.as_deref().expect("body");
    assert!(body.starts_with(b"txt:# Server\r\n"));
    let header = format!("={}\r\n", body.len());
    assert!(f.raw.starts_with(header.as_bytes()));
    let text = text_of(&f);
    assert_eq!(headers(&text), headers(&info_resp2(&srv)));
    assert!(text.contains("\r\nconnected_clients:1\r\n"), "{}", text);
    // An empty selection is an empty verbatim string.
    assert_eq!(c.cmd(&["INFO", "nosuch"]), b"=4\r\ntxt:\r\n");
}

/// Plain INFO over a fresh RESP2 connection.
fn info_resp2(srv: &TestServer) -> String {
    info(&mut srv.raw(), &[])
}

#[test]
fn debug_is_disabled_by_default_with_redis_error() {
    let want: &[u8] = b"-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n";
    let srv = TestServer::start();
    let mut c = srv.raw();
    assert_eq!(escape(&c.cmd(&["DEBUG", "HELP"])), escape(want));
    assert_eq!(escape(&c.cmd(&["debug", "sleep", "0"])), escape(want));
    if let Some(reference) = reference(&[]) {
        assert_eq!(
            escape(&reference.raw().cmd(&["DEBUG", "HELP"])),
            escape(want)
        );
    }
    // `local` allows loopback clients.
    let local = TestServer::with_args(&["--enable-debug-command", "local"]);
    assert_eq!(local.raw().cmd(&["DEBUG", "SLEEP", "0"]), b"+OK\r\n");
    let on = TestServer::with_args(DEBUG_ON);
    assert_eq!(on.raw().cmd(&["DEBUG", "SLEEP", "0"]), b"+OK\r\n");
}

#[test]
fn debug_segfault_crashes_with_a_bug_report() {
    let mut srv = TestServer::with_args(DEBUG_ON);
    let mut c = srv.raw();
    c.send_cmd(&["DEBUG", "SEGFAULT"]);
    expect_eof_within(&mut c, Duration::from_secs(10));
    let st = srv.wait_exit(Duration::from_secs(10));
    let log = srv.log();
    let st = st.unwrap_or_else(|| panic!("still running after DEBUG SEGFAULT:\n{}", log));
    assert!(!st.success(), "{}", st);
    assert!(log.contains("crashed by signal"), "{}", log);
    assert!(log.contains("REDIS BUG REPORT START"), "{}", log);
}

#[test]
fn debug_panic_is_logged_as_a_crash() {
    let mut srv = TestServer::with_args(DEBUG_ON);
    let mut c = srv.raw();
    c.send_cmd(&["DEBUG", "PANIC"]);
    expect_eof_within(&mut c, Duration::from_secs(10));
    let st = srv.wait_exit(Duration::from_secs(10));
    let log = srv.log();
    let st = st.unwrap_or_else(|| panic!("still running after DEBUG PANIC:\n{}", log));
    assert!(!st.success(), "{}", st);
    assert!(log.contains("REDIS BUG REPORT START"), "{}", log);
    assert!(log.contains("DEBUG PANIC called at Unix time"), "{}", log);
}

#[test]
fn debug_set_active_expire_and_pause_cron_replies() {
    let srv = TestServer::with_args(DEBUG_ON);
    let run = |s: &TestServer| -> Vec<Vec<u8>> {
        let mut c = s.raw();
        [
            &["DEBUG", "SET-ACTIVE-EXPIRE", "0"][..],
            &["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
            &["DEBUG", "SET-ACTIVE-EXPIRE", "x"],
            &["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
            &["DEBUG", "SET-ACTIVE-EXPIRE"],
            &["DEBUG", "PAUSE-CRON", "1"],
            &["DEBUG", "PAUSE-CRON", "0"],
            &["DEBUG", "PAUSE-CRON", "no"],
        ]
        .iter()
        .map(|a| c.cmd(a))
        .collect()
    };
    let got = run(&srv);
    assert_eq!(got[0], b"+OK\r\n");
    assert_eq!(got[2], b"+OK\r\n");
    assert_eq!(
        escape(&got[4]),
        escape(b"-ERR unknown subcommand or wrong number of arguments for 'SET-ACTIVE-EXPIRE'. Try DEBUG HELP.\r\n")
    );
    if let Some(reference) = reference(DEBUG_ON) {
        let want = run(&reference);
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(escape(g), escape(w));
        }
    }
}

/// With active expiry off, an expired key stays in the keyspace counts
/// until it is switched back on.
fn active_expire_toggle(s: &TestServer) {
    let mut c = s.raw();
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["SET", "k", "v", "PX", "50"]), b"+OK\r\n");
    std::thread::sleep(Duration::from_millis(400));
    let t = info(&mut c, &["keyspace"]);
    assert!(t.contains("db0:keys=1,expires=1,"), "{}", t);
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), b"+OK\r\n");
    assert!(wait_until(Duration::from_secs(5), || {
        let t = info(&mut c, &["all"]);
        !t.contains("db0:") && info_field(&t, "expired_keys").as_deref() == Some("1")
    }));
}

#[test]
fn debug_set_active_expire_stops_the_expiry_cycle() {
    if let Some(reference) = reference(DEBUG_ON) {
        active_expire_toggle(&reference);
    }
    active_expire_toggle(&TestServer::with_args(DEBUG_ON));
}

/// Fills the same small dataset (only GET/SET/SELECT exist for now).
fn fill_dataset(c: &mut RawConn) {
    let pairs: &[(&[u8], &[u8])] = &[
        (b"str", b"hello"),
        (b"int", b"12345"),
        (b"neg", b"-7"),
        (b"big", &[b'z'; 100]),
        (b"bin\x00key", b"\x00\xff\r\n"),
        (b"float", b"3.14"),
        (b"empty", b""),
    ];
    for (k, v) in pairs {
        assert_eq!(c.cmd(&[&b"SET"[..], k, v]), b"+OK\r\n");
    }
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["SET", "in3", "x"]);
    c.cmd(&["SELECT", "0"]);
}

#[test]
fn debug_digest_matches_redis() {
    let Some(reference) = reference(DEBUG_ON) else {
        return;
    };
    let srv = TestServer::with_args(DEBUG_ON);
    let (mut a, mut b) = (srv.raw(), reference.raw());
    assert_eq!(
        a.cmd(&["DEBUG", "DIGEST"]),
        b"+0000000000000000000000000000000000000000\r\n"
    );
    assert_eq!(a.cmd(&["DEBUG", "DIGEST"]), b.cmd(&["DEBUG", "DIGEST"]));
    fill_dataset(&mut a);
    fill_dataset(&mut b);
    let d = a.cmd(&["DEBUG", "DIGEST"]);
    assert_eq!(escape(&d), escape(&b.cmd(&["DEBUG", "DIGEST"])));
    assert_ne!(d, b"+0000000000000000000000000000000000000000\r\n");
    let dv = &[
        "DEBUG",
        "DIGEST-VALUE",
        "str",
        "int",
        "neg",
        "big",
        "float",
        "empty",
        "nokey",
    ];
    assert_eq!(escape(&a.cmd(dv)), escape(&b.cmd(dv)));
    // A change in any value changes the digest.
    a.cmd(&["SET", "int", "12346"]);
    assert_ne!(a.cmd(&["DEBUG", "DIGEST"]), d);
}

/// Parses COMMAND / COMMAND INFO entries by name.
fn entries_by_name(f: &Frame) -> HashMap<String, Frame> {
    f.children
        .iter()
        .filter(|e| e.kind == b'*' && !e.children.is_empty())
        .map(|e| {
            (
                String::from_utf8_lossy(e.children[0].bytes()).into_owned(),
                e.clone(),
            )
        })
        .collect()
}

#[test]
fn command_count_equals_command_length() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let all = c.cmd_frame(&["COMMAND"]);
    assert_eq!(all.kind, b'*');
    let count = c.cmd_frame(&["COMMAND", "COUNT"]);
    assert_eq!(count.text(), all.children.len().to_string());
    // COMMAND INFO without names is COMMAND; every entry has 10 fields.
    let info = c.cmd_frame(&["COMMAND", "INFO"]);
    assert_eq!(info.children.len(), all.children.len());
    for e in &all.children {
        assert_eq!(e.children.len(), 10, "{}", escape(&e.raw));
    }
    // COMMAND LIST names every command and subcommand.
    let list = c.cmd_frame(&["COMMAND", "LIST"]);
    let subs: usize = all
        .children
        .iter()
        .map(|e| e.children[9].children.len())
        .sum();
    assert_eq!(list.children.len(), all.children.len() + subs);
}

/// Compares fields 1-8 (name, arity, flags, first, last, step, ACL
/// categories, tips) of one ferredis entry with Redis's, by raw bytes;
/// returns a description of each mismatch.
fn compare_entry(name: &str, ours: &Frame, theirs: Option<&Frame>) -> Vec<String> {
    const FIELDS: [&str; 8] = [
        "name", "arity", "flags", "first", "last", "step", "acl", "tips",
    ];
    let Some(theirs) = theirs.filter(|t| t.kind == b'*' && t.children.len() >= 8) else {
        return vec![format!("{}: unknown to redis-server", name)];
    };
    let mut out = Vec::new();
    for (i, field) in FIELDS.iter().enumerate() {
        let (a, b) = (&ours.children[i], &theirs.children[i]);
        if a.raw != b.raw {
            out.push(format!(
                "{} {}: ferredis {} redis {}",
                name,
                field,
                escape(&a.raw),
                escape(&b.raw)
            ));
        }
    }
    out
}

#[test]
fn command_info_matches_redis() {
    let Some(reference) = reference(&[]) else {
        return;
    };
    let srv = TestServer::start();
    let mut ours = srv.raw();
    let mut theirs = reference.raw();
    let all = ours.cmd_frame(&["COMMAND"]);
    let entries = entries_by_name(&all);
    let mut mismatches = Vec::new();
    let mut names: Vec<&String> = entries.keys().collect();
    names.sort();
    for name in names {
        let e = &entries[name];
        let r = theirs.cmd_frame(&["COMMAND", "INFO", name]);
        mismatches.extend(compare_entry(name, e, r.children.first()));
        // Our COMMAND INFO for the name is the same entry as in COMMAND.
        let again = ours.cmd_frame(&["COMMAND", "INFO", name]);
        assert_eq!(again.children.first().map(|f| &f.raw), Some(&e.raw));
        // Subcommands, asked by their full `container|sub` name.
        let r_subs = r
            .children
            .first()
            .and_then(|t| t.children.get(9))
            .map(entries_by_name)
            .unwrap_or_default();
        for sub in &e.children[9].children {
            let sub_name = String::from_utf8_lossy(sub.children[0].bytes()).into_owned();
            let rs = theirs.cmd_frame(&["COMMAND", "INFO", &sub_name]);
            mismatches.extend(compare_entry(&sub_name, sub, rs.children.first()));
            assert!(
                r_subs.contains_key(&sub_name),
                "{} not a redis subcommand",
                sub_name
            );
        }
        // Redis's subcommands we lack are only reported.
        for missing in r_subs.keys() {
            if !e.children[9]
                .children
                .iter()
                .any(|s| s.children[0].bytes() == missing.as_bytes())
            {
                eprintln!("NOTE: subcommand {} not implemented", missing);
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "COMMAND INFO differs from redis-server:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn shutdown_nosave_exits_cleanly() {
    let mut srv = TestServer::with_args(&["--pidfile", "ferredis.pid"]);
    let pidfile = srv.dir.join("ferredis.pid");
    assert!(
        wait_until(Duration::from_secs(5), || pidfile.exists()),
        "no pid file"
    );
    let pid = std::fs::read_to_string(&pidfile).expect("pid file");
    assert_eq!(pid.trim(), srv.pid().to_string());
    let mut other = srv.raw();
    let mut c = srv.raw();
    c.send_cmd(&["SHUTDOWN", "NOSAVE"]);
    // No reply: the connection just closes.
    let rest = c.read_to_end().expect("read until closed");
    assert_eq!(escape(&rest), "");
    let st = srv.wait_exit(Duration::from_secs(10));
    let log = srv.log();
    let st = st.unwrap_or_else(|| panic!("still running after SHUTDOWN:\n{}", log));
    assert_eq!(st.code(), Some(0), "{}", log);
    assert!(log.contains("User requested shutdown..."), "{}", log);
    assert!(log.contains("ready to exit, bye bye"), "{}", log);
    assert!(!log.contains("Saving the final RDB snapshot"), "{}", log);
    assert!(!pidfile.exists(), "pid file left behind");
    expect_eof_within(&mut other, Duration::from_secs(5));
}

#[test]
fn shutdown_argument_errors() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    assert_eq!(c.cmd(&["SHUTDOWN", "BOGUS"]), b"-ERR syntax error\r\n");
    assert_eq!(
        c.cmd(&["SHUTDOWN", "SAVE", "NOSAVE"]),
        b"-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd(&["SHUTDOWN", "ABORT"]),
        b"-ERR No shutdown in progress.\r\n"
    );
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
}
