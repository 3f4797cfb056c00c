//! Keyspace behaviour seen from a client: active expiry removes keys
//! nobody touches, DEBUG SET-ACTIVE-EXPIRE stops it, SCAN keeps its
//! guarantee while the table grows, and a redis-crate client round trip
//! over the string and generic commands.

use std::time::Duration;

use redis::Commands;

use crate::common::{wait_until, TestServer};

fn dbsize(con: &mut redis::Connection) -> i64 {
    redis::cmd("DBSIZE").query(con).expect("DBSIZE")
}

#[test]
fn active_expiry_reclaims_untouched_keys() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let mut con = server.client();
    for i in 0..2000 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{}", i))
            .arg("v")
            .arg("PX")
            .arg(100)
            .query(&mut con)
            .expect("SET PX");
    }
    let _: () = con.set("keeper", "v").expect("SET");
    // No exact count here: on a loaded machine some keys may already be
    // gone. Only the active cycle can remove them: DBSIZE touches no key.
    // DBSIZE does not touch keys, so only the active cycle can shrink it.
    let gone = wait_until(Duration::from_secs(10), || dbsize(&mut con) == 1);
    assert!(
        gone,
        "active expiry left {} keys\n{}",
        dbsize(&mut con),
        server.log()
    );
    let expired = redis::cmd("INFO")
        .arg("stats")
        .query::<String>(&mut con)
        .expect("INFO");
    assert!(expired.contains("expired_keys:2000\r\n"), "{}", expired);
}

#[test]
fn active_expiry_can_be_disabled_for_tests() {
    let server = TestServer::with_args(&["--enable-debug-command", "yes"]);
    let mut con = server.client();
    let _: () = redis::cmd("DEBUG")
        .arg("SET-ACTIVE-EXPIRE")
        .arg(0)
        .query(&mut con)
        .expect("DEBUG");
    for i in 0..100 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{}", i))
            .arg("v")
            .arg("PX")
            .arg(1)
            .query(&mut con)
            .expect("SET PX");
    }
    // Wait well past the TTL and several cron ticks: the keys stay counted
    // until something touches them.
    let still = !wait_until(Duration::from_millis(600), || dbsize(&mut con) < 100);
    assert!(still, "keys were reclaimed with active expiry off");
    let v: Option<String> = con.get("k1").expect("GET");
    assert_eq!(v, None, "lazy expiry must still apply");
    assert_eq!(dbsize(&mut con), 99);
}

#[test]
fn scan_returns_every_key_while_the_table_grows() {
    let server = TestServer::start();
    let mut con = server.client();
    for i in 0..1000 {
        let _: () = con.set(format!("stable:{}", i), i).expect("SET");
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor: u64 = 0;
    let mut round = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(20)
            .query(&mut con)
            .expect("SCAN");
        seen.extend(keys);
        // Grow the table between the first SCAN calls so it rehashes
        // mid-scan (bounded, or the scan could chase a growing table).
        if round < 20 {
            for j in 0..200 {
                let _: () = con.set(format!("extra:{}:{}", round, j), j).expect("SET");
            }
        }
        round += 1;
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    for i in 0..1000 {
        assert!(
            seen.contains(&format!("stable:{}", i)),
            "SCAN missed stable:{}",
            i
        );
    }
}

#[test]
fn redis_crate_round_trip_over_strings_and_keys() {
    let server = TestServer::start();
    let mut con = server.client();
    let _: () = con.set("counter", 10).expect("SET");
    let n: i64 = con.incr("counter", 5).expect("INCRBY");
    assert_eq!(n, 15);
    let f: f64 = redis::cmd("INCRBYFLOAT")
        .arg("float")
        .arg("0.1")
        .query(&mut con)
        .expect("INCRBYFLOAT");
    assert!((f - 0.1).abs() < 1e-12);
    let _: () = con.mset(&[("a", "1"), ("b", "2")]).expect("MSET");
    let got: Vec<Option<String>> = con.mget(&["a", "b", "nope"]).expect("MGET");
    assert_eq!(got, vec![Some("1".into()), Some("2".into()), None]);
    let _: () = con.append("a", "23").expect("APPEND");
    let s: String = con.get("a").expect("GET");
    assert_eq!(s, "123");
    let _: () = con.expire("a", 100).expect("EXPIRE");
    let ttl: i64 = con.ttl("a").expect("TTL");
    assert!((99..=100).contains(&ttl));
    let _: () = con.rename("a", "c").expect("RENAME");
    let t: String = redis::cmd("TYPE").arg("c").query(&mut con).expect("TYPE");
    assert_eq!(t, "string");
    let deleted: i64 = con.del(&["b", "c", "nope"]).expect("DEL");
    assert_eq!(deleted, 2);
    let mut keys: Vec<String> = con.keys("*").expect("KEYS");
    keys.sort();
    assert_eq!(keys, vec!["counter", "float"]);
    // Binary-safe keys and values.
    let bin = b"a\x00b\r\nc".to_vec();
    let _: () = con.set(&bin, &bin).expect("SET binary");
    let back: Vec<u8> = con.get(&bin).expect("GET binary");
    assert_eq!(back, bin);
}
