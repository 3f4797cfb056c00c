//! `maxmemory` seen from a client: with `noeviction` writes get `-OOM`
//! once memory is over the limit while reads and deletions still run;
//! with an eviction policy the server evicts keys to make room, counts
//! them in `evicted_keys`, frees big ones lazily with
//! `lazyfree-lazy-eviction yes`, and a volatile policy without volatile
//! keys refuses like `noeviction`.

use redis::Commands;

use crate::common::TestServer;

fn info_u64(con: &mut redis::Connection, field: &str) -> u64 {
    let text: String = redis::cmd("INFO").query(con).expect("INFO");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{}:", field)))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {} in INFO", field))
}

fn config_set(con: &mut redis::Connection, name: &str, value: &str) {
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query(con)
        .expect("CONFIG SET");
}

/// Writes 1 KB values until a write is refused; returns how many went in.
fn fill_until_oom(con: &mut redis::Connection, prefix: &str, most: usize) -> (usize, String) {
    let value = "v".repeat(1024);
    for i in 0..most {
        let r: redis::RedisResult<()> = con.set(format!("{}{}", prefix, i), &value);
        if let Err(e) = r {
            return (i, e.to_string());
        }
    }
    (most, String::new())
}

#[test]
fn noeviction_refuses_writes_over_maxmemory_and_policies_evict() {
    let server = TestServer::with_args(&[]);
    let mut con = server.client();
    let base = info_u64(&mut con, "used_memory");
    config_set(&mut con, "maxmemory", &(base + 2_000_000).to_string());
    // noeviction (the default): ~2 MB of 1 KB values, then -OOM.
    let (n, err) = fill_until_oom(&mut con, "a", 10_000);
    assert!(n > 500 && n < 10_000, "{} writes went in", n);
    assert!(
        err.contains("command not allowed when used memory > 'maxmemory'"),
        "{}",
        err
    );
    let raw = server.cli(&["set", "x", "y"]);
    assert!(
        raw.contains("OOM command not allowed when used memory > 'maxmemory'."),
        "{}",
        raw
    );
    // Reads and deletions still run; freeing memory lets writes back in.
    let v: Option<String> = con.get("a0").expect("GET");
    assert!(v.is_some());
    let deleted: i64 = con
        .del((0..200).map(|i| format!("a{}", i)).collect::<Vec<_>>())
        .expect("DEL");
    assert_eq!(deleted, 200);
    let _: () = con.set("after-del", "ok").expect("SET after DEL");
    assert_eq!(info_u64(&mut con, "evicted_keys"), 0);

    // A volatile policy with no volatile keys cannot evict either.
    config_set(&mut con, "maxmemory-policy", "volatile-lru");
    let (_, err) = fill_until_oom(&mut con, "b", 10_000);
    assert!(err.contains("OOM"), "{}", err);

    // allkeys-lru makes room: every write goes in, older keys go.
    config_set(&mut con, "maxmemory-policy", "allkeys-lru");
    let (n, err) = fill_until_oom(&mut con, "c", 5_000);
    assert_eq!((n, err.as_str()), (5_000, ""));
    let evicted = info_u64(&mut con, "evicted_keys");
    assert!(evicted > 1000, "evicted {}", evicted);
    let used = info_u64(&mut con, "used_memory");
    assert!(
        used <= base + 2_100_000,
        "used {} over the limit {}",
        used,
        base + 2_000_000
    );
    let policy: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory-policy")
        .query(&mut con)
        .expect("CONFIG GET");
    assert_eq!(policy[1], "allkeys-lru");
    let text: String = redis::cmd("INFO")
        .arg("memory")
        .query(&mut con)
        .expect("INFO");
    assert!(text.contains("maxmemory_policy:allkeys-lru"), "{}", text);
}

#[test]
fn lazyfree_lazy_eviction_frees_big_victims_off_the_reactor() {
    let server = TestServer::with_args(&["--lazyfree-lazy-eviction", "yes"]);
    let mut con = server.client();
    let base = info_u64(&mut con, "used_memory");
    config_set(&mut con, "maxmemory", &(base + 3_000_000).to_string());
    config_set(&mut con, "maxmemory-policy", "allkeys-random");
    // Sets of 200 members: big enough for the lazy-free thread.
    for i in 0..400 {
        let members: Vec<String> = (0..200).map(|m| format!("member-{}-{}", i, m)).collect();
        let _: i64 = con.sadd(format!("s{}", i), members).expect("SADD");
    }
    assert!(info_u64(&mut con, "evicted_keys") > 0);
    let freed =
        info_u64(&mut con, "lazyfreed_objects") + info_u64(&mut con, "lazyfree_pending_objects");
    assert!(freed > 0, "no eviction went through the lazy-free thread");
}
