//! ferredis as a replica: the link to the master (`REPLICAOF host port`).
//! A non-blocking outgoing socket on the reactor (token `LINK_TOKEN`),
//! driven by its readiness events and by `cron`: connect, the handshake
//! (`PING`, `AUTH`, `REPLCONF listening-port`, `REPLCONF capa eof capa
//! psync2`, `PSYNC`), the full-sync RDB transfer into a temp file (`$<len>`
//! or the diskless `$EOF:<mark>` form) loaded only once complete and valid,
//! then the master's command stream applied by a detached master client
//! (no replies, except `REPLCONF GETACK`), `REPLCONF ACK` every second,
//! `repl-timeout`, reconnection with `PSYNC <cached replid> <offset+1>`
//! (`+CONTINUE`), and promotion by `REPLICAOF NO ONE`.
//!
//! The master client is listed by `CLIENT LIST` (`flags=M`) and killable
//! (`CLIENT KILL TYPE master`): the link drops, is cached with its client
//! and reconnects at once. A received snapshot is loaded by the reactor at
//! the top of its loop (`run_pending_load`), serving clients meanwhile
//! (`-LOADING`, or the old data during a `swapdb` async load); the AOF is
//! stopped before it and restarted after it, and this server's own
//! replicas are dropped when the history changes.
//!
//! Redis counterpart: `replication.c` (replicationSetMaster,
//! connectWithMaster, syncWithMaster, slaveTryPartialResynchronization,
//! readSyncBulkPayload, replicationCacheMaster, replicationCron,
//! replicationSendAck, replicationUnsetMaster, replicationAttachToNewMaster,
//! restartAOFAfterSYNC).

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

use crate::persistence::LoadReader;
use crate::server::client::{cflags, Client, Conn};
use crate::server::Server;

/// The mio token of the link to the master (below the listeners' range).
pub const LINK_TOKEN: usize = usize::MAX - 100;
/// The (never registered) token of the master client.
const MASTER_CLIENT_TOKEN: usize = usize::MAX - 101;
/// Bytes read from the master per `read` call.
const READ_CHUNK: usize = 64 * 1024;

/// Reads of the master's link per readiness event (1 MB): a master that
/// streams faster than this replica applies must not keep the loop away
/// from its own clients, its clock and its ACKs.
const LINK_READS_PER_EVENT: usize = 16;

/// While the master's stream flows, an ACK goes back at most this often
/// (besides the once-a-second one Redis sends from cron), so the master's
/// view of this replica (its `slaveN` offset and lag, `min-replicas-max-lag`,
/// WAIT without a GETACK round) trails by a tenth of a second, not a
/// whole one. A master takes `REPLCONF ACK` whenever it comes.
const STREAMING_ACK_MS: i64 = 100;
/// Longest handshake reply line accepted.
const MAX_LINE: usize = 64 * 1024;

/// Where the link to the master stands (Redis's `repl_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Not a replica.
    None,
    /// Must connect (at once, then from cron every second).
    Connect,
    /// The non-blocking connect is in progress.
    Connecting,
    /// Waiting for the reply to PING.
    ReceivePong,
    /// Waiting for the reply to AUTH.
    ReceiveAuth,
    /// Waiting for the reply to REPLCONF listening-port.
    ReceivePort,
    /// Waiting for the reply to REPLCONF ip-address.
    ReceiveIp,
    /// Waiting for the reply to REPLCONF capa.
    ReceiveCapa,
    /// Waiting for the reply to PSYNC.
    ReceivePsync,
    /// Receiving the RDB of a full sync.
    Transfer,
    /// Applying the master's command stream.
    Connected,
}

impl LinkState {
    /// The state name `ROLE` reports.
    pub fn role_name(self) -> &'static str {
        match self {
            LinkState::None => "none",
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Transfer => "sync",
            LinkState::Connected => "connected",
            _ => "handshake",
        }
    }

    fn in_handshake(self) -> bool {
        matches!(
            self,
            LinkState::ReceivePong
                | LinkState::ReceiveAuth
                | LinkState::ReceivePort
                | LinkState::ReceiveIp
                | LinkState::ReceiveCapa
                | LinkState::ReceivePsync
        )
    }
}

/// How the RDB payload of a full sync is delimited.
enum Payload {
    /// The `$...` header line has not arrived yet.
    Header,
    /// `$<len>`: this many bytes remain.
    Bulk { remaining: u64 },
    /// `$EOF:<mark>`: the payload ends with the 40-byte mark.
    Eof { mark: Vec<u8>, tail: Vec<u8> },
}

/// A received snapshot waiting for the reactor to load it.
enum PendingLoad {
    /// The temp file is complete; the bytes read past it start the stream.
    Disk(Vec<u8>),
    /// Load straight from the socket; the payload's first bytes.
    Socket(SocketPayload, Vec<u8>),
}

/// A full-sync transfer in progress.
struct Transfer {
    file: Option<File>,
    path: PathBuf,
    payload: Payload,
    /// Bytes written to the temp file.
    received: u64,
    /// Total size when known (`$<len>`).
    size: Option<u64>,
}

/// The state of this server as a replica.
pub struct ReplicaLink {
    /// `REPLICAOF host port` in force.
    pub master: Option<(String, u16)>,
    /// The link's state.
    pub state: LinkState,
    /// The reactor's registry (set by the reactor at start; None in tests).
    pub registry: Option<Registry>,
    stream: Option<TcpStream>,
    inbuf: Vec<u8>,
    outbuf: Vec<u8>,
    /// Scratch buffer for socket reads.
    read_buf: Vec<u8>,
    // While a replica, the server shows these two as its replid and
    // master_repl_offset (`replication::current_ids`).
    /// The replication ID of the master followed.
    pub master_replid: String,
    /// Offset of the master's stream processed (`slave_repl_offset`).
    pub reploff: i64,
    /// Offset of the master's stream read (`slave_read_repl_offset`).
    pub read_reploff: i64,
    /// Bytes of the open transaction applied so far (counted in `reploff`,
    /// and passed on to sub-replicas, at its EXEC).
    multi_buf: Vec<u8>,
    /// Replid, offset and db of a lost master link, for `PSYNC` on reconnect.
    pub cached: Option<(String, i64, usize)>,
    /// The master client applying the stream (while Connected).
    pub master_client: Option<Box<Client>>,
    /// A complete snapshot the reactor must load (set by a link event,
    /// run by `run_pending_load` at the top of the loop, where clients can
    /// be served meanwhile).
    pending_load: Option<PendingLoad>,
    /// A snapshot load runs: link events wait for its end.
    loading: bool,
    /// The transfer's size and bytes read, kept for INFO while loading.
    loaded_transfer: Option<(Option<u64>, u64)>,
    /// Unix ms of the last newline sent to the master while loading.
    last_newline_ms: i64,
    /// The replid and offset of a `+FULLRESYNC`, taken once its snapshot
    /// is loaded.
    fullsync_ids: Option<(String, i64)>,
    /// That `+FULLRESYNC` continues the history of the data held.
    same_history: bool,
    /// The master client of a lost link, kept with `cached` so a partial
    /// resync resumes it (same id, age and last command, as Redis's
    /// `replicationResurrectCachedMaster`).
    cached_client: Option<Box<Client>>,
    transfer: Option<Transfer>,
    /// Unix ms of the last data from the master.
    pub last_io_ms: i64,
    /// Unix ms the state was entered (handshake timeouts).
    state_since_ms: i64,
    /// Unix ms of the last connect attempt.
    last_connect_ms: i64,
    /// The last read stopped at `LINK_READS_PER_EVENT`, not at WouldBlock.
    more_to_read: bool,
    /// Unix ms of the last `REPLCONF ACK`, and the offset it carried.
    last_ack_ms: i64,
    acked_off: i64,
    /// Unix seconds the link went down (`master_link_down_since_seconds`).
    pub down_since_secs: i64,
    /// Unix ms the last full sync started, and its bytes (INFO).
    pub sync_started_ms: i64,
    /// Full syncs completed (tests, INFO).
    pub full_syncs: u64,
    /// Partial resyncs accepted by the master.
    pub partial_syncs: u64,
    /// The master's replid before a `+CONTINUE <newid>` changed it, with the
    /// offset up to which it is valid (shown as replid2 / second_repl_offset).
    pub replid2: Option<(String, i64)>,
}

impl Default for ReplicaLink {
    fn default() -> Self {
        ReplicaLink {
            master: None,
            state: LinkState::None,
            registry: None,
            stream: None,
            inbuf: Vec::new(),
            outbuf: Vec::new(),
            read_buf: Vec::new(),
            master_replid: String::new(),
            reploff: 0,
            read_reploff: 0,
            multi_buf: Vec::new(),
            cached: None,
            master_client: None,
            cached_client: None,
            fullsync_ids: None,
            same_history: false,
            pending_load: None,
            loading: false,
            loaded_transfer: None,
            last_newline_ms: 0,
            transfer: None,
            last_io_ms: 0,
            state_since_ms: 0,
            last_connect_ms: 0,
            last_ack_ms: 0,
            acked_off: 0,
            more_to_read: false,
            down_since_secs: 0,
            sync_started_ms: 0,
            full_syncs: 0,
            partial_syncs: 0,
            replid2: None,
        }
    }
}

impl ReplicaLink {
    /// Whether `REPLICAOF host port` is in force.
    pub fn is_replica(&self) -> bool {
        self.master.is_some()
    }

    fn set_state(&mut self, s: LinkState, now_ms: i64) {
        self.state = s;
        self.state_since_ms = now_ms;
    }
}

/// Whether the server is a replica (`REPLICAOF host port` in force).
#[inline]
pub fn is_replica(srv: &Server) -> bool {
    srv.replica.master.is_some()
}

/// How the databases treat expired keys for normal clients: a read-only
/// replica keeps them (reads see them missing) until its master's `DEL`;
/// a master or a writable replica deletes them when met.
pub fn client_expire_mode(srv: &Server) -> crate::db::ExpireMode {
    // While writes are paused (CLIENT PAUSE, a shutdown waiting for its
    // replicas) an expired key reads as missing but is not deleted, as
    // Redis: deleting would write (and propagate) during the pause.
    if (is_replica(srv) && srv.config.get_bool("replica-read-only"))
        || srv.effective_pause() != crate::server::PauseKind::None
    {
        crate::db::ExpireMode::ReplicaRead
    } else {
        crate::db::ExpireMode::Normal
    }
}

/// Whether a client is the master client applying the stream.
#[inline]
pub fn is_master_client(c: &Client) -> bool {
    c.has(cflags::MASTER)
}

/// The error a write from a normal client gets on a read-only replica, or
/// None. Checked by `process_command` where Redis checks it.
pub fn readonly_error(srv: &Server, client: &Client, is_write: bool) -> Option<&'static str> {
    if is_write
        && is_replica(srv)
        && !is_master_client(client)
        && srv.config.get_bool("replica-read-only")
    {
        Some("READONLY You can't write against a read only replica.")
    } else {
        None
    }
}

/// The `-MASTERDOWN` error for commands without the `stale` flag while the
/// link is down and `replica-serve-stale-data no`, or None.
pub fn masterdown_error(srv: &Server, client: &Client, is_stale: bool) -> Option<&'static str> {
    if !is_stale
        && is_replica(srv)
        && srv.replica.state != LinkState::Connected
        && !is_master_client(client)
        && !srv.config.get_bool("replica-serve-stale-data")
    {
        Some("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
    } else {
        None
    }
}

/// Points the server at a new master (`REPLICAOF host port`, the
/// `replicaof` directive at start): drops any current link and connects.
pub fn set_master(srv: &mut Server, host: String, port: u16) {
    let was_master = !is_replica(srv);
    // A live link is cached, as Redis's freeClient(master): the new master
    // may continue it (a promoted sibling knows this replid as replid2).
    if srv.replica.state == LinkState::Connected {
        log::warn!("Connection with master lost.");
    }
    drop_link(srv, true);
    disconnect_blocked_clients(srv);
    set_log_role(srv, b'S');
    if was_master {
        // Redis's replicationCacheMasterUsingMyself: a master turned
        // replica offers its own replid and offset to the new master (a
        // promoted replica: the stream it followed and continued).
        if let Some((id, off)) = promoted_state(srv) {
            log::info!("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.");
            srv.replica.cached = Some((id, off, 0));
        }
    }
    srv.replica.master = Some((host.clone(), port));
    srv.config.replicaof = Some((host.clone(), port));
    crate::replication::master::set_proxy(srv, true);
    srv.refresh_expire_mode();
    let now = srv.now_ms;
    srv.replica.set_state(LinkState::Connect, now);
    srv.replica.down_since_secs = 0;
    log::info!("Connecting to MASTER {}:{}", host, port);
    connect(srv);
}

/// The log lines' role character: `S` while a replica, as Redis. Only a
/// server with a reactor sets it (unit tests share the process-wide one).
fn set_log_role(srv: &Server, role: u8) {
    if srv.replica.registry.is_some() {
        crate::logging::set_role(role);
    }
}

/// Clients blocked in a master that becomes a replica get `-UNBLOCKED`
/// (Redis's `disconnectAllBlockedClients`).
fn disconnect_blocked_clients(srv: &mut Server) {
    let tokens: Vec<usize> = srv
        .clients
        .iter()
        .filter_map(|(t, c)| c.as_ref().filter(|c| c.blocked.is_some()).map(|_| t))
        .collect();
    for t in tokens {
        let Some(Some(mut c)) = srv.clients.get_mut(t).map(Option::take) else {
            continue;
        };
        c.reply.error(
            "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
        );
        srv.stats.total_error_replies += 1;
        *srv.stats.errors.entry("UNBLOCKED".to_string()).or_insert(0) += 1;
        crate::server::reactor::unblock_client(srv, &mut c);
        srv.clients[t] = Some(c);
    }
}

/// The replid and offset a master turned replica offers as its cached
/// master: a former replica's (now master) stream, else its own (Redis
/// does this for any master, so PSYNC asks `<replid> <offset+1>`).
fn promoted_state(srv: &Server) -> Option<(String, i64)> {
    if srv.repl.backlog.is_some() || srv.replica.master_replid.is_empty() {
        Some((srv.repl.replid.clone(), srv.repl.master_repl_offset))
    } else {
        Some((srv.replica.master_replid.clone(), srv.replica.reploff))
    }
}

/// `REPLICAOF NO ONE`: stops replicating; the dataset is kept. The
/// replid becomes replid2 valid up to offset+1 and a new replid is made,
/// as Redis's `shiftReplicationId`.
pub fn unset_master(srv: &mut Server) {
    if !is_replica(srv) {
        return;
    }
    set_log_role(srv, b'M');
    if srv.replica.state == LinkState::Connected {
        log::warn!("Connection with master lost.");
    }
    drop_link(srv, true);
    if discard_cached(srv) {
        log::info!("Discarding previously cached master state.");
    }
    srv.replica.master = None;
    srv.config.replicaof = None;
    srv.replica.set_state(LinkState::None, srv.now_ms);
    srv.refresh_expire_mode();
    let off = srv.replica.reploff;
    let old = std::mem::take(&mut srv.replica.master_replid);
    if !old.is_empty() {
        let new_id = random_replid(srv);
        log::warn!(
            "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
            old,
            off + 1,
            new_id
        );
        srv.replica.replid2 = Some((old.clone(), off + 1));
        srv.replica.master_replid = new_id.clone();
        // The master side takes over: the old ID stays valid up to off+1
        // so the old master's other replicas can continue from here.
        crate::replication::master::promote(srv, new_id, old, off);
    } else {
        crate::replication::master::set_proxy(srv, false);
    }
    // This server's replicas must learn the new replid (Redis's
    // replicationUnsetMaster): they reconnect and continue.
    crate::replication::master::disconnect_replicas(srv);
    // The AOF stopped by a sync that failed comes back.
    restart_aof_after_sync(srv);
}

/// A fresh 40-hex-char replication ID.
fn random_replid(srv: &mut Server) -> String {
    (0..40)
        .map(|_| {
            let v = crate::db::dict::next_random(&mut srv.rng) % 16;
            std::char::from_digit(v as u32, 16).unwrap_or('0')
        })
        .collect()
}

/// Closes the socket and any transfer; a Connected link's master is cached
/// for a partial resync (`cache`), as Redis's `replicationCacheMaster`.
fn drop_link(srv: &mut Server, cache: bool) {
    let link = &mut srv.replica;
    if let Some(mut s) = link.stream.take() {
        if let Some(r) = &link.registry {
            let _ = r.deregister(&mut s);
        }
    }
    link.inbuf.clear();
    link.outbuf.clear();
    link.multi_buf = Vec::new();
    // A snapshot received but not loaded yet goes with its link.
    link.pending_load = None;
    link.fullsync_ids = None;
    if let Some(t) = link.transfer.take() {
        drop(t.file);
        let _ = std::fs::remove_file(&t.path);
    }
    if let Some(mut mc) = link.master_client.take() {
        let id = mc.id;
        if link.state == LinkState::Connected {
            if cache {
                log::info!("Caching the disconnected master state.");
                link.cached = Some((link.master_replid.clone(), link.reploff, mc.db));
                // As Redis's replicationCacheMaster: an open transaction
                // and unprocessed input are discarded (the PSYNC offset
                // resumes before them).
                mc.query.clear();
                mc.qpos = 0;
                mc.multi = None;
                mc.reply.buf.clear();
                mc.reply.sent = 0;
                mc.flags &= !cflags::PENDING_WRITE;
                link.cached_client = Some(mc);
            }
            link.down_since_secs = srv.now_ms / 1000;
        }
        crate::commands::multi::free_client_state(srv, id);
    }
    let now = srv.now_ms;
    let s = if srv.replica.master.is_some() {
        LinkState::Connect
    } else {
        LinkState::None
    };
    srv.replica.set_state(s, now);
}

/// The link failed: drop it (caching the master when it was Connected);
/// cron reconnects.
fn link_lost(srv: &mut Server) {
    let was_connected = srv.replica.state == LinkState::Connected;
    if was_connected {
        log::warn!("Connection with master lost.");
    }
    drop_link(srv, true);
    if was_connected {
        reconnect_now(srv);
    }
}

/// Reconnects at once after losing a Connected link rather than waiting
/// for cron (the backlog may be recycled meanwhile), as Redis's
/// `replicationHandleMasterDisconnection`.
fn reconnect_now(srv: &mut Server) {
    if let Some((h, p)) = srv.replica.master.clone() {
        log::info!("Reconnecting to MASTER {}:{}", h, p);
        connect(srv);
    }
}

/// `CLIENT KILL` matched the master client: the link is dropped, the
/// master cached and the replica reconnects at once to continue with a
/// partial resync, as Redis frees its master client.
pub fn kill_master_client(srv: &mut Server) {
    if srv.replica.master_client.is_none() {
        return;
    }
    link_lost(srv);
}

/// Forgets the cached master (a full resync or `REPLICAOF NO ONE`).
/// Returns whether there was one.
fn discard_cached(srv: &mut Server) -> bool {
    if let Some(mc) = srv.replica.cached_client.take() {
        crate::commands::multi::free_client_state(srv, mc.id);
    }
    srv.replica.cached.take().is_some()
}

/// The socket descriptor of the link (`fd=` of the master client in
/// `CLIENT LIST`), -1 without one.
pub fn link_fd(srv: &Server) -> i32 {
    use std::os::fd::AsRawFd;
    srv.replica.stream.as_ref().map_or(-1, |s| s.as_raw_fd())
}

/// Starts the non-blocking connect to the master.
fn connect(srv: &mut Server) {
    let Some((host, port)) = srv.replica.master.clone() else {
        return;
    };
    srv.replica.last_connect_ms = srv.now_ms;
    let addr: Option<SocketAddr> = (host.as_str(), port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next());
    let Some(addr) = addr else {
        log::warn!("Unable to connect to MASTER: Name or service not known");
        return;
    };
    let mut stream = match TcpStream::connect(addr) {
        Ok(s) => s,
        Err(e) => {
            log::warn!(
                "Unable to connect to MASTER: {}",
                crate::config::strerror(&e)
            );
            return;
        }
    };
    if let Some(r) = &srv.replica.registry {
        if r.register(
            &mut stream,
            Token(LINK_TOKEN),
            Interest::READABLE | Interest::WRITABLE,
        )
        .is_err()
        {
            return;
        }
    }
    srv.replica.stream = Some(stream);
    let now = srv.now_ms;
    srv.replica.set_state(LinkState::Connecting, now);
    srv.replica.last_io_ms = now;
    log::info!("MASTER <-> REPLICA sync started");
}

/// Encodes a command as a RESP multibulk.
fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Writes what is queued for the master; false on a socket error.
fn flush_out(srv: &mut Server) -> bool {
    let link = &mut srv.replica;
    let Some(s) = link.stream.as_mut() else {
        return true;
    };
    while !link.outbuf.is_empty() {
        match s.write(&link.outbuf) {
            Ok(0) => return false,
            Ok(n) => {
                link.outbuf.drain(..n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
    true
}

/// Queues and sends a command to the master.
fn send(srv: &mut Server, args: &[&[u8]]) -> bool {
    encode(&mut srv.replica.outbuf, args);
    flush_out(srv)
}

/// Sends `REPLCONF ACK <processed offset>`.
pub fn send_ack(srv: &mut Server) {
    if srv.replica.state != LinkState::Connected {
        return;
    }
    srv.replica.last_ack_ms = srv.now_ms;
    srv.replica.acked_off = srv.replica.reploff;
    let off = srv.replica.reploff.to_string();
    if !send(srv, &[b"REPLCONF", b"ACK", off.as_bytes()]) {
        link_lost(srv);
    }
}

/// Handles a readiness event on the link.
pub fn on_event(srv: &mut Server) {
    if srv.replica.stream.is_none() || srv.replica.loading || srv.replica.pending_load.is_some() {
        // A snapshot is being loaded: the link is read after it.
        return;
    }
    if srv.replica.state == LinkState::Connecting {
        let connected = {
            let Some(s) = srv.replica.stream.as_ref() else {
                return;
            };
            match s.take_error() {
                Ok(Some(e)) | Err(e) => Err(e),
                Ok(None) => match s.peer_addr() {
                    Ok(_) => Ok(true),
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
                    Err(e) => Err(e),
                },
            }
        };
        match connected {
            Ok(false) => return,
            Ok(true) => {
                log::info!("Non blocking connect for SYNC fired the event.");
                if let Some(s) = srv.replica.stream.as_ref() {
                    let _ = s.set_nodelay(!srv.config.get_bool("repl-disable-tcp-nodelay"));
                }
                let now = srv.now_ms;
                srv.replica.set_state(LinkState::ReceivePong, now);
                if !send(srv, &[b"PING"]) {
                    link_lost(srv);
                    return;
                }
            }
            Err(e) => {
                log::warn!(
                    "Error condition on socket for SYNC: {}",
                    crate::config::strerror(&e)
                );
                link_lost(srv);
                return;
            }
        }
    }
    if !flush_out(srv) {
        link_lost(srv);
        return;
    }
    read_link(srv);
}

/// Whether the link has data left from its last readiness event (the
/// reactor then polls without sleeping and calls `resume_read`).
#[inline]
pub fn has_more_to_read(srv: &Server) -> bool {
    srv.replica.more_to_read
}

/// Goes on reading the link where the last event stopped.
pub fn resume_read(srv: &mut Server) {
    if srv.replica.more_to_read {
        srv.replica.more_to_read = false;
        read_link(srv);
    }
}

/// Reads what the master sent (up to `LINK_READS_PER_EVENT` reads) and
/// acts on it.
fn read_link(srv: &mut Server) {
    let mut buf = std::mem::take(&mut srv.replica.read_buf);
    buf.resize(READ_CHUNK, 0);
    read_link_with(srv, &mut buf);
    srv.replica.read_buf = buf;
}

fn read_link_with(srv: &mut Server, buf: &mut [u8]) {
    srv.replica.more_to_read = false;
    for _ in 0..LINK_READS_PER_EVENT {
        let Some(s) = srv.replica.stream.as_mut() else {
            return;
        };
        match s.read(buf) {
            Ok(0) => {
                if srv.replica.state == LinkState::Transfer {
                    log::warn!("I/O error trying to sync with MASTER: connection lost");
                }
                link_lost(srv);
                return;
            }
            Ok(n) => {
                srv.replica.last_io_ms = srv.now_ms;
                srv.stats.net_input_bytes += n as u64;
                if !handle_bytes(srv, &buf[..n]) {
                    link_lost(srv);
                    return;
                }
                if srv.replica.pending_load.is_some() {
                    // The rest is read once the snapshot is loaded.
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                log::warn!("Error reading from MASTER: {}", crate::config::strerror(&e));
                link_lost(srv);
                return;
            }
        }
    }
    // The socket may hold more: the reactor comes back to it after its
    // other clients had their turn (`resume_read`).
    srv.replica.more_to_read = srv.replica.stream.is_some();
}

/// Feeds bytes read from the master to the current state. Returns false
/// when the link must be dropped.
fn handle_bytes(srv: &mut Server, data: &[u8]) -> bool {
    match srv.replica.state {
        LinkState::Connected => {
            srv.replica.read_reploff += data.len() as i64;
            if let Some(mc) = srv.replica.master_client.as_mut() {
                mc.query.extend_from_slice(data);
                mc.last_interaction_ms = srv.now_ms;
            }
            apply_stream(srv)
        }
        LinkState::Transfer => transfer_bytes(srv, data),
        s if s.in_handshake() => {
            srv.replica.inbuf.extend_from_slice(data);
            loop {
                let st = srv.replica.state;
                if !st.in_handshake() {
                    // The rest belongs to the transfer or the stream.
                    let rest = std::mem::take(&mut srv.replica.inbuf);
                    return rest.is_empty() || handle_bytes(srv, &rest);
                }
                let Some(nl) = srv.replica.inbuf.iter().position(|&b| b == b'\n') else {
                    return srv.replica.inbuf.len() <= MAX_LINE;
                };
                let mut line: Vec<u8> = srv.replica.inbuf.drain(..=nl).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if !handshake_reply(srv, &String::from_utf8_lossy(&line)) {
                    return false;
                }
            }
        }
        _ => true,
    }
}

/// Acts on one handshake reply line. Returns false to drop the link.
fn handshake_reply(srv: &mut Server, line: &str) -> bool {
    let now = srv.now_ms;
    match srv.replica.state {
        LinkState::ReceivePong => {
            if line.is_empty() {
                return true;
            }
            if line.starts_with('-')
                && !line.starts_with("-NOAUTH")
                && !line.starts_with("-NOPERM")
                && !line.starts_with("-ERR operation not permitted")
            {
                log::warn!("Error reply to PING from master: '{}'", line);
                return false;
            }
            log::info!("Master replied to PING, replication can continue...");
            let auth = srv.config.get_str("masterauth");
            let user = srv.config.get_str("masteruser");
            let port = srv.config.get_i64("replica-announce-port");
            let port = if port != 0 {
                port.to_string()
            } else {
                srv.config.port.to_string()
            };
            let mut out = Vec::new();
            if let Some(pass) = &auth {
                match &user {
                    Some(u) => encode(&mut out, &[b"AUTH", u, pass]),
                    None => encode(&mut out, &[b"AUTH", pass]),
                }
            }
            encode(&mut out, &[b"REPLCONF", b"listening-port", port.as_bytes()]);
            if let Some(ip) = srv.config.get_str("replica-announce-ip") {
                encode(&mut out, &[b"REPLCONF", b"ip-address", &ip]);
            }
            encode(
                &mut out,
                &[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"],
            );
            srv.replica.outbuf.extend_from_slice(&out);
            let next = if auth.is_some() {
                LinkState::ReceiveAuth
            } else {
                LinkState::ReceivePort
            };
            srv.replica.set_state(next, now);
            flush_out(srv)
        }
        LinkState::ReceiveAuth => {
            if line.starts_with('-') {
                log::warn!("Unable to AUTH to MASTER: {}", line);
                return false;
            }
            srv.replica.set_state(LinkState::ReceivePort, now);
            true
        }
        LinkState::ReceivePort => {
            if line.starts_with('-') {
                log::info!(
                    "(Non critical) Master does not understand REPLCONF listening-port: {}",
                    line
                );
            }
            let next = if srv.config.get_str("replica-announce-ip").is_some() {
                LinkState::ReceiveIp
            } else {
                LinkState::ReceiveCapa
            };
            srv.replica.set_state(next, now);
            true
        }
        LinkState::ReceiveIp => {
            if line.starts_with('-') {
                log::info!(
                    "(Non critical) Master does not understand REPLCONF ip-address: {}",
                    line
                );
            }
            srv.replica.set_state(LinkState::ReceiveCapa, now);
            true
        }
        LinkState::ReceiveCapa => {
            if line.starts_with('-') {
                log::info!(
                    "(Non critical) Master does not understand REPLCONF capa: {}",
                    line
                );
            }
            let (id, off) = match &srv.replica.cached {
                Some((id, off, _)) => {
                    log::info!(
                        "Trying a partial resynchronization (request {}:{}).",
                        id,
                        off + 1
                    );
                    (id.clone(), (off + 1).to_string())
                }
                None => {
                    log::info!("Partial resynchronization not possible (no cached master)");
                    ("?".to_string(), "-1".to_string())
                }
            };
            srv.replica.set_state(LinkState::ReceivePsync, now);
            if crate::replication::failover::in_progress(srv) {
                // A master handing over: the target becomes master.
                send(srv, &[b"PSYNC", id.as_bytes(), off.as_bytes(), b"FAILOVER"])
            } else {
                send(srv, &[b"PSYNC", id.as_bytes(), off.as_bytes()])
            }
        }
        LinkState::ReceivePsync => psync_reply(srv, line),
        _ => true,
    }
}

/// Acts on the reply to PSYNC.
fn psync_reply(srv: &mut Server, line: &str) -> bool {
    let now = srv.now_ms;
    if line.is_empty() {
        // The master sends newlines while it prepares.
        return true;
    }
    // A FAILOVER's hand-over ends with the target's answer: accepted, the
    // pause ends; refused, this server is a master again.
    if crate::replication::failover::in_progress(srv) {
        let accepted = line.starts_with("+FULLRESYNC") || line.starts_with("+CONTINUE");
        if !accepted {
            log::info!(
                "Master does not support PSYNC or is in error state (reply: {})",
                line
            );
        }
        crate::replication::failover::psync_answered(srv, accepted);
        if !accepted {
            return false;
        }
    }
    if let Some(rest) = line.strip_prefix("+FULLRESYNC") {
        let mut it = rest.split_whitespace();
        let id = it.next().unwrap_or("");
        let off = it.next().and_then(|o| o.parse::<i64>().ok()).unwrap_or(-1);
        // The server takes the master's replid and offset once the
        // snapshot is loaded (until then INFO shows its own, as Redis).
        // The same history as the data held (the backlog could not serve
        // the offset): a `swapdb` load can serve the old data meanwhile.
        srv.replica.same_history = crate::replication::current_ids(srv).replid == id;
        if id.len() != 40 {
            log::warn!("Master replied with wrong +FULLRESYNC syntax.");
            srv.replica.fullsync_ids = Some((String::new(), off));
        } else {
            log::info!("Full resync from master: {}:{}", id, off);
            srv.replica.fullsync_ids = Some((id.to_string(), off));
        }
        let dir = crate::persistence::rdb_path(&srv.config)
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_else(|| PathBuf::from("."));
        let path = dir.join(format!("temp-{}.{}.rdb", now / 1000, crate::sys::getpid()));
        let file = match OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) => {
                log::warn!(
                    "Opening the temp file needed for MASTER <-> REPLICA synchronization: {}",
                    crate::config::strerror(&e)
                );
                return false;
            }
        };
        srv.replica.transfer = Some(Transfer {
            file: Some(file),
            path,
            payload: Payload::Header,
            received: 0,
            size: None,
        });
        srv.replica.sync_started_ms = now;
        srv.replica.set_state(LinkState::Transfer, now);
        return true;
    }
    if let Some(rest) = line.strip_prefix("+CONTINUE") {
        let Some((id, off, db)) = srv.replica.cached.take() else {
            return false;
        };
        log::info!("Successful partial resynchronization with master.");
        let new_id = rest.trim();
        srv.replica.master_replid = id.clone();
        if !new_id.is_empty() && new_id.len() == 40 && new_id != id {
            // replid2 = old id valid up to off+1, replid = new id; this
            // server's replicas are disconnected to learn the new ID
            // (`master::follow_master`).
            srv.replica.replid2 = Some((id, off + 1));
            srv.replica.master_replid = new_id.to_string();
            log::warn!("Master replication ID changed to {}", new_id);
        }
        srv.replica.reploff = off;
        srv.replica.read_reploff = off;
        srv.replica.partial_syncs += 1;
        start_stream(srv, db, false);
        log::info!("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        return true;
    }
    if line.starts_with("-NOMASTERLINK") || line.starts_with("-LOADING") {
        log::info!(
            "Master is currently unable to PSYNC but should be in the future: {}",
            line
        );
        return false;
    }
    log::warn!("Unexpected reply to PSYNC from master: {}", line);
    false
}

/// A full sync's snapshot is in place (from disk or the socket): the
/// stream starts on the database the snapshot names, the AOF comes back,
/// and the first ACK goes out (it puts this replica online on a diskless
/// master).
fn sync_finished(srv: &mut Server) {
    srv.replica.full_syncs += 1;
    take_fullsync_ids(srv);
    let db = loaded_stream_db(srv);
    start_stream(srv, db, true);
    log::info!("MASTER <-> REPLICA sync: Finished with success");
    restart_aof_after_sync(srv);
    send_ack(srv);
}

/// After a full sync's load: the server's replid and offset become those
/// the master announced, and replid2 is cleared (Redis's
/// `clearReplicationId2` after `readSyncBulkPayload`).
fn take_fullsync_ids(srv: &mut Server) {
    if let Some((id, off)) = srv.replica.fullsync_ids.take() {
        srv.replica.master_replid = id;
        srv.replica.reploff = off;
        srv.replica.read_reploff = off;
        srv.replica.replid2 = None;
    }
}

/// Enters the Connected state with a master client on `db`: the cached
/// one after a partial resync (Redis keeps its id, age and last command),
/// else a fresh one. The server's own replication ID and offset follow the
/// master's from here (`master::follow_master`), after a full sync
/// (`full`) or a partial one.
fn start_stream(srv: &mut Server, db: usize, full: bool) {
    // As Redis, the peer's address (an IP even when `replicaof` named a
    // host).
    let addr = srv
        .replica
        .stream
        .as_ref()
        .and_then(|s| s.peer_addr().ok())
        .map(|a| a.to_string())
        .or_else(|| {
            srv.replica
                .master
                .as_ref()
                .map(|(h, p)| format!("{}:{}", h, p))
        })
        .unwrap_or_default();
    let laddr = srv
        .replica
        .stream
        .as_ref()
        .and_then(|s| s.local_addr().ok())
        .map(|a| a.to_string())
        .unwrap_or_default();
    let mut c = match srv.replica.cached_client.take() {
        Some(mut c) => {
            // Linked again: listed after every client there now, before
            // any that comes later (their ids are from next_client_id on).
            c.list_order = srv.next_client_id.saturating_mul(2).saturating_sub(1);
            c
        }
        None => {
            let id = srv.next_client_id;
            srv.next_client_id += 1;
            let mut c = Client::new(
                id,
                MASTER_CLIENT_TOKEN,
                Conn::Detached,
                String::new(),
                String::new(),
                srv.now_ms,
            );
            c.authenticated = true;
            c.flags |= cflags::MASTER;
            Box::new(c)
        }
    };
    c.addr = addr;
    c.laddr = laddr;
    c.last_interaction_ms = srv.now_ms;
    c.db = db.min(srv.keyspace.dbs.len().saturating_sub(1));
    srv.replica.master_client = Some(c);
    let now = srv.now_ms;
    srv.replica.set_state(LinkState::Connected, now);
    srv.replica.last_io_ms = now;
    srv.replica.down_since_secs = 0;
    crate::replication::master::follow_master(srv, full);
}

/// The database the master's stream had selected when the snapshot just
/// loaded was taken (its `repl-stream-db` AUX field): a master sends a
/// SELECT first, but a chained replica passes its master's stream on as
/// it is.
fn loaded_stream_db(srv: &Server) -> usize {
    crate::persistence::rdb::take_loaded_repl_aux()
        .and_then(|aux| usize::try_from(aux.stream_db).ok())
        .filter(|&db| db < srv.keyspace.dbs.len())
        .unwrap_or(0)
}

/// Writes RDB bytes to the temp file; at the end loads it.
fn transfer_bytes(srv: &mut Server, mut data: &[u8]) -> bool {
    let Some(t) = srv.replica.transfer.as_mut() else {
        return false;
    };
    if let Payload::Header = t.payload {
        // Skip the newlines the master sends while it prepares.
        while let Some((&b'\n', rest)) = data.split_first() {
            data = rest;
        }
        if data.is_empty() {
            return true;
        }
        srv.replica.inbuf.extend_from_slice(data);
        let Some(nl) = srv.replica.inbuf.iter().position(|&b| b == b'\n') else {
            return srv.replica.inbuf.len() <= MAX_LINE;
        };
        let mut line: Vec<u8> = srv.replica.inbuf.drain(..=nl).collect();
        let rest = std::mem::take(&mut srv.replica.inbuf);
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.first() == Some(&b'-') {
            log::warn!(
                "MASTER aborted replication with an error: {}",
                String::from_utf8_lossy(&line[1..])
            );
            return false;
        }
        if line.first() != Some(&b'$') {
            log::warn!(
                "Bad protocol from MASTER, the first byte is not '$' (we received '{}'), are you sure the host and port are right?",
                String::from_utf8_lossy(&line)
            );
            return false;
        }
        let diskless = load_from_socket(srv);
        let to = if diskless { "parser" } else { "disk" };
        let Some(t) = srv.replica.transfer.as_mut() else {
            return false;
        };
        if let Some(mark) = line.strip_prefix(b"$EOF:") {
            if mark.len() != 40 {
                return false;
            }
            if diskless {
                log::info!(
                    "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to {}",
                    to
                );
                srv.replica.pending_load =
                    Some(PendingLoad::Socket(SocketPayload::Eof(mark.to_vec()), rest));
                return true;
            }
            t.payload = Payload::Eof {
                mark: mark.to_vec(),
                tail: Vec::with_capacity(40),
            };
            log::info!(
                "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
            );
        } else {
            let Some(n) = std::str::from_utf8(&line[1..])
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
            else {
                return false;
            };
            if diskless {
                log::info!(
                    "MASTER <-> REPLICA sync: receiving {} bytes from master to {}",
                    n,
                    to
                );
                srv.replica.pending_load = Some(PendingLoad::Socket(SocketPayload::Bulk(n), rest));
                return true;
            }
            t.payload = Payload::Bulk { remaining: n };
            t.size = Some(n);
            log::info!(
                "MASTER <-> REPLICA sync: receiving {} bytes from master to disk",
                n
            );
        }
        return rest.is_empty() || transfer_bytes(srv, &rest);
    }
    let (chunk, rest, done) = match &mut t.payload {
        Payload::Bulk { remaining } => {
            let n = (*remaining).min(data.len() as u64) as usize;
            *remaining -= n as u64;
            (&data[..n], &data[n..], *remaining == 0)
        }
        Payload::Eof { mark, tail } => {
            tail.extend_from_slice(data);
            if tail.len() > 40 {
                let cut = tail.len() - 40;
                tail.drain(..cut);
            }
            (data, &data[..0], tail.len() == 40 && tail == mark)
        }
        Payload::Header => return false,
    };
    if let Some(f) = t.file.as_mut() {
        if let Err(e) = f.write_all(chunk) {
            log::warn!(
                "Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: {}",
                crate::config::strerror(&e)
            );
            return false;
        }
    }
    t.received += chunk.len() as u64;
    if !done {
        return true;
    }
    if let Payload::Eof { .. } = t.payload {
        if let Some(f) = t.file.as_mut() {
            if f.set_len(t.received.saturating_sub(40)).is_err() {
                return false;
            }
        }
    }
    // The reactor loads it (serving clients meanwhile); the bytes after
    // the payload start the stream.
    srv.replica.pending_load = Some(PendingLoad::Disk(rest.to_vec()));
    true
}

/// The dataset is about to be replaced by a new master's: the cached
/// master goes, and this server's own replicas are disconnected and its
/// backlog freed so they resync from scratch (they cannot continue a
/// history that no longer exists), as Redis's
/// `replicationAttachToNewMaster`.
fn attach_to_new_master(srv: &mut Server) {
    if discard_cached(srv) {
        log::info!("Discarding previously cached master state.");
    }
    // Redis's disconnectSlaves and freeReplicationBacklog: the backlog
    // comes back on the master's history once the snapshot is loaded
    // (`master::follow_master`).
    crate::replication::master::disconnect_replicas(srv);
    crate::replication::master::free_backlog(srv);
}

/// Whether a received snapshot waits for `run_pending_load`.
#[inline]
pub fn has_pending_load(srv: &Server) -> bool {
    srv.replica.pending_load.is_some()
}

/// Loads the snapshot a link event received, from the top of the event
/// loop: while it loads the server is LOADING (`-LOADING` for commands
/// without the `loading` flag, `loading:1` in INFO) and `events` serves
/// clients every `loading-process-events-interval-bytes`, as Redis's
/// `readSyncBulkPayload` loading with `processEventsWhileBlocked`.
pub fn run_pending_load(srv: &mut Server, events: &mut dyn FnMut(&mut Server)) {
    let Some(load) = srv.replica.pending_load.take() else {
        return;
    };
    srv.replica.loaded_transfer = srv.replica.transfer.as_ref().map(|t| (t.size, t.received));
    srv.replica.loading = true;
    // `swapdb` keeps the old data (and history) until the new is loaded.
    let swapdb = srv.config.get_enum("repl-diskless-load") == "swapdb";
    if !(swapdb && matches!(load, PendingLoad::Socket(..))) {
        attach_to_new_master(srv);
    }
    // As Redis: the AOF stops before the dataset is replaced (so it never
    // mixes the old data with the new) and restarts after a successful
    // load with a rewrite of the new data.
    if srv.aof.status != crate::persistence::aof::Status::Off {
        crate::persistence::aof::stop_append_only(srv);
    }
    srv.replica.last_newline_ms = srv.now_ms;
    if matches!(load, PendingLoad::Disk(_)) {
        // A save of the old data must not overwrite the file being loaded.
        if let Some(c) = srv.child.as_ref().filter(|c| c.kind.is_rdb()) {
            log::info!("Replica is about to load the RDB file received from the master, but there is a pending RDB child running. Killing process {} and removing its temp file to avoid any race", c.pid);
            crate::persistence::child::kill_child(srv);
        }
    }
    let ok = match load {
        PendingLoad::Disk(rest) => {
            finish_transfer(srv, events) && (rest.is_empty() || handle_bytes(srv, &rest))
        }
        PendingLoad::Socket(payload, already) => diskless_load(srv, payload, already, events),
    };
    srv.replica.loading = false;
    srv.replica.loaded_transfer = None;
    crate::persistence::stop_loading(srv);
    srv.update_time();
    if !ok {
        // As Redis's cancelReplicationHandshake: try again at once.
        link_lost(srv);
        let reconnecting = srv.replica.stream.is_some();
        if let Some((h, p)) = srv.replica.master.clone().filter(|_| !reconnecting) {
            log::info!("Reconnecting to MASTER {}:{} after failure", h, p);
            connect(srv);
        }
        return;
    }
    // What the master sent meanwhile (the socket is edge-triggered).
    if srv.replica.stream.is_some() {
        read_link(srv);
    }
}

/// Once a second while loading, a newline to the master so it does not
/// time this replica out (Redis's `replicationSendNewlineToMaster`).
fn send_newline(srv: &mut Server, socket: Option<&std::net::TcpStream>) {
    if srv.now_ms - srv.replica.last_newline_ms < 1000 {
        return;
    }
    srv.replica.last_newline_ms = srv.now_ms;
    if let Some(mut s) = socket {
        let _ = s.write(b"\n");
    } else if let Some(s) = srv.replica.stream.as_mut() {
        let _ = s.write(b"\n");
    }
}

/// Loads the received RDB in place of the dataset.
fn finish_transfer(srv: &mut Server, events: &mut dyn FnMut(&mut Server)) -> bool {
    let Some(mut t) = srv.replica.transfer.take() else {
        return false;
    };
    if let Some(f) = t.file.take() {
        if let Err(e) = f.sync_all() {
            log::warn!(
                "Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: {}",
                crate::config::strerror(&e)
            );
        }
    }
    let final_path = crate::persistence::rdb_path(&srv.config);
    if let Err(e) = std::fs::rename(&t.path, &final_path) {
        log::warn!(
            "Failed trying to rename the temp DB into {} in MASTER <-> REPLICA synchronization: {}",
            final_path.display(),
            crate::config::strerror(&e)
        );
        let _ = std::fs::remove_file(&t.path);
        return false;
    }
    log::info!("MASTER <-> REPLICA sync: Flushing old data");
    log::info!("MASTER <-> REPLICA sync: Loading DB in memory");
    let file = match File::open(&final_path) {
        Ok(f) => f,
        Err(_) => return false,
    };
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    crate::persistence::start_loading(srv, total);
    let opts = crate::persistence::rdb::LoadOptions::from_config(&srv.config);
    let mut ks = crate::db::Keyspace::new(srv.keyspace.dbs.len());
    ks.set_clock(srv.now_ms);
    let now = srv.now_ms;
    let mut tick = |s: &mut Server| {
        send_newline(s, None);
        events(s);
    };
    let reader = LoadReader::new(BufReader::with_capacity(64 * 1024, file), srv, &mut tick);
    let result = crate::persistence::rdb::load_keyspace(reader, &mut ks, now, false, &opts);
    crate::persistence::stop_loading(srv);
    srv.update_time();
    if !sync_loaded(srv, result.map_err(|e| e.error.to_string()), "disk") {
        return false;
    }
    install_dataset(srv, ks);
    // As Redis, the file stays (it is this replica's dump.rdb) unless
    // `rdb-del-sync-files` asks to delete it with persistence off.
    if srv.config.get_bool("rdb-del-sync-files")
        && srv.config.save.is_empty()
        && !srv.config.get_bool("appendonly")
    {
        log::info!(
            "Removing the RDB file obtained from the master. This replica has persistence disabled"
        );
        let _ = std::fs::remove_file(&final_path);
    }
    sync_finished(srv);
    true
}

/// Turns the AOF back on after a full sync (or a promotion) when it is
/// configured but stopped, retrying as Redis's `restartAOFAfterSYNC`: it
/// starts with a rewrite of the new dataset.
fn restart_aof_after_sync(srv: &mut Server) {
    if !srv.config.get_bool("appendonly") || srv.aof.status != crate::persistence::aof::Status::Off
    {
        return;
    }
    for _ in 0..10 {
        if crate::persistence::aof::start_append_only(srv).is_ok() {
            return;
        }
        log::warn!("Failed enabling the AOF after successful master synchronization! Trying it again in one second.");
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    log::warn!("FATAL: this replica instance finished the synchronization with its master, but the AOF can't be turned on. Exiting now.");
    std::process::exit(1);
}

/// Replaces the dataset with the one received from the master.
fn install_dataset(srv: &mut Server, ks: crate::db::Keyspace) {
    // This server's own replicas were dropped and its backlog freed before
    // the load (`attach_to_new_master`); the backlog comes back on the
    // master's history with the stream (`master::follow_master`).
    // Clients watching keys of the old dataset see them change.
    for (i, db) in srv.keyspace.dbs.iter().enumerate() {
        srv.watch.touch_flushed(i, db);
    }
    let mut old = std::mem::replace(&mut srv.keyspace, ks);
    // The old data goes as a flush does: `replica-lazy-flush` frees it in
    // the background, and big tables go there anyway so the loop does not
    // stall on them.
    let lazy = srv.config.get_bool("replica-lazy-flush");
    for db in old.dbs.iter_mut() {
        let table = db.clear();
        srv.lazyfree.free_table(table, lazy);
    }
    drop(old);
    srv.apply_config();
    srv.refresh_expire_mode();
    srv.dirty += 1;
}

/// How the payload of a diskless load is delimited.
enum SocketPayload {
    Eof(Vec<u8>),
    Bulk(u64),
}

/// Whether the RDB is loaded straight from the socket
/// (`repl-diskless-load swapdb`, or `on-empty-db` with no data).
fn load_from_socket(srv: &Server) -> bool {
    match srv.config.get_enum("repl-diskless-load") {
        "swapdb" => true,
        "on-empty-db" => srv.keyspace.dbs.iter().all(|d| d.is_empty()),
        _ => false,
    }
}

/// Loads the master's RDB straight from the socket, as Redis's diskless
/// load: the socket is read in blocking mode (bounded by `repl-timeout`)
/// into a new dataset that replaces the old one only when complete (the
/// `swapdb` way). Returns false when the link must be dropped.
fn diskless_load(
    srv: &mut Server,
    payload: SocketPayload,
    already: Vec<u8>,
    events: &mut dyn FnMut(&mut Server),
) -> bool {
    if let Some(t) = srv.replica.transfer.take() {
        drop(t.file);
        let _ = std::fs::remove_file(&t.path);
    }
    let Some(mut ms) = srv.replica.stream.take() else {
        return false;
    };
    if let Some(r) = &srv.replica.registry {
        let _ = r.deregister(&mut ms);
    }
    let stream: std::net::TcpStream = ms.into();
    let timeout = srv.config.get_i64("repl-timeout").max(1) as u64;
    if stream.set_nonblocking(false).is_err()
        || stream
            .set_read_timeout(Some(std::time::Duration::from_secs(timeout)))
            .is_err()
    {
        return false;
    }
    let swapdb = srv.config.get_enum("repl-diskless-load") == "swapdb";
    if !swapdb {
        log::info!("MASTER <-> REPLICA sync: Flushing old data");
    }
    log::info!("MASTER <-> REPLICA sync: Loading DB in memory");
    let total = match payload {
        SocketPayload::Bulk(n) => n,
        SocketPayload::Eof(_) => 0,
    };
    crate::persistence::start_loading(srv, total);
    if swapdb && srv.replica.same_history {
        // Redis's async loading: the old data (an earlier point of the
        // same history) is served until the new one is swapped in.
        srv.persistence.loading.active = false;
        srv.persistence.loading.async_loading = true;
    }
    let opts = crate::persistence::rdb::LoadOptions::from_config(&srv.config);
    let mut ks = crate::db::Keyspace::new(srv.keyspace.dbs.len());
    ks.set_clock(srv.now_ms);
    let now = srv.now_ms;
    let source = io::Cursor::new(already).chain(&stream);
    // Newlines to the master go on the socket being read.
    let mut tick = |s: &mut Server| {
        send_newline(s, Some(&stream));
        events(s);
    };
    let (result, leftover) = match payload {
        SocketPayload::Bulk(n) => {
            let mut r = LoadReader::new(
                BufReader::with_capacity(64 * 1024, source.take(n)),
                srv,
                &mut tick,
            );
            let result = crate::persistence::rdb::load_keyspace(&mut r, &mut ks, now, false, &opts);
            // The rest of the payload (if the loader stopped short) goes.
            let drained = io::copy(&mut r, &mut io::sink());
            let (cursor, _) = r.into_inner().into_inner().into_inner().into_inner();
            let pos = cursor.position() as usize;
            let rest = cursor.into_inner().get(pos..).unwrap_or(&[]).to_vec();
            (
                result
                    .map_err(|e| e.error.to_string())
                    .and_then(|st| drained.map(|_| st).map_err(|e| e.to_string())),
                rest,
            )
        }
        SocketPayload::Eof(mark) => {
            let mut r =
                LoadReader::new(BufReader::with_capacity(64 * 1024, source), srv, &mut tick);
            let result = crate::persistence::rdb::load_keyspace(&mut r, &mut ks, now, false, &opts);
            let mut tail = [0u8; 40];
            let checked = result.map_err(|e| e.error.to_string()).and_then(|st| {
                r.read_exact(&mut tail).map_err(|e| e.to_string())?;
                if tail[..] == mark[..] {
                    Ok(st)
                } else {
                    Err("the EOF mark does not follow the RDB".to_string())
                }
            });
            let rest = r.inner().buffer().to_vec();
            (checked, rest)
        }
    };
    crate::persistence::stop_loading(srv);
    srv.update_time();
    if !sync_loaded(srv, result, "socket") {
        if swapdb {
            log::info!("MASTER <-> REPLICA sync: Discarding temporary DB in background");
        }
        return false;
    }
    if swapdb {
        attach_to_new_master(srv);
        log::info!("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
    }
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut ms = TcpStream::from_std(stream);
    if let Some(r) = &srv.replica.registry {
        if r.register(
            &mut ms,
            Token(LINK_TOKEN),
            Interest::READABLE | Interest::WRITABLE,
        )
        .is_err()
        {
            return false;
        }
    }
    srv.replica.stream = Some(ms);
    srv.update_time();
    install_dataset(srv, ks);
    if swapdb {
        log::info!("MASTER <-> REPLICA sync: Discarding old DB in background");
    }
    sync_finished(srv);
    if srv.replica.state != LinkState::Connected {
        return true;
    }
    // Bytes already read past the payload start the stream; the caller's
    // read loop goes on with what waits in the socket.
    leftover.is_empty() || handle_bytes(srv, &leftover)
}

/// Result of scanning the stream for one complete command.
enum Scan {
    /// Argument ranges and the command's total length in bytes.
    Command(Vec<(usize, usize)>, usize),
    /// Bytes to skip (an empty line).
    Skip(usize),
    Incomplete,
    Error,
}

/// Finds a `\r\n`-terminated line at `pos`; returns (line end, next pos).
fn find_line(buf: &[u8], pos: usize) -> Option<(usize, usize)> {
    let nl = buf.get(pos..)?.iter().position(|&b| b == b'\n')? + pos;
    let end = if nl > pos && buf[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    };
    Some((end, nl + 1))
}

/// Scans one command of the master's stream at `pos` (only complete ones
/// are returned, so nothing is kept between reads but the bytes).
fn scan_command(buf: &[u8], pos: usize, max_bulk: u64) -> Scan {
    let Some(&first) = buf.get(pos) else {
        return Scan::Incomplete;
    };
    if first != b'*' {
        // Inline: only empty lines are expected (keepalive newlines).
        return match find_line(buf, pos) {
            Some((end, next)) if end == pos => Scan::Skip(next - pos),
            Some(_) => Scan::Error,
            None => Scan::Incomplete,
        };
    }
    let Some((end, mut p)) = find_line(buf, pos) else {
        return Scan::Incomplete;
    };
    let Some(n) = std::str::from_utf8(&buf[pos + 1..end])
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
    else {
        return Scan::Error;
    };
    if !(0..=1024 * 1024).contains(&n) {
        return Scan::Error;
    }
    let mut ranges = Vec::with_capacity((n as usize).min(64));
    for _ in 0..n {
        if p >= buf.len() {
            return Scan::Incomplete;
        }
        if buf[p] != b'$' {
            return Scan::Error;
        }
        let Some((end, next)) = find_line(buf, p) else {
            return Scan::Incomplete;
        };
        let Some(len) = std::str::from_utf8(&buf[p + 1..end])
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
        else {
            return Scan::Error;
        };
        if len > max_bulk {
            return Scan::Error;
        }
        let start = next;
        let Some(stop) = start.checked_add(len as usize) else {
            return Scan::Error;
        };
        if stop + 2 > buf.len() {
            return Scan::Incomplete;
        }
        ranges.push((start, stop));
        p = stop + 2;
    }
    Scan::Command(ranges, p - pos)
}

/// Runs the complete commands the master sent, counting the offset.
fn apply_stream(srv: &mut Server) -> bool {
    let Some(mut mc) = srv.replica.master_client.take() else {
        return false;
    };
    let query = std::mem::take(&mut mc.query);
    let mut pos = 0;
    let max_bulk = srv.config.proto_max_bulk_len as u64;
    let mut ok = true;
    srv.keyspace
        .set_expire_mode(crate::db::ExpireMode::MasterApply);
    loop {
        match scan_command(&query, pos, max_bulk) {
            Scan::Incomplete => break,
            Scan::Error => {
                log::warn!("Protocol error from MASTER: closing the link");
                ok = false;
                break;
            }
            Scan::Skip(n) => {
                crate::replication::master::queue_proxied(srv, &query[pos..pos + n]);
                pos += n;
                srv.replica.reploff += n as i64;
            }
            Scan::Command(ranges, len) => {
                let argv: Vec<&[u8]> = ranges.iter().map(|&(a, b)| &query[a..b]).collect();
                pos += len;
                if argv.is_empty() {
                    crate::replication::master::queue_proxied(srv, &query[pos - len..pos]);
                    srv.replica.reploff += len as i64;
                    continue;
                }
                let getack = argv.len() >= 2
                    && argv[0].eq_ignore_ascii_case(b"replconf")
                    && argv[1].eq_ignore_ascii_case(b"getack");
                if getack {
                    // As Redis, the ACK carries the offset before the GETACK.
                    srv.replica.master_client = Some(mc);
                    send_ack(srv);
                    let Some(m) = srv.replica.master_client.take() else {
                        // The link failed while sending.
                        crate::replication::master::feed_stream(srv);
                        srv.refresh_expire_mode();
                        return true;
                    };
                    mc = m;
                } else {
                    let outcome = crate::commands::process_command(srv, &mut mc, &argv);
                    if mc.reply.buf.first() == Some(&b'-') {
                        // The replica diverges from its master: say so.
                        let end = mc.reply.buf.len().saturating_sub(2).max(1);
                        log::warn!(
                            "== CRITICAL == This replica is sending an error to its master: '{}' after processing the command '{}'",
                            String::from_utf8_lossy(&mc.reply.buf[1..end]),
                            String::from_utf8_lossy(argv[0]).to_ascii_lowercase()
                        );
                    }
                    mc.reply.buf.clear();
                    mc.reply.sent = 0;
                    mc.flags &= !cflags::PENDING_WRITE;
                    if matches!(outcome, crate::commands::Processed::Paused) {
                        // CLIENT PAUSE holds the master's writes too: the
                        // command stays in the buffer and cron retries it.
                        pos -= len;
                        break;
                    }
                }
                // What was processed goes on to this server's backlog and
                // sub-replicas as it came (Redis's
                // replicationFeedStreamFromMasterStream), so offsets agree
                // along a chain. As Redis, a transaction counts as processed
                // at its EXEC (a link lost in the middle resumes before its
                // MULTI).
                let bytes = &query[pos - len..pos];
                if mc.multi.is_some() {
                    srv.replica.multi_buf.extend_from_slice(bytes);
                } else {
                    if !srv.replica.multi_buf.is_empty() {
                        let held = std::mem::take(&mut srv.replica.multi_buf);
                        crate::replication::master::queue_proxied(srv, &held);
                        srv.replica.reploff += held.len() as i64;
                    }
                    crate::replication::master::queue_proxied(srv, bytes);
                    srv.replica.reploff += len as i64;
                }
            }
        }
    }
    crate::replication::master::feed_stream(srv);
    srv.refresh_expire_mode();
    let mut query = query;
    query.drain(..pos.min(query.len()));
    mc.query = query;
    srv.replica.master_client = Some(mc);
    if ok
        && srv.replica.reploff != srv.replica.acked_off
        && srv.now_ms - srv.replica.last_ack_ms >= STREAMING_ACK_MS
    {
        send_ack(srv);
    }
    ok
}

/// Once per cron tick: connects, times out dead links, sends ACKs.
pub fn cron(srv: &mut Server) {
    if !is_replica(srv) {
        return;
    }
    let now = srv.now_ms;
    let timeout_ms = srv.config.get_i64("repl-timeout").max(1) * 1000;
    let st = srv.replica.state;
    match st {
        LinkState::Connect if now - srv.replica.last_connect_ms >= 1000 => {
            if let Some((h, p)) = srv.replica.master.clone() {
                log::info!("Connecting to MASTER {}:{}", h, p);
            }
            connect(srv);
        }
        LinkState::Connecting if now - srv.replica.state_since_ms > timeout_ms => {
            log::warn!("Timeout connecting to the MASTER...");
            drop_link(srv, false);
        }
        s if s.in_handshake() && now - srv.replica.last_io_ms > timeout_ms => {
            log::warn!("Timeout connecting to the MASTER...");
            drop_link(srv, false);
        }
        LinkState::Transfer if now - srv.replica.last_io_ms > timeout_ms => {
            log::warn!("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
            drop_link(srv, false);
        }
        LinkState::Connected => {
            if now - srv.replica.last_io_ms > timeout_ms {
                log::warn!("MASTER timeout: no data nor PING received...");
                link_lost(srv);
            } else {
                if now - srv.replica.last_ack_ms >= 1000 {
                    send_ack(srv);
                }
                // Commands held by CLIENT PAUSE run once it ends.
                let held = srv
                    .replica
                    .master_client
                    .as_ref()
                    .is_some_and(|c| !c.query.is_empty());
                if held && srv.pause == crate::server::PauseKind::None && !apply_stream(srv) {
                    link_lost(srv);
                }
            }
        }
        _ => {}
    }
}

/// The replication AUX fields a replica writes in its RDB (Redis's
/// `rdbPopulateSaveInfo` for a replica): the replid and processed offset
/// of its master's stream and the db the stream had selected.
pub fn rdb_save_info(srv: &Server) -> Option<crate::persistence::rdb::ReplAux> {
    let link = &srv.replica;
    let (id, offset, db) = match (&link.master_client, &link.cached) {
        (Some(mc), _) => (link.master_replid.as_str(), link.reploff, mc.db),
        (None, Some((id, off, db))) => (id.as_str(), *off, *db),
        _ => return None,
    };
    let id: [u8; 40] = id.as_bytes().try_into().ok()?;
    Some(crate::persistence::rdb::ReplAux {
        stream_db: db as i64,
        id,
        offset,
    })
}

/// Logs the outcome of loading the master's snapshot (from `source`,
/// "disk" or "socket") as Redis does and records its statistics; false
/// when it failed.
fn sync_loaded(
    srv: &mut Server,
    result: Result<crate::persistence::rdb::LoadStats, String>,
    source: &str,
) -> bool {
    match result {
        Ok(stats) => {
            log::info!(
                "Done loading RDB, keys loaded: {}, keys expired: {}.",
                stats.keys_loaded,
                stats.keys_expired
            );
            srv.persistence.last_load = stats;
            true
        }
        Err(e) => {
            log::warn!(
                "Failed trying to load the MASTER synchronization DB from {}, check server logs. ({})",
                source,
                e
            );
            false
        }
    }
}

/// Before the start-up load: a `replicaof` directive makes this server a
/// replica from the start, as Redis reads it with the configuration (INFO
/// shows `role:slave` while it loads, and the RDB's expired keys are kept
/// for the master's DELs). `start_from_config` starts the link after it.
pub fn configure_at_startup(srv: &mut Server) {
    let Some((h, p)) = srv.config.replicaof.clone() else {
        return;
    };
    srv.replica.master = Some((h, p));
    crate::replication::master::set_proxy(srv, true);
    srv.refresh_expire_mode();
}

/// Starts replicating the `replicaof` of the configuration (start-up).
/// When the RDB loaded at start carried a replid and offset (a clean
/// shutdown), they become the cached master: the first PSYNC asks to
/// continue from there.
pub fn start_from_config(srv: &mut Server) {
    let Some((h, p)) = srv.config.replicaof.clone() else {
        return;
    };
    if let Some(aux) = crate::persistence::rdb::loaded_repl_aux() {
        let dbs = srv.keyspace.dbs.len() as i64;
        if aux.offset != -1 && (0..dbs).contains(&aux.stream_db) {
            let id = String::from_utf8_lossy(&aux.id).into_owned();
            // Shown as the server's replid / master_repl_offset.
            srv.replica.master_replid = id.clone();
            srv.replica.reploff = aux.offset;
            log::info!("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.");
            srv.replica.cached = Some((id, aux.offset, aux.stream_db as usize));
        }
    }
    srv.replica.master = Some((h, p));
    crate::replication::master::set_proxy(srv, true);
    srv.refresh_expire_mode();
    let now = srv.now_ms;
    srv.replica.set_state(LinkState::Connect, now);
    srv.replica.down_since_secs = 0;
    srv.replica.last_connect_ms = 0;
}

/// The INFO `replication` fields of a replica, in Redis's order, up to and
/// including `replica_announced` (the caller adds `connected_slaves` and
/// the master-side fields).
pub fn info_fields(srv: &Server, out: &mut String) {
    use std::fmt::Write as _;
    let link = &srv.replica;
    let Some((host, port)) = &link.master else {
        return;
    };
    let now = srv.now_ms;
    let up = link.state == LinkState::Connected;
    let _ = write!(
        out,
        "role:slave\r\nmaster_host:{}\r\nmaster_port:{}\r\n",
        host, port
    );
    let _ = write!(
        out,
        "master_link_status:{}\r\n",
        if up { "up" } else { "down" }
    );
    let last_io = if up {
        (now - link.last_io_ms) / 1000
    } else {
        -1
    };
    let _ = write!(out, "master_last_io_seconds_ago:{}\r\n", last_io);
    let syncing = link.state == LinkState::Transfer;
    let _ = write!(out, "master_sync_in_progress:{}\r\n", syncing as i32);
    let (read_off, off) = if up {
        (link.read_reploff, link.reploff)
    } else if let Some((_, off, _)) = &link.cached {
        (*off, *off)
    } else {
        // Redis's default with neither a master nor a cached one.
        (1, 1)
    };
    let _ = write!(out, "slave_read_repl_offset:{}\r\n", read_off);
    let _ = write!(out, "slave_repl_offset:{}\r\n", off);
    let progress = link
        .transfer
        .as_ref()
        .map(|t| (t.size, t.received))
        .or(link.loaded_transfer);
    if let (true, Some((size, received))) = (syncing, progress) {
        // As Redis, an EOF-delimited payload has size 0 (so the "left"
        // field runs negative).
        let total = size.map(|s| s as i64).unwrap_or(0);
        let left = total - received as i64;
        let _ = write!(
            out,
            "master_sync_total_bytes:{}\r\nmaster_sync_read_bytes:{}\r\nmaster_sync_left_bytes:{}\r\nmaster_sync_perc:{:.2}\r\nmaster_sync_last_io_seconds_ago:{}\r\n",
            total,
            received,
            left,
            if total != 0 {
                received as f64 * 100.0 / total as f64
            } else {
                0.0
            },
            (now - link.last_io_ms) / 1000
        );
    }
    if !up {
        let since = if link.down_since_secs > 0 {
            now / 1000 - link.down_since_secs
        } else {
            -1
        };
        let _ = write!(out, "master_link_down_since_seconds:{}\r\n", since);
    }
    let _ = write!(
        out,
        "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
        srv.config.get_i64("replica-priority"),
        srv.config.get_bool("replica-read-only") as i32,
        srv.config.get_bool("replica-announced") as i32
    );
}

/// The ROLE reply of a replica: `slave`, host, port, state, offset.
pub fn role_reply(srv: &Server, r: &mut crate::resp::reply::ReplyBuf) {
    let link = &srv.replica;
    let Some((host, port)) = &link.master else {
        return;
    };
    r.array_len(5);
    r.bulk(b"slave");
    r.bulk(host.as_bytes());
    r.int(*port as i64);
    r.bulk(link.state.role_name().as_bytes());
    let off = if link.state == LinkState::Connected {
        link.reploff
    } else {
        -1
    };
    r.int(off);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_complete_and_partial_commands() {
        let buf = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$1\r\na";
        match scan_command(buf, 0, 1 << 20) {
            Scan::Command(r, n) => {
                assert_eq!(r.len(), 2);
                assert_eq!(&buf[r[0].0..r[0].1], b"SELECT");
                assert_eq!(n, 23);
            }
            _ => panic!("expected a command"),
        }
        assert!(matches!(scan_command(buf, 23, 1 << 20), Scan::Incomplete));
        assert!(matches!(scan_command(b"\r\n", 0, 10), Scan::Skip(2)));
        assert!(matches!(scan_command(b"*1\r\n$99\r\n", 0, 10), Scan::Error));
        assert!(matches!(scan_command(b"*x\r\n", 0, 10), Scan::Error));
        assert!(matches!(scan_command(b"PING\r\n", 0, 10), Scan::Error));
    }

    #[test]
    fn state_names() {
        assert_eq!(LinkState::Connect.role_name(), "connect");
        assert_eq!(LinkState::ReceivePsync.role_name(), "handshake");
        assert_eq!(LinkState::Transfer.role_name(), "sync");
        assert_eq!(LinkState::Connected.role_name(), "connected");
    }
}
