//! Unit tests of the configuration: file grammar, value parsing, errors,
//! command-line assembly, CONFIG GET/SET engines and CONFIG REWRITE.

use super::*;

fn load(text: &str) -> Result<Config, ConfigError> {
    let mut c = Config::default();
    c.load_text(text)?;
    Ok(c)
}

fn err(text: &str) -> (usize, String, String) {
    let e = load(text).unwrap_err();
    (e.line_no, e.line, e.reason)
}

fn get(c: &Config, name: &str) -> String {
    String::from_utf8(c.get(name).unwrap()).unwrap()
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn opts(a: &[&str]) -> String {
    String::from_utf8(build_options(&args(a)).2).unwrap()
}

#[test]
fn defaults_match_redis() {
    let c = Config::default();
    for (name, value) in [
        ("port", "6379"),
        ("bind", "* -::*"),
        ("save", "3600 1 300 100 60 10000"),
        (
            "client-output-buffer-limit",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        ),
        ("maxmemory", "0"),
        ("proto-max-bulk-len", "536870912"),
        ("client-query-buffer-limit", "1073741824"),
        ("loglevel", "notice"),
        ("maxmemory-policy", "noeviction"),
        ("oom-score-adj-values", "0 200 800"),
        ("latency-tracking-info-percentiles", "50 99 99.9"),
        ("notify-keyspace-events", ""),
        ("unixsocketperm", "0"),
        ("list-max-ziplist-size", "-2"),
        ("proc-title-template", "{title} {listen-addr} {server-mode}"),
        ("shutdown-on-sigint", "default"),
        ("requirepass", ""),
        ("replicaof", ""),
        ("protected-mode", "yes"),
        ("hz", "10"),
        ("maxclients", "10000"),
        ("databases", "16"),
    ] {
        assert_eq!(get(&c, name), value, "{}", name);
    }
    assert_eq!(c.port, 6379);
    assert_eq!(c.hz, 10);
    assert_eq!(c.loglevel, "notice");
    assert_eq!(c.enable_debug_command, "no");
    assert_eq!(c.client_query_buffer_limit, 1 << 30);
}

#[test]
fn table_has_every_redis_name() {
    // 192 names (aliases included) in CONFIG GET * of redis-server 7.0.15,
    // plus five hidden ones.
    let visible: usize = TABLE
        .iter()
        .filter(|d| !d.has(dflags::HIDDEN))
        .map(|d| 1 + d.alias.is_some() as usize)
        .sum();
    assert_eq!(visible, 192);
    assert_eq!(TABLE.iter().filter(|d| d.has(dflags::HIDDEN)).count(), 5);
    let all = Config::default().config_get(&[b"*"]);
    assert_eq!(all.len(), 192);
    let mut names = std::collections::HashSet::new();
    for d in TABLE {
        assert!(names.insert(d.name), "duplicate {}", d.name);
        if let Some(a) = d.alias {
            assert!(names.insert(a), "duplicate {}", a);
        }
    }
}

#[test]
fn file_grammar() {
    let c = load(
        "# comment\n\n   port 7000   \r\n\tmaxmemory 100mb\nrequirepass \"a b\\x41\"\nlogfile ''\nunixsocketperm 700",
    )
    .unwrap();
    assert_eq!(c.port, 7000);
    assert_eq!(c.maxmemory, 100 * 1024 * 1024);
    assert_eq!(c.requirepass.as_deref(), Some(&b"a bA"[..]));
    assert_eq!(c.unixsocketperm, 0o700);
    assert_eq!(get(&c, "unixsocketperm"), "700");
    // Last one wins; directive names are case-insensitive.
    let c = load("PORT 1\nport 2\nslave-read-only no\nhash-max-ziplist-entries 7").unwrap();
    assert_eq!(c.port, 2);
    assert_eq!(get(&c, "replica-read-only"), "no");
    assert_eq!(get(&c, "hash-max-listpack-entries"), "7");
    // Deprecated directives are accepted and ignored.
    load("list-max-ziplist-entries 5\nlua-replicate-commands yes").unwrap();
}

#[test]
fn memory_units_and_numbers() {
    let c = load(
        "maxmemory 1gb\nrepl-backlog-size 512k\nproto-max-bulk-len 2MB\nmaxmemory-clients 10%",
    )
    .unwrap();
    assert_eq!(c.maxmemory, 1 << 30);
    assert_eq!(get(&c, "repl-backlog-size"), "512000");
    assert_eq!(c.proto_max_bulk_len, 2 << 20);
    assert_eq!(get(&c, "maxmemory-clients"), "10%");
    assert_eq!(get(&load("hz 1000").unwrap(), "hz"), "500");
    assert_eq!(get(&load("hz 0").unwrap(), "hz"), "1");
}

#[test]
fn errors_match_redis() {
    assert_eq!(
        err("port 7240\nport abc\n"),
        (
            2,
            "port abc".into(),
            "argument couldn't be parsed into an integer".into()
        )
    );
    let cases = [
        ("port 70000", "argument must be between 0 and 65535 inclusive"),
        ("port", "wrong number of arguments"),
        ("port 1 2", "wrong number of arguments"),
        ("port 010", "argument couldn't be parsed into an integer"),
        ("bogus 1", "Bad directive or wrong number of arguments"),
        ("protected-mode maybe", "argument must be 'yes' or 'no'"),
        (
            "loglevel loud",
            "argument(s) must be one of the following: debug, verbose, notice, warning",
        ),
        ("maxmemory 10xb", "argument must be a memory value"),
        ("maxmemory -1", "argument must be a memory value"),
        ("save 10", "Invalid save parameters"),
        ("save a b", "Invalid save parameters"),
        ("save 0 1", "Invalid save parameters"),
        ("save 1 -1", "Invalid save parameters"),
        ("unixsocketperm 999", "argument couldn't be parsed as an octal number"),
        ("unixsocketperm 1000", "argument must be between 0 and 777 inclusive"),
        ("unixsocketperm \"7 \"", "argument couldn't be parsed as an octal number"),
        ("maxmemory-clients 10%x", "argument must be a memory or percent value"),
        ("maxmemory-clients 200%", "percentage argument must be less or equal to 100"),
        (
            "client-output-buffer-limit normal 0 0",
            "Wrong number of arguments in buffer limit configuration.",
        ),
        (
            "client-output-buffer-limit master 0 0 0",
            "Invalid client class specified in buffer limit configuration.",
        ),
        (
            "client-output-buffer-limit normal x 0 0",
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
        ),
        (
            "notify-keyspace-events Q",
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
        ),
        ("oom-score-adj-values 1 2", "wrong number of arguments"),
        (
            "oom-score-adj-values 1 2 3000",
            "Invalid oom-score-adj-values, elements must be between -2000 and 2000.",
        ),
        ("\"port 1", "Unbalanced quotes in configuration line"),
        ("port \"1\"x", "Unbalanced quotes in configuration line"),
        ("slaveof a", "wrong number of arguments"),
        ("replicaof localhost 70000", "Invalid master port"),
        ("dbfilename a/b", "dbfilename can't be a path, just a filename"),
        ("appendfilename \"\"", "appendfilename can't be empty"),
        (
            "proc-title-template \"{foo}\"",
            "template format is invalid or contains unknown variables",
        ),
        (
            "cluster-announce-hostname a_b",
            "Hostnames may only contain alphanumeric characters, hyphens or dots",
        ),
        (
            "latency-tracking-info-percentiles 50 101",
            "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
        ),
        (
            "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
            "Too many bind addresses specified.",
        ),
        ("maxclients 0", "argument must be between 1 and 4294967295 inclusive"),
        ("databases 0", "argument must be between 1 and 2147483647 inclusive"),
        (
            "shutdown-on-sigint save nosave",
            "shutdown options SAVE and NOSAVE can't be used simultaneously",
        ),
        ("rename-command foo bar", "No such command in rename-command"),
        ("rename-command get set", "Target command name already exists"),
        ("sentinel monitor x", "sentinel directive while not in sentinel mode"),
        ("loadmodule", "Bad directive or wrong number of arguments"),
        ("activedefrag yes", "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"),
    ];
    for (text, reason) in cases {
        let (line_no, line, r) = err(text);
        assert_eq!(r, reason, "{}", text);
        assert_eq!(line_no, 1, "{}", text);
        assert_eq!(line, text, "{}", text);
    }
    let e = load("logfile /nonexistent-dir/x.log").unwrap_err();
    assert_eq!(e.line_no, 0);
    assert_eq!(
        e.reason,
        "Can't open the log file: No such file or directory"
    );
}

#[test]
fn save_semantics() {
    // The first save line replaces the defaults, later ones append.
    let c = load("save 100 1\nsave 200 2\n").unwrap();
    assert_eq!(c.save, vec![(100, 1), (200, 2)]);
    assert_eq!(get(&c, "save"), "100 1 200 2");
    let c = load("save \"\"").unwrap();
    assert!(c.save.is_empty());
    let c = load("save 100 1\nsave \"\"\nsave 5 5").unwrap();
    assert_eq!(c.save, vec![(5, 5)]);
    // No save line: the defaults stay.
    assert_eq!(load("port 1").unwrap().save, DEFAULT_SAVE.to_vec());
    // Redis's strtoll rules: sign and leading blanks accepted.
    assert_eq!(load("save +5 \" 6\"").unwrap().save, vec![(5, 6)]);
}

#[test]
fn special_values() {
    let c = load(
        "client-output-buffer-limit replica 1mb 2mb 3 pubsub 1 2 3\nnotify-keyspace-events KEA\nbind 127.0.0.1 -::1\noom-score-adj-values 1 2 3\nreplicaof localhost 6380\nlatency-tracking-info-percentiles 50.5 1e1\nshutdown-on-sigterm force save now",
    )
    .unwrap();
    assert_eq!(
        get(&c, "client-output-buffer-limit"),
        "normal 0 0 0 slave 1048576 2097152 3 pubsub 1 2 3"
    );
    assert_eq!(get(&c, "notify-keyspace-events"), "AKE");
    assert_eq!(
        c.notify_keyspace_events,
        notify::ALL | notify::KEYSPACE | notify::KEYEVENT
    );
    assert_eq!(get(&c, "bind"), "127.0.0.1 -::1");
    assert!(c.bind_explicit);
    assert_eq!(get(&c, "oom-score-adj-values"), "1 2 3");
    assert_eq!(get(&c, "slaveof"), "localhost 6380");
    assert_eq!(get(&c, "latency-tracking-info-percentiles"), "50.5 10");
    assert_eq!(get(&c, "shutdown-on-sigterm"), "save now force");
    assert_eq!(get(&load("replicaof no one").unwrap(), "replicaof"), "");
    assert_eq!(get(&load("bind \"\"").unwrap(), "bind"), "");
    assert_eq!(
        get(&load("oom-score-adj relative").unwrap(), "oom-score-adj"),
        "yes"
    );
    for (input, shown) in [
        ("g$lshzxetd", "A"),
        ("g$lshzxed", "g$lshzxed"),
        ("Ex", "xE"),
        ("Exmn", "xnEm"),
        ("nK", "nK"),
        ("KEAmn", "AKEm"),
        ("AA", "A"),
    ] {
        let c = load(&format!("notify-keyspace-events \"{}\"", input)).unwrap();
        assert_eq!(get(&c, "notify-keyspace-events"), shown, "{}", input);
    }
}

#[test]
fn command_line_options() {
    assert_eq!(opts(&["--port", "7000"]), "port \"7000\" ");
    assert_eq!(opts(&["--maxmemory 700mb"]), "maxmemory 700mb ");
    assert_eq!(opts(&["--masteruser", "--foo"]), "masteruser \"--foo\" ");
    assert_eq!(opts(&["--save", "--port", "1"]), "save \"\"\nport \"1\" ");
    assert_eq!(opts(&["--save"]), "save \"\"");
    assert_eq!(
        opts(&["--save", "10", "2", "--save", "20", "3"]),
        "save \"10\" \"2\" \nsave \"20\" \"3\" "
    );
    assert_eq!(opts(&["--masteruser", "a\"b"]), "masteruser \"a\\\"b\" ");
    let (file, stdin, _) = build_options(&args(&["-", "--port", "1"]));
    assert!(file.is_none() && stdin);
    let (file, stdin, o) = build_options(&args(&["/x.conf", "--port", "1", "-"]));
    assert_eq!(file.as_deref(), Some("/x.conf"));
    assert!(stdin);
    assert_eq!(String::from_utf8(o).unwrap(), "port \"1\" ");
    // The options come after the file text and a newline: line 2 here.
    let mut c = Config::default();
    let mut text = b"\n".to_vec();
    text.extend_from_slice(&build_options(&args(&["--port", "abc"])).2);
    let e = c
        .load_bytes(
            &text,
            &mut Loader {
                reading_file: true,
                depth: 0,
                commands: None,
            },
        )
        .unwrap_err();
    assert_eq!((e.line_no, e.line.as_str()), (2, "port \"abc\""));
}

#[test]
fn absolute_paths() {
    let cwd = cwd();
    assert_eq!(absolute_path("/a/b.conf"), "/a/b.conf");
    assert_eq!(absolute_path("b.conf"), format!("{}/b.conf", cwd));
    let parent = std::path::Path::new(&cwd)
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    assert_eq!(
        absolute_path("../b.conf"),
        format!("{}/b.conf", parent.trim_end_matches('/'))
    );
}

#[test]
fn config_get_patterns() {
    let c = Config::default();
    let names = |pats: &[&[u8]]| -> Vec<String> {
        c.config_get(pats)
            .into_iter()
            .map(|(k, _)| String::from_utf8(k).unwrap())
            .collect()
    };
    assert_eq!(names(&[b"port"]), vec!["port"]);
    assert_eq!(names(&[b"PORT", b"port", b"Port"]), vec!["PORT"]);
    assert_eq!(names(&[b"POR*"]), vec!["port"]);
    assert_eq!(names(&[b"slaveof"]), vec!["slaveof"]);
    assert_eq!(names(&[b"nosuch"]), Vec::<String>::new());
    assert_eq!(
        names(&[b"*-max-zip*-entries"]),
        vec!["hash-max-ziplist-entries", "zset-max-ziplist-entries"]
    );
    assert_eq!(names(&[b"watchdog-period"]), vec!["watchdog-period"]);
    assert!(names(&[b"watchdog*"]).is_empty());
    assert_eq!(names(&[b"ma[x]memory"]), vec!["maxmemory"]);
    assert_eq!(names(&[b"h?"]), vec!["hz"]);
}

#[test]
fn glob_matcher() {
    assert!(glob_match(b"*", b"x"));
    assert!(glob_match(b"a*c", b"abbbc"));
    assert!(!glob_match(b"a*c", b"abbb"));
    assert!(glob_match(b"a?c", b"AbC"));
    assert!(glob_match(b"[a-c]x", b"bx"));
    assert!(glob_match(b"[c-a]x", b"bx"));
    assert!(!glob_match(b"[^a-c]x", b"bx"));
    assert!(glob_match(b"[^a-c]x", b"dx"));
    assert!(glob_match(b"a\\*", b"a*"));
    assert!(!glob_match(b"a\\*", b"ab"));
    assert!(glob_match(b"**x", b"x"));
    let hostile = "*?".repeat(200) + "z";
    assert!(!glob_match(
        hostile.as_bytes(),
        b"cluster-allow-pubsubshard-when-down"
    ));
}

#[test]
fn config_set_engine() {
    let mut c = Config::default();
    let set = |c: &mut Config, p: &[(&str, &str)]| {
        let pairs: Vec<(&[u8], &[u8])> = p
            .iter()
            .map(|(a, b)| (a.as_bytes(), b.as_bytes()))
            .collect();
        c.config_set(&pairs, false)
    };
    set(&mut c, &[("save", "")]).unwrap();
    assert!(c.save.is_empty());
    set(&mut c, &[("save", "7 7 8 8")]).unwrap();
    assert_eq!(get(&c, "save"), "7 7 8 8");
    assert_eq!(
        set(&mut c, &[("save", "  1 2 ")]).unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"
    );
    set(&mut c, &[("client-output-buffer-limit", "normal 1 2 ")]).unwrap();
    assert_eq!(c.obuf_limit_normal, (1, 2, 0));
    assert_eq!(
        set(&mut c, &[("client-output-buffer-limit", "normal 1 2 3 ")]).unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration."
    );
    set(
        &mut c,
        &[
            ("hash-max-ziplist-entries", "1"),
            ("hash-max-listpack-entries", "2"),
        ],
    )
    .unwrap();
    assert_eq!(get(&c, "hash-max-ziplist-entries"), "2");
    set(&mut c, &[("maxmemory-clients", "18446744073709551615")]).unwrap();
    assert_eq!(get(&c, "maxmemory-clients"), "1%");
    set(&mut c, &[("maxmemory", "99999999999gb")]).unwrap();
    assert_eq!(get(&c, "maxmemory"), "15140462030378500096");
    assert_eq!(
        set(&mut c, &[("proto-max-bulk-len", "9223372036854775808")]).unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive"
    );
    assert_eq!(
        set(&mut c, &[("shutdown-on-sigint", "")]).unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - argument(s) must be one of the following: default, save, nosave, now, force"
    );
    set(&mut c, &[("shutdown-on-sigint", "default now")]).unwrap();
    assert_eq!(get(&c, "shutdown-on-sigint"), "now");
    assert_eq!(
        set(&mut c, &[("port", "6380")]).unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs."
    );
    set(&mut c, &[("port", "6379")]).unwrap();
    assert_eq!(
        set(&mut c, &[("unixsocketperm", "700")]).unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'unixsocketperm') - can't set immutable config"
    );
    assert_eq!(
        set(&mut c, &[("slaveof", "a 1")]).unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'slaveof') - can't set immutable config"
    );
    set(&mut c, &[("latency-tracking-info-percentiles", "")]).unwrap();
    assert_eq!(get(&c, "latency-tracking-info-percentiles"), "");
    set(&mut c, &[("requirepass", "")]).unwrap();
    assert_eq!(c.requirepass, None);
}

#[test]
fn rewrite_keeps_layout() {
    let old = b"port 7243\n# my comment\ninclude /x/inc.conf\nrename-command flushall myflush\nsave 100 1\nsave 200 2\nmaxmemory 10mb\nslave-read-only yes\nlist-max-ziplist-entries 5\n\n\n\nhash-max-ziplist-entries 100\nsave 300 3\nmaxmemory 20mb\nuser default on nopass ~* &* +@all";
    let mut c = Config::default();
    c.load_text(
        "port 7243\nsave 300 3\nmaxmemory 20mb\nhash-max-ziplist-entries 100\nreplica-priority 5\nrequirepass \"a b\\\"c\"\nnotify-keyspace-events KEA\nmaxmemory-clients 10%\nclient-output-buffer-limit normal 1mb 2mb 3",
    )
    .unwrap();
    let out = String::from_utf8(rewrite::rewrite_content(&c, old, false)).unwrap();
    let dir = cwd();
    let expected = format!(
        "port 7243\n# my comment\ninclude /x/inc.conf\nrename-command flushall myflush\nsave 300 3\n\nmaxmemory 20mb\nreplica-read-only yes\n# ??? list-max-ziplist-entries 5\n\nhash-max-listpack-entries 100\n\nuser default on nopass ~* &* +@all\n# Generated by CONFIG REWRITE\nrequirepass \"a b\\\"c\"\nreplica-priority 5\nmaxmemory-clients 10%\ndir \"{}\"\nclient-output-buffer-limit normal 1mb 2mb 3\nnotify-keyspace-events \"AKE\"\nlatency-tracking-info-percentiles 50 99 99.9\n",
        dir
    );
    assert_eq!(out, expected);
}

#[test]
fn rewrite_round_trips_every_directive() {
    let mut c = Config::default();
    c.load_text(
        "port 7000\nbind 127.0.0.1\nsave \"\"\nunixsocketperm 755\nmaxmemory 3gb\nmaxmemory-clients 5%\nreplicaof 10.0.0.1 6380\nlatency-tracking-info-percentiles \"\"\nshutdown-on-sigint nosave now\nmasterauth \"p w\"\nloglevel warning\nhz 20\ndir .",
    )
    .unwrap();
    let content = rewrite::rewrite_content(&c, b"", true);
    let mut back = Config::default();
    back.load_text(std::str::from_utf8(&content).unwrap())
        .unwrap_or_else(|e| panic!("{:?}\n{}", e, String::from_utf8_lossy(&content)));
    let all = |c: &Config| c.config_get(&[b"*"]);
    assert_eq!(all(&c), all(&back));
    // And a default configuration written in full loads back too.
    let d = Config::default();
    let content = rewrite::rewrite_content(&d, b"", true);
    let mut back = Config::default();
    back.load_text(std::str::from_utf8(&content).unwrap())
        .unwrap();
    assert_eq!(all(&d), all(&back));
}

#[test]
fn rename_and_other_directives_are_kept() {
    let c = load("rename-command GET x\nrename-command x y\nuser alice on\nloadmodule /m.so a b\nmod.opt 1\nsentinel").unwrap();
    assert_eq!(
        c.renamed_commands,
        vec![("GET".into(), "x".into()), ("x".into(), "y".into())]
    );
    assert_eq!(c.users, vec![vec!["alice".to_string(), "on".into()]]);
    assert_eq!(c.loadmodules.len(), 1);
    assert_eq!(c.module_configs, vec![("mod.opt".into(), "1".into())]);
}

#[test]
fn strerror_strips_rust_suffix() {
    let e = std::io::Error::from_raw_os_error(2);
    assert_eq!(strerror(&e), "No such file or directory");
}

#[test]
fn sample_redis_conf_documents_and_loads() {
    let text = include_str!("../../redis.conf");
    for d in TABLE {
        let listed = text.lines().any(|l| {
            let l = l.strip_prefix("# ").unwrap_or(l);
            l.split_whitespace().next() == Some(d.name)
        });
        assert!(listed, "{} is not documented in redis.conf", d.name);
    }
    let mut c = Config::default();
    c.load_text(text).unwrap();
    assert_eq!(c.config_get(&[b"*"]), Config::default().config_get(&[b"*"]));
}

#[test]
fn include_resets_the_reading_file_flag_like_redis() {
    let dir = std::env::temp_dir().join(format!("ferredis-cfg-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let inc = dir.join("inc.conf");
    std::fs::write(&inc, "timeout 5\nsave 1 1\n").unwrap();
    // Before the include the first save replaces the defaults and the next
    // appends; after it (Redis clears its flag) each save replaces.
    let c = load(&format!(
        "save 100 1\nsave 200 2\ninclude {}\nsave 300 3\nsave 400 4",
        inc.display()
    ))
    .unwrap();
    assert_eq!(c.timeout, 5);
    assert_eq!(c.save, vec![(400, 4)]);
    let e = load(&format!("include {}/missing.conf", dir.display())).unwrap_err();
    assert!(e.log_only);
    assert!(e
        .reason
        .starts_with("Fatal error, can't open config file '"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn octal_like_strtoll() {
    assert_eq!(load("unixsocketperm \"\"").unwrap().unixsocketperm, 0);
    assert_eq!(load("unixsocketperm \" +7\"").unwrap().unixsocketperm, 7);
}
