//! Keyspace notifications over real sockets: one test per
//! `notify-keyspace-events` class flag (K E g $ l s h z x e t m d n A),
//! and a differential check that runs a list of write commands against
//! ferredis and redis-server with a pattern subscriber on each and compares
//! the notification streams event by event.

use std::time::Duration;

use crate::clients::reference;
use crate::common::{RawConn, TestServer};

/// A client plus a subscriber on `__key*__:*` and a marker channel: after
/// each command the client publishes on the marker, so everything the
/// command caused has arrived once the marker message does.
struct Watch {
    client: RawConn,
    sub: RawConn,
}

impl Watch {
    fn new(srv: &TestServer, flags: &str) -> Watch {
        let mut client = srv.raw();
        assert_eq!(
            client.cmd(&["CONFIG", "SET", "notify-keyspace-events", flags]),
            b"+OK\r\n"
        );
        client.cmd(&["FLUSHALL"]);
        let mut sub = srv.raw();
        sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
        sub.cmd(&["SUBSCRIBE", "marker"]);
        Watch { client, sub }
    }

    /// Runs a command and returns the (channel, message) pairs it caused.
    fn run(&mut self, args: &[&[u8]]) -> Vec<(String, String)> {
        self.client.send_cmd(args);
        self.client.read_reply();
        self.client.cmd(&["PUBLISH", "marker", "."]);
        self.collect()
    }

    fn run_str(&mut self, args: &[&str]) -> Vec<(String, String)> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.run(&a)
    }

    /// Reads notifications until the marker message.
    fn collect(&mut self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        loop {
            let f = self.sub.read_reply();
            let p: Vec<String> = f
                .children
                .iter()
                .map(|c| {
                    String::from_utf8_lossy(c.body.as_deref().unwrap_or_default()).into_owned()
                })
                .collect();
            if p[0] == "message" && p[1] == "marker" {
                return out;
            }
            assert_eq!(p[0], "pmessage", "{:?}", p);
            out.push((p[2].clone(), p[3].clone()));
        }
    }

    /// Waits (up to 5 s) for notifications that arrive on their own
    /// (active expiry), returning the first one.
    fn next_unprompted(&mut self) -> (String, String) {
        self.sub
            .stream()
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let f = self.sub.read_reply();
        let p: Vec<String> = f
            .children
            .iter()
            .map(|c| String::from_utf8_lossy(c.body.as_deref().unwrap_or_default()).into_owned())
            .collect();
        (p[2].clone(), p[3].clone())
    }
}

fn ev(channel: &str, msg: &str) -> (String, String) {
    (channel.to_string(), msg.to_string())
}

/// Keyevent-only notification for `event` on `key` in db 0.
fn kev(event: &str, key: &str) -> (String, String) {
    ev(&format!("__keyevent@0__:{}", event), key)
}

#[test]
fn keyspace_and_keyevent_channels() {
    let srv = TestServer::start();
    let mut w = Watch::new(&srv, "K$");
    assert_eq!(
        w.run_str(&["SET", "k", "v"]),
        vec![ev("__keyspace@0__:k", "set")]
    );
    let mut w = Watch::new(&srv, "E$");
    assert_eq!(w.run_str(&["SET", "k", "v"]), vec![kev("set", "k")]);
    // A class without K or E publishes nothing.
    let mut w = Watch::new(&srv, "$");
    assert_eq!(w.run_str(&["SET", "k", "v"]), vec![]);
    // Other databases carry their number.
    let mut w = Watch::new(&srv, "KE$");
    w.run_str(&["SELECT", "3"]);
    assert_eq!(
        w.run_str(&["SET", "k", "v"]),
        vec![ev("__keyspace@3__:k", "set"), ev("__keyevent@3__:set", "k")]
    );
}

#[test]
fn class_generic_g() {
    let srv = TestServer::start();
    let mut w = Watch::new(&srv, "Eg");
    w.run_str(&["SET", "a", "1"]);
    assert_eq!(w.run_str(&["EXPIRE", "a", "100"]), vec![kev("expire", "a")]);
    assert_eq!(
        w.run_str(&["RENAME", "a", "b"]),
        vec![kev("rename_from", "a"), kev("rename_to", "b")]
    );
    assert_eq!(w.run_str(&["DEL", "b", "nokey"]), vec![kev("del", "b")]);
}

#[test]
fn class_string_dollar() {
    let srv = TestServer::start();
    let mut w = Watch::new(&srv, "E$");
    assert_eq!(w.run_str(&["INCRBY", "n", "5"]), vec![kev("incrby", "n")]);
    assert_eq!(w.run_str(&["APPEND", "n", "x"]), vec![kev("append", "n")]);
    // The generic part of SET EX is not a string event.
    assert_eq!(
        w.run_str(&["SET", "s", "v", "EX", "100"]),
        vec![kev("set", "s")]
    );
}

#[test]
fn class_list_l() {
    let srv = TestServer::start();
    let mut w = Watch::new(&srv, "El");
    assert_eq!(w.run_str(&["RPUSH", "l", "a"]), vec![kev("rpush", "l")]);
    assert_eq!(w.run_str(&["LPOP", "l"]), vec![kev("lpop", "l")]);
    let mut w = Watch::new(&srv, "Elg");
    w.run_str(&["RPUSH", "l", "a"]);
    assert_eq!(
        w.run_str(&["LPOP", "l"]),
        vec![kev("lpop", "l"), kev("del", "l")]
    );
}

#[test]
fn class_set_s() {
    let srv = TestServer::start();
    let mut w = Watch::new(&srv, "Es");
    assert_eq!(w.run_str(&["SADD", "s", "a", "b"]), vec![kev("sadd", "s")]);
    assert_eq!(w.run_str(&["SADD", "s", "a"]), vec![]);
    assert_eq!(w.run_str(&["SREM", "s", "a"]), vec![kev("srem", "s")]);
}

#[test]
fn class_hash_h() {
    let srv = TestServer::start();
    let mut w = Watch::new(&srv, "Eh");
    assert_eq!(w.run_str(&["HSET", "h", "f", "1"]), vec![kev("hset", "h")]);
    assert_eq!(
        w.run_str(&["HINCRBY", "h", "f", "1"]),
        vec![kev("hincrby", "h")]
    );
    assert_eq!(w.run_str(&["HDEL", "h", "f"]), vec![kev("hdel", "h")]);
}

#[test]
fn class_zset_z() {
    let srv = TestServer::start();
    let mut w = Watch::new(&srv, "Ez");
    assert_eq!(w.run_str(&["ZADD", "z", "1", "a"]), vec![kev("zadd", "z")]);
    assert_eq!(
        w.run_str(&["ZINCRBY", "z", "1", "a"]),
        vec![kev("zincr", "z")]
    );
    assert_eq!(w.run_str(&["ZREM", "z", "a"]), vec![kev("zrem", "z")]);
}

#[test]
fn class_expired_x_active_and_lazy() {
    let srv = TestServer::start();
    let mut w = Watch::new(&srv, "Ex");
    // Active expiry (the cron cycle) publishes without any command.
    w.run_str(&["SET", "a", "v", "PX", "50"]);
    assert_eq!(w.next_unprompted(), kev("expired", "a"));
    // Lazy expiry, with the active cycle off.
    w.run_str(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    w.run_str(&["SET", "b", "v", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(w.run_str(&["GET", "b"]), vec![kev("expired", "b")]);
    w.run_str(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
}

#[test]
fn class_evicted_e() {
    let srv = TestServer::start();
    let mut w = Watch::new(&srv, "Ee");
    w.run_str(&["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]);
    w.run_str(&["SET", "victim", "v"]);
    let mut got = w.run_str(&["CONFIG", "SET", "maxmemory", "1"]);
    got.extend(w.run_str(&["GET", "x"]));
    w.run_str(&["CONFIG", "SET", "maxmemory", "0"]);
    assert!(got.contains(&kev("evicted", "victim")), "{:?}", got);
}

#[test]
fn class_keymiss_m_new_n_and_unused_t_d() {
    let srv = TestServer::start();
    let mut w = Watch::new(&srv, "Em");
    assert_eq!(w.run_str(&["GET", "nokey"]), vec![kev("keymiss", "nokey")]);
    assert_eq!(w.run_str(&["SET", "k", "v"]), vec![]);
    assert_eq!(w.run_str(&["GET", "k"]), vec![]);
    let mut w = Watch::new(&srv, "En$");
    assert_eq!(
        w.run_str(&["SET", "k", "v"]),
        vec![kev("new", "k"), kev("set", "k")]
    );
    assert_eq!(w.run_str(&["SET", "k", "w"]), vec![kev("set", "k")]);
    // Streams and modules do not exist: their classes are accepted and
    // publish nothing.
    let mut w = Watch::new(&srv, "KEtd");
    assert_eq!(w.run_str(&["SET", "k", "v"]), vec![]);
    assert_eq!(
        w.client.cmd(&["CONFIG", "GET", "notify-keyspace-events"]),
        b"*2\r\n$22\r\nnotify-keyspace-events\r\n$4\r\ntdKE\r\n"
    );
}

#[test]
fn class_all_a_excludes_m_and_n() {
    let srv = TestServer::start();
    let mut w = Watch::new(&srv, "EA");
    assert_eq!(w.run_str(&["GET", "nokey"]), vec![]);
    assert_eq!(w.run_str(&["SET", "k", "v"]), vec![kev("set", "k")]);
    assert_eq!(w.run_str(&["LPUSH", "l", "a"]), vec![kev("lpush", "l")]);
    assert_eq!(w.run_str(&["DEL", "k"]), vec![kev("del", "k")]);
}

/// The commands of the differential check (one per line, split on spaces).
const DIFF_COMMANDS: &str = "\
set s1 v
set s1 v2 ex 100
setnx s1 x
setnx s2 x
setex s3 100 v
psetex s4 100000 v
getset s1 v3
getdel s2
getex s1 ex 50
getex s1 persist
append s1 xx
append s5 yy
setrange s1 1 abc
setrange s6 2 abc
incr n1
incrby n1 5
decr n1
decrby n1 2
incrbyfloat f1 1.5
mset m1 a m2 b
msetnx m3 a m4 b
del m1 m2 nokey
unlink m3
exists m4
expire m4 100
pexpire m4 100000
expireat m4 9999999999
pexpireat m4 9999999999000
expire m4 -1
set e1 v
persist e1
expire e1 100
persist e1
rename e1 e2
renamenx e2 e3
copy e3 e4
move e4 1
set t1 v
touch t1
lpush l1 a b c
rpush l1 d e
lpushx l1 z
rpushx l1 y
lpushx nolist z
lpop l1
rpop l1
lpop l1 2
linsert l1 before b X
lset l1 0 Q
lrem l1 1 Q
ltrim l1 0 5
lmove l1 l2 left right
rpoplpush l1 l2
lmpop 1 l2 left count 10
rpush l3 a
lpop l3
rpush rot a b
lmove rot rot left right
hset h1 f1 v1 f2 v2
hsetnx h1 f3 v3
hmset h1 f4 v4
hincrby h1 n 1
hincrbyfloat h1 fl 1.5
hdel h1 f1 f2
hdel h1 f3 f4 n fl
sadd st1 a b c
srem st1 a
smove st1 st2 b
smove st1 st2 c
sadd st3 1 2 3
sadd st4 2 3 4
sinterstore st5 st3 st4
sunionstore st6 st3 st4
sdiffstore st7 st3 st4
sinterstore st8 st3 nokey
sunionstore st6 nokey
srem st3 1 2 3
zadd z1 1 a 2 b 3 c
zadd z1 incr 5 a
zincrby z1 1 b
zrem z1 a
zadd z1 4 d 5 e 6 f
zadd z1 nx 1 d
zremrangebyscore z1 0 4.5
zremrangebyrank z1 0 0
zadd z2 0 a 0 b 0 c
zremrangebylex z2 [a [b
zpopmin z1
zpopmax z1
zadd z3 1 x 2 y
zunionstore z4 2 z1 z3
zadd z3 9 f
zinterstore z5 2 z1 z3
zinterstore z5 2 z1 nokey
zdiffstore z6 1 z3
zrangestore z7 z3 0 -1
zrangestore z7 nokey 0 -1
zmpop 1 z3 min count 5
setbit b1 7 1
setbit b1 7 1
bitop or b2 b1 b1
bitop and b2 nokey nokey2
bitfield b3 set u8 0 255
bitfield b3 get u8 0
rpush so 3 1 2
sort so store so2
sort nokey store so2
sadd sp 1 2 3
spop sp
spop sp 5
copy h1 h9 db 2
rpush bl a b c
blpop bl 0
brpop bl 0
rpush bl x
blmove bl bl2 left right 0
brpoplpush bl2 bl3 0
rpush bl4 a b
blmpop 0 1 bl4 left count 5
zadd bz 1 a 2 b 3 c
bzpopmin bz 0
bzpopmax bz 0
bzmpop 0 1 bz min count 3
set k v keepttl
set k v2 get
set k3 v3 nx get
set k v xx px 100000
getex k px 50000
incrbyfloat k3 1
set k3 5
incrbyfloat k3 1.5
linsert nolist before a b
rpush li a b c
linsert li after b X
linsert li after nope X
lrem li 0 nope
ltrim li 5 10
hset hd a 1 b 2
hdel hd a b
hdel hd a
copy k kc
copy k kc replace
set r1 a
set r2 b
rename r1 r2
sadd sm 1
smove sm sm2 1
smove sm2 sm2 1
zadd zi 1 a
zinterstore zo 1 zi
zinterstore zo 1 nokey
zunionstore zo 1 nokey
sort li alpha store sorted
setbit bb 100 0
bitop not bn bb
expire k 0
pexpire nokey 100
persist nokey
del nokey
unlink k3 kc
get nokey
flushdb
swapdb 0 1
flushall";

#[test]
fn notification_streams_match_redis() {
    let Some(reference) = reference(&[]) else {
        return;
    };
    let ours = TestServer::start();
    let mut wf = Watch::new(&ours, "AKEnm");
    let mut wr = Watch::new(&reference, "AKEnm");
    let mut mismatches = Vec::new();
    for line in DIFF_COMMANDS.lines() {
        let args: Vec<&[u8]> = line.split(' ').map(|a| a.as_bytes()).collect();
        let f = wf.run(&args);
        let r = wr.run(&args);
        if f != r {
            mismatches.push(format!("{}\n  ferredis {:?}\n  redis    {:?}", line, f, r));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn resp3_writer_gets_events_of_the_blocked_client_it_served() {
    // A's LPUSH serves B's BLPOP while A is still running its command: the
    // `lpop` event for A must not be lost (it follows A's reply, as in Redis).
    let srv = TestServer::with_args(&["--notify-keyspace-events", "El"]);
    let mut b = srv.raw();
    b.send_cmd(&["BLPOP", "q", "0"]);
    let mut a = srv.raw();
    a.cmd(&["HELLO", "3"]);
    a.send_cmd(&["SUBSCRIBE", "__keyevent@0__:lpush", "__keyevent@0__:lpop"]);
    a.read_reply();
    a.read_reply();
    assert!(crate::common::wait_until(Duration::from_secs(5), || {
        let mut c = srv.raw();
        String::from_utf8_lossy(&c.cmd(&["INFO", "clients"])).contains("blocked_clients:1")
    }));
    a.send_cmd(&["LPUSH", "q", "x"]);
    // Redis replies to LPUSH before notifying it.
    assert_eq!(a.read_reply().raw, b":1\r\n");
    assert_eq!(
        a.read_reply().raw,
        b">3\r\n$7\r\nmessage\r\n$20\r\n__keyevent@0__:lpush\r\n$1\r\nq\r\n"
    );
    assert_eq!(
        a.read_reply().raw,
        b">3\r\n$7\r\nmessage\r\n$19\r\n__keyevent@0__:lpop\r\n$1\r\nq\r\n"
    );
    assert_eq!(b.read_reply().raw, b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
}

/// Everything a RESP3 connection subscribed to its own keyspace events
/// receives for one command (pushes and reply, in order), up to an ECHO
/// marker.
fn own_stream(c: &mut RawConn, args: &[&[u8]], i: usize) -> Vec<u8> {
    let marker = format!("mark{}", i);
    c.send_cmd(args);
    c.send_cmd(&["ECHO", &marker]);
    let mut out = Vec::new();
    loop {
        let f = c.read_reply();
        if f.kind == b'$' && f.body.as_deref() == Some(marker.as_bytes()) {
            return out;
        }
        out.extend_from_slice(&f.raw);
    }
}

#[test]
fn own_events_interleave_with_replies_as_in_redis() {
    // A RESP3 client subscribed to its own events gets each push where
    // Redis puts it relative to the reply (before or after, per command).
    let Some(reference) = reference(&[]) else {
        return;
    };
    let ours = TestServer::start();
    let mut conns = Vec::new();
    for srv in [&ours, &reference] {
        let mut c = srv.raw();
        c.cmd(&["HELLO", "3"]);
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "AKEnm"]);
        c.cmd(&["FLUSHALL"]);
        c.cmd(&["PSUBSCRIBE", "__key*__:*"]);
        conns.push(c);
    }
    let mut mismatches = Vec::new();
    // SPOP's member is random: left out.
    for (i, line) in DIFF_COMMANDS
        .lines()
        .filter(|l| !l.starts_with("spop"))
        .enumerate()
    {
        let args: Vec<&[u8]> = line.split(' ').map(|a| a.as_bytes()).collect();
        let f = own_stream(&mut conns[0], &args, i);
        let r = own_stream(&mut conns[1], &args, i);
        if f != r {
            mismatches.push(format!(
                "{}\n  ferredis {}\n  redis    {}",
                line,
                crate::common::escape(&f),
                crate::common::escape(&r)
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
