//! Shared integration-test infrastructure: `TestServer` runs a real server
//! process (ferredis, or Debian's `redis-server` for the differential tests)
//! on a free loopback port in its own temporary directory, and hands out
//! clients: the `redis` crate, a raw RESP connection (`RawConn`, with the
//! frame reader in `resp.rs`) and `redis-cli`.
//!
//! Redis counterpart: the test helpers of Redis's own suite
//! (`tests/support/server.tcl`, `tests/support/redis.tcl`).

#![allow(dead_code)]

pub mod resp;

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use resp::{encode_command, escape, Frame};

/// The server binary built by Cargo for this test run.
pub const FERREDIS: &str = env!("CARGO_BIN_EXE_ferredis-server");
/// How long a server may take to answer its first PING.
pub const START_DEADLINE: Duration = Duration::from_secs(20);
/// Read/write timeout of test connections: a hung server fails the test
/// instead of hanging it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(20);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Finds an executable on PATH.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Whether `FERREDIS_REQUIRE_REDIS=1`: tests that need Redis's own tools
/// must then fail rather than skip when the tools are missing.
pub fn redis_required() -> bool {
    std::env::var("FERREDIS_REQUIRE_REDIS").is_ok_and(|v| v == "1")
}

/// Whether the external tool `name` is installed. When it is not, prints a
/// loud skip line and returns false, or panics if `FERREDIS_REQUIRE_REDIS=1`.
pub fn have_tool(name: &str) -> bool {
    if find_in_path(name).is_some() {
        return true;
    }
    if redis_required() {
        panic!("{} is not installed but FERREDIS_REQUIRE_REDIS=1", name);
    }
    // Straight to stderr: the test harness does not capture this.
    let _ = writeln!(io::stderr(), "TEST SKIPPED: {} not installed", name);
    false
}

/// A loopback TCP port that was free a moment ago. Servers that lose the
/// race for it are restarted on another one by `TestServer::start_binary`.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

/// A fresh, empty directory under the system temp dir.
pub fn unique_dir(tag: &str) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "ferredis-{}-{}-{}-{}",
        tag,
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create test dir");
    dir
}

/// Polls `cond` every few milliseconds until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A server process owned by a test; killed when dropped.
pub struct TestServer {
    child: Option<Child>,
    exit: Option<ExitStatus>,
    /// The TCP port it listens on (127.0.0.1).
    pub port: u16,
    /// Its working directory (relative paths in its arguments land here).
    pub dir: PathBuf,
    log_path: PathBuf,
    password: Option<String>,
}

impl TestServer {
    /// ferredis with the default test arguments.
    pub fn start() -> TestServer {
        Self::with_args(&[])
    }

    /// ferredis with extra arguments (after `--port P --save "" --bind
    /// 127.0.0.1`), waiting until it answers PING.
    pub fn with_args(args: &[&str]) -> TestServer {
        Self::start_binary(FERREDIS, args)
    }

    /// Any redis-server compatible binary, started and waited for; retried
    /// on another port if the chosen one was taken meanwhile.
    pub fn start_binary(bin: &str, args: &[&str]) -> TestServer {
        let mut last = String::new();
        for _ in 0..5 {
            let mut s = Self::spawn(bin, free_port(), args);
            match s.wait_ready() {
                Ok(()) => return s,
                Err(e) => {
                    let taken = s.log().contains("Address already in use");
                    last = e;
                    if !taken {
                        break;
                    }
                }
            }
        }
        panic!("{} did not start: {}", bin, last);
    }

    /// Starts `bin --port <port> --save "" --bind 127.0.0.1 <args>` in a new
    /// directory with stdout and stderr going to its log file. Does not wait.
    pub fn spawn(bin: &str, port: u16, args: &[&str]) -> TestServer {
        let dir = unique_dir("test");
        let log_path = dir.join("server.log");
        let log = File::create(&log_path).expect("create log file");
        let err = log.try_clone().expect("clone log file");
        let port_s = port.to_string();
        let mut full: Vec<&str> = vec!["--port", &port_s, "--save", "", "--bind", "127.0.0.1"];
        full.extend_from_slice(args);
        let child = Command::new(bin)
            .args(&full)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {}", bin, e));
        let password = args
            .iter()
            .position(|a| *a == "--requirepass")
            .and_then(|i| args.get(i + 1))
            .map(|p| p.to_string());
        TestServer {
            child: Some(child),
            exit: None,
            port,
            dir,
            log_path,
            password,
        }
    }

    /// Waits until the server answers a PING (any reply, NOAUTH included).
    pub fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Some(st) = self.try_wait() {
                return Err(format!(
                    "exited ({}) before ready; log:\n{}",
                    st,
                    self.log()
                ));
            }
            if self.ping_once().is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "no PING reply within {:?}; log:\n{}",
                    START_DEADLINE,
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn ping_once(&self) -> io::Result<Frame> {
        let addr = ("127.0.0.1", self.port);
        let s = TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(1)))?;
        let mut c = RawConn::new(s);
        c.try_send(b"PING\r\n")?;
        c.try_read_reply()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The path of the server's log file.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Polls the log until it contains `needle`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        wait_until(timeout, || self.log().contains(needle))
    }

    /// The exit status if the process has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(st)) = c.try_wait() {
                    self.exit = Some(st);
                }
            }
        }
        self.exit
    }

    /// Whether the process is still running.
    pub fn is_alive(&mut self) -> bool {
        self.try_wait().is_none()
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_until(timeout, || self.try_wait().is_some());
        self.exit
    }

    /// Sends a signal by name (`TERM`, `INT`, `STOP`, ...) with `kill(1)`.
    pub fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .args(["-s", sig, &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(st.success(), "kill -s {} {} failed", sig, self.pid());
    }

    /// A field of /proc/<pid>/status in kB (`VmRSS`, `VmSize`, ...).
    pub fn proc_status_kb(&self, field: &str) -> u64 {
        let text = fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }

    /// A raw RESP connection over TCP.
    pub fn raw(&self) -> RawConn<TcpStream> {
        let s = TcpStream::connect(("127.0.0.1", self.port))
            .unwrap_or_else(|e| panic!("connect to {}: {}\n{}", self.port, e, self.log()));
        s.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
        s.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
        s.set_nodelay(true).expect("nodelay");
        RawConn::new(s)
    }

    /// A raw RESP connection over a unix socket at `path` (relative paths
    /// are taken in the server's directory).
    pub fn raw_unix(&self, path: &str) -> RawConn<UnixStream> {
        let p = self.dir.join(path);
        let s = UnixStream::connect(&p)
            .unwrap_or_else(|e| panic!("connect to {}: {}\n{}", p.display(), e, self.log()));
        s.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
        s.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
        RawConn::new(s)
    }

    /// A `redis` crate connection (authenticated if the server was started
    /// with `--requirepass`).
    pub fn client(&self) -> redis::Connection {
        let url = match &self.password {
            Some(p) => format!("redis://:{}@127.0.0.1:{}/", p, self.port),
            None => format!("redis://127.0.0.1:{}/", self.port),
        };
        self.client_url(&url)
            .unwrap_or_else(|e| panic!("redis client: {}\n{}", e, self.log()))
    }

    /// A `redis` crate connection to `url`.
    pub fn client_url(&self, url: &str) -> redis::RedisResult<redis::Connection> {
        let client = redis::Client::open(url)?;
        let con = client.get_connection_with_timeout(IO_TIMEOUT)?;
        con.set_read_timeout(Some(IO_TIMEOUT))?;
        con.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(con)
    }

    /// Runs `redis-cli -p <port> <args>` and returns its stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let port = self.port.to_string();
        let mut cmd = Command::new("redis-cli");
        cmd.args(["-p", &port]);
        if let Some(p) = &self.password {
            cmd.args(["-a", p, "--no-auth-warning"]);
        }
        let out = cmd.args(args).output().expect("run redis-cli");
        assert!(
            out.status.success(),
            "redis-cli {:?} failed: {}",
            args,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            if self.exit.is_none() {
                let _ = c.kill();
            }
            let _ = c.wait();
        }
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!(
                "--- server log tail ({}) ---\n{}",
                self.log_path.display(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// A raw protocol connection: send any bytes, read one reply frame.
pub struct RawConn<S: Read + Write = TcpStream> {
    r: BufReader<S>,
}

impl<S: Read + Write> RawConn<S> {
    /// Wraps a connected stream (set its timeouts first).
    pub fn new(s: S) -> Self {
        RawConn {
            r: BufReader::with_capacity(64 * 1024, s),
        }
    }

    /// The underlying stream.
    pub fn stream(&mut self) -> &mut S {
        self.r.get_mut()
    }

    /// Writes bytes and flushes.
    pub fn try_send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let s = self.r.get_mut();
        s.write_all(bytes)?;
        s.flush()
    }

    /// Writes bytes and flushes; panics on error.
    pub fn send(&mut self, bytes: &[u8]) {
        self.try_send(bytes).expect("send to server");
    }

    /// Sends a command as a multibulk request.
    pub fn send_cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        self.send(&encode_command(args));
    }

    /// Reads one reply frame.
    pub fn try_read_reply(&mut self) -> io::Result<Frame> {
        resp::read_frame(&mut self.r)
    }

    /// Reads one reply frame; panics on error or timeout.
    pub fn read_reply(&mut self) -> Frame {
        self.try_read_reply().expect("read reply")
    }

    /// Sends a command and returns its reply's raw bytes.
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Vec<u8> {
        self.send_cmd(args);
        self.read_reply().raw
    }

    /// Sends a command and returns its reply frame.
    pub fn cmd_frame<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Frame {
        self.send_cmd(args);
        self.read_reply()
    }

    /// Asserts that the server closed the connection: the next read sees
    /// end of stream (or a reset) rather than data or a timeout.
    pub fn expect_closed(&mut self) {
        let mut buf = [0u8; 256];
        match self.r.read(&mut buf) {
            Ok(0) => {}
            Ok(n) => panic!(
                "expected the connection to be closed, got {}",
                escape(&buf[..n])
            ),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!("expected the connection to be closed, got {}", e),
        }
    }

    /// Reads everything until the server closes the connection.
    pub fn read_to_end(&mut self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        match self.r.read_to_end(&mut out) {
            Ok(_) => Ok(out),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(out),
            Err(e) => Err(e),
        }
    }
}

/// A server for replication tests: `bin` is `"ferredis"` or another
/// binary's name (`redis-server`), with DEBUG enabled, no diskless-sync
/// delay, no AOF, and `replicaof` `master` when given.
pub fn replication_node(bin: &str, master: Option<&TestServer>) -> TestServer {
    let port = master.map(|m| m.port.to_string());
    let mut args = vec![
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
        "--appendonly",
        "no",
    ];
    if let Some(p) = port.as_deref() {
        args.extend(["--replicaof", "127.0.0.1", p]);
    }
    if bin == "ferredis" {
        TestServer::with_args(&args)
    } else {
        TestServer::start_binary(bin, &args)
    }
}

/// A field of an INFO section, "" when absent.
pub fn info_field(s: &TestServer, section: &str, name: &str) -> String {
    let prefix = format!("{}:", name);
    s.cli(&["info", section])
        .lines()
        .find_map(|l| l.strip_prefix(&prefix).map(|v| v.trim().to_string()))
        .unwrap_or_default()
}
