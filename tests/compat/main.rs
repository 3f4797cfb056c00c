//! The differential test runner: replays every case file in
//! `tests/compat/cases/*.txt` against ferredis and a real `redis-server`
//! (7.0) and compares the raw reply bytes of every command.
//!
//! Case file format (one command per line, redis-cli style quoting):
//! `#` comments and blank lines are skipped; `!sort <cmd>` sorts the
//! elements of an aggregate reply before comparing; `!ignore <cmd>` runs the
//! command without comparing its reply; `!sleep N` sleeps N milliseconds.
//! Each file gets a fresh pair of servers and one connection to each, after
//! `FLUSHALL` and `SELECT 0`, in RESP2 unless the file sends `HELLO 3`.
//!
//! Without `redis-server` on PATH the tests print
//! `COMPAT SKIPPED: redis-server not installed` and pass, unless
//! `FERREDIS_REQUIRE_REDIS=1`, which makes them fail instead.
//!
//! Redis counterpart: none; Redis's own suite asserts expected replies
//! (`tests/unit/*.tcl`), here the real server is the expectation.

#[path = "../it/common/mod.rs"]
mod common;

use std::io::{self, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{escape, find_in_path, redis_required, RawConn, TestServer, FERREDIS};

/// Arguments both servers get besides `--port P --save "" --bind 127.0.0.1`.
const SERVER_ARGS: &[&str] = &["--appendonly", "no", "--enable-debug-command", "yes"];
/// How long to wait for one reply before calling it missing.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a push frame waits for a reply behind it (pub/sub pushes
/// are often the whole reply).
const PUSH_FOLLOW_TIMEOUT: Duration = Duration::from_millis(150);
/// Longest reply rendering in a mismatch report.
const SHOW_MAX: usize = 400;

/// How a command's replies are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Exact,
    Sort,
    Ignore,
}

/// One step of a case file.
#[derive(Debug)]
enum Step {
    Cmd {
        line_no: usize,
        text: String,
        args: Vec<Vec<u8>>,
        mode: Mode,
    },
    Sleep(u64),
}

fn hex_digit(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Splits a line into arguments like redis-cli (`sdssplitargs`): spaces
/// separate; a quote starts a quoted part even inside a word; `"..."` knows
/// `\n \r \t \b \a \xHH` and escapes any other char with `\`; `'...'`
/// knows only `\'`; a closing quote must be followed by a space or the end
/// of the line. None for unbalanced quotes.
fn split_line(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut args = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == n {
            return Some(args);
        }
        let mut cur = Vec::new();
        let mut quote: Option<u8> = None;
        loop {
            match quote {
                Some(q) => {
                    let c = *line.get(i)?;
                    let next = line.get(i + 1).copied();
                    if c == q {
                        if line.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                            return None;
                        }
                        i += 1;
                        break;
                    } else if q == b'\'' && c == b'\\' && next == Some(b'\'') {
                        cur.push(b'\'');
                        i += 2;
                    } else if let (b'"', b'\\', Some(e)) = (q, c, next) {
                        let hi = line.get(i + 2).copied().and_then(hex_digit);
                        let lo = line.get(i + 3).copied().and_then(hex_digit);
                        match (e, hi, lo) {
                            (b'x', Some(hi), Some(lo)) => {
                                cur.push(hi * 16 + lo);
                                i += 4;
                            }
                            _ => {
                                cur.push(match e {
                                    b'n' => b'\n',
                                    b'r' => b'\r',
                                    b't' => b'\t',
                                    b'b' => 8,
                                    b'a' => 7,
                                    other => other,
                                });
                                i += 2;
                            }
                        }
                    } else {
                        cur.push(c);
                        i += 1;
                    }
                }
                None => {
                    let Some(&c) = line.get(i) else { break };
                    match c {
                        b'"' | b'\'' => quote = Some(c),
                        c if c.is_ascii_whitespace() || c == 0 => {
                            i += 1;
                            break;
                        }
                        c => cur.push(c),
                    }
                    i += 1;
                }
            }
        }
        args.push(cur);
    }
}

/// Parses a case file into steps; errors name the line.
fn parse_case_file(name: &str, text: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (mode, cmd) = if let Some(rest) = line.strip_prefix("!sort ") {
            (Mode::Sort, rest)
        } else if let Some(rest) = line.strip_prefix("!ignore ") {
            (Mode::Ignore, rest)
        } else if let Some(rest) = line.strip_prefix("!sleep") {
            let ms = rest
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("{}:{}: bad !sleep: {}", name, line_no, raw))?;
            steps.push(Step::Sleep(ms));
            continue;
        } else if line.starts_with('!') {
            return Err(format!("{}:{}: unknown directive: {}", name, line_no, raw));
        } else {
            (Mode::Exact, line)
        };
        let args = split_line(cmd.as_bytes())
            .ok_or_else(|| format!("{}:{}: unbalanced quotes: {}", name, line_no, raw))?;
        if args.is_empty() {
            return Err(format!("{}:{}: directive without command", name, line_no));
        }
        steps.push(Step::Cmd {
            line_no,
            text: cmd.to_string(),
            args,
            mode,
        });
    }
    Ok(steps)
}

/// What one server did in answer to one command.
#[derive(Debug)]
enum Outcome {
    Reply(common::Frame),
    Closed,
    Timeout,
    Broken(String),
}

impl Outcome {
    fn show(&self, mode: Mode) -> String {
        match self {
            Outcome::Reply(f) => {
                let bytes = if mode == Mode::Sort {
                    f.sorted_raw()
                } else {
                    f.raw.clone()
                };
                let s = escape(&bytes);
                if s.len() > SHOW_MAX {
                    let mut cut = SHOW_MAX;
                    while !s.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    format!("\"{}\"... ({} bytes)", &s[..cut], bytes.len())
                } else {
                    format!("\"{}\"", s)
                }
            }
            Outcome::Closed => "<connection closed>".into(),
            Outcome::Timeout => format!("<no reply within {:?}>", REPLY_TIMEOUT),
            Outcome::Broken(e) => format!("<unreadable reply: {}>", e),
        }
    }
}

fn read_outcome(c: &mut RawConn) -> Outcome {
    match c.try_read_reply() {
        // A RESP3 push is out of band: the command's own reply follows it,
        // so read that too and compare both (DEBUG PROTOCOL push, and
        // later pub/sub messages).
        // A push with nothing behind it (a RESP3 SUBSCRIBE confirmation)
        // is the whole reply: wait only briefly for a following frame.
        Ok(f) if f.kind == b'>' => {
            let _ = c.stream().set_read_timeout(Some(PUSH_FOLLOW_TIMEOUT));
            let next = read_outcome(c);
            let _ = c.stream().set_read_timeout(Some(REPLY_TIMEOUT));
            match next {
                Outcome::Reply(mut next) => {
                    let mut raw = f.raw;
                    raw.extend_from_slice(&next.raw);
                    next.raw = raw;
                    Outcome::Reply(next)
                }
                Outcome::Timeout => Outcome::Reply(f),
                other => other,
            }
        }
        Ok(f) => Outcome::Reply(f),
        Err(e) => match e.kind() {
            io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => Outcome::Closed,
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Outcome::Timeout,
            _ => Outcome::Broken(e.to_string()),
        },
    }
}

fn connect(srv: &TestServer) -> RawConn {
    let mut c = srv.raw();
    c.stream()
        .set_read_timeout(Some(REPLY_TIMEOUT))
        .expect("set timeout");
    c
}

/// ferredis and redis-server side by side, one connection to each.
struct Pair {
    fer: TestServer,
    red: TestServer,
    fc: RawConn<TcpStream>,
    rc: RawConn<TcpStream>,
}

impl Pair {
    fn start(redis_bin: &str) -> Pair {
        let fer = TestServer::start_binary(FERREDIS, SERVER_ARGS);
        let red = TestServer::start_binary(redis_bin, SERVER_ARGS);
        let fc = connect(&fer);
        let rc = connect(&red);
        let mut p = Pair { fer, red, fc, rc };
        p.reset();
        p
    }

    /// FLUSHALL and SELECT 0 on both; their replies are not compared (a
    /// command ferredis lacks must not fail every file).
    fn reset(&mut self) {
        for cmd in [&["FLUSHALL"][..], &["SELECT", "0"][..]] {
            self.fc.send_cmd(cmd);
            self.rc.send_cmd(cmd);
            let _ = read_outcome(&mut self.fc);
            let _ = read_outcome(&mut self.rc);
        }
    }

    fn reconnect(&mut self) {
        self.fc = connect(&self.fer);
        self.rc = connect(&self.red);
    }
}

/// The result of replaying one case file.
struct FileReport {
    name: String,
    commands: usize,
    mismatches: Vec<String>,
}

fn run_file(redis_bin: &str, path: &Path) -> FileReport {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {}", path.display(), e));
    let steps = match parse_case_file(&name, &text) {
        Ok(s) => s,
        Err(e) => {
            return FileReport {
                name,
                commands: 0,
                mismatches: vec![e],
            }
        }
    };
    let mut pair = Pair::start(redis_bin);
    let mut report = FileReport {
        name: name.clone(),
        commands: 0,
        mismatches: Vec::new(),
    };
    for step in &steps {
        let (line_no, text, args, mode) = match step {
            Step::Sleep(ms) => {
                std::thread::sleep(Duration::from_millis(*ms));
                continue;
            }
            Step::Cmd {
                line_no,
                text,
                args,
                mode,
            } => (line_no, text, args, *mode),
        };
        report.commands += 1;
        let sent_f = pair.fc.try_send(&common::encode_command(args));
        let sent_r = pair.rc.try_send(&common::encode_command(args));
        let of = match sent_f {
            Ok(()) => read_outcome(&mut pair.fc),
            Err(_) => Outcome::Closed,
        };
        let or = match sent_r {
            Ok(()) => read_outcome(&mut pair.rc),
            Err(_) => Outcome::Closed,
        };
        let (same, resync) = match (&of, &or) {
            (Outcome::Reply(a), Outcome::Reply(b)) => match mode {
                Mode::Exact => (a.raw == b.raw, false),
                Mode::Sort => (a.sorted_raw() == b.sorted_raw(), false),
                Mode::Ignore => (true, false),
            },
            // Both closed (QUIT, a protocol error): start over on new
            // connections, as a client would.
            (Outcome::Closed, Outcome::Closed) => (true, true),
            _ => (false, true),
        };
        if !same {
            report.mismatches.push(format!(
                "{}:{}: {}\n    ferredis: {}\n    redis:    {}",
                name,
                line_no,
                text,
                of.show(mode),
                or.show(mode)
            ));
        }
        if resync {
            pair.reconnect();
        }
    }
    report
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat/cases")
}

/// The real redis-server, or None (after saying so) if the tests must be
/// skipped.
fn redis_server() -> Option<String> {
    match find_in_path("redis-server") {
        Some(p) => Some(p.to_string_lossy().into_owned()),
        None if redis_required() => {
            panic!("redis-server is not installed but FERREDIS_REQUIRE_REDIS=1")
        }
        None => {
            // Straight to stderr: the test harness does not capture this.
            let _ = writeln!(io::stderr(), "COMPAT SKIPPED: redis-server not installed");
            None
        }
    }
}

/// Runs the given case files, printing a per-file report, and fails
/// listing every mismatch.
fn run_files(paths: &[PathBuf]) {
    let Some(redis_bin) = redis_server() else {
        return;
    };
    let mut all = Vec::new();
    for path in paths {
        let r = run_file(&redis_bin, path);
        // The summary goes past the harness's capture; details do not.
        let _ = writeln!(
            io::stderr(),
            "compat {}: {} commands, {} mismatches",
            r.name,
            r.commands,
            r.mismatches.len()
        );
        for m in &r.mismatches {
            println!("{}", m);
        }
        all.extend(r.mismatches);
    }
    assert!(
        all.is_empty(),
        "{} mismatch(es) between ferredis and redis-server:\n{}",
        all.len(),
        all.join("\n")
    );
}

/// Every case file's stem, sorted.
fn all_case_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn run_named(stem: &str) {
    let path = cases_dir().join(format!("{}.txt", stem));
    if !path.exists() {
        println!("compat {}.txt: not present, nothing to run", stem);
        return;
    }
    run_files(&[path]);
}

/// One test per known case file (run in parallel by the harness), and
/// `other_case_files` for any file not listed here, so that a new file is
/// never silently left out.
macro_rules! case_files {
    ($($stem:ident),* $(,)?) => {
        $(
            #[test]
            fn $stem() {
                run_named(stringify!($stem));
            }
        )*
        const KNOWN: &[&str] = &[$(stringify!($stem)),*];
    };
}

case_files!(basic, string, keys, expire, config);

#[test]
fn other_case_files() {
    let others: Vec<PathBuf> = all_case_files()
        .into_iter()
        .filter(|p| {
            let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned());
            !KNOWN.iter().any(|k| Some(k.to_string()) == stem)
        })
        .collect();
    run_files(&others);
}

#[test]
fn case_files_parse() {
    // Syntax only, no servers: runs even without redis-server.
    let files = all_case_files();
    assert!(
        !files.is_empty(),
        "no case files in {}",
        cases_dir().display()
    );
    for p in files {
        let name = p.display().to_string();
        let text = std::fs::read_to_string(&p).expect("read case file");
        if let Err(e) = parse_case_file(&name, &text) {
            panic!("{}", e);
        }
    }
}

#[test]
fn line_splitting_matches_redis_cli() {
    let s = |l: &str| split_line(l.as_bytes());
    assert_eq!(
        s(r#"set "a b" 'c d' e"#),
        Some(vec![
            b"set".to_vec(),
            b"a b".to_vec(),
            b"c d".to_vec(),
            b"e".to_vec()
        ])
    );
    assert_eq!(
        s(r#"x "\x00\r\n\t\"" 'it\'s' """#),
        Some(vec![
            b"x".to_vec(),
            b"\0\r\n\t\"".to_vec(),
            b"it's".to_vec(),
            b"".to_vec()
        ])
    );
    assert_eq!(
        s(r#"a"b c" d"#),
        Some(vec![b"ab c".to_vec(), b"d".to_vec()])
    );
    assert_eq!(s(r#"x "ab"c"#), None);
    assert_eq!(s(r#"x "ab"#), None);
    assert_eq!(s("  "), Some(vec![]));
}
