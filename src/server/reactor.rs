//! The mio event loop: accept, read, parse, dispatch, `before_sleep`
//! (write replies, close clients), the cron tick, and shutdown. Everything
//! runs on this one thread; the reactor never does blocking socket I/O.
//!
//! Redis counterpart: `ae.c`, `networking.c` (readQueryFromClient,
//! processInputBuffer, handleClientsWithPendingWrites), `server.c`
//! (beforeSleep, main).

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, UnixListener};
use mio::{Events, Interest, Poll, Token};
use std::os::fd::AsRawFd;

use super::client::{cflags, Client, Conn};
use super::{cron, PauseKind, Server};
use crate::commands::{process_command, Processed};
use crate::resp::parser::{Limits, Parsed};
use crate::sys;

/// Bytes read from a socket per `read` call.
const READ_CHUNK: usize = 64 * 1024;
/// Reads per readable event before yielding to other clients.
const MAX_READS_PER_EVENT: usize = 16;
/// Tokens at the top of the range belong to listeners.
const LISTENER_BASE: usize = usize::MAX - 64;

/// The protected-mode refusal, as Redis 7.0 sends it (typo included).
const DENIED_PROTECTED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// The event loop and what it owns besides the `Server`.
pub struct Reactor {
    poll: Poll,
    listeners: Vec<Listener>,
    /// Scratch buffer for socket reads, shared by all clients.
    read_buf: Vec<u8>,
    /// Clients that still had input when they used up their read quota.
    pending_reads: Vec<usize>,
    next_cron: Instant,
}

/// Resolves a `bind` entry to a socket address for `port`. The leading
/// `-` (optional address) is handled by the caller.
fn bind_addr(addr: &str, port: u16) -> Option<SocketAddr> {
    let a = match addr {
        "*" => "0.0.0.0",
        "::*" => "::",
        other => other,
    };
    let ip: std::net::IpAddr = a.parse().ok()?;
    Some(SocketAddr::new(ip, port))
}

fn is_loopback(addr: &SocketAddr) -> bool {
    match addr {
        SocketAddr::V4(a) => a.ip().is_loopback(),
        SocketAddr::V6(a) => {
            a.ip().is_loopback() || a.ip().to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

fn fmt_addr(a: &SocketAddr) -> String {
    match a {
        SocketAddr::V4(v) => format!("{}:{}", v.ip(), v.port()),
        SocketAddr::V6(v) => match v.ip().to_ipv4_mapped() {
            Some(v4) => format!("{}:{}", v4, v.port()),
            None => format!("{}:{}", v.ip(), v.port()),
        },
    }
}

impl Reactor {
    /// Binds the listeners. Errors are the start-up failures Redis logs.
    pub fn new(srv: &mut Server) -> Result<Reactor, String> {
        let poll = Poll::new().map_err(|e| e.to_string())?;
        let mut listeners = Vec::new();
        let port = srv.config.port;
        if port != 0 {
            let binds = srv.config.bind.clone();
            let mut bound = 0;
            for b in &binds {
                let (optional, addr) = match b.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, b.as_str()),
                };
                let Some(sa) = bind_addr(addr, port) else {
                    if optional {
                        continue;
                    }
                    log::warn!(
                        "Warning: Could not create server TCP listening socket {}:{}: bad address",
                        addr,
                        port
                    );
                    return Err(format!(
                        "Failed listening on port {} (TCP), aborting.",
                        port
                    ));
                };
                match sys::listen_tcp(sa, srv.config.tcp_backlog) {
                    Ok(l) => {
                        listeners.push(Listener::Tcp(TcpListener::from_std(l)));
                        bound += 1;
                    }
                    Err(e) => {
                        if optional
                            && matches!(
                                e.raw_os_error(),
                                Some(libc::EADDRNOTAVAIL)
                                    | Some(libc::EAFNOSUPPORT)
                                    | Some(libc::EPROTONOSUPPORT)
                                    | Some(libc::ESOCKTNOSUPPORT)
                                    | Some(libc::EINVAL)
                            )
                        {
                            continue;
                        }
                        log::warn!(
                            "Warning: Could not create server TCP listening socket {}:{}: bind: {}",
                            addr,
                            port,
                            e
                        );
                        return Err(format!(
                            "Failed listening on port {} (TCP), aborting.",
                            port
                        ));
                    }
                }
            }
            if bound == 0 {
                return Err(format!(
                    "Failed listening on port {} (TCP), aborting.",
                    port
                ));
            }
            srv.tcp_port = port;
        }
        if !srv.config.unixsocket.is_empty() {
            let path = srv.config.unixsocket.clone();
            let _ = std::fs::remove_file(&path);
            match UnixListener::bind(&path) {
                Ok(l) => {
                    if srv.config.unixsocketperm != 0 {
                        use std::os::unix::fs::PermissionsExt;
                        let _ = std::fs::set_permissions(
                            &path,
                            std::fs::Permissions::from_mode(srv.config.unixsocketperm),
                        );
                    }
                    listeners.push(Listener::Unix(l));
                }
                Err(e) => {
                    log::warn!("Failed opening Unix socket: {}", e);
                    return Err(format!("Failed opening Unix socket: {}", e));
                }
            }
        }
        for (i, l) in listeners.iter_mut().enumerate() {
            let token = Token(LISTENER_BASE + i);
            let r = match l {
                Listener::Tcp(t) => poll.registry().register(t, token, Interest::READABLE),
                Listener::Unix(u) => poll.registry().register(u, token, Interest::READABLE),
            };
            r.map_err(|e| e.to_string())?;
            srv.listener_fds.push(match l {
                Listener::Tcp(t) => t.as_raw_fd(),
                Listener::Unix(u) => u.as_raw_fd(),
            });
        }
        // The replica's link to its master registers on this poll.
        srv.replica.registry = poll.registry().try_clone().ok();
        Ok(Reactor {
            poll,
            listeners,
            read_buf: vec![0u8; READ_CHUNK],
            pending_reads: Vec::new(),
            next_cron: Instant::now(),
        })
    }

    /// Runs until shutdown. Returns the process exit code.
    pub fn run(&mut self, srv: &mut Server) -> i32 {
        let mut events = Events::with_capacity(1024);
        let mut last_pause = PauseKind::None;
        loop {
            let now = Instant::now();
            let mut timeout = self.next_cron.saturating_duration_since(now);
            if let Some(deadline) = srv.blocking.next_deadline() {
                let left = (deadline - super::unix_us() / 1000).max(0) as u64;
                timeout = timeout.min(Duration::from_millis(left));
            }
            if !self.pending_reads.is_empty() || crate::replication::replica::has_more_to_read(srv)
            {
                timeout = Duration::ZERO;
            }
            // Replication: an RDB transfer is relayed in chunks from
            // before_sleep, so poll briefly while one runs.
            if crate::replication::master::busy(srv) {
                timeout = timeout.min(Duration::from_millis(1));
            }
            if let Some(deadline) = crate::replication::master::next_wait_deadline(srv) {
                let left = (deadline - super::unix_us() / 1000).max(0) as u64;
                timeout = timeout.min(Duration::from_millis(left));
            }
            self.poll_and_dispatch(srv, &mut events, timeout);
            if crate::replication::replica::has_pending_load(srv) {
                // A replica's full sync received its snapshot: loaded
                // here, where clients can be served meanwhile (-LOADING).
                crate::replication::replica::run_pending_load(srv, &mut |s: &mut Server| {
                    self.serve_while_loading(s);
                });
            }
            if srv.pause != PauseKind::None && srv.pause_end_ms <= srv.now_ms {
                srv.pause = PauseKind::None;
            }
            // Paused clients get another try when the pause is lifted or
            // became less strict (a shutdown's write pause outlasting a
            // CLIENT PAUSE ALL).
            let pause = srv.effective_pause();
            if !srv.paused_clients.is_empty() && (pause == PauseKind::None || pause < last_pause) {
                self.resume_paused(srv);
            }
            if pause != last_pause {
                srv.refresh_expire_mode();
            }
            last_pause = pause;
            handle_block_timeouts(srv);
            if Instant::now() >= self.next_cron {
                cron::server_cron(srv);
                let hz = srv.config.hz.clamp(1, 500) as u64;
                self.next_cron = Instant::now() + Duration::from_micros(1_000_000 / hz);
            }
            if let Some(sig) = sys::take_shutdown_signal() {
                super::shutdown::on_signal(srv, sig);
            }
            before_sleep(srv);
            if super::shutdown::tick(srv) {
                return 0;
            }
        }
    }

    /// Handles one batch of readiness events: accepts, reads (running the
    /// commands read), writes.
    fn dispatch(&mut self, srv: &mut Server, events: &Events) {
        for ev in events.iter() {
            let t = ev.token().0;
            if t >= LISTENER_BASE {
                self.accept_all(srv, t - LISTENER_BASE);
                continue;
            }
            if t == crate::replication::replica::LINK_TOKEN {
                // The outgoing link of a replica to its master.
                crate::replication::replica::on_event(srv);
                continue;
            }
            if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                let drain = ev.is_read_closed() || ev.is_error();
                self.read_client_until(srv, t, drain);
            }
            if ev.is_writable() {
                // appendfsync always: the AOF is on disk before a reply.
                crate::persistence::aof::before_sleep(srv);
                write_client(srv, t);
            }
        }
    }

    /// Called every few megabytes of a load (at start-up, or a replica's
    /// full sync): serves clients once and acts on a shutdown signal.
    pub fn serve_while_loading(&mut self, srv: &mut Server) {
        self.process_events_while_blocked(srv);
        // A shutdown signal is acted on here, as Redis's whileBlockedCron.
        if sys::take_shutdown_signal().is_some() {
            crate::logging::from_signal_handler(
                "Received shutdown signal during loading, scheduling shutdown.",
            );
            srv.shutdown_asap = true;
        }
        if srv.shutdown_asap {
            if super::shutdown::prepare_shutdown(srv, Default::default())
                == super::shutdown::Outcome::Exit
            {
                std::process::exit(0);
            }
            log::warn!("SIGTERM received but errors trying to shut down the server, check the logs for more information");
            srv.shutdown_asap = false;
        }
    }

    /// Serves clients once without waiting, while the server is busy with
    /// a long job (loading the dataset at start-up), as Redis's
    /// `processEventsWhileBlocked`: new connections are accepted and
    /// commands run (most get `-LOADING` then), replies are written.
    pub fn process_events_while_blocked(&mut self, srv: &mut Server) {
        let mut events = Events::with_capacity(256);
        self.poll_and_dispatch(srv, &mut events, Duration::ZERO);
        before_sleep(srv);
    }

    /// Waits up to `timeout` for events, handles them, then gives the
    /// clients that had more input than one turn allows another turn.
    fn poll_and_dispatch(&mut self, srv: &mut Server, events: &mut Events, timeout: Duration) {
        if let Err(e) = self.poll.poll(events, Some(timeout)) {
            if e.kind() != io::ErrorKind::Interrupted {
                log::warn!("poll error: {}", e);
            }
        }
        srv.update_time();
        self.dispatch(srv, events);
        let pending = std::mem::take(&mut self.pending_reads);
        for t in pending {
            self.read_client(srv, t);
        }
        crate::replication::replica::resume_read(srv);
    }

    fn accept_all(&mut self, srv: &mut Server, idx: usize) {
        loop {
            let accepted = match &self.listeners[idx] {
                Listener::Tcp(l) => l.accept().map(|(s, a)| {
                    let _ = s.set_nodelay(true);
                    let laddr = s.local_addr().map(|l| fmt_addr(&l)).unwrap_or_default();
                    sys::set_keepalive(&s, srv.config.tcp_keepalive);
                    (Conn::Tcp(s), fmt_addr(&a), laddr, is_loopback(&a), false)
                }),
                Listener::Unix(l) => l.accept().map(|(s, _)| {
                    (
                        Conn::Unix(s),
                        format!("{}:0", srv.config.unixsocket),
                        srv.config.unixsocket.clone(),
                        true,
                        true,
                    )
                }),
            };
            match accepted {
                Ok((conn, addr, laddr, local, unix)) => {
                    self.register_client(srv, conn, addr, laddr, local, unix)
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::debug!("Accepting client connection: {}", e);
                    return;
                }
            }
        }
    }

    fn register_client(
        &mut self,
        srv: &mut Server,
        mut conn: Conn,
        addr: String,
        laddr: String,
        local: bool,
        unix: bool,
    ) {
        srv.stats.total_connections_received += 1;
        if srv.clients.len() as u64 >= srv.config.maxclients {
            let _ = conn.write(b"-ERR max number of clients reached\r\n");
            srv.stats.rejected_connections += 1;
            return;
        }
        if srv.config.protected_mode
            && !srv.config.bind_explicit
            && srv.config.requirepass.is_none()
            && !local
        {
            let _ = conn.write(DENIED_PROTECTED.as_bytes());
            srv.stats.rejected_connections += 1;
            return;
        }
        let entry = srv.clients.vacant_entry();
        let token = entry.key();
        let reg = match &mut conn {
            Conn::Tcp(s) => self.poll.registry().register(
                s,
                Token(token),
                Interest::READABLE | Interest::WRITABLE,
            ),
            Conn::Unix(s) => self.poll.registry().register(
                s,
                Token(token),
                Interest::READABLE | Interest::WRITABLE,
            ),
            Conn::Detached => Ok(()),
        };
        if reg.is_err() {
            return;
        }
        let id = srv.next_client_id;
        srv.next_client_id += 1;
        let mut c = Client::new(id, token, conn, addr, laddr, srv.now_ms);
        c.authenticated = srv.config.requirepass.is_none();
        if local {
            c.flags |= cflags::LOCAL;
        }
        if unix {
            c.flags |= cflags::UNIX_SOCKET;
        }
        log::debug!("Accepted {}", c.addr);
        entry.insert(Some(Box::new(c)));
    }

    /// Reads what a client sent and runs the complete commands in it,
    /// until the socket is drained.
    fn read_client(&mut self, srv: &mut Server, token: usize) {
        self.read_client_until(srv, token, true);
    }

    /// Like `read_client`; without `drain`, a short read ends the loop
    /// (the socket was empty at that point, and on Linux any later arrival
    /// raises a new edge). `drain` is set when the peer closed its side, so
    /// the EOF behind the data is seen now.
    fn read_client_until(&mut self, srv: &mut Server, token: usize, drain: bool) {
        let Some(slot) = srv.clients.get_mut(token) else {
            return;
        };
        let Some(mut client) = slot.take() else {
            return;
        };
        let mut closed = false;
        let mut reads = 0;
        loop {
            if client.has(cflags::CLOSE_ASAP) || client.has(cflags::CLOSE_AFTER_REPLY) {
                break;
            }
            if client.has(cflags::PAUSED) {
                // Leave the bytes in the socket until the pause ends.
                break;
            }
            if reads == MAX_READS_PER_EVENT {
                self.pending_reads.push(token);
                break;
            }
            match client.conn.read(&mut self.read_buf) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => {
                    reads += 1;
                    // Any traffic counts as activity for `timeout`, as in
                    // Redis (a big command may take a while to arrive).
                    client.last_interaction_ms = srv.now_ms;
                    client.query.extend_from_slice(&self.read_buf[..n]);
                    client.net_input_bytes += n as u64;
                    srv.stats.net_input_bytes += n as u64;
                    srv.stats.io_reads_processed += 1;
                    if client.query.len() > srv.config.client_query_buffer_limit {
                        log::warn!(
                            "Closing client that reached max query buffer length: id={} addr={} qbuf={}",
                            client.id,
                            client.addr,
                            client.query.len()
                        );
                        srv.stats.client_qbuf_limit_disconnections += 1;
                        client.flags |= cflags::CLOSE_ASAP;
                        break;
                    }
                    process_input(srv, &mut client);
                    // A short read drained the socket: on Linux a later
                    // arrival raises a new edge, so skip the extra read(2)
                    // that would only return WouldBlock.
                    if !drain && n < self.read_buf.len() {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    closed = true;
                    break;
                }
            }
        }
        check_output_limits(srv, &mut client);
        if closed {
            log::debug!(
                "Client closed connection id={} addr={}",
                client.id,
                client.addr
            );
            client.flags |= cflags::CLOSE_ASAP;
        }
        let must_close = client.must_close();
        srv.clients[token] = Some(client);
        if must_close {
            srv.to_close.push(token);
        }
    }

    fn resume_paused(&mut self, srv: &mut Server) {
        let paused = std::mem::take(&mut srv.paused_clients);
        for t in paused {
            if let Some(Some(c)) = srv.clients.get_mut(t) {
                c.flags &= !cflags::PAUSED;
            } else {
                continue;
            }
            let Some(mut client) = srv.clients[t].take() else {
                continue;
            };
            process_input(srv, &mut client);
            srv.clients[t] = Some(client);
            // More bytes may be waiting in the socket: read them now.
            self.read_client(srv, t);
        }
    }
}

/// Parses and runs every complete command in the client's query buffer.
pub fn process_input(srv: &mut Server, client: &mut Client) {
    let query = std::mem::take(&mut client.query);
    let mut pos = client.qpos;
    let mut cmd_start = if client.parser.in_progress() {
        client.parser.ranges.first().map_or(pos, |r| r.0)
    } else {
        pos
    };
    let mut argv: Vec<&[u8]> = Vec::with_capacity(8);
    loop {
        if client.has(cflags::CLOSE_ASAP)
            || client.has(cflags::CLOSE_AFTER_REPLY)
            || client.has(cflags::PAUSED)
            || client.blocked.is_some()
        {
            break;
        }
        if !client.parser.in_progress() {
            cmd_start = pos;
        }
        let limits = Limits {
            max_bulk_len: srv.config.proto_max_bulk_len,
            authenticated: client.authenticated,
        };
        let parsed = client.parser.parse(&query, &mut pos, limits);
        match parsed {
            Ok(Parsed::Multibulk) => {
                argv.clear();
                argv.extend(client.parser.ranges.iter().map(|&(a, b)| &query[a..b]));
            }
            Ok(Parsed::Inline) => {
                let inline = std::mem::take(&mut client.parser.inline_args);
                let inline_argv: Vec<&[u8]> = inline.iter().map(|a| a.as_slice()).collect();
                let outcome = run_one(srv, client, &inline_argv);
                if matches!(outcome, Processed::Paused) {
                    pos = cmd_start;
                    client.flags |= cflags::PAUSED;
                    srv.paused_clients.push(client.token);
                    break;
                }
                if srv.blocking.has_ready() {
                    serve_blocked_clients(srv);
                }
                continue;
            }
            Ok(Parsed::Empty) => continue,
            Ok(Parsed::Incomplete { hint }) => {
                if hint > 0 {
                    client.query_peak = client.query_peak.max(query.len() + hint);
                }
                break;
            }
            Err(e) => {
                log::debug!(
                    "Protocol error ({}) from client: id={} addr={}",
                    e.0,
                    client.id,
                    client.addr
                );
                client.reply.error(&format!("ERR Protocol error: {}", e.0));
                srv.stats.total_error_replies += 1;
                *srv.stats.errors.entry("ERR".to_string()).or_insert(0) += 1;
                client.flags |= cflags::CLOSE_AFTER_REPLY;
                srv.queue_write(client);
                pos = query.len();
                break;
            }
        }
        if matches!(run_one(srv, client, &argv), Processed::Paused) {
            pos = cmd_start;
            client.flags |= cflags::PAUSED;
            srv.paused_clients.push(client.token);
            break;
        }
        // Clients blocked on a key this command wrote are served before
        // the next command runs, as Redis does.
        if srv.blocking.has_ready() {
            serve_blocked_clients(srv);
        }
        // Enforce the output limit as replies grow, not only per read, so a
        // pipeline of big replies cannot overshoot it by much.
        if obuf_limits(srv, client) != (0, 0, 0) {
            check_output_limits(srv, client);
        }
    }
    drop(argv);
    // Keep only the unconsumed tail (from the start of an incomplete
    // command) at the front of the buffer.
    let mut query = query;
    let keep_from = if client.parser.in_progress() {
        cmd_start.min(pos)
    } else {
        pos
    };
    if keep_from >= query.len() {
        query.clear();
        pos = 0;
        if query.capacity() > 256 * 1024 {
            query = Vec::new();
        }
    } else if keep_from > 0 {
        query.drain(..keep_from);
        client.parser.shift(keep_from);
        pos -= keep_from;
    }
    client.query = query;
    client.qpos = pos;
}

fn run_one(srv: &mut Server, client: &mut Client, argv: &[&[u8]]) -> Processed {
    if argv.is_empty() {
        return Processed::Done;
    }
    process_command(srv, client, argv)
}

/// The `client-output-buffer-limit` class limits of a client: pubsub for
/// subscribers, normal otherwise.
#[inline]
pub fn obuf_limits(srv: &Server, client: &Client) -> crate::config::ObufLimit {
    if client.has(cflags::REPLICA) {
        srv.config.obuf_limit_replica
    } else if client.is_subscriber() {
        srv.config.obuf_limit_pubsub
    } else {
        srv.config.obuf_limit_normal
    }
}

/// Whether a client's pending output is over `limits` (hard, soft, soft
/// seconds); tracks when the soft limit was first passed.
#[inline]
pub fn obuf_over_limit(limits: crate::config::ObufLimit, client: &mut Client, now_ms: i64) -> bool {
    let (hard, soft, soft_secs) = limits;
    let used = client.reply.pending() as u64;
    let mut over = hard > 0 && used >= hard;
    if soft > 0 && used >= soft {
        if client.obuf_soft_since_ms == 0 {
            client.obuf_soft_since_ms = now_ms;
        } else if now_ms - client.obuf_soft_since_ms >= soft_secs as i64 * 1000 {
            over = true;
        }
    } else {
        client.obuf_soft_since_ms = 0;
    }
    over
}

/// Schedules a client over its output limit for closing, logged as Redis
/// logs it; its pending output is dropped (never written).
pub fn close_for_obuf_limit(srv: &mut Server, client: &mut Client) {
    log::warn!(
        "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
        crate::commands::client::client_info_line(srv, client)
    );
    srv.stats.client_outbuf_limit_disconnections += 1;
    client.flags |= cflags::CLOSE_ASAP;
    client.reply.buf = Vec::new();
    client.reply.sent = 0;
}

/// Enforces `client-output-buffer-limit` (normal or pubsub class) on a
/// client.
pub fn check_output_limits(srv: &mut Server, client: &mut Client) {
    let limits = obuf_limits(srv, client);
    if obuf_over_limit(limits, client, srv.now_ms) && !client.has(cflags::CLOSE_ASAP) {
        close_for_obuf_limit(srv, client);
    }
}

/// Writes a client's pending output (on a writable event).
fn write_client(srv: &mut Server, token: usize) {
    let Some(Some(c)) = srv.clients.get_mut(token) else {
        return;
    };
    if !c.reply.has_pending() {
        return;
    }
    let before = c.net_output_bytes;
    let res = c.flush();
    if c.net_output_bytes > before {
        // So does a big reply that takes a while to drain.
        c.last_interaction_ms = srv.now_ms;
    }
    srv.stats.net_output_bytes += c.net_output_bytes - before;
    srv.stats.io_writes_processed += 1;
    if res.is_err() || c.must_close() {
        c.flags |= cflags::CLOSE_ASAP;
        srv.to_close.push(token);
    }
}

/// Work done before sleeping in poll: write pending replies, then close
/// the clients that must go.
pub fn before_sleep(srv: &mut Server) {
    // Replication: start/relay full syncs, answer WAITs (may unblock).
    crate::replication::master::before_sleep(srv);
    serve_blocked_clients(srv);
    super::pubsub::before_sleep(srv);
    super::tracking::before_sleep(srv);
    crate::persistence::aof::before_sleep(srv);
    let pending = std::mem::take(&mut srv.pending_writes);
    for t in &pending {
        if let Some(Some(c)) = srv.clients.get_mut(*t) {
            c.flags &= !cflags::PENDING_WRITE;
        }
        write_client(srv, *t);
    }
    let mut recycled = pending;
    recycled.clear();
    if srv.pending_writes.is_empty() {
        srv.pending_writes = recycled;
    }
    let to_close = std::mem::take(&mut srv.to_close);
    for t in to_close {
        let close = match srv.clients.get(t) {
            Some(Some(c)) => c.must_close(),
            _ => false,
        };
        if close {
            free_client(srv, t);
        }
    }
}

/// Re-runs the commands of clients blocked on keys that were written, in
/// FIFO order per key, until the data runs out (Redis's
/// `handleClientsBlockedOnKeys`). Serving a client can make more keys
/// ready (BLMOVE pushes), so this loops until nothing is ready.
pub fn serve_blocked_clients(srv: &mut Server) {
    if srv.blocking.serving {
        return;
    }
    srv.blocking.serving = true;
    loop {
        let unblocked = std::mem::take(&mut srv.blocking.unblocked);
        let ready = srv.blocking.take_ready();
        if unblocked.is_empty() && ready.is_empty() {
            break;
        }
        for token in unblocked {
            if let Some(Some(mut client)) = srv.clients.get_mut(token).map(Option::take) {
                if client.blocked.is_none() {
                    process_input(srv, &mut client);
                }
                srv.clients[token] = Some(client);
            }
        }
        for dk in ready {
            for token in srv.blocking.waiters(&dk) {
                let Some(Some(mut client)) = srv.clients.get_mut(token).map(Option::take) else {
                    continue;
                };
                retry_blocked(srv, &mut client);
                srv.clients[token] = Some(client);
            }
        }
    }
    srv.blocking.serving = false;
}

/// Runs a blocked client's command again; unblocks it unless it must keep
/// waiting, then runs whatever it pipelined behind the blocking command.
fn retry_blocked(srv: &mut Server, client: &mut Client) {
    let Some(state) = client.blocked.as_ref().map(|s| (**s).clone()) else {
        return;
    };
    let argv: Vec<&[u8]> = state.argv.iter().map(|a| a.as_slice()).collect();
    let Some(mut spec) = srv.commands.lookup(argv[0]) else {
        return;
    };
    if !spec.subcommands.is_empty() && argv.len() >= 2 {
        if let Some(sub) = crate::commands::find_subcommand(spec, argv[1]) {
            spec = sub;
        }
    }
    let still_waiting = crate::commands::call(srv, client, spec, &argv);
    if !still_waiting {
        unblock_client(srv, client);
    }
}

/// Takes a client off the blocked lists; its pipelined input runs next
/// (from `serve_blocked_clients`).
pub fn unblock_client(srv: &mut Server, client: &mut Client) {
    if let Some(state) = client.blocked.take() {
        srv.blocking.unblock(client.token, client.id, &state);
    }
    srv.queue_write(client);
    srv.blocking.unblocked.push(client.token);
}

/// Answers blocked clients whose timeout passed with their command's
/// timeout reply.
pub fn handle_block_timeouts(srv: &mut Server) {
    if srv.blocking.next_deadline().is_none_or(|d| d > srv.now_ms) {
        return;
    }
    for token in srv.blocking.expired(srv.now_ms) {
        let Some(Some(mut client)) = srv.clients.get_mut(token).map(Option::take) else {
            continue;
        };
        if let Some(state) = client.blocked.as_ref() {
            match state.timeout_reply {
                crate::db::blocking::TimeoutReply::NullArray => client.reply.null_array(),
                crate::db::blocking::TimeoutReply::NullBulk => client.reply.null(),
            }
            unblock_client(srv, &mut client);
        }
        srv.clients[token] = Some(client);
    }
}

/// Removes a client from the server; dropping it closes the socket.
pub fn free_client(srv: &mut Server, token: usize) {
    if srv.clients.contains(token) {
        if let Some(mut c) = srv.clients.remove(token) {
            log::debug!("Client closed id={} addr={}", c.id, c.addr);
            super::pubsub::forget_client(srv, &mut c);
            if let Some(state) = &c.blocked {
                srv.blocking.unblock(token, c.id, state);
            }
            crate::commands::multi::free_client_state(srv, c.id);
            super::tracking::client_freed(srv, c.id);
            crate::replication::master::forget_client(srv, c.id);
        }
        srv.monitors.retain(|&t| t != token);
        srv.paused_clients.retain(|&t| t != token);
    }
}
