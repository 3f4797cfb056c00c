//! Process-level behaviour of `ferredis-server` as operators and tools see
//! it: the start-up log line, SIGTERM shutdown, a taken port, the unix
//! socket, `redis-cli` and the `redis` crate as clients, HELLO 3 and AUTH.
//!
//! Redis counterpart: `tests/integration/` and `tests/unit/auth.tcl`,
//! `tests/unit/protocol.tcl` (HELLO) in Redis's suite.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use crate::common::{have_tool, TestServer, FERREDIS};

#[test]
fn logs_ready_to_accept_connections() {
    let srv = TestServer::start();
    assert!(
        srv.wait_for_log("Ready to accept connections", Duration::from_secs(5)),
        "{}",
        srv.log()
    );
    assert_eq!(srv.log().matches("Ready to accept connections").count(), 1);
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let mut srv = TestServer::start();
    srv.signal("TERM");
    let st = srv.wait_exit(Duration::from_secs(5));
    let log = srv.log();
    let st = st.unwrap_or_else(|| panic!("still running 5 s after SIGTERM:\n{}", log));
    assert_eq!(st.code(), Some(0), "{}", log);
    assert!(
        log.contains("Received SIGTERM scheduling shutdown..."),
        "{}",
        log
    );
    assert!(log.contains("ready to exit, bye bye"), "{}", log);
}

#[test]
fn sigint_shuts_down_too() {
    let mut srv = TestServer::start();
    srv.signal("INT");
    let st = srv.wait_exit(Duration::from_secs(5));
    let log = srv.log();
    assert_eq!(st.and_then(|s| s.code()), Some(0), "{}", log);
    assert!(
        log.contains("Received SIGINT scheduling shutdown..."),
        "{}",
        log
    );
}

#[test]
fn taken_port_aborts_start() {
    let holder = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = holder.local_addr().expect("addr").port();
    let mut srv = TestServer::spawn(FERREDIS, port, &[]);
    let st = srv.wait_exit(Duration::from_secs(5));
    let log = srv.log();
    let st = st.unwrap_or_else(|| panic!("kept running on a taken port:\n{}", log));
    assert!(!st.success(), "exit status {}:\n{}", st, log);
    assert!(
        log.contains(&format!(
            "Failed listening on port {} (TCP), aborting.",
            port
        )),
        "{}",
        log
    );
    drop(holder);
}

#[test]
fn unix_socket_serves_clients() {
    let srv = TestServer::with_args(&["--unixsocket", "ferredis.sock", "--unixsocketperm", "700"]);
    let path = srv.dir.join("ferredis.sock");
    let mode = std::fs::metadata(&path)
        .expect("socket file exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    let mut c = srv.raw_unix("ferredis.sock");
    c.send(b"PING\r\n");
    assert_eq!(c.read_reply().raw, b"+PONG\r\n");
    assert_eq!(c.cmd(&["SET", "u", "over unix"]), b"+OK\r\n");
    // The TCP listener sees the same keyspace.
    assert_eq!(srv.raw().cmd(&["GET", "u"]), b"$9\r\nover unix\r\n");
    if have_tool("redis-cli") {
        let out = std::process::Command::new("redis-cli")
            .arg("-s")
            .arg(&path)
            .args(["get", "u"])
            .output()
            .expect("redis-cli");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "over unix\n");
    }
}

#[test]
fn redis_cli_works() {
    if !have_tool("redis-cli") {
        return;
    }
    let srv = TestServer::start();
    assert_eq!(srv.cli(&["ping"]), "PONG\n");
    assert_eq!(srv.cli(&["set", "a", "b"]), "OK\n");
    assert_eq!(srv.cli(&["get", "a"]), "b\n");
    assert_eq!(srv.cli(&["get", "missing"]), "\n");
    assert_eq!(srv.cli(&["echo", "hi there"]), "hi there\n");
    assert_eq!(srv.cli(&["-n", "3", "get", "a"]), "\n");
    assert_eq!(
        srv.cli(&["-3", "hello", "3"]).lines().next(),
        Some("server redis")
    );
}

#[test]
fn redis_crate_round_trip() {
    let srv = TestServer::start();
    let mut con = srv.client();
    let pong: String = redis::cmd("PING").query(&mut con).expect("PING");
    assert_eq!(pong, "PONG");
    let echoed: Vec<u8> = redis::cmd("ECHO")
        .arg(&b"bin\0ary\r\n"[..])
        .query(&mut con)
        .expect("ECHO");
    assert_eq!(echoed, b"bin\0ary\r\n");
    let () = redis::cmd("SET")
        .arg("k")
        .arg("v1")
        .query(&mut con)
        .expect("SET");
    let v: Option<String> = redis::cmd("GET").arg("k").query(&mut con).expect("GET");
    assert_eq!(v.as_deref(), Some("v1"));
    let () = redis::cmd("SELECT").arg(2).query(&mut con).expect("SELECT");
    let v: Option<String> = redis::cmd("GET").arg("k").query(&mut con).expect("GET");
    assert_eq!(v, None);
    let err = redis::cmd("SELECT")
        .arg(16)
        .query::<()>(&mut con)
        .expect_err("db 16 does not exist");
    assert_eq!(err.detail(), Some("DB index is out of range"));
    // The database number in the URL is selected on connect.
    let mut con3 = srv
        .client_url(&format!("redis://127.0.0.1:{}/2", srv.port))
        .expect("connect to db 2");
    let () = redis::cmd("SET")
        .arg("in2")
        .arg("x")
        .query(&mut con3)
        .expect("SET");
    let v: Option<String> = redis::cmd("GET").arg("in2").query(&mut con).expect("GET");
    assert_eq!(v.as_deref(), Some("x"));
    let ok: String = redis::cmd("QUIT").query(&mut con3).expect("QUIT");
    assert_eq!(ok, "OK");
    let after: redis::RedisResult<String> = redis::cmd("PING").query(&mut con3);
    assert!(after.is_err(), "the connection is closed after QUIT");
}

#[test]
fn hello_3_returns_a_map() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let f = c.cmd_frame(&["HELLO", "3"]);
    assert_eq!(f.kind, b'%', "{}", crate::common::escape(&f.raw));
    let field = |k: &str| f.map_get(k).map(|v| v.raw.clone());
    assert_eq!(field("server").as_deref(), Some(&b"$5\r\nredis\r\n"[..]));
    assert_eq!(field("version").as_deref(), Some(&b"$6\r\n7.0.15\r\n"[..]));
    assert_eq!(field("proto").as_deref(), Some(&b":3\r\n"[..]));
    assert_eq!(
        field("mode").as_deref(),
        Some(&b"$10\r\nstandalone\r\n"[..])
    );
    assert_eq!(field("role").as_deref(), Some(&b"$6\r\nmaster\r\n"[..]));
    // RESP3 null, then back to RESP2.
    assert_eq!(c.cmd(&["GET", "nokey"]), b"_\r\n");
    let f = c.cmd_frame(&["HELLO", "2"]);
    assert_eq!(f.kind, b'*');
    assert_eq!(f.children.len(), 14);
    assert_eq!(c.cmd(&["GET", "nokey"]), b"$-1\r\n");
    assert_eq!(
        c.cmd(&["HELLO", "4"]),
        b"-NOPROTO unsupported protocol version\r\n"
    );
}

#[test]
fn auth_with_requirepass() {
    let srv = TestServer::with_args(&["--requirepass", "s3cret"]);
    let mut c = srv.raw();
    assert_eq!(
        c.cmd(&["GET", "a"]),
        b"-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(c.cmd(&["PING"]), b"-NOAUTH Authentication required.\r\n");
    assert_eq!(
        c.cmd(&["AUTH", "wrong"]),
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(
        c.cmd(&["AUTH", "default", "wrong"]),
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(c.cmd(&["AUTH", "s3cret"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["GET", "a"]), b"$-1\r\n");
    // HELLO with AUTH authenticates a new connection in one step.
    let mut c2 = srv.raw();
    let f = c2.cmd_frame(&["HELLO", "3", "AUTH", "default", "s3cret"]);
    assert_eq!(f.kind, b'%');
    assert_eq!(c2.cmd(&["PING"]), b"+PONG\r\n");
    // The redis crate authenticates from the URL.
    let mut con = srv.client();
    let pong: String = redis::cmd("PING").query(&mut con).expect("PING");
    assert_eq!(pong, "PONG");
    let bad = srv.client_url(&format!("redis://:nope@127.0.0.1:{}/", srv.port));
    assert!(bad.is_err(), "a wrong password must fail");
    // Without a password, AUTH is an error of its own.
    let open = TestServer::start();
    assert_eq!(
        open.raw().cmd(&["AUTH", "x"]),
        b"-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
    );
}
