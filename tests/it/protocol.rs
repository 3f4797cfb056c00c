//! Wire-protocol tests over raw TCP: pipelining, arbitrary splits of the
//! byte stream, inline commands, binary safety, protocol errors (exact
//! texts, connection closed after the reply), the unauthenticated limits,
//! memory safety against huge declared lengths, a seeded fuzzer, and a
//! client that never reads its replies.
//!
//! Redis counterpart: `tests/unit/protocol.tcl` and the query-buffer parts
//! of `tests/unit/introspection.tcl` in Redis's suite.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use crate::common::{encode_command, escape, TestServer};

#[test]
fn pipeline_of_10k_commands_in_one_write() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let mut buf = Vec::new();
    for i in 0..10_000 {
        if i % 7 == 0 {
            buf.extend_from_slice(format!("ECHO inline-{}\r\n", i).as_bytes());
        } else {
            buf.extend_from_slice(&encode_command(&["ECHO", &format!("msg-{}", i)]));
        }
    }
    // Write from another thread so a full socket buffer cannot deadlock
    // the test while the replies pile up.
    let mut w = c.stream().try_clone().expect("clone stream");
    let writer = std::thread::spawn(move || w.write_all(&buf));
    for i in 0..10_000 {
        let f = c.read_reply();
        let want = if i % 7 == 0 {
            format!("inline-{}", i)
        } else {
            format!("msg-{}", i)
        };
        assert_eq!(f.bytes(), want.as_bytes(), "reply {} out of order", i);
    }
    writer.join().expect("writer").expect("write pipeline");
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
}

/// Multibulk and inline commands mixed; the value holds CRLF and NUL.
const MIXED: &[u8] = b"*3\r\n$3\r\nSET\r\n$5\r\nsplit\r\n$5\r\na\r\nb\0\r\n\
*2\r\n$3\r\nGET\r\n$5\r\nsplit\r\nPING\r\nECHO \"x y\"\n*1\r\n$4\r\nPING\r\n";
const MIXED_REPLIES: &[u8] = b"+OK\r\n$5\r\na\r\nb\0\r\n+PONG\r\n$3\r\nx y\r\n+PONG\r\n";

fn read_n(c: &mut crate::common::RawConn, n: usize) -> Vec<u8> {
    (0..n).flat_map(|_| c.read_reply().raw).collect()
}

#[test]
fn commands_split_at_every_byte() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    for &b in MIXED {
        c.send(&[b]);
    }
    assert_eq!(escape(&read_n(&mut c, 5)), escape(MIXED_REPLIES));
    // Every two-part split of the same stream.
    for split in 1..MIXED.len() {
        c.send(&MIXED[..split]);
        c.send(&MIXED[split..]);
        assert_eq!(
            escape(&read_n(&mut c, 5)),
            escape(MIXED_REPLIES),
            "split at {}",
            split
        );
    }
}

#[test]
fn inline_commands() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    c.send(b"PING\r\n");
    assert_eq!(c.read_reply().raw, b"+PONG\r\n");
    c.send(b"set a \"b c\"\n");
    assert_eq!(c.read_reply().raw, b"+OK\r\n");
    c.send(b"get a\r\n");
    assert_eq!(c.read_reply().raw, b"$3\r\nb c\r\n");
    // Blank lines and empty multibulks produce no reply at all.
    c.send(b"\r\n\n*0\r\n*-1\r\n   ping   \r\n");
    assert_eq!(c.read_reply().raw, b"+PONG\r\n");
    c.send(b"echo \"\\x41\\n\"\r\necho 'a\\'b'\r\nPING hello\n");
    assert_eq!(
        escape(&read_n(&mut c, 3)),
        escape(b"$2\r\nA\n\r\n$3\r\na'b\r\n$5\r\nhello\r\n")
    );
}

#[test]
fn binary_safe_keys_and_values() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let key: &[u8] = b"k\0\r\n\xff key";
    let value: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    assert_eq!(c.cmd(&[&b"SET"[..], key, &value]), b"+OK\r\n");
    let f = c.cmd_frame(&[&b"GET"[..], key]);
    assert_eq!(f.body.as_deref(), Some(&value[..]));
    assert_eq!(c.cmd(&[&b"GET"[..], b"k\0\r\n\xff"]), b"$-1\r\n");
    assert_eq!(c.cmd(&[&b"SET"[..], b"", b""]), b"+OK\r\n");
    assert_eq!(c.cmd(&[&b"GET"[..], b""]), b"$0\r\n\r\n");
}

/// Each input, sent on a fresh connection, must get exactly `reply` and
/// then have the connection closed by the server.
fn assert_protocol_error(srv: &TestServer, input: &[u8], reply: &[u8]) {
    let mut c = srv.raw();
    c.send(input);
    let mut got = Vec::new();
    while got.len() < reply.len() {
        match c.try_read_reply() {
            Ok(f) => got.extend_from_slice(&f.raw),
            Err(e) => panic!(
                "input {}: got {} then {}",
                escape(&input[..input.len().min(60)]),
                escape(&got),
                e
            ),
        }
    }
    assert_eq!(
        escape(&got),
        escape(reply),
        "input {}",
        escape(&input[..input.len().min(60)])
    );
    c.expect_closed();
}

#[test]
fn protocol_errors_reply_and_close() {
    let srv = TestServer::start();
    let e = |s: &str| format!("-ERR Protocol error: {}\r\n", s).into_bytes();
    let long = |prefix: &[u8]| {
        let mut v = prefix.to_vec();
        v.resize(70_000, b'1');
        v
    };
    let cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (b"*abc\r\n".to_vec(), e("invalid multibulk length")),
        (b"*3000000000\r\n".to_vec(), e("invalid multibulk length")),
        (b"*1\r\n$abc\r\n".to_vec(), e("invalid bulk length")),
        (b"*1\r\n$-1\r\n".to_vec(), e("invalid bulk length")),
        (
            b"*1\r\n$999999999999\r\n".to_vec(),
            e("invalid bulk length"),
        ),
        (b"*1\r\nx\r\n".to_vec(), e("expected '$', got 'x'")),
        (
            b"*2\r\n$4\r\nECHO\r\n:1\r\n".to_vec(),
            e("expected '$', got ':'"),
        ),
        (b"set a \"b\r\n".to_vec(), e("unbalanced quotes in request")),
        (
            b"get \"a\"b\r\n".to_vec(),
            e("unbalanced quotes in request"),
        ),
        (b"get 'a\r\n".to_vec(), e("unbalanced quotes in request")),
        (long(b"a"), e("too big inline request")),
        (long(b"*"), e("too big mbulk count string")),
        (long(b"*1\r\n$"), e("too big bulk count string")),
        // Commands before the bad one run; nothing after it does.
        (
            b"PING\r\n*abc\r\nPING\r\n".to_vec(),
            [&b"+PONG\r\n"[..], &e("invalid multibulk length")].concat(),
        ),
        (
            {
                let mut v = b"*1\r\n$4\r\nPING\r\n".to_vec();
                v.resize(70_000, b'a');
                v
            },
            [&b"+PONG\r\n"[..], &e("too big inline request")].concat(),
        ),
    ];
    for (input, reply) in &cases {
        assert_protocol_error(&srv, input, reply);
    }
    // `$` at the start of a request is an inline command, not an error.
    let mut c = srv.raw();
    c.send(b"$abc\r\n");
    assert_eq!(
        c.read_reply().raw,
        b"-ERR unknown command '$abc', with args beginning with: \r\n"
    );
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn declared_but_missing_bulk_is_not_preallocated() {
    let srv = TestServer::start();
    let before_size = srv.proc_status_kb("VmSize");
    let before_rss = srv.proc_status_kb("VmRSS");
    // Four clients each announce a legal 400 MB argument and send 100 kB.
    let mut conns: Vec<_> = (0..4)
        .map(|_| {
            let mut c = srv.raw();
            let mut req = b"*2\r\n$4\r\nECHO\r\n$400000000\r\n".to_vec();
            req.resize(req.len() + 100_000, b'x');
            c.send(&req);
            c
        })
        .collect();
    // The server has read the bytes once a later client is served.
    let mut probe = srv.raw();
    assert_eq!(probe.cmd(&["PING"]), b"+PONG\r\n");
    let grew_size = srv.proc_status_kb("VmSize").saturating_sub(before_size);
    let grew_rss = srv.proc_status_kb("VmRSS").saturating_sub(before_rss);
    assert!(
        grew_size < 64 * 1024 && grew_rss < 64 * 1024,
        "server grew by {} kB virtual / {} kB resident for unsent bulks",
        grew_size,
        grew_rss
    );
    for c in &mut conns {
        c.stream().shutdown(Shutdown::Both).ok();
    }
}

#[test]
fn unauthenticated_clients_get_small_limits() {
    let srv = TestServer::with_args(&["--requirepass", "secret"]);
    let e = |s: &str| format!("-ERR Protocol error: {}\r\n", s).into_bytes();
    assert_protocol_error(&srv, b"*11\r\n", &e("unauthenticated multibulk length"));
    assert_protocol_error(&srv, b"*1\r\n$16385\r\n", &e("unauthenticated bulk length"));
    // At the limits: parsed, then refused for lack of authentication.
    let mut c = srv.raw();
    let ten: Vec<&str> = ["SET", "k", "v"].into_iter().chain(["x"; 7]).collect();
    assert_eq!(c.cmd(&ten), b"-NOAUTH Authentication required.\r\n");
    // The arity check comes before the authentication check.
    let echo9: Vec<&str> = std::iter::once("ECHO").chain(["x"; 9]).collect();
    assert_eq!(
        c.cmd(&echo9),
        b"-ERR wrong number of arguments for 'echo' command\r\n"
    );
    let big = vec![b'v'; 16384];
    assert_eq!(
        c.cmd(&[&b"ECHO"[..], &big]),
        b"-NOAUTH Authentication required.\r\n"
    );
    // Authenticated: the normal limits apply.
    assert_eq!(c.cmd(&["AUTH", "secret"]), b"+OK\r\n");
    let echo10: Vec<&str> = std::iter::once("ECHO").chain(["x"; 10]).collect();
    assert_eq!(
        c.cmd(&echo10),
        b"-ERR wrong number of arguments for 'echo' command\r\n"
    );
    let big = vec![b'v'; 100_000];
    assert_eq!(c.cmd_frame(&[&b"ECHO"[..], &big]).body, Some(big));
}

/// xorshift64*: a tiny deterministic generator for the fuzzer.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn bytes(&mut self, n: usize, alphabet: &[u8]) -> Vec<u8> {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize])
            .collect()
    }
}

/// Valid requests the fuzzer starts from. Only harmless commands: the
/// fuzzer must not be able to shut the server down by luck.
fn fuzz_corpus() -> Vec<Vec<u8>> {
    vec![
        encode_command(&["PING"]),
        encode_command(&["ECHO", "hello world"]),
        encode_command(&["SET", "fuzz:key", "some value"]),
        encode_command(&["GET", "fuzz:key"]),
        encode_command(&["SELECT", "3"]),
        encode_command(&["HELLO", "3"]),
        encode_command(&["HELLO", "2"]),
        encode_command(&["AUTH", "nopass"]),
        b"PING\r\n".to_vec(),
        b"set fuzz:a \"b \\x41 c\"\n".to_vec(),
        b"get 'fuzz:a'\r\n".to_vec(),
    ]
}

fn fuzz_frame(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let pick = |rng: &mut Rng| corpus[rng.below(corpus.len() as u64) as usize].clone();
    match rng.below(8) {
        0 => {
            let n = rng.below(200) as usize;
            (0..n).map(|_| rng.next() as u8).collect()
        }
        1 => {
            let mut f = pick(rng);
            let cut = rng.below(f.len() as u64) as usize;
            f.truncate(cut);
            f
        }
        2 => {
            let mut f = pick(rng);
            for _ in 0..=rng.below(4) {
                let at = rng.below(f.len() as u64) as usize;
                f[at] = rng.next() as u8;
            }
            f
        }
        3 => {
            let n = rng.below(1 << 40) as i64 + 1;
            match rng.below(3) {
                0 => format!("*-{}\r\nPING\r\n", n).into_bytes(),
                1 => format!("*1\r\n$-{}\r\n", n).into_bytes(),
                _ => format!("*2\r\n$4\r\nECHO\r\n$-{}\r\nxx\r\n", n).into_bytes(),
            }
        }
        4 => {
            let depth = 1 + rng.below(2000) as usize;
            let mut f = b"*1\r\n".repeat(depth);
            f.extend_from_slice(b"$4\r\nPING\r\n");
            f
        }
        5 => {
            let huge = [
                "2147483647",
                "2147483648",
                "9223372036854775807",
                "99999999999999999999",
                "536870912",
                "536870913",
            ];
            let h = huge[rng.below(huge.len() as u64) as usize];
            if rng.below(2) == 0 {
                format!("*{}\r\n$4\r\nECHO\r\n$1\r\nx\r\n", h).into_bytes()
            } else {
                format!("*2\r\n$4\r\nECHO\r\n${}\r\nabc", h).into_bytes()
            }
        }
        6 => {
            let n = rng.below(120) as usize;
            rng.bytes(n, b"*$:+-\r\n0123456789-abc ")
        }
        _ => {
            let n = rng.below(80) as usize;
            let mut f = rng.bytes(n, b"abcxyz \"'\\x41\t");
            f.extend_from_slice(if rng.below(2) == 0 { b"\r\n" } else { b"\n" });
            f
        }
    }
}

#[test]
fn fuzzed_requests_do_not_hurt_the_server() {
    let srv = TestServer::start();
    let seed = std::env::var("FERREDIS_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9E37_79B9_7F4A_7C15u64);
    let mut rng = Rng(seed | 1);
    let corpus = fuzz_corpus();
    let mut frames = 0;
    for conn in 0..400 {
        let mut c = srv.raw();
        let mut req = Vec::new();
        for _ in 0..(1 + rng.below(10)) {
            req.extend_from_slice(&fuzz_frame(&mut rng, &corpus));
            frames += 1;
        }
        // The server may close mid-write after a protocol error.
        let _ = c.try_send(&req);
        if conn % 3 != 0 {
            // Half-close: the server sees end of stream and must close
            // its side, whatever state the parser was left in.
            let _ = c.stream().shutdown(Shutdown::Write);
            if let Err(e) = c.read_to_end() {
                panic!(
                    "seed {:#x} connection {}: server did not close: {}\nrequest: {}",
                    seed,
                    conn,
                    e,
                    escape(&req[..req.len().min(300)])
                );
            }
        }
    }
    assert!(frames > 1500, "only {} frames", frames);
    let mut srv = srv;
    assert!(
        srv.is_alive(),
        "server died (seed {:#x}):\n{}",
        seed,
        srv.log()
    );
    let mut c = srv.raw();
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    assert!(!srv.log().contains("crashed"), "{}", srv.log());
}

#[test]
fn a_client_that_never_reads_does_not_block_others() {
    let srv = TestServer::start();
    let mut setup = srv.raw();
    let value = vec![b'v'; 64 * 1024];
    assert_eq!(setup.cmd(&[&b"SET"[..], b"big", &value]), b"+OK\r\n");
    const GETS: usize = 500;
    let mut lazy = srv.raw();
    let pipeline: Vec<u8> = (0..GETS)
        .flat_map(|_| encode_command(&["GET", "big"]))
        .collect();
    lazy.send(&pipeline);
    // 32 MB of replies are now queued for `lazy`; others are still served.
    let start = Instant::now();
    let mut other = srv.raw();
    for i in 0..50 {
        assert_eq!(
            other.cmd(&["ECHO", &i.to_string()]),
            format!("${}\r\n{}\r\n", i.to_string().len(), i).as_bytes()
        );
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "other client waited {:?}",
        start.elapsed()
    );
    // The lazy client finally reads everything, intact and in order.
    for i in 0..GETS {
        let f = lazy.read_reply();
        assert_eq!(f.body.as_ref().map(|b| b.len()), Some(value.len()), "{}", i);
    }
    assert_eq!(lazy.cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn replies_survive_client_half_close() {
    // A client may send its commands and shut down its write side at once
    // (`redis-cli --pipe` style); the replies must still arrive.
    let srv = TestServer::start();
    let mut c = srv.raw();
    c.send(b"PING\r\nECHO bye\r\n");
    c.stream().shutdown(Shutdown::Write).expect("shutdown");
    let all = c.read_to_end().expect("read");
    assert_eq!(escape(&all), escape(b"+PONG\r\n$3\r\nbye\r\n"));
    let _ = TcpStream::connect(("127.0.0.1", srv.port)).expect("still listening");
}
