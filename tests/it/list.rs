//! Lists seen from a client: a list of a few hundred thousand elements
//! (many quicklist nodes) built and drained over TCP with the redis crate,
//! checked element by element, and huge client counts that must be bounded.

use crate::common::TestServer;

fn q<T: redis::FromRedisValue>(con: &mut redis::Connection, args: &[&str]) -> T {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con).unwrap_or_else(|e| panic!("{:?}: {}", args, e))
}

#[test]
fn big_list_round_trip() {
    let server = TestServer::start();
    let mut con = server.client();
    const N: usize = 200_000;
    for chunk in 0..(N / 1000) {
        let vals: Vec<String> = (chunk * 1000..(chunk + 1) * 1000)
            .map(|i| {
                if i % 2 == 0 {
                    i.to_string()
                } else {
                    format!("v{}", i)
                }
            })
            .collect();
        let n: usize = redis::cmd("RPUSH")
            .arg("big")
            .arg(&vals)
            .query(&mut con)
            .expect("RPUSH");
        assert_eq!(n, (chunk + 1) * 1000);
    }
    let enc: String = q(&mut con, &["OBJECT", "ENCODING", "big"]);
    assert_eq!(enc, "quicklist");
    let mid: String = q(&mut con, &["LINDEX", "big", "100001"]);
    assert_eq!(mid, "v100001");
    let all: Vec<String> = q(&mut con, &["LRANGE", "big", "0", "-1"]);
    assert_eq!(all.len(), N);
    assert!(all.iter().enumerate().all(|(i, v)| if i % 2 == 0 {
        *v == i.to_string()
    } else {
        *v == format!("v{}", i)
    }));
    let pos: i64 = q(&mut con, &["LPOS", "big", "v199999", "RANK", "-1"]);
    assert_eq!(pos, 199_999);
    // Huge counts are bounded by the list, not allocated up front.
    let none: Vec<i64> = q(
        &mut con,
        &["LPOS", "big", "nosuch", "COUNT", "0", "MAXLEN", "0"],
    );
    assert!(none.is_empty());
    let head: Vec<String> = q(&mut con, &["LPOP", "big", "100000"]);
    assert_eq!(head.len(), 100_000);
    assert_eq!(head[99_999], "v99999");
    let ok: String = q(&mut con, &["LTRIM", "big", "1000", "-1001"]);
    assert_eq!(ok, "OK");
    let len: i64 = q(&mut con, &["LLEN", "big"]);
    assert_eq!(len, 98_000);
    let first: String = q(&mut con, &["LINDEX", "big", "0"]);
    assert_eq!(first, "101000");
    let rest: Vec<String> = q(&mut con, &["RPOP", "big", "9223372036854775807"]);
    assert_eq!(rest.len(), 98_000);
    let exists: i64 = q(&mut con, &["EXISTS", "big"]);
    assert_eq!(exists, 0);
    let popped: Option<Vec<String>> = q(
        &mut con,
        &["LMPOP", "1", "big", "LEFT", "COUNT", "9223372036854775807"],
    );
    assert!(popped.is_none());
}
