//! Unit tests of the transaction commands: exact reply bytes of every
//! reply and error path, WATCH touched by writes, flushes, SWAPDB and
//! expiry, and what EXEC propagates.

use crate::commands::process_command;
use crate::commands::testing::Harness;
use crate::server::client::{Client, Conn};

const EXECABORT: &str = "-EXECABORT Transaction discarded because of previous errors.\r\n";

/// A second client on the harness's server.
fn other(h: &mut Harness) -> Box<Client> {
    let id = h.srv.next_client_id;
    h.srv.next_client_id += 1;
    let mut c = Box::new(Client::new(
        id,
        usize::MAX - 1,
        Conn::Detached,
        "127.0.0.1:2".into(),
        "127.0.0.1:6379".into(),
        h.srv.now_ms,
    ));
    c.authenticated = true;
    c
}

/// Runs a command for `c` and returns its reply as a string.
fn run_as(h: &mut Harness, c: &mut Client, args: &[&str]) -> String {
    c.reply.buf.clear();
    c.reply.sent = 0;
    let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    process_command(&mut h.srv, c, &argv);
    h.srv.pending_writes.clear();
    String::from_utf8_lossy(&std::mem::take(&mut c.reply.buf)).into_owned()
}

/// MULTI, PING, EXEC on the harness's client: the EXEC reply.
fn try_exec(h: &mut Harness) -> String {
    assert_eq!(h.run_str(&["multi"]), "+OK\r\n");
    assert_eq!(h.run_str(&["ping"]), "+QUEUED\r\n");
    h.run_str(&["exec"])
}

const PONG: &str = "*1\r\n+PONG\r\n";
const NULL: &str = "*-1\r\n";

#[test]
fn errors_outside_multi() {
    let mut h = Harness::new();
    assert_eq!(h.run_str(&["exec"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(h.run_str(&["discard"]), "-ERR DISCARD without MULTI\r\n");
    assert_eq!(
        h.run_str(&["exec", "x"]),
        "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"
    );
    assert_eq!(
        h.run_str(&["discard", "x"]),
        "-ERR wrong number of arguments for 'discard' command\r\n"
    );
    assert_eq!(
        h.run_str(&["multi", "x"]),
        "-ERR wrong number of arguments for 'multi' command\r\n"
    );
    assert_eq!(
        h.run_str(&["watch"]),
        "-ERR wrong number of arguments for 'watch' command\r\n"
    );
    assert_eq!(
        h.run_str(&["unwatch", "x"]),
        "-ERR wrong number of arguments for 'unwatch' command\r\n"
    );
    assert_eq!(h.run_str(&["unwatch"]), "+OK\r\n");
}

#[test]
fn queue_and_exec_with_runtime_errors_not_rolled_back() {
    let mut h = Harness::new();
    assert_eq!(h.run_str(&["multi"]), "+OK\r\n");
    for cmd in [
        &["set", "k", "v"][..],
        &["lpush", "k", "1"],
        &["incr", "k"],
        &["get", "k"],
    ] {
        assert_eq!(h.run_str(cmd), "+QUEUED\r\n");
    }
    // Nothing ran yet.
    assert!(h.srv.keyspace.dbs[0].is_empty());
    assert_eq!(
        h.run_str(&["exec"]),
        "*4\r\n+OK\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n-ERR value is not an integer or out of range\r\n$1\r\nv\r\n"
    );
    assert_eq!(h.run_str(&["exec"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(h.run_str(&["multi"]), "+OK\r\n");
    assert_eq!(h.run_str(&["exec"]), "*0\r\n");
    // SELECT inside the transaction sticks.
    h.run(&["multi"]);
    h.run(&["select", "2"]);
    h.run(&["set", "a", "1"]);
    assert_eq!(h.run_str(&["exec"]), "*2\r\n+OK\r\n+OK\r\n");
    assert_eq!(h.client.db, 2);
}

#[test]
fn nested_multi_and_watch_inside_multi_do_not_abort() {
    let mut h = Harness::new();
    h.run(&["multi"]);
    assert_eq!(
        h.run_str(&["multi"]),
        "-ERR MULTI calls can not be nested\r\n"
    );
    assert_eq!(
        h.run_str(&["watch", "k"]),
        "-ERR WATCH inside MULTI is not allowed\r\n"
    );
    h.run(&["set", "k", "v"]);
    assert_eq!(h.run_str(&["exec"]), "*1\r\n+OK\r\n");
}

#[test]
fn queue_time_errors_abort_exec() {
    let mut h = Harness::new();
    h.run(&["multi"]);
    assert_eq!(
        h.run_str(&["set", "k"]),
        "-ERR wrong number of arguments for 'set' command\r\n"
    );
    assert_eq!(h.run_str(&["set", "k", "v"]), "+QUEUED\r\n");
    assert_eq!(h.run_str(&["exec"]), EXECABORT);
    assert_eq!(h.run_str(&["get", "k"]), "$-1\r\n");
    h.run(&["multi"]);
    assert_eq!(
        h.run_str(&["nosuch", "a"]),
        "-ERR unknown command 'nosuch', with args beginning with: 'a' \r\n"
    );
    assert_eq!(h.run_str(&["exec"]), EXECABORT);
    h.run(&["multi"]);
    assert_eq!(
        h.run_str(&["save"]),
        "-ERR Command not allowed inside a transaction\r\n"
    );
    assert_eq!(h.run_str(&["exec"]), EXECABORT);
    h.run(&["multi"]);
    assert_eq!(
        h.run_str(&["shutdown"]),
        "-ERR Command not allowed inside a transaction\r\n"
    );
    assert_eq!(h.run_str(&["discard"]), "+OK\r\n");
    // EXEC with arguments inside MULTI discards the transaction.
    h.run(&["multi"]);
    h.run(&["set", "k", "v"]);
    assert_eq!(
        h.run_str(&["exec", "x"]),
        "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"
    );
    assert_eq!(h.run_str(&["exec"]), "-ERR EXEC without MULTI\r\n");
    let stats = h.run_str(&["info", "errorstats"]);
    assert!(
        stats.contains("errorstat_EXECABORT:count=4\r\n"),
        "{}",
        stats
    );
}

#[test]
fn blocking_commands_do_not_block_in_exec() {
    let mut h = Harness::new();
    h.run(&["multi"]);
    h.run(&["blpop", "l", "0"]);
    h.run(&["brpoplpush", "l", "x", "1"]);
    h.run(&["blmove", "l", "x", "left", "left", "0"]);
    h.run(&["bzpopmin", "z", "0"]);
    h.run(&["blmpop", "0", "1", "l", "left"]);
    h.run(&["bzmpop", "0", "1", "z", "min"]);
    h.run(&["rpush", "l", "a"]);
    h.run(&["blpop", "l", "0"]);
    assert_eq!(
        h.run_str(&["exec"]),
        "*8\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n*-1\r\n*-1\r\n:1\r\n*2\r\n$1\r\nl\r\n$1\r\na\r\n"
    );
    assert!(h.client.blocked.is_none());
    assert_eq!(h.srv.blocking.count(), 0);
    h.run(&["hello", "3"]);
    h.run(&["multi"]);
    h.run(&["blpop", "l", "0"]);
    h.run(&["brpoplpush", "l", "x", "1"]);
    assert_eq!(h.run_str(&["exec"]), "*2\r\n_\r\n_\r\n");
}

#[test]
fn watch_touched_by_other_and_own_writes() {
    let mut h = Harness::new();
    let mut b = other(&mut h);
    assert_eq!(h.run_str(&["watch", "k"]), "+OK\r\n");
    run_as(&mut h, &mut b, &["set", "k", "1"]);
    assert_eq!(try_exec(&mut h), NULL);
    // EXEC unwatched everything, even when it failed.
    run_as(&mut h, &mut b, &["set", "k", "2"]);
    assert_eq!(try_exec(&mut h), PONG);
    // Own writes count too.
    h.run(&["watch", "k"]);
    h.run(&["set", "k", "3"]);
    assert_eq!(try_exec(&mut h), NULL);
    // A no-op write is no touch; a read never is.
    h.run(&["watch", "nx", "k"]);
    run_as(&mut h, &mut b, &["del", "nx"]);
    run_as(&mut h, &mut b, &["get", "k"]);
    assert_eq!(try_exec(&mut h), PONG);
    // UNWATCH, DISCARD and RESET forget the watch and the dirty flag.
    h.run(&["watch", "k"]);
    run_as(&mut h, &mut b, &["set", "k", "4"]);
    assert_eq!(h.run_str(&["unwatch"]), "+OK\r\n");
    assert_eq!(try_exec(&mut h), PONG);
    h.run(&["watch", "k"]);
    h.run(&["multi"]);
    assert_eq!(h.run_str(&["discard"]), "+OK\r\n");
    run_as(&mut h, &mut b, &["set", "k", "5"]);
    assert_eq!(try_exec(&mut h), PONG);
    h.run(&["watch", "k"]);
    h.run(&["multi"]);
    h.run(&["set", "k", "9"]);
    assert_eq!(h.run_str(&["reset"]), "+RESET\r\n");
    assert_eq!(h.run_str(&["exec"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(h.run_str(&["get", "k"]), "$1\r\n5\r\n");
    assert!(h.srv.watch.is_empty());
    // The same key name in another database is another key.
    h.run(&["select", "1"]);
    h.run(&["watch", "k"]);
    run_as(&mut h, &mut b, &["set", "k", "6"]);
    assert_eq!(try_exec(&mut h), PONG);
    // Another client's EXEC touches; a read-only one does not.
    h.run(&["select", "0"]);
    h.run(&["watch", "k"]);
    run_as(&mut h, &mut b, &["multi"]);
    run_as(&mut h, &mut b, &["get", "k"]);
    run_as(&mut h, &mut b, &["exec"]);
    assert_eq!(try_exec(&mut h), PONG);
    h.run(&["watch", "k"]);
    run_as(&mut h, &mut b, &["multi"]);
    run_as(&mut h, &mut b, &["set", "k", "7"]);
    assert_eq!(run_as(&mut h, &mut b, &["exec"]), "*1\r\n+OK\r\n");
    assert_eq!(try_exec(&mut h), NULL);
}

#[test]
fn dirty_exec_is_a_null_array_in_resp3() {
    let mut h = Harness::new();
    h.run(&["hello", "3"]);
    h.run(&["watch", "k"]);
    h.run(&["set", "k", "1"]);
    assert_eq!(try_exec(&mut h), "_\r\n");
}

#[test]
fn watch_and_expiry() {
    let mut h = Harness::new();
    let mut b = other(&mut h);
    // Expires between WATCH and EXEC: fails (lazily deleted or not).
    h.run(&["set", "e", "1", "px", "100"]);
    h.run(&["watch", "e"]);
    h.advance_ms(200);
    assert_eq!(try_exec(&mut h), NULL);
    h.run(&["set", "e", "1", "px", "100"]);
    h.run(&["watch", "e"]);
    h.advance_ms(200);
    run_as(&mut h, &mut b, &["get", "e"]);
    assert_eq!(try_exec(&mut h), NULL);
    // Already expired when watched: its deletion changes nothing...
    h.run(&["set", "e", "1", "px", "50"]);
    h.advance_ms(100);
    h.run(&["watch", "e"]);
    assert_eq!(try_exec(&mut h), PONG);
    h.run(&["set", "e", "1", "px", "50"]);
    h.advance_ms(100);
    h.run(&["watch", "e"]);
    run_as(&mut h, &mut b, &["get", "e"]);
    assert_eq!(try_exec(&mut h), PONG);
    h.run(&["set", "e", "1", "px", "50"]);
    h.advance_ms(100);
    h.run(&["watch", "e"]);
    run_as(&mut h, &mut b, &["flushall"]);
    assert_eq!(try_exec(&mut h), PONG);
    // ...but a write does.
    h.run(&["set", "e", "1", "px", "50"]);
    h.advance_ms(100);
    h.run(&["watch", "e"]);
    run_as(&mut h, &mut b, &["set", "e", "2"]);
    assert_eq!(try_exec(&mut h), NULL);
    // Not yet expired at EXEC: fine.
    h.run(&["set", "e", "1", "px", "1000"]);
    h.run(&["watch", "e"]);
    h.advance_ms(500);
    assert_eq!(try_exec(&mut h), PONG);
}

#[test]
fn flush_swapdb_rename_move_touch() {
    let mut h = Harness::new();
    let mut b = other(&mut h);
    for flush in ["flushall", "flushdb"] {
        h.run(&["set", "x", "1"]);
        h.run(&["watch", "x"]);
        run_as(&mut h, &mut b, &[flush]);
        assert_eq!(try_exec(&mut h), NULL, "{}", flush);
        // A key that does not exist is not affected.
        h.run(&["watch", "x"]);
        run_as(&mut h, &mut b, &[flush]);
        assert_eq!(try_exec(&mut h), PONG, "{}", flush);
    }
    // FLUSHDB of another database does not touch.
    h.run(&["set", "x", "1"]);
    h.run(&["watch", "x"]);
    run_as(&mut h, &mut b, &["select", "3"]);
    run_as(&mut h, &mut b, &["flushdb"]);
    assert_eq!(try_exec(&mut h), PONG);
    // SWAPDB: the key exists on the other side only.
    h.run(&["flushall"]);
    run_as(&mut h, &mut b, &["select", "1"]);
    run_as(&mut h, &mut b, &["set", "s", "1"]);
    h.run(&["watch", "s"]);
    run_as(&mut h, &mut b, &["swapdb", "0", "1"]);
    assert_eq!(try_exec(&mut h), NULL);
    h.run(&["flushall"]);
    h.run(&["watch", "s"]);
    run_as(&mut h, &mut b, &["swapdb", "0", "1"]);
    assert_eq!(try_exec(&mut h), PONG);
    h.run(&["set", "s", "1"]);
    h.run(&["watch", "s"]);
    run_as(&mut h, &mut b, &["swapdb", "2", "3"]);
    assert_eq!(try_exec(&mut h), PONG);
    // RENAME touches both keys, MOVE the source.
    run_as(&mut h, &mut b, &["select", "0"]);
    h.run(&["set", "r1", "1"]);
    h.run(&["watch", "r2"]);
    run_as(&mut h, &mut b, &["rename", "r1", "r2"]);
    assert_eq!(try_exec(&mut h), NULL);
    h.run(&["watch", "r2"]);
    run_as(&mut h, &mut b, &["rename", "r2", "r1"]);
    assert_eq!(try_exec(&mut h), NULL);
    h.run(&["watch", "r1"]);
    assert_eq!(run_as(&mut h, &mut b, &["move", "r1", "5"]), ":1\r\n");
    assert_eq!(try_exec(&mut h), NULL);
}

#[test]
fn client_list_shows_the_transaction() {
    let mut h = Harness::new();
    let mut b = other(&mut h);
    h.run(&["multi"]);
    h.run(&["set", "k", "2"]);
    h.run(&["set", "k", "3"]);
    let line = crate::commands::client::client_info_line(&h.srv, &h.client);
    assert!(
        line.contains(" flags=x db=0 sub=0 psub=0 ssub=0 multi=2 "),
        "{}",
        line
    );
    assert!(line.contains(" multi-mem=58 "), "{}", line);
    assert!(line.contains(" cmd=set "), "{}", line);
    h.run(&["exec"]);
    let line = crate::commands::client::client_info_line(&h.srv, &h.client);
    assert!(line.contains(" flags=N ") && line.contains(" multi=-1 "));
    assert!(line.contains(" multi-mem=0 ") && line.contains(" cmd=exec "));
    // A command EXEC runs sees the transaction still open.
    h.run(&["multi"]);
    h.run(&["client", "info"]);
    let r = h.run_str(&["exec"]);
    assert!(r.contains(" flags=x ") && r.contains(" cmd=exec "), "{}", r);
    let _ = run_as(&mut h, &mut b, &["ping"]);
}

#[test]
fn commandstats_count_queued_commands_when_run() {
    let mut h = Harness::new();
    h.run(&["multi"]);
    h.run(&["set", "k", "v"]);
    h.run(&["incr", "k"]);
    let stats = h.run_str(&["info", "commandstats"]);
    assert!(!stats.contains("cmdstat_set:"), "{}", stats);
    h.run(&["exec"]);
    let stats = h.run_str(&["info", "commandstats"]);
    assert!(stats.contains("cmdstat_set:calls=1,"), "{}", stats);
    assert!(stats.contains("cmdstat_multi:calls=1,"), "{}", stats);
    assert!(stats.contains("cmdstat_exec:calls=1,"), "{}", stats);
    assert!(
        stats.contains("cmdstat_incr:calls=1,") && stats.contains("failed_calls=1"),
        "{}",
        stats
    );
}

#[test]
fn exec_propagates_one_unit() {
    let (mut h, log) = crate::commands::testing::recording();
    let take = || std::mem::take(&mut *log.borrow_mut());
    // One write: no wrapping, as Redis.
    h.run(&["multi"]);
    h.run(&["set", "a", "1"]);
    h.run(&["exec"]);
    assert_eq!(take(), vec!["0:set a 1"]);
    h.run(&["multi"]);
    h.run(&["set", "b", "1"]);
    h.run(&["incr", "b"]);
    h.run(&["get", "b"]);
    h.run(&["exec"]);
    assert_eq!(take(), vec!["0:MULTI", "0:set b 1", "0:incr b", "0:EXEC"]);
    // Read-only: nothing.
    h.run(&["multi"]);
    h.run(&["get", "a"]);
    h.run(&["exec"]);
    assert!(take().is_empty());
    // Across databases.
    h.run(&["multi"]);
    h.run(&["select", "2"]);
    h.run(&["set", "c", "1"]);
    h.run(&["select", "3"]);
    h.run(&["set", "d", "1"]);
    h.run(&["exec"]);
    assert_eq!(take(), vec!["2:MULTI", "2:set c 1", "3:set d 1", "3:EXEC"]);
    // Aborted and discarded transactions propagate nothing.
    h.run(&["multi"]);
    h.run(&["set", "e", "1"]);
    h.run(&["discard"]);
    h.run(&["multi"]);
    h.run(&["set", "e"]);
    h.run(&["exec"]);
    assert!(take().is_empty());
}

#[test]
fn client_list_flags_a_spoiled_watch() {
    let mut h = Harness::new();
    let mut b = other(&mut h);
    h.run(&["watch", "k"]);
    run_as(&mut h, &mut b, &["set", "k", "1"]);
    let line = crate::commands::client::client_info_line(&h.srv, &h.client);
    assert!(line.contains(" flags=d "), "{}", line);
    h.run(&["multi"]);
    let line = crate::commands::client::client_info_line(&h.srv, &h.client);
    assert!(line.contains(" flags=xd "), "{}", line);
    assert_eq!(h.run_str(&["exec"]), NULL);
    let line = crate::commands::client::client_info_line(&h.srv, &h.client);
    assert!(line.contains(" flags=N "), "{}", line);
}

#[test]
fn misconf_and_loading_in_multi() {
    let mut h = Harness::with_config(crate::config::Config::default());
    let misconf = crate::persistence::bgsave::MISCONF_RDB_ERR;
    h.run(&["multi"]);
    h.run(&["get", "a"]);
    h.run(&["set", "a", "1"]);
    h.srv.persistence.last_bgsave_ok = false;
    // EXEC is a write when it queued one.
    assert_eq!(
        h.run_str(&["exec"]),
        format!(
            "-EXECABORT Transaction discarded because of: {}\r\n",
            misconf
        )
    );
    h.run(&["multi"]);
    assert_eq!(h.run_str(&["set", "a", "1"]), format!("-{}\r\n", misconf));
    assert_eq!(h.run_str(&["ping"]), format!("-{}\r\n", misconf));
    assert_eq!(h.run_str(&["exec"]), EXECABORT);
    h.run(&["multi"]);
    h.run(&["get", "a"]);
    assert_eq!(h.run_str(&["exec"]), "*1\r\n$-1\r\n");
    h.srv.persistence.last_bgsave_ok = true;
    h.run(&["multi"]);
    h.srv.persistence.loading.active = true;
    let loading = format!("-{}\r\n", crate::persistence::bgsave::LOADING_ERR);
    assert_eq!(h.run_str(&["get", "a"]), loading);
    assert_eq!(h.run_str(&["exec"]), EXECABORT);
    h.srv.persistence.loading.active = false;
}

#[test]
fn pause_write_holds_queued_writes_and_exec() {
    use crate::commands::Processed;
    let mut h = Harness::new();
    h.run(&["multi"]);
    h.run(&["set", "k", "v"]);
    h.srv.pause = crate::server::PauseKind::Write;
    let argv: Vec<&[u8]> = vec![b"exec"];
    assert!(matches!(
        process_command(&mut h.srv, &mut h.client, &argv),
        Processed::Paused
    ));
    assert_eq!(h.run_str(&["get", "k"]), "+QUEUED\r\n");
    let argv: Vec<&[u8]> = vec![b"incr", b"n"];
    assert!(matches!(
        process_command(&mut h.srv, &mut h.client, &argv),
        Processed::Paused
    ));
    h.srv.pause = crate::server::PauseKind::None;
    h.client.reply.buf.clear();
    assert_eq!(h.run_str(&["exec"]), "*2\r\n+OK\r\n$1\r\nv\r\n");
}

#[test]
fn monitor_is_refused_inside_exec() {
    let mut h = Harness::new();
    h.run(&["multi"]);
    h.run(&["monitor"]);
    assert_eq!(
        h.run_str(&["exec"]),
        "*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n"
    );
    assert!(h.srv.monitors.is_empty());
}

#[test]
fn disconnect_forgets_the_watches() {
    let mut h = Harness::new();
    let mut b = other(&mut h);
    let token = h.srv.clients.vacant_key();
    b.token = token;
    run_as(&mut h, &mut b, &["watch", "k", "j"]);
    run_as(&mut h, &mut b, &["multi"]);
    run_as(&mut h, &mut b, &["set", "k", "v"]);
    assert_eq!(h.srv.watch.count_of(b.id), 2);
    h.srv.clients.insert(Some(b));
    crate::server::reactor::free_client(&mut h.srv, token);
    assert!(h.srv.watch.is_empty());
    // The harness's own watch is untouched by that.
    h.run(&["watch", "k"]);
    assert_eq!(try_exec(&mut h), PONG);
}
