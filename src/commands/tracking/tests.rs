//! Unit tests of CLIENT TRACKING/CACHING/GETREDIR/TRACKINGINFO (exact reply
//! bytes, checked against redis-server 7.0.15) and of the invalidations a
//! single client gets about its own writes.

use crate::commands::testing::Harness;

const OFF_INFO: &str =
    "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n";

#[test]
fn tracking_errors_match_redis() {
    let mut h = Harness::new();
    let cases: &[(&[&str], &str)] = &[
        (&["client", "tracking"], "-ERR wrong number of arguments for 'client|tracking' command\r\n"),
        (&["client", "tracking", "maybe"], "-ERR syntax error\r\n"),
        (&["client", "tracking", "on", "foo"], "-ERR syntax error\r\n"),
        (&["client", "tracking", "on", "redirect"], "-ERR syntax error\r\n"),
        (&["client", "tracking", "on", "prefix"], "-ERR syntax error\r\n"),
        (&["client", "tracking", "on", "redirect", "abc"], "-ERR value is not an integer or out of range\r\n"),
        (&["client", "tracking", "maybe", "redirect", "abc"], "-ERR value is not an integer or out of range\r\n"),
        (&["client", "tracking", "on", "redirect", "0"], "-ERR The client ID you want redirect to does not exist\r\n"),
        (&["client", "tracking", "on", "redirect", "-1"], "-ERR The client ID you want redirect to does not exist\r\n"),
        (&["client", "tracking", "off", "redirect", "99999"], "-ERR The client ID you want redirect to does not exist\r\n"),
        (&["client", "tracking", "on", "redirect", "1", "redirect", "abc"], "-ERR A client can only redirect to a single other client\r\n"),
        (&["client", "tracking", "on", "prefix", "a"], "-ERR PREFIX option requires BCAST mode to be enabled\r\n"),
        (&["client", "tracking", "on", "prefix", "a", "optin", "optout"], "-ERR PREFIX option requires BCAST mode to be enabled\r\n"),
        (&["client", "tracking", "on", "optin", "optout"], "-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n"),
        (&["client", "tracking", "on", "bcast", "optin"], "-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n"),
        (&["client", "tracking", "on", "optin", "optout", "bcast"], "-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n"),
        (&["client", "tracking", "on", "bcast", "prefix", "a", "prefix", "ab"], "-ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client must not overlap.\r\n"),
        (&["client", "tracking", "on", "bcast", "prefix", "ab", "prefix", "a"], "-ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap.\r\n"),
        (&["client", "tracking", "on", "bcast", "prefix", "", "prefix", "a"], "-ERR Prefix '' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap.\r\n"),
        (&["client", "tracking", "on", "bcast", "prefix", "a\0b", "prefix", "a\0b"], "-ERR Prefix 'a' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap.\r\n"),
        (&["client", "caching", "yes"], "-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled\r\n"),
        (&["client", "caching", "maybe"], "-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled\r\n"),
        (&["client", "caching"], "-ERR wrong number of arguments for 'client|caching' command\r\n"),
        (&["client", "getredir", "x"], "-ERR wrong number of arguments for 'client|getredir' command\r\n"),
        (&["client", "trackinginfo", "x"], "-ERR wrong number of arguments for 'client|trackinginfo' command\r\n"),
        (&["client", "tracking", "off", "bcast", "prefix", "a"], "+OK\r\n"),
        (&["client", "getredir"], ":-1\r\n"),
    ];
    for (args, want) in cases {
        assert_eq!(h.run_str(args), *want, "{:?}", args);
    }
    assert_eq!(h.run_str(&["client", "trackinginfo"]), OFF_INFO);
}

#[test]
fn modes_and_trackinginfo() {
    let mut h = Harness::new();
    assert_eq!(h.run_str(&["client", "tracking", "on", "optin"]), "+OK\r\n");
    assert_eq!(
        h.run_str(&["client", "caching", "no"]),
        "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n"
    );
    assert_eq!(
        h.run_str(&["client", "caching", "maybe"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(h.run_str(&["client", "caching", "YES"]), "+OK\r\n");
    assert_eq!(
        h.run_str(&["client", "trackinginfo"]),
        "*6\r\n$5\r\nflags\r\n*3\r\n$2\r\non\r\n$5\r\noptin\r\n$11\r\ncaching-yes\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n"
    );
    // Another CLIENT subcommand (even a rejected one) keeps CACHING; any
    // other command, or an unknown subcommand, clears it.
    assert_eq!(
        h.run_str(&["client", "getname", "x"]),
        "-ERR wrong number of arguments for 'client|getname' command\r\n"
    );
    assert!(h
        .run_str(&["client", "trackinginfo"])
        .contains("caching-yes"));
    h.run_str(&["client", "nosuch"]);
    assert!(!h
        .run_str(&["client", "trackinginfo"])
        .contains("caching-yes"));
    h.run_str(&["client", "caching", "yes"]);
    h.run_str(&["nosuchcmd"]);
    assert!(!h
        .run_str(&["client", "trackinginfo"])
        .contains("caching-yes"));
    assert_eq!(
        h.run_str(&["client", "tracking", "on", "optout"]),
        "-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.\r\n"
    );
    assert_eq!(
        h.run_str(&["client", "tracking", "on", "bcast"]),
        "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.\r\n"
    );
    assert_eq!(h.run_str(&["client", "tracking", "off"]), "+OK\r\n");
    assert_eq!(
        h.run_str(&[
            "client", "tracking", "ON", "BCAST", "PREFIX", "foo", "Prefix", "bar", "noloop"
        ]),
        "+OK\r\n"
    );
    assert_eq!(
        h.run_str(&["client", "tracking", "on", "bcast", "prefix", "fo"]),
        "-ERR Prefix 'fo' overlaps with an existing prefix 'foo'. Prefixes for a single client must not overlap.\r\n"
    );
    assert_eq!(
        h.run_str(&["client", "tracking", "on", "bcast", "prefix", "x"]),
        "+OK\r\n"
    );
    assert_eq!(
        h.run_str(&["client", "trackinginfo"]),
        "*6\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*3\r\n$3\r\nbar\r\n$3\r\nfoo\r\n$1\r\nx\r\n"
    );
    assert_eq!(h.srv.tracking.total_prefixes(), 3);
    let list = h.run_str(&["client", "info"]);
    assert!(
        list.contains(" flags=tB ") && list.contains(" redir=0 "),
        "{}",
        list
    );
    assert_eq!(h.run_str(&["reset"]), "+RESET\r\n");
    assert_eq!(h.run_str(&["client", "trackinginfo"]), OFF_INFO);
    assert_eq!(h.srv.tracking.total_prefixes(), 0);
    // RESP3: a map with a set of flags.
    h.run_str(&["hello", "3"]);
    h.run_str(&["client", "tracking", "on", "redirect", "1"]);
    assert_eq!(
        h.run_str(&["client", "trackinginfo"]),
        "%3\r\n$5\r\nflags\r\n~1\r\n$2\r\non\r\n$8\r\nredirect\r\n:1\r\n$8\r\nprefixes\r\n*0\r\n"
    );
    assert_eq!(h.run_str(&["client", "getredir"]), ":1\r\n");
}

#[test]
fn own_writes_invalidate_after_the_reply() {
    let mut h = Harness::new();
    h.run_str(&["hello", "3"]);
    h.run_str(&["client", "tracking", "on"]);
    h.run_str(&["set", "k", "1"]);
    assert_eq!(h.run_str(&["get", "k"]), "$1\r\n1\r\n");
    assert_eq!(h.srv.tracking.total_keys(), 1);
    assert_eq!(
        h.run_str(&["set", "k", "2"]),
        "+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"
    );
    // One-shot: the second write says nothing.
    assert_eq!(h.run_str(&["set", "k", "3"]), "+OK\r\n");
    // Keys of read-only commands are tracked even on errors.
    h.run_str(&["lpush", "l", "a"]);
    h.run_str(&["get", "l"]);
    h.run_str(&["mget", "a", "b"]);
    assert_eq!(h.srv.tracking.total_items(), 3);
    h.run_str(&["multi"]);
    h.run_str(&["set", "a", "1"]);
    h.run_str(&["del", "l"]);
    assert_eq!(
        h.run_str(&["exec"]),
        "*2\r\n+OK\r\n:1\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nl\r\n"
    );
    h.run_str(&["get", "a"]);
    assert_eq!(
        h.run_str(&["flushdb"]),
        "+OK\r\n>2\r\n$10\r\ninvalidate\r\n_\r\n"
    );
    assert_eq!(h.srv.tracking.total_keys(), 0);
    // Lazy expiry of a key read then written: expiry first, one message.
    h.run_str(&["set", "e", "1", "px", "10"]);
    h.run_str(&["get", "e"]);
    h.advance_ms(20);
    assert_eq!(
        h.run_str(&["set", "e", "2"]),
        "+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\ne\r\n"
    );
    // NOLOOP: nothing about our own writes.
    h.run_str(&["client", "tracking", "on", "noloop"]);
    h.run_str(&["get", "n"]);
    assert_eq!(h.run_str(&["set", "n", "1"]), "+OK\r\n");
    // RESP2 without redirect: nothing is sent, the key is still forgotten.
    h.run_str(&["client", "tracking", "on"]);
    h.run_str(&["hello", "2"]);
    h.run_str(&["get", "r"]);
    assert_eq!(h.run_str(&["set", "r", "1"]), "+OK\r\n");
    assert_eq!(h.srv.tracking.total_keys(), 0);
}

#[test]
fn optin_optout() {
    let mut h = Harness::new();
    h.run_str(&["hello", "3"]);
    h.run_str(&["client", "tracking", "on", "optin"]);
    h.run_str(&["get", "o1"]);
    assert_eq!(h.srv.tracking.total_keys(), 0);
    h.run_str(&["client", "caching", "yes"]);
    h.run_str(&["get", "o2"]);
    h.run_str(&["get", "o3"]);
    assert_eq!(h.srv.tracking.total_keys(), 1);
    // CACHING before MULTI covers the whole transaction.
    h.run_str(&["client", "caching", "yes"]);
    h.run_str(&["multi"]);
    h.run_str(&["get", "o4"]);
    h.run_str(&["get", "o5"]);
    h.run_str(&["exec"]);
    assert_eq!(h.srv.tracking.total_keys(), 3);
    h.run_str(&["get", "o6"]);
    assert_eq!(h.srv.tracking.total_keys(), 3);
    h.run_str(&["client", "tracking", "off"]);
    h.run_str(&["client", "tracking", "on", "optout"]);
    h.run_str(&["client", "caching", "no"]);
    h.run_str(&["get", "p1"]);
    assert_eq!(h.srv.tracking.total_keys(), 3);
    h.run_str(&["get", "p2"]);
    assert_eq!(h.srv.tracking.total_keys(), 4);
}

#[test]
fn lazy_expiry_inside_a_multi_key_read_comes_after_the_reply() {
    let mut h = Harness::new();
    h.run_str(&["hello", "3"]);
    h.run_str(&["client", "tracking", "on"]);
    h.run_str(&["mset", "x", "1", "y", "2"]);
    h.run_str(&["pexpire", "y", "100"]);
    h.run_str(&["get", "y"]);
    h.advance_ms(200);
    assert_eq!(
        h.run_str(&["mget", "x", "y"]),
        "*2\r\n$1\r\n1\r\n_\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\ny\r\n"
    );
}

#[test]
fn redirect_to_self_and_resp2_messages() {
    let mut h = Harness::new();
    h.run_str(&["hello", "3"]);
    assert_eq!(
        h.run_str(&["client", "tracking", "on", "redirect", "1"]),
        "+OK\r\n"
    );
    h.run_str(&["get", "k"]);
    assert_eq!(
        h.run_str(&["set", "k", "1"]),
        "+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"
    );
    // A RESP2 redirect client that is not subscribed to anything gets
    // nothing (see `redirect_target_listens`; the subscribed case needs a
    // second connection: tests/it/tracking.rs).
    h.run_str(&["hello", "2"]);
    h.run_str(&["get", "k"]);
    assert_eq!(h.run_str(&["del", "k"]), ":1\r\n");
    assert_eq!(h.run_str(&["flushall"]), "+OK\r\n");
    assert_eq!(h.run_str(&["client", "getredir"]), ":1\r\n");
    let info = h.run_str(&["client", "info"]);
    assert!(
        info.contains(" flags=t ") && info.contains(" redir=1 "),
        "{}",
        info
    );
}
