//! The master side of replication: replicas attached with SYNC/PSYNC,
//! full syncs by fork (an RDB written to disk then streamed as
//! `$<len>\r\n<bytes>`, or diskless: written by the child into a pipe and
//! relayed to the replica sockets in the `$EOF:<mark>` format), partial
//! resyncs from the backlog, the command stream copied to every replica's
//! output buffer, `REPLCONF ACK` tracking, pings and timeouts, and WAIT.
//!
//! The stream: a `PropagationSink` (`StreamSink`) encodes each propagated
//! unit (with SELECT when the database changes) into `srv.repl.stream`;
//! `feed_stream`, called right after each unit, counts the bytes in
//! `master_repl_offset`, appends them to the backlog and hands them to the
//! replicas: online ones get them in their output buffer at once, those
//! whose full sync runs keep them aside until their RDB is sent.
//!
//! A replica asking for a full sync while a disk-based one runs joins it
//! when another replica waits for that RDB with compatible capabilities
//! (it gets a copy of the stream kept since the fork); `REPLCONF
//! rdb-filter-only` replicas get an RDB without keys, always over the
//! socket. A disk-based sync counts as a BGSAVE in `INFO persistence`.
//!
//! Nothing here blocks the reactor: the RDB file and the child's pipe are
//! read in chunks only while the replicas' output buffers are short, from
//! `before_sleep`; the reactor polls every millisecond while a transfer
//! runs.
//!
//! Redis counterpart: `replication.c` (`syncCommand`,
//! `masterTryPartialResynchronization`, `replicationFeedSlaves`,
//! `startBgsaveForReplication`, `updateSlavesWaitingBgsave`,
//! `sendBulkToSlave`, `rdbPipeReadHandler`, `replconfCommand`,
//! `replicationCron`, `waitCommand`), `rdbSaveToSlavesSockets` (`rdb.c`).

use std::fs::File;
use std::io::{BufWriter, Read, Write};

use super::backlog::Backlog;
use super::ReplicationState;
use crate::persistence::child::{self, ChildKind};
use crate::persistence::rdb;
use crate::server::client::{cflags, Client};
use crate::server::propagate::{Op, PropagationSink};
use crate::server::Server;
use crate::sys::ChildExit;

/// Output kept per replica before more RDB bytes are read for it.
const BULK_HIGH_WATER: usize = 4 * 1024 * 1024;
/// Bytes read from the RDB file or pipe at once.
const BULK_CHUNK: usize = 64 * 1024;

/// Where a replica is in its synchronization (`slaveN`'s `state=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplState {
    /// Waiting for a fork to start (diskless delay, another child).
    WaitBgsaveStart,
    /// Its RDB is being produced (disk) or relayed (diskless).
    WaitBgsaveEnd,
    /// The RDB file is being sent.
    SendBulk,
    /// Streaming.
    Online,
}

impl ReplState {
    /// The name INFO prints.
    pub fn name(self) -> &'static str {
        match self {
            ReplState::WaitBgsaveStart | ReplState::WaitBgsaveEnd => "wait_bgsave",
            ReplState::SendBulk => "send_bulk",
            ReplState::Online => "online",
        }
    }
}

/// What a connection said with REPLCONF before SYNC/PSYNC.
#[derive(Debug, Clone, Default)]
pub struct Handshake {
    /// `REPLCONF listening-port`.
    pub listening_port: u16,
    /// `REPLCONF ip-address`.
    pub ip: Option<String>,
    /// `REPLCONF capa eof`: understands the diskless `$EOF:` format.
    pub capa_eof: bool,
    /// `REPLCONF capa psync2`: understands `+CONTINUE <replid>`.
    pub capa_psync2: bool,
    /// `REPLCONF rdb-only 1`: wants the RDB only, no stream.
    pub rdb_only: bool,
    /// What to leave out of its RDB (`REQ_EXCLUDE_*` bits, from `REPLCONF
    /// rdb-filter-only`; Redis's `slave_req`). Replicas share a fork only
    /// with equal requirements.
    pub rdb_req: u8,
}

/// `rdb_req` bit: the RDB carries no keys.
pub const REQ_EXCLUDE_DATA: u8 = 1;
/// `rdb_req` bit: the RDB carries no functions.
pub const REQ_EXCLUDE_FUNCTIONS: u8 = 2;

impl Handshake {
    /// Whether a replica with these capabilities can use the RDB produced
    /// for `other` (it understands every format `other` does).
    fn capa_covers(&self, other: &Handshake) -> bool {
        (self.capa_eof || !other.capa_eof) && (self.capa_psync2 || !other.capa_psync2)
    }
}

/// One attached replica.
#[derive(Debug)]
pub struct ReplicaEntry {
    /// Its client's id and slab token.
    pub client_id: u64,
    pub token: usize,
    /// Sync state.
    pub state: ReplState,
    /// REPLCONF data.
    pub hs: Handshake,
    /// The peer IP of its connection.
    pub peer_ip: String,
    /// Offset of the last `REPLCONF ACK`.
    pub ack_off: i64,
    /// Unix ms of the last ACK (lag, repl-timeout).
    pub ack_time_ms: i64,
    /// Stream bytes kept until its RDB is sent (or its client is back in
    /// the slab).
    pub pending: Vec<u8>,
    /// When `pending` first passed the soft output limit (unix ms).
    pub soft_since_ms: i64,
    /// Diskless: online, but the stream starts at the first ACK (the
    /// replica reads the `$EOF:` payload in chunks and must not see
    /// stream bytes behind it).
    pub stream_on_ack: bool,
    /// Diskless: it acknowledged before its transfer was declared over
    /// (its ACK can race the child's exit). A replica ACKs only once its
    /// load is done, so the stream can start at once then, instead of at
    /// its next ACK a second later (Redis waits for that one).
    pub acked_in_transfer: bool,
    /// Unix ms when it asked for a sync (diskless delay).
    pub since_ms: i64,
    /// Sent SYNC (no `+FULLRESYNC` line).
    pub old_sync: bool,
    /// The master offset its full sync's snapshot was taken at (Redis's
    /// `psync_initial_offset`).
    pub initial_offset: i64,
    /// The RDB file being sent and bytes left.
    bulk: Option<(File, u64)>,
}

impl ReplicaEntry {
    /// The address it announced: its IP (REPLCONF ip-address, else the
    /// connection's) and listening port, as FAILOVER names replicas.
    pub fn address(&self) -> (String, u16) {
        let ip = self.hs.ip.clone().unwrap_or_else(|| self.peer_ip.clone());
        (ip, self.hs.listening_port)
    }

    /// Whether it is the replica at `host`:`port` (Redis's findReplica:
    /// the text of the address, no name lookup).
    pub fn matches(&self, host: &str, port: u16) -> bool {
        let (ip, p) = self.address();
        ip.eq_ignore_ascii_case(host) && p == port
    }

    /// A replica that just sent SYNC/PSYNC (client `client_id` in slab
    /// slot `token`), waiting for its BGSAVE.
    pub fn new(client_id: u64, token: usize, hs: Handshake, peer_ip: String, now_ms: i64) -> Self {
        ReplicaEntry {
            client_id,
            token,
            state: ReplState::WaitBgsaveStart,
            hs,
            peer_ip,
            ack_off: 0,
            ack_time_ms: now_ms,
            pending: Vec::new(),
            soft_since_ms: 0,
            stream_on_ack: false,
            acked_in_transfer: false,
            since_ms: now_ms,
            old_sync: false,
            initial_offset: 0,
            bulk: None,
        }
    }

    /// `ip:port` as Redis names a replica in its logs.
    pub fn name(&self) -> String {
        let ip = self.hs.ip.as_deref().unwrap_or(&self.peer_ip);
        if self.hs.listening_port != 0 {
            format!("{}:{}", ip, self.hs.listening_port)
        } else {
            format!("{}:<unknown-replica-port>", ip)
        }
    }
}

/// The full sync in progress.
#[derive(Debug)]
pub enum Transfer {
    /// The child writes the RDB into this pipe; the parent relays it.
    Diskless {
        rx: Option<mio::unix::pipe::Receiver>,
        /// The child exited with success.
        child_ok: bool,
    },
    /// The child writes the dump file; it is sent when the child is done.
    Disk,
}

/// A client blocked in WAIT.
#[derive(Debug)]
pub struct WaitingClient {
    pub client_id: u64,
    pub token: usize,
    /// Replicas wanted.
    pub numreplicas: usize,
    /// The offset they must have acknowledged.
    pub offset: i64,
    /// Unix ms deadline; 0 waits forever.
    pub deadline_ms: i64,
}

/// The propagation sink of the replication stream: encodes every unit
/// into the shared stream buffer.
pub struct StreamSink {
    shared: std::rc::Rc<std::cell::RefCell<super::StreamShared>>,
}

impl PropagationSink for StreamSink {
    fn is_replication_stream(&self) -> bool {
        true
    }

    fn feed(&mut self, ops: &[Op]) {
        let mut s = self.shared.borrow_mut();
        if !s.enabled || s.proxy {
            return;
        }
        let s = &mut *s;
        for op in ops {
            s.enc.encode(&mut s.buf, op);
        }
    }
}

/// The peer IP of an `ip:port` address.
fn peer_ip(addr: &str) -> String {
    match addr.rfind(':') {
        Some(i) => addr[..i].to_string(),
        None => addr.to_string(),
    }
}

/// The handshake data of client `id` (created empty).
pub fn handshake_mut(repl: &mut ReplicationState, id: u64) -> &mut Handshake {
    let i = match repl.handshakes.iter().position(|(c, _)| *c == id) {
        Some(i) => i,
        None => {
            repl.handshakes.push((id, Handshake::default()));
            repl.handshakes.len() - 1
        }
    };
    &mut repl.handshakes[i].1
}

/// The replica entry of client `id`.
pub fn replica_mut(repl: &mut ReplicationState, id: u64) -> Option<&mut ReplicaEntry> {
    repl.replicas.iter_mut().find(|r| r.client_id == id)
}

/// Creates the backlog (and with it a new replication ID) when the first
/// replica attaches, and starts feeding the stream.
fn ensure_backlog(srv: &mut Server) {
    if srv.repl.backlog.is_some() {
        return;
    }
    // A new ID: offsets produced without a backlog cannot be continued.
    srv.repl.change_replid(&mut srv.rng);
    srv.repl.clear_replid2();
    let size = srv.config.get_i64("repl-backlog-size").max(1) as usize;
    srv.repl.backlog = Some(Backlog::new(size, srv.repl.master_repl_offset + 1));
    srv.repl.stream.borrow_mut().enc.selected_db = None;
    enable_stream(srv);
    log::info!(
        "Replication backlog created, my new replication IDs are '{}' and '{}'",
        srv.repl.replid,
        srv.repl.replid2
    );
}

/// Appends already-encoded bytes to the replication stream and feeds them
/// to the backlog and the replicas (DEBUG REPLICATE).
pub fn feed_stream_bytes(srv: &mut Server, bytes: &[u8]) {
    feed_raw(srv, bytes);
}

/// Appends raw bytes to the replication stream (PING, REPLCONF GETACK)
/// and feeds them.
fn feed_raw(srv: &mut Server, bytes: &[u8]) {
    {
        let mut s = srv.repl.stream.borrow_mut();
        if !s.enabled {
            return;
        }
        s.buf.extend_from_slice(bytes);
    }
    feed_stream(srv);
}

/// A replica passes its master's stream on as it came: `bytes` (whole
/// commands it has processed) are queued on the stream buffer, handed to
/// the backlog and the sub-replicas at the next `feed_stream`. The offset
/// then grows as the master's, so it agrees all along a chain.
pub fn queue_proxied(srv: &Server, bytes: &[u8]) {
    let mut s = srv.repl.stream.borrow_mut();
    if s.enabled {
        s.buf.extend_from_slice(bytes);
    }
}

/// Becoming a replica (`on`) or a master: a replica's stream is its
/// master's, proxied verbatim; a master encodes what it runs.
pub fn set_proxy(srv: &mut Server, on: bool) {
    let mut s = srv.repl.stream.borrow_mut();
    s.proxy = on;
    // A master's first command after this selects its database.
    s.enc.selected_db = None;
}

/// Feeds the stream from here on (a backlog exists): the propagation
/// sink is installed once.
fn enable_stream(srv: &mut Server) {
    srv.repl.stream.borrow_mut().enabled = true;
    if !srv.repl.sink_installed {
        srv.propagation.sinks.push(Box::new(StreamSink {
            shared: srv.repl.stream.clone(),
        }));
        srv.repl.sink_installed = true;
    }
}

/// Frees the backlog and stops feeding the stream (Redis's
/// `freeReplicationBacklog`).
pub fn free_backlog(srv: &mut Server) {
    srv.repl.backlog = None;
    srv.repl.stream.borrow_mut().enabled = false;
    srv.propagation.sinks.retain(|s| !s.is_replication_stream());
    srv.repl.sink_installed = false;
}

/// A replica's link to its master is up, after a full sync (`full`) or a
/// partial one: its own replication ID, secondary ID and offset become the
/// stream's it follows, and its backlog holds that stream from here, so
/// its sub-replicas follow the top master's offsets (and a promoted replica
/// can continue them). The backlog is kept when the stream continues the
/// one it holds. Sub-replicas are disconnected after a full sync (they
/// already were before its load) or when the ID changed, as Redis does:
/// they resync and learn the new history.
pub fn follow_master(srv: &mut Server, full: bool) {
    let link = &srv.replica;
    let replid = link.master_replid.clone();
    let offset = link.reploff.max(0);
    let (replid2, second) = match (&link.replid2, full) {
        (Some((id, off)), false) => (id.clone(), *off),
        _ => (super::NULL_REPLID.to_string(), -1),
    };
    let repl = &srv.repl;
    let continuous = !full
        && repl.backlog.is_some()
        && repl.master_repl_offset == offset
        && (repl.replid == replid || repl.replid == replid2);
    let id_changed = repl.replid != replid;
    srv.repl.replid = replid;
    srv.repl.replid2 = replid2;
    srv.repl.second_replid_offset = second;
    srv.repl.master_repl_offset = offset;
    if !continuous {
        let size = srv.config.get_i64("repl-backlog-size").max(1) as usize;
        srv.repl.backlog = Some(Backlog::new(size, offset + 1));
    }
    {
        let mut s = srv.repl.stream.borrow_mut();
        s.proxy = true;
        s.buf.clear();
    }
    enable_stream(srv);
    if full || id_changed {
        disconnect_replicas(srv);
    }
}

/// `REPLICAOF NO ONE` on a replica that followed `old_id` up to `offset`:
/// it continues that stream as a master under `new_id`, the old ID valid
/// up to `offset + 1` (Redis's `shiftReplicationId`). The backlog of the
/// stream it proxied is kept when it has one, so replicas behind it can
/// still continue (the caller disconnects them to learn the new ID).
pub fn promote(srv: &mut Server, new_id: String, old_id: String, offset: i64) {
    set_proxy(srv, false);
    let keeps_backlog = srv.repl.backlog.is_some()
        && srv.repl.replid == old_id
        && srv.repl.master_repl_offset == offset;
    if keeps_backlog {
        srv.repl.replid2 = old_id;
        srv.repl.second_replid_offset = offset + 1;
        srv.repl.replid = new_id;
        srv.repl.no_replicas_since_ms = srv.now_ms;
    } else {
        continue_stream(srv, new_id, old_id, offset);
    }
}

/// Drops every attached replica (Redis's `disconnectSlaves`).
pub fn disconnect_replicas(srv: &mut Server) {
    let all: Vec<(usize, u64)> = srv
        .repl
        .replicas
        .iter()
        .map(|r| (r.token, r.client_id))
        .collect();
    for (t, id) in all {
        close_now(srv, t, id);
    }
}

/// Queues `bytes` on client `token` (if it is `id` and in the slab).
fn push_to_client(srv: &mut Server, token: usize, id: u64, bytes: &[u8]) -> bool {
    let Some(Some(c)) = srv.clients.get_mut(token) else {
        return false;
    };
    if c.id != id {
        return false;
    }
    c.reply.raw(bytes);
    if !c.has(cflags::PENDING_WRITE) {
        c.flags |= cflags::PENDING_WRITE;
        srv.pending_writes.push(token);
    }
    true
}

/// Hands the stream bytes produced since the last call to the backlog and
/// the replicas. Called after every propagated unit.
pub fn feed_stream(srv: &mut Server) {
    let mut bytes = {
        let mut s = srv.repl.stream.borrow_mut();
        if s.buf.is_empty() {
            return;
        }
        std::mem::take(&mut s.buf)
    };
    srv.repl.master_repl_offset += bytes.len() as i64;
    if let Some(b) = srv.repl.backlog.as_mut() {
        b.feed(&bytes);
    }
    let mut over = Vec::new();
    let limits = srv.config.obuf_limit_replica;
    let now = srv.now_ms;
    for i in 0..srv.repl.replicas.len() {
        let (state, token, id, on_ack, rdb_only) = {
            let r = &srv.repl.replicas[i];
            (
                r.state,
                r.token,
                r.client_id,
                r.stream_on_ack,
                r.hs.rdb_only,
            )
        };
        if rdb_only {
            continue;
        }
        match state {
            ReplState::WaitBgsaveStart => {}
            ReplState::Online if !on_ack && srv.repl.replicas[i].pending.is_empty() => {
                if push_to_client(srv, token, id, &bytes) {
                    if let Some(Some(c)) = srv.clients.get_mut(token) {
                        if crate::server::reactor::obuf_over_limit(limits, c, now) {
                            over.push(token);
                        }
                    }
                } else {
                    srv.repl.replicas[i].pending.extend_from_slice(&bytes);
                }
            }
            _ => {
                let r = &mut srv.repl.replicas[i];
                r.pending.extend_from_slice(&bytes);
                if pending_over_limit(limits, r, now) {
                    over.push(token);
                }
            }
        }
    }
    for token in over {
        close_over_limit(srv, token);
    }
    // Hand the buffer back to keep its capacity (no allocation per unit).
    if bytes.capacity() <= 1 << 20 {
        bytes.clear();
        let mut s = srv.repl.stream.borrow_mut();
        if s.buf.is_empty() {
            s.buf = bytes;
        }
    }
}

/// `client-output-buffer-limit replica` applied to what a replica keeps
/// aside during its sync.
fn pending_over_limit(limits: crate::config::ObufLimit, r: &mut ReplicaEntry, now: i64) -> bool {
    let (hard, soft, secs) = limits;
    let used = r.pending.len() as u64;
    let mut over = hard > 0 && used >= hard;
    if soft > 0 && used >= soft {
        if r.soft_since_ms == 0 {
            r.soft_since_ms = now;
        } else if now - r.soft_since_ms >= secs as i64 * 1000 {
            over = true;
        }
    } else {
        r.soft_since_ms = 0;
    }
    over
}

/// Closes a replica over its output limit, logged as Redis logs it.
fn close_over_limit(srv: &mut Server, token: usize) {
    let Some(Some(mut c)) = srv.clients.get_mut(token).map(Option::take) else {
        return;
    };
    if !c.has(cflags::CLOSE_ASAP) {
        crate::server::reactor::close_for_obuf_limit(srv, &mut c);
        srv.to_close.push(token);
    }
    srv.clients[token] = Some(c);
}

/// Attaches the calling client as a replica. `psync` is PSYNC's (replid,
/// offset); None for SYNC. Replies `+CONTINUE` (partial resync from the
/// backlog) or queues a full sync (`+FULLRESYNC` is sent when its fork
/// starts).
pub fn attach(srv: &mut Server, client: &mut Client, psync: Option<(&[u8], &[u8])>) {
    let hs = match srv
        .repl
        .handshakes
        .iter()
        .position(|(c, _)| *c == client.id)
    {
        Some(i) => srv.repl.handshakes.swap_remove(i).1,
        None => Handshake::default(),
    };
    let mut entry = ReplicaEntry::new(
        client.id,
        client.token,
        hs,
        peer_ip(&client.addr),
        srv.now_ms,
    );
    entry.old_sync = psync.is_none();
    log::info!("Replica {} asks for synchronization", entry.name());
    client.flags |= cflags::REPLICA;
    if let Some((replid, offset)) = psync {
        if try_partial(srv, client, &mut entry, replid, offset) {
            srv.repl.replicas.push(entry);
            return;
        }
        if replid != b"?" {
            srv.repl.sync_partial_err += 1;
        }
    }
    srv.repl.sync_full += 1;
    ensure_backlog(srv);
    match child::child_kind(srv) {
        Some(ChildKind::Rdb) => {
            if join_disk_bgsave(srv, client, &mut entry) {
                log::info!("Waiting for end of BGSAVE for SYNC");
            } else {
                log::info!(
                    "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC"
                );
            }
        }
        Some(ChildKind::ReplTransfer) => {
            log::info!("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC");
        }
        other => {
            if srv.config.get_bool("repl-diskless-sync")
                && entry.hs.capa_eof
                && srv.config.get_i64("repl-diskless-sync-delay") != 0
            {
                log::info!("Delay next BGSAVE for diskless SYNC");
            } else if other.is_some() {
                log::info!(
                    "No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed"
                );
            }
        }
    }
    srv.repl.replicas.push(entry);
}

/// A disk BGSAVE runs: the new replica shares it when another replica
/// waits for that same RDB with a stream buffer it can copy (an rdb-only
/// one only serves other rdb-only ones), capabilities the new one has too
/// and the same RDB requirements (Redis's `syncCommand`, case 1). It then
/// gets `+FULLRESYNC` with that snapshot's offset and a copy of the
/// stream kept since the fork.
fn join_disk_bgsave(srv: &Server, client: &mut Client, entry: &mut ReplicaEntry) -> bool {
    if !matches!(srv.repl.transfer, Some(Transfer::Disk)) {
        return false;
    }
    let Some(other) = srv
        .repl
        .replicas
        .iter()
        .find(|r| r.state == ReplState::WaitBgsaveEnd && (!r.hs.rdb_only || entry.hs.rdb_only))
    else {
        return false;
    };
    if !entry.hs.capa_covers(&other.hs) || entry.hs.rdb_req != other.hs.rdb_req {
        return false;
    }
    if !entry.hs.rdb_only {
        entry.pending = other.pending.clone();
    }
    entry.state = ReplState::WaitBgsaveEnd;
    entry.initial_offset = other.initial_offset;
    if !entry.old_sync {
        client.reply.raw(
            format!(
                "+FULLRESYNC {} {}\r\n",
                srv.repl.replid, other.initial_offset
            )
            .as_bytes(),
        );
    }
    true
}

/// Redis's `masterTryPartialResynchronization`: continues from the
/// backlog when the ID matches (or the secondary one, up to where it is
/// valid) and the offset is inside the history.
fn try_partial(
    srv: &mut Server,
    client: &mut Client,
    entry: &mut ReplicaEntry,
    replid: &[u8],
    offset: &[u8],
) -> bool {
    let Some(psync_offset) = crate::util::numfmt::parse_i64(offset) else {
        return false;
    };
    let repl = &srv.repl;
    let replid = String::from_utf8_lossy(replid).into_owned();
    if replid == "?" {
        log::info!("Full resync requested by replica {}", entry.name());
        return false;
    }
    if replid != repl.replid && (replid != repl.replid2 || psync_offset > repl.second_replid_offset)
    {
        if replid != repl.replid2 {
            log::info!(
                "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{}', my replication IDs are '{}' and '{}')",
                replid,
                repl.replid,
                repl.replid2
            );
        } else {
            log::info!(
                "Partial resynchronization not accepted: Requested offset for second ID was {}, but I can reply up to {}",
                psync_offset,
                repl.second_replid_offset
            );
        }
        return false;
    }
    let Some(backlog) = repl.backlog.as_ref() else {
        log::info!(
            "Unable to partial resync with replica {} for lack of backlog (Replica request was: {}).",
            entry.name(),
            psync_offset
        );
        return false;
    };
    if !backlog.covers(psync_offset) {
        log::info!(
            "Unable to partial resync with replica {} for lack of backlog (Replica request was: {}).",
            entry.name(),
            psync_offset
        );
        if psync_offset > repl.master_repl_offset {
            log::warn!(
                "Warning: replica {} tried to PSYNC with an offset that is greater than the master replication offset.",
                entry.name()
            );
        }
        return false;
    }
    if entry.hs.capa_psync2 {
        client
            .reply
            .raw(format!("+CONTINUE {}\r\n", repl.replid).as_bytes());
    } else {
        client.reply.raw(b"+CONTINUE\r\n");
    }
    let mut out = Vec::new();
    let n = backlog.copy_from(psync_offset, &mut out);
    client.reply.raw(&out);
    entry.state = ReplState::Online;
    entry.ack_time_ms = srv.now_ms;
    srv.repl.sync_partial_ok += 1;
    log::info!(
        "Partial resynchronization request from {} accepted. Sending {} bytes of backlog starting from offset {}.",
        entry.name(),
        n,
        psync_offset
    );
    true
}

/// Forgets a client that goes away (called when it is freed).
pub fn forget_client(srv: &mut Server, id: u64) {
    srv.repl.handshakes.retain(|(c, _)| *c != id);
    srv.repl.waiting.retain(|w| w.client_id != id);
    if let Some(i) = srv.repl.replicas.iter().position(|r| r.client_id == id) {
        let r = srv.repl.replicas.remove(i);
        log::warn!("Connection with replica {} lost.", r.name());
        if srv.repl.replicas.is_empty() {
            srv.repl.no_replicas_since_ms = srv.now_ms;
        }
        if r.state == ReplState::WaitBgsaveEnd {
            maybe_abort_diskless(srv);
        }
    }
}

/// Kills a diskless transfer child no replica waits for any more.
fn maybe_abort_diskless(srv: &mut Server) {
    // Once the pipe is drained the child is left to exit on its own.
    let diskless = matches!(
        srv.repl.transfer,
        Some(Transfer::Diskless { rx: Some(_), .. })
    );
    let any = srv
        .repl
        .replicas
        .iter()
        .any(|r| r.state == ReplState::WaitBgsaveEnd);
    if diskless && !any && child::child_kind(srv) == Some(ChildKind::ReplTransfer) {
        log::warn!("Diskless rdb transfer, last replica dropped, killing fork child.");
        child::kill_child(srv);
        srv.repl.transfer = None;
    }
}

/// `REPLCONF ACK <offset>` from a replica.
pub fn on_ack(srv: &mut Server, id: u64, offset: i64) {
    let now = srv.now_ms;
    let Some(r) = replica_mut(&mut srv.repl, id) else {
        return;
    };
    if offset > r.ack_off {
        r.ack_off = offset;
    }
    r.ack_time_ms = now;
    if r.state == ReplState::WaitBgsaveEnd {
        r.acked_in_transfer = true;
    }
    if r.state == ReplState::Online && r.stream_on_ack {
        // The stream kept for it goes out from `before_sleep`
        // (`flush_pending`): its client is out of the slab right now.
        r.stream_on_ack = false;
        log::info!("Synchronization with replica {} succeeded", r.name());
    }
    if !srv.repl.waiting.is_empty() {
        srv.repl.wait_check_due = true;
    }
}

/// Whether the reactor should poll briefly: a transfer runs or output is
/// held back.
pub fn busy(srv: &Server) -> bool {
    srv.repl.transfer.is_some()
        || srv.repl.replicas.iter().any(|r| {
            r.state == ReplState::WaitBgsaveStart
                || r.state == ReplState::SendBulk
                || (r.state == ReplState::Online && !r.stream_on_ack && !r.pending.is_empty())
        })
}

/// The earliest WAIT deadline (unix ms), for the reactor's sleep.
pub fn next_wait_deadline(srv: &Server) -> Option<i64> {
    srv.repl
        .waiting
        .iter()
        .filter(|w| w.deadline_ms > 0)
        .map(|w| w.deadline_ms)
        .min()
}

/// Work before the reactor sleeps: start a pending full sync, relay the
/// RDB, hand held-back stream bytes over, answer WAITs, send GETACK.
pub fn before_sleep(srv: &mut Server) {
    super::failover::tick(srv);
    if srv.repl.replicas.is_empty() && srv.repl.waiting.is_empty() {
        return;
    }
    start_pending_sync(srv);
    if let Some(Transfer::Diskless { .. }) = srv.repl.transfer {
        relay_pipe(srv);
    }
    send_bulk(srv);
    flush_pending(srv);
    if srv.repl.get_ack_pending {
        srv.repl.get_ack_pending = false;
        let mut b = Vec::new();
        crate::server::propagate::encode_command::<&[u8]>(&mut b, &[b"REPLCONF", b"GETACK", b"*"]);
        feed_raw(srv, &b);
    }
    wait_cron(srv);
}

/// Online replicas with bytes held back (their client was busy, or the
/// first ACK just arrived) get them now.
fn flush_pending(srv: &mut Server) {
    for i in 0..srv.repl.replicas.len() {
        let r = &srv.repl.replicas[i];
        if r.state != ReplState::Online || r.stream_on_ack || r.pending.is_empty() {
            continue;
        }
        let (token, id) = (r.token, r.client_id);
        let bytes = std::mem::take(&mut srv.repl.replicas[i].pending);
        if !push_to_client(srv, token, id, &bytes) {
            srv.repl.replicas[i].pending = bytes;
        }
    }
}

/// Starts the fork for replicas waiting for a full sync, when no child
/// runs: at once for a disk-based sync, after `repl-diskless-sync-delay`
/// (or when `repl-diskless-sync-max-replicas` wait) for a diskless one.
fn start_pending_sync(srv: &mut Server) {
    if child::has_child(srv)
        || srv.repl.transfer.is_some()
        || !srv
            .repl
            .replicas
            .iter()
            .any(|r| r.state == ReplState::WaitBgsaveStart)
    {
        return;
    }
    // The first waiting replica's RDB requirements pick who shares this
    // fork; the others wait for the next one.
    let Some(req) = srv
        .repl
        .replicas
        .iter()
        .find(|r| r.state == ReplState::WaitBgsaveStart)
        .map(|r| r.hs.rdb_req)
    else {
        return;
    };
    let waiting: Vec<usize> = (0..srv.repl.replicas.len())
        .filter(|&i| {
            let r = &srv.repl.replicas[i];
            r.state == ReplState::WaitBgsaveStart && r.hs.rdb_req == req
        })
        .collect();
    let config_diskless = srv.config.get_bool("repl-diskless-sync");
    // A filtered RDB is never written to disk.
    let diskless =
        (config_diskless || req != 0) && waiting.iter().all(|&i| srv.repl.replicas[i].hs.capa_eof);
    if diskless && config_diskless {
        let delay = srv.config.get_i64("repl-diskless-sync-delay") * 1000;
        let max = srv.config.get_i64("repl-diskless-sync-max-replicas");
        let oldest = waiting
            .iter()
            .map(|&i| srv.repl.replicas[i].since_ms)
            .min()
            .unwrap_or(srv.now_ms);
        let enough = max > 0 && waiting.len() as i64 >= max;
        if srv.now_ms - oldest < delay && !enough {
            return;
        }
    }
    start_full_sync(srv, diskless, req, &waiting);
}

/// A random 40-hex-char EOF mark.
fn eof_mark(rng: &mut u64) -> String {
    super::random_replid(rng)
}

/// Forks the child for a full sync of the replicas at `targets` (indices
/// into `srv.repl.replicas`) and sends each its `+FULLRESYNC`.
fn start_full_sync(srv: &mut Server, diskless: bool, req: u8, targets: &[usize]) {
    let replid = srv.repl.replid.clone();
    let offset = srv.repl.master_repl_offset;
    // A master's stream after the snapshot starts with a SELECT. A
    // replica's is its master's, passed on as it comes: the snapshot names
    // the database that stream has selected (`repl-stream-db`).
    let stream_db = {
        let mut s = srv.repl.stream.borrow_mut();
        s.enc.selected_db = None;
        if s.proxy {
            srv.replica.master_client.as_ref().map_or(0, |c| c.db)
        } else {
            0
        }
    };
    let aux = rdb::ReplAux::new(stream_db as i64, &replid, offset);
    log::info!(
        "Starting BGSAVE for SYNC with target: {}",
        if diskless { "replicas sockets" } else { "disk" }
    );
    let spawned = if diskless {
        let Ok((tx, rx)) = mio::unix::pipe::new() else {
            log::warn!("Can't save in background: pipe failed");
            return;
        };
        let mark = eof_mark(&mut srv.rng);
        let no_data = req & REQ_EXCLUDE_DATA != 0;
        let res = child::spawn(srv, ChildKind::ReplTransfer, diskless_done, move |s| {
            let ok = write_eof_rdb(s, tx, mark.as_bytes(), aux.as_ref(), no_data).is_ok();
            if ok {
                child::send_cow_info(child::InfoKind::RdbCowSize, "RDB");
                0
            } else {
                1
            }
        });
        if res.is_ok() {
            srv.repl.transfer = Some(Transfer::Diskless {
                rx: Some(rx),
                child_ok: false,
            });
        }
        res
    } else {
        crate::persistence::bgsave::note_started(srv);
        let res = child::spawn(srv, ChildKind::Rdb, disk_done, move |s| {
            if crate::persistence::write_rdb_repl(s, aux.as_ref()) {
                child::send_cow_info(child::InfoKind::RdbCowSize, "RDB");
                0
            } else {
                1
            }
        });
        match &res {
            Ok(_) => {
                srv.repl.transfer = Some(Transfer::Disk);
                srv.repl.rdb_generated_by_sync = true;
            }
            Err(_) => srv.persistence.last_bgsave_ok = false,
        }
        res
    };
    match spawned {
        Ok(pid) => {
            if diskless {
                log::info!("Background RDB transfer started by pid {}", pid);
            } else {
                log::info!("Background saving started by pid {}", pid);
            }
            crate::persistence::bgsave::note_forked(srv);
            let line = format!("+FULLRESYNC {} {}\r\n", replid, offset);
            for &i in targets {
                let r = &mut srv.repl.replicas[i];
                r.state = ReplState::WaitBgsaveEnd;
                r.initial_offset = offset;
                r.pending.clear();
                let (token, id, old) = (r.token, r.client_id, r.old_sync);
                if !old {
                    push_to_client(srv, token, id, line.as_bytes());
                }
            }
        }
        Err(e) => {
            log::warn!(
                "Can't save in background: fork: {}",
                crate::config::strerror(&e)
            );
            log::warn!("BGSAVE for replication failed");
            for &i in targets {
                let (token, id) = (srv.repl.replicas[i].token, srv.repl.replicas[i].client_id);
                push_to_client(
                    srv,
                    token,
                    id,
                    b"-ERR BGSAVE failed, replication can't continue\r\n",
                );
                close_after_reply(srv, token, id);
            }
        }
    }
}

/// In the diskless child: `$EOF:<mark>\r\n`, the RDB, the mark.
fn write_eof_rdb(
    s: &Server,
    tx: mio::unix::pipe::Sender,
    mark: &[u8],
    aux: Option<&rdb::ReplAux>,
    no_data: bool,
) -> std::io::Result<()> {
    tx.set_nonblocking(false)?;
    let mut w = crate::persistence::bgsave::SaveWriter::new(
        BufWriter::with_capacity(BULK_CHUNK, tx),
        s.config.get_i64("rdb-key-save-delay"),
    );
    w.write_all(b"$EOF:")?;
    w.write_all(mark)?;
    w.write_all(b"\r\n")?;
    let mut opts = rdb::SaveOptions::from_config(
        &s.config,
        crate::server::unix_us() / 1_000_000,
        crate::sys::used_memory() as u64,
    );
    opts.progress = Some(child::rdb_progress);
    // `rdb-filter-only`: the header and AUX fields, no keys.
    let empty;
    let ks = if no_data {
        empty = crate::db::Keyspace::new(s.keyspace.dbs.len());
        &empty
    } else {
        &s.keyspace
    };
    let mut w = rdb::save_keyspace_repl(w, ks, &opts, aux)?;
    w.write_all(mark)?;
    w.flush()
}

/// Marks a client to be closed once its output is written.
fn close_after_reply(srv: &mut Server, token: usize, id: u64) {
    if let Some(Some(c)) = srv.clients.get_mut(token) {
        if c.id == id {
            c.flags |= cflags::CLOSE_AFTER_REPLY;
            srv.to_close.push(token);
        }
    }
}

/// Closes a client now.
fn close_now(srv: &mut Server, token: usize, id: u64) {
    if let Some(Some(c)) = srv.clients.get_mut(token) {
        if c.id == id {
            c.flags |= cflags::CLOSE_ASAP;
            srv.to_close.push(token);
        }
    }
}

/// Relays the diskless child's output to its replicas while their output
/// buffers are short.
fn relay_pipe(srv: &mut Server) {
    let mut buf = vec![0u8; BULK_CHUNK];
    for _ in 0..64 {
        let targets: Vec<(usize, u64)> = srv
            .repl
            .replicas
            .iter()
            .filter(|r| r.state == ReplState::WaitBgsaveEnd)
            .map(|r| (r.token, r.client_id))
            .collect();
        let full = targets.iter().any(|&(t, _)| {
            matches!(srv.clients.get(t), Some(Some(c)) if c.reply.pending() >= BULK_HIGH_WATER)
        });
        if full {
            return;
        }
        let Some(Transfer::Diskless { rx, child_ok }) = srv.repl.transfer.as_mut() else {
            return;
        };
        let Some(pipe) = rx.as_mut() else {
            return;
        };
        match pipe.read(&mut buf) {
            Ok(0) => {
                *rx = None;
                log::warn!(
                    "Diskless rdb transfer, done reading from pipe, {} replicas still up.",
                    targets.len()
                );
                if *child_ok {
                    finish_diskless(srv);
                }
                return;
            }
            Ok(n) => {
                for &(t, id) in &targets {
                    push_to_client(srv, t, id, &buf[..n]);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                log::warn!("Diskless rdb transfer, error reading from pipe: {}", e);
                abort_transfer(srv);
                return;
            }
        }
    }
}

/// The diskless child ended.
fn diskless_done(srv: &mut Server, exit: ChildExit) {
    crate::persistence::bgsave::note_time(srv);
    if exit.signal == 0 && exit.code == 0 {
        log::info!("Background RDB transfer terminated with success");
        let mut eof = false;
        if let Some(Transfer::Diskless { rx, child_ok }) = srv.repl.transfer.as_mut() {
            *child_ok = true;
            eof = rx.is_none();
        }
        if eof {
            finish_diskless(srv);
        }
    } else {
        if exit.signal != 0 {
            log::warn!("Background transfer terminated by signal {}", exit.signal);
        } else {
            log::warn!("Background transfer error");
        }
        abort_transfer(srv);
    }
}

/// Every replica of the diskless transfer has its RDB: online, with the
/// stream starting at its first ACK.
fn finish_diskless(srv: &mut Server) {
    srv.repl.transfer = None;
    let now = srv.now_ms;
    let mut rdb_only = Vec::new();
    for r in srv.repl.replicas.iter_mut() {
        if r.state != ReplState::WaitBgsaveEnd {
            continue;
        }
        r.state = ReplState::Online;
        r.ack_time_ms = now;
        log::info!(
            "Streamed RDB transfer with replica {} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming",
            r.name()
        );
        r.stream_on_ack = !r.acked_in_transfer;
        if r.acked_in_transfer {
            log::info!("Synchronization with replica {} succeeded", r.name());
        }
        if r.hs.rdb_only {
            rdb_only.push((r.token, r.client_id));
        }
    }
    for (t, id) in rdb_only {
        close_after_reply(srv, t, id);
    }
}

/// The transfer failed: its replicas are dropped (they will retry).
fn abort_transfer(srv: &mut Server) {
    srv.repl.transfer = None;
    let victims: Vec<(usize, u64)> = srv
        .repl
        .replicas
        .iter()
        .filter(|r| r.state == ReplState::WaitBgsaveEnd || r.state == ReplState::SendBulk)
        .map(|r| (r.token, r.client_id))
        .collect();
    for (t, id) in victims {
        close_now(srv, t, id);
    }
}

/// The disk child ended: its replicas get the file.
fn disk_done(srv: &mut Server, exit: ChildExit) {
    srv.repl.transfer = None;
    // Logged and counted as any BGSAVE (INFO persistence).
    crate::persistence::bgsave::note_done(srv, exit);
    if !(exit.signal == 0 && exit.code == 0) {
        abort_transfer(srv);
        return;
    }
    let path = crate::persistence::rdb_path(&srv.config);
    for i in 0..srv.repl.replicas.len() {
        if srv.repl.replicas[i].state != ReplState::WaitBgsaveEnd {
            continue;
        }
        let opened = File::open(&path).and_then(|f| {
            let len = f.metadata()?.len();
            Ok((f, len))
        });
        let (token, id) = (srv.repl.replicas[i].token, srv.repl.replicas[i].client_id);
        match opened {
            Ok((f, len)) => {
                push_to_client(srv, token, id, format!("${}\r\n", len).as_bytes());
                let r = &mut srv.repl.replicas[i];
                r.state = ReplState::SendBulk;
                r.bulk = Some((f, len));
            }
            Err(e) => {
                log::warn!(
                    "SYNC failed. Can't open/stat DB after BGSAVE: {}",
                    crate::config::strerror(&e)
                );
                close_now(srv, token, id);
            }
        }
    }
}

/// Sends the RDB file to replicas in SEND_BULK while their output is
/// short; those done go online with the stream kept for them.
fn send_bulk(srv: &mut Server) {
    if !srv
        .repl
        .replicas
        .iter()
        .any(|r| r.state == ReplState::SendBulk)
    {
        return;
    }
    let mut buf = vec![0u8; BULK_CHUNK];
    for i in 0..srv.repl.replicas.len() {
        if srv.repl.replicas[i].state != ReplState::SendBulk {
            continue;
        }
        let (token, id) = (srv.repl.replicas[i].token, srv.repl.replicas[i].client_id);
        let mut failed = false;
        loop {
            let short = matches!(srv.clients.get(token), Some(Some(c)) if c.id == id && c.reply.pending() < BULK_HIGH_WATER);
            let r = &mut srv.repl.replicas[i];
            let Some((f, left)) = r.bulk.as_mut() else {
                break;
            };
            if *left == 0 || !short {
                break;
            }
            let want = (*left).min(BULK_CHUNK as u64) as usize;
            match f.read(&mut buf[..want]) {
                Ok(0) | Err(_) => {
                    failed = true;
                    break;
                }
                Ok(n) => {
                    *left -= n as u64;
                    push_to_client(srv, token, id, &buf[..n]);
                }
            }
        }
        if failed {
            log::warn!("Read error sending DB to replica: file shorter than expected");
            close_now(srv, token, id);
            continue;
        }
        let r = &mut srv.repl.replicas[i];
        if matches!(r.bulk, Some((_, 0))) {
            r.bulk = None;
            r.state = ReplState::Online;
            r.ack_time_ms = srv.now_ms;
            log::info!("Synchronization with replica {} succeeded", r.name());
            if r.hs.rdb_only {
                close_after_reply(srv, token, id);
            }
        }
    }
}

/// The once-a-second part of the replication cron: pings, keep-alive
/// newlines, timeouts, the backlog's TTL. Called from every cron tick.
pub fn cron(srv: &mut Server) {
    if srv.now_ms - srv.repl.last_cron_ms < 1000 {
        return;
    }
    srv.repl.last_cron_ms = srv.now_ms;
    srv.repl.cron_loops += 1;
    let period = srv.config.get_i64("repl-ping-replica-period").max(1) as u64;
    // A replica's sub-replicas get its master's PINGs, proxied.
    let proxy = srv.repl.stream.borrow().proxy;
    if !proxy && !srv.repl.replicas.is_empty() && srv.repl.cron_loops.is_multiple_of(period) {
        let mut b = Vec::new();
        crate::server::propagate::encode_command::<&[u8]>(&mut b, &[b"PING"]);
        feed_raw(srv, &b);
    }
    // Replicas waiting for their RDB get a newline now and then so they
    // do not time out (they ignore it).
    let disk_child = matches!(srv.repl.transfer, Some(Transfer::Disk));
    let keepalive: Vec<(usize, u64)> = srv
        .repl
        .replicas
        .iter()
        .filter(|r| {
            r.state == ReplState::WaitBgsaveStart
                || (r.state == ReplState::WaitBgsaveEnd && disk_child)
        })
        .map(|r| (r.token, r.client_id))
        .collect();
    for (t, id) in keepalive {
        push_to_client(srv, t, id, b"\n");
    }
    let timeout_ms = srv.config.get_i64("repl-timeout") * 1000;
    let now = srv.now_ms;
    let dead: Vec<(usize, u64, String)> = srv
        .repl
        .replicas
        .iter()
        .filter(|r| {
            r.state == ReplState::Online && !r.hs.rdb_only && now - r.ack_time_ms > timeout_ms
        })
        .map(|r| (r.token, r.client_id, r.name()))
        .collect();
    for (t, id, name) in dead {
        log::warn!("Disconnecting timedout replica (streaming sync): {}", name);
        close_now(srv, t, id);
    }
    let ttl = srv.config.get_i64("repl-backlog-ttl");
    if !proxy
        && srv.repl.replicas.is_empty()
        && srv.repl.backlog.is_some()
        && ttl > 0
        && now - srv.repl.no_replicas_since_ms > ttl * 1000
    {
        // A master frees its backlog and takes a new ID.
        srv.repl.change_replid(&mut srv.rng);
        srv.repl.clear_replid2();
        free_backlog(srv);
        log::info!(
            "Replication backlog freed after {} seconds without connected replicas.",
            ttl
        );
    }
    if let Some(b) = srv.repl.backlog.as_mut() {
        let size = srv.config.get_i64("repl-backlog-size").max(1) as usize;
        if b.size() != size {
            b.resize(size);
        }
    }
    crate::persistence::bgsave::remove_rdb_used_to_sync_replicas(srv);
}

/// Replicas online whose last ACK is at most `min-replicas-max-lag`
/// seconds old (Redis's `repl_good_slaves_count`).
pub fn good_replicas(srv: &Server) -> usize {
    let lag = srv.config.get_i64("min-replicas-max-lag");
    srv.repl
        .replicas
        .iter()
        .filter(|r| r.state == ReplState::Online && (srv.now_ms - r.ack_time_ms) / 1000 <= lag)
        .count()
}

/// Whether writes must be refused with `-NOREPLICAS`.
pub fn not_enough_good_replicas(srv: &Server) -> bool {
    let min = srv.repl.min_replicas_to_write;
    if min <= 0 || srv.replica.is_replica() {
        return false;
    }
    let lag = srv.config.get_i64("min-replicas-max-lag");
    lag > 0 && (good_replicas(srv) as i64) < min
}

/// Online replicas that acknowledged `offset`.
pub fn replicas_acked(srv: &Server, offset: i64) -> usize {
    srv.repl
        .replicas
        .iter()
        .filter(|r| r.state == ReplState::Online && r.ack_off >= offset)
        .count()
}

/// Answers WAIT clients that have enough ACKs or whose timeout passed.
fn wait_cron(srv: &mut Server) {
    if srv.repl.waiting.is_empty() {
        return;
    }
    srv.repl.wait_check_due = false;
    let now = srv.now_ms;
    let mut done = Vec::new();
    for (i, w) in srv.repl.waiting.iter().enumerate() {
        let acked = replicas_acked(srv, w.offset);
        if acked >= w.numreplicas || (w.deadline_ms > 0 && now >= w.deadline_ms) {
            done.push((i, acked));
        }
    }
    for &(i, acked) in done.iter().rev() {
        let w = srv.repl.waiting.remove(i);
        let Some(Some(mut c)) = srv.clients.get_mut(w.token).map(Option::take) else {
            continue;
        };
        if c.id == w.client_id && c.blocked.is_some() {
            c.reply.int(acked as i64);
            crate::server::reactor::unblock_client(srv, &mut c);
        }
        srv.clients[w.token] = Some(c);
    }
}

/// The `slaveN:` lines of `INFO replication`.
pub fn info_lines(srv: &Server, out: &mut String) {
    use std::fmt::Write as _;
    for (i, r) in srv.repl.replicas.iter().enumerate() {
        let ip = r.hs.ip.as_deref().unwrap_or(&r.peer_ip);
        let lag = (srv.now_ms - r.ack_time_ms) / 1000;
        let _ = write!(
            out,
            "slave{}:ip={},port={},state={},offset={},lag={}\r\n",
            i,
            ip,
            r.hs.listening_port,
            r.state.name(),
            r.ack_off,
            lag
        );
    }
}

/// The replication AUX fields a master with a backlog writes in its RDB
/// files (Redis's `rdbPopulateSaveInfo`).
pub fn rdb_save_info(srv: &Server) -> Option<rdb::ReplAux> {
    srv.repl.backlog.as_ref()?;
    let db = srv.repl.stream.borrow().enc.selected_db.unwrap_or(0);
    rdb::ReplAux::new(db as i64, &srv.repl.replid, srv.repl.master_repl_offset)
}

/// After the start-up load of an RDB holding replication info, a master
/// keeps the saved ID as its secondary one and continues its offset, with
/// an (empty) backlog, so replicas of the previous run can continue with a
/// partial resync (Redis 7.0's `loadDataFromDisk`).
pub fn restore_after_load(srv: &mut Server) {
    // A replica (already, or by its configuration) builds its cached
    // master from these instead (`replica::start_from_config`).
    if srv.replica.is_replica() || srv.config.replicaof.is_some() {
        return;
    }
    let Some(aux) = rdb::take_loaded_repl_aux() else {
        return;
    };
    if aux.offset <= 0 {
        return;
    }
    let replid = srv.repl.replid.clone();
    continue_stream(srv, replid, aux.replid(), aux.offset);
}

/// Makes this master continue a replication stream: `replid2` valid up to
/// `offset + 1`, the offset at `offset`, an empty backlog starting right
/// after it, so replicas that followed `replid2` up to `offset` continue
/// with a partial resync (after a restart from an RDB with replication
/// info, and after `REPLICAOF NO ONE`, Redis's `shiftReplicationId`).
pub fn continue_stream(srv: &mut Server, replid: String, replid2: String, offset: i64) {
    srv.repl.replid = replid;
    srv.repl.replid2 = replid2;
    srv.repl.second_replid_offset = offset + 1;
    srv.repl.master_repl_offset = offset;
    let size = srv.config.get_i64("repl-backlog-size").max(1) as usize;
    srv.repl.backlog = Some(Backlog::new(size, offset + 1));
    srv.repl.no_replicas_since_ms = srv.now_ms;
    srv.repl.stream.borrow_mut().enc.selected_db = None;
    enable_stream(srv);
}

/// Whether every attached replica acknowledged the master's offset, so a
/// shutdown need not wait (Redis's `isReadyToShutdown`).
pub fn ready_to_shutdown(srv: &Server) -> bool {
    srv.repl
        .replicas
        .iter()
        .all(|r| r.ack_off == srv.repl.master_repl_offset)
}

/// Asks the replicas for an ACK (`REPLCONF GETACK *`), sent before the
/// reactor sleeps (a shutdown waiting for its replicas).
pub fn request_getack(srv: &mut Server) {
    if !srv.repl.replicas.is_empty() {
        srv.repl.get_ack_pending = true;
    }
}

/// Logs each replica behind the master's offset, and how many are in
/// sync, as a shutdown finishes (Redis's `finishShutdown`).
pub fn log_lagging_replicas(srv: &Server) {
    let master_off = srv.repl.master_repl_offset;
    let now_secs = srv.now_ms / 1000;
    let mut lagging = 0;
    for r in &srv.repl.replicas {
        if r.ack_off == master_off {
            continue;
        }
        lagging += 1;
        let lag = if r.state == ReplState::Online {
            now_secs - r.ack_time_ms / 1000
        } else {
            0
        };
        log::warn!(
            "Lagging replica {} reported offset {} behind master, lag={}, state={}.",
            r.name(),
            master_off - r.ack_off,
            lag,
            r.state.name()
        );
    }
    let n = srv.repl.replicas.len();
    if n > 0 {
        log::info!(
            "{} of {} replicas are in sync when shutting down.",
            n - lagging,
            n
        );
    }
}

/// Before the server exits: one last non-blocking write of what each
/// replica has pending, so it is as close as possible to the final
/// offset (Redis's `flushSlavesOutputBuffers`).
pub fn flush_before_shutdown(srv: &mut Server) {
    let tokens: Vec<(usize, u64)> = srv
        .repl
        .replicas
        .iter()
        .filter(|r| r.state == ReplState::Online && !r.stream_on_ack)
        .map(|r| (r.token, r.client_id))
        .collect();
    flush_pending(srv);
    for (t, id) in tokens {
        if let Some(Some(c)) = srv.clients.get_mut(t) {
            if c.id == id {
                let _ = c.flush();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting_replica(srv: &Server, id: u64) -> ReplicaEntry {
        let mut r = ReplicaEntry::new(id, 0, Handshake::default(), "127.0.0.1".into(), srv.now_ms);
        r.state = ReplState::WaitBgsaveEnd;
        r
    }

    fn child_ok() -> ChildExit {
        ChildExit {
            pid: 1,
            code: 0,
            signal: 0,
        }
    }

    #[test]
    fn diskless_stream_starts_at_an_ack_that_raced_the_child_exit() {
        let mut h = crate::commands::testing::Harness::new();
        let srv = &mut h.srv;
        srv.repl.replicas.push(waiting_replica(srv, 1001));
        srv.repl.replicas.push(waiting_replica(srv, 1002));
        srv.repl.transfer = Some(Transfer::Diskless {
            rx: None,
            child_ok: false,
        });
        // Replica 1001 loaded its RDB and acknowledged before the child's
        // exit was reaped; 1002 has not acknowledged yet.
        on_ack(srv, 1001, 0);
        diskless_done(srv, child_ok());
        let r = &srv.repl.replicas;
        assert_eq!(r[0].state, ReplState::Online);
        assert!(!r[0].stream_on_ack, "an early ACK starts the stream");
        assert_eq!(r[1].state, ReplState::Online);
        assert!(r[1].stream_on_ack, "no ACK yet: the stream waits for it");
        on_ack(srv, 1002, 0);
        assert!(!srv.repl.replicas[1].stream_on_ack);
    }
}
