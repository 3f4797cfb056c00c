//! Process-level tests of configuration: the real `ferredis-server` binary
//! with config files and command lines, fatal config errors, the pid file,
//! `include`, CONFIG REWRITE round trips and the sample `redis.conf`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ferredis-server");

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "ferredis-config-it-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, content).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running server, killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts the binary in `cwd` and waits until it answers PING.
    fn start(args: &[&str], cwd: &Path, port: u16) -> Server {
        let child = Command::new(BIN)
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut s = Server { child, port };
        s.wait_ready();
        s
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut c) = Client::connect(self.port) {
                if c.cmd(&["PING"]) == "+PONG\r\n" {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("server exited early: {}", status);
            }
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn client(&self) -> Client {
        Client::connect(self.port).unwrap()
    }

    /// Sends SIGTERM and waits for the exit status.
    fn terminate(mut self) -> std::process::ExitStatus {
        signal(self.child.id() as i32, libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(Instant::now() < deadline, "server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(pid: i32, sig: i32) {
    #[allow(unsafe_code)]
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// A minimal RESP client returning raw reply text.
struct Client {
    r: BufReader<TcpStream>,
}

impl Client {
    fn connect(port: u16) -> std::io::Result<Client> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(Client {
            r: BufReader::new(s),
        })
    }

    fn cmd(&mut self, args: &[&str]) -> String {
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{}\r\n", a.len(), a));
        }
        if self.r.get_mut().write_all(req.as_bytes()).is_err() {
            return String::new();
        }
        let mut out = String::new();
        self.read_reply(&mut out);
        out
    }

    fn read_reply(&mut self, out: &mut String) {
        let mut line = String::new();
        if self.r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        out.push_str(&line);
        let n: i64 = line[1..].trim_end().parse().unwrap_or(0);
        match line.as_bytes()[0] {
            b'$' if n >= 0 => {
                let mut buf = vec![0u8; n as usize + 2];
                self.r.read_exact(&mut buf).unwrap();
                out.push_str(&String::from_utf8_lossy(&buf));
            }
            b'*' => (0..n.max(0)).for_each(|_| self.read_reply(out)),
            b'%' => (0..2 * n.max(0)).for_each(|_| self.read_reply(out)),
            _ => {}
        }
    }

    /// CONFIG GET of one name: its value.
    fn config_get(&mut self, name: &str) -> String {
        let reply = self.cmd(&["CONFIG", "GET", name]);
        let lines: Vec<&str> = reply.split("\r\n").collect();
        assert_eq!(lines[0], "*2", "{}: {:?}", name, reply);
        lines[4].to_string()
    }

    /// CONFIG GET * as sorted (name, value) pairs.
    fn config_all(&mut self) -> Vec<(String, String)> {
        let reply = self.cmd(&["CONFIG", "GET", "*"]);
        let lines: Vec<&str> = reply.split("\r\n").collect();
        let mut pairs = Vec::new();
        let mut i = 1;
        while i + 3 < lines.len() {
            pairs.push((lines[i + 1].to_string(), lines[i + 3].to_string()));
            i += 4;
        }
        pairs.sort();
        pairs
    }
}

fn run_to_exit(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn fatal(line_no: usize, line: &str, reason: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line {}\n>>> '{}'\n{}\n",
        line_no, line, reason
    )
}

#[test]
fn fatal_config_errors_exit_1_with_redis_text() {
    let dir = TempDir::new();
    let cases = [
        (
            "port 7240\nport abc\n",
            fatal(2, "port abc", "argument couldn't be parsed into an integer"),
        ),
        (
            "bogus 1",
            fatal(1, "bogus 1", "Bad directive or wrong number of arguments"),
        ),
        (
            "port 1 2\n",
            fatal(1, "port 1 2", "wrong number of arguments"),
        ),
        (
            "port 70000\n",
            fatal(1, "port 70000", "argument must be between 0 and 65535 inclusive"),
        ),
        (
            "# c\nappendonly maybe\n",
            fatal(2, "appendonly maybe", "argument must be 'yes' or 'no'"),
        ),
        (
            "maxmemory-policy lru\n",
            fatal(
                1,
                "maxmemory-policy lru",
                "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
            ),
        ),
    ];
    for (content, stderr) in cases {
        let path = dir.write("bad.conf", content);
        let out = run_to_exit(&[path.to_str().unwrap()], dir.path());
        assert_eq!(out.status.code(), Some(1), "{}", content);
        assert_eq!(String::from_utf8_lossy(&out.stderr), stderr, "{}", content);
    }
    // Command-line options come after the file, as quoted values.
    let path = dir.write("ok.conf", "timeout 1\n");
    let out = run_to_exit(&[path.to_str().unwrap(), "--port", "abc"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        fatal(
            3,
            "port \"abc\"",
            "argument couldn't be parsed into an integer"
        )
    );
    // A missing config file is logged, not a FATAL block.
    let out = run_to_exit(&["nonexistent.conf"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "# Fatal error, can't open config file '{}/nonexistent.conf': No such file or directory",
            dir.path().display()
        )),
        "{}",
        stdout
    );
}

#[test]
fn version_and_help() {
    let dir = TempDir::new();
    let out = run_to_exit(&["--version"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let v = String::from_utf8_lossy(&out.stdout);
    assert!(
        v.starts_with("Redis server v=7.0.15 sha=00000000:0 malloc=libc bits=64 build=ferredis-")
    );
    let out = run_to_exit(&["-h"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("Usage: ./ferredis-server"));
}

#[test]
fn port_from_the_command_line() {
    let dir = TempDir::new();
    let port = free_port();
    let p = port.to_string();
    let srv = Server::start(
        &[
            "--port",
            &p,
            "--save",
            "",
            "--rename-command",
            "get",
            "myget",
        ],
        dir.path(),
        port,
    );
    let mut c = srv.client();
    assert_eq!(c.config_get("port"), p);
    assert_eq!(
        c.cmd(&["GET", "k"]),
        "-ERR unknown command 'GET', with args beginning with: 'k' \r\n"
    );
    assert_eq!(c.cmd(&["MYGET", "k"]), "$-1\r\n");
    assert_eq!(c.config_get("save"), "");
    assert_eq!(c.config_get("dir"), dir.path().display().to_string());
}

#[test]
fn config_file_then_command_line_overrides() {
    let dir = TempDir::new();
    let port = free_port();
    let p = port.to_string();
    let conf = dir.write(
        "a.conf",
        "port 1\ntimeout 5\nhz 20\nmaxmemory 1mb\nsave 100 1\nsave 200 2",
    );
    let srv = Server::start(
        &[
            conf.to_str().unwrap(),
            "--port",
            &p,
            "--timeout 7",
            "--save",
            "300",
            "3",
        ],
        dir.path(),
        port,
    );
    let mut c = srv.client();
    assert_eq!(c.config_get("timeout"), "7");
    assert_eq!(c.config_get("hz"), "20");
    assert_eq!(c.config_get("maxmemory"), "1048576");
    assert_eq!(c.config_get("save"), "100 1 200 2 300 3");
}

#[test]
fn include_and_dir() {
    let dir = TempDir::new();
    std::fs::create_dir_all(dir.path().join("conf.d")).unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    dir.write("conf.d/a.conf", "timeout 9\n");
    dir.write("conf.d/b.conf", "tcp-keepalive 11\n");
    dir.write("inc.conf", "hz 15");
    let port = free_port();
    let conf = dir.write(
        "main.conf",
        &format!(
            "port {}\ninclude inc.conf\ninclude conf.d/*.conf\ninclude nomatch/*.conf\ndir data\npidfile p.pid\n",
            port
        ),
    );
    let srv = Server::start(&["main.conf"], dir.path(), port);
    let mut c = srv.client();
    assert_eq!(c.config_get("hz"), "15");
    assert_eq!(c.config_get("timeout"), "9");
    assert_eq!(c.config_get("tcp-keepalive"), "11");
    // dir is relative to the start directory, and the pid file relative to
    // dir.
    let data = dir.path().join("data");
    assert_eq!(c.config_get("dir"), data.display().to_string());
    assert!(data.join("p.pid").exists());
    // The config file path was made absolute before `dir` moved the server.
    assert_eq!(c.cmd(&["CONFIG", "SET", "timeout", "42"]), "+OK\r\n");
    assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), "+OK\r\n");
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.contains("include inc.conf\n"), "{}", text);
    assert!(text.contains("timeout 42\n"), "{}", text);
    assert!(!data.join("main.conf").exists());
}

#[test]
fn pidfile_written_at_start_removed_on_sigterm() {
    let dir = TempDir::new();
    let port = free_port();
    let p = port.to_string();
    let srv = Server::start(
        &["--port", &p, "--save", "", "--pidfile", "server.pid"],
        dir.path(),
        port,
    );
    let pidfile = dir.path().join("server.pid");
    let content = std::fs::read_to_string(&pidfile).unwrap();
    assert_eq!(content.trim(), srv.child.id().to_string());
    let status = srv.terminate();
    assert!(status.success(), "{}", status);
    assert!(!pidfile.exists());
}

#[test]
fn daemonize_with_pidfile_and_logfile() {
    let dir = TempDir::new();
    let port = free_port();
    let p = port.to_string();
    let out = run_to_exit(
        &[
            "--port",
            &p,
            "--save",
            "",
            "--daemonize",
            "yes",
            "--pidfile",
            "d.pid",
            "--logfile",
            "d.log",
        ],
        dir.path(),
    );
    // The launcher exits at once; the daemon keeps running.
    assert_eq!(out.status.code(), Some(0));
    let pidfile = dir.path().join("d.pid");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut client = loop {
        if let Ok(mut c) = Client::connect(port) {
            if c.cmd(&["PING"]) == "+PONG\r\n" && pidfile.exists() {
                break c;
            }
        }
        assert!(Instant::now() < deadline, "daemon did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(client.config_get("daemonize"), "yes");
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    signal(pid, libc::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(10);
    while pidfile.exists() {
        assert!(Instant::now() < deadline, "daemon did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = std::fs::read_to_string(dir.path().join("d.log")).unwrap();
    assert!(log.contains("Ready to accept connections"), "{}", log);
}

#[test]
fn config_rewrite_round_trip() {
    let dir = TempDir::new();
    let port = free_port();
    let conf = dir.write(
        "r.conf",
        &format!(
            "# keep me\nport {}\nsave \"\"\nslave-priority 7\nlogfile \"\"\n\nunixsocketperm 700\n",
            port
        ),
    );
    let srv = Server::start(&[conf.to_str().unwrap()], dir.path(), port);
    let mut c = srv.client();
    for (k, v) in [
        ("maxmemory", "3mb"),
        ("maxmemory-policy", "allkeys-lru"),
        ("notify-keyspace-events", "KEA"),
        ("client-output-buffer-limit", "pubsub 1mb 2mb 3"),
        ("save", "10 1 20 2"),
        ("masterauth", "p \"w"),
        ("hz", "25"),
        ("maxmemory-clients", "10%"),
        ("latency-tracking-info-percentiles", "50 99.99"),
        ("shutdown-on-sigterm", "nosave now"),
        ("oom-score-adj-values", "0 100 900"),
        ("replica-announce-ip", "1.2.3.4"),
    ] {
        assert_eq!(c.cmd(&["CONFIG", "SET", k, v]), "+OK\r\n", "{}", k);
    }
    assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), "+OK\r\n");
    let before = c.config_all();
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.starts_with("# keep me\n"), "{}", text);
    assert!(text.contains("replica-priority 7\n"), "{}", text);
    assert!(text.contains("# Generated by CONFIG REWRITE\n"), "{}", text);
    assert!(text.contains("masterauth \"p \\\"w\"\n"), "{}", text);
    drop(c);
    drop(srv);
    let srv = Server::start(&[conf.to_str().unwrap()], dir.path(), port);
    let mut c = srv.client();
    assert_eq!(c.config_all(), before);
    // No config file: CONFIG REWRITE refuses.
    let port2 = free_port();
    let p2 = port2.to_string();
    let srv2 = Server::start(&["--port", &p2], dir.path(), port2);
    assert_eq!(
        srv2.client().cmd(&["CONFIG", "REWRITE"]),
        "-ERR The server is running without a config file\r\n"
    );
}

#[test]
fn sample_redis_conf_loads() {
    let dir = TempDir::new();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("redis.conf");
    let port = free_port();
    let p = port.to_string();
    let srv = Server::start(
        &[sample.to_str().unwrap(), "--port", &p, "--save", ""],
        dir.path(),
        port,
    );
    let mut c = srv.client();
    assert_eq!(c.config_get("maxmemory-policy"), "noeviction");
    assert_eq!(c.config_get("client-query-buffer-limit"), "1073741824");
    assert_eq!(c.config_get("dir"), dir.path().display().to_string());
}

#[test]
fn stdin_config() {
    let dir = TempDir::new();
    let port = free_port();
    let mut child = Command::new(BIN)
        .args(["-"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("port {}\ntimeout 3\nsave \"\"\n", port).as_bytes())
        .unwrap();
    let mut srv = Server { child, port };
    srv.wait_ready();
    assert_eq!(srv.client().config_get("timeout"), "3");
}
