//! Replication state shared by the master and replica sides: the
//! replication IDs (PSYNC2's current and secondary ID), the master
//! replication offset, the backlog, the replicas attached to this server
//! and the full-sync statistics.
//!
//! The master side (`master.rs`) turns the propagated command stream into
//! bytes counted by `master_repl_offset`, kept in the backlog and copied to
//! every replica's output buffer; full syncs fork a child writing an RDB to
//! disk or straight to the replicas (diskless).
//!
//! Redis counterpart: the replication fields of `struct redisServer`
//! (`replid`, `replid2`, `master_repl_offset`, `second_replid_offset`,
//! `repl_backlog`, `slaves`), `changeReplicationId`,
//! `clearReplicationId2`, `shiftReplicationId` (`replication.c`).

pub mod backlog;
pub mod failover;
pub mod master;
pub mod replica;

use std::cell::RefCell;
use std::rc::Rc;

use crate::server::propagate::StreamEncoder;

/// An all-zero replication ID (no secondary ID).
pub const NULL_REPLID: &str = "0000000000000000000000000000000000000000";

/// The bytes of the replication stream not yet handed to the backlog and
/// the replicas, with the stream's SELECT state: shared between the
/// propagation sink (which encodes commands into it) and the master code
/// (which drains it after each unit).
#[derive(Debug, Default)]
pub struct StreamShared {
    /// Encoded bytes waiting to be fed.
    pub buf: Vec<u8>,
    /// SELECT state of the single replication stream.
    pub enc: StreamEncoder,
    /// Whether the stream is fed (a backlog exists).
    pub enabled: bool,
    /// This server is a replica: its stream is its master's, passed on
    /// verbatim (`master::queue_proxied`), so what it runs itself (the
    /// master's commands, or local writes on a writable replica) is not
    /// encoded into it, as Redis's replicas never feed their own writes.
    pub proxy: bool,
}

/// Replication bookkeeping on `Server` (`srv.repl`).
pub struct ReplicationState {
    /// Current replication ID (40 hex chars, new at every start).
    pub replid: String,
    /// Secondary ID (the previous master's, after a promotion).
    pub replid2: String,
    /// Bytes of replication stream produced (or, on a replica, processed).
    pub master_repl_offset: i64,
    /// Offset up to which `replid2` is valid (-1: none).
    pub second_replid_offset: i64,
    /// The backlog, created when the first replica connects.
    pub backlog: Option<backlog::Backlog>,
    /// Unix ms since when no replica is attached (backlog TTL).
    pub no_replicas_since_ms: i64,
    /// `min-replicas-to-write`, refreshed by `Server::apply_config` (it is
    /// checked on every write: no lookup by name there).
    pub min_replicas_to_write: i64,
    /// The stream buffer the propagation sink writes to.
    pub stream: Rc<RefCell<StreamShared>>,
    /// Whether the sink is in `srv.propagation.sinks`.
    pub sink_installed: bool,
    /// Replicas attached (and their sync state).
    pub replicas: Vec<master::ReplicaEntry>,
    /// Handshake data (`REPLCONF listening-port`, capa...) of clients that
    /// have not sent SYNC/PSYNC yet, by client id.
    pub handshakes: Vec<(u64, master::Handshake)>,
    /// The running full-sync transfer (diskless pipe or disk file).
    pub transfer: Option<master::Transfer>,
    /// `INFO stats` counters.
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    /// Unix ms of the last once-a-second replication cron.
    pub last_cron_ms: i64,
    /// Replication cron runs (for `repl-ping-replica-period`).
    pub cron_loops: u64,
    /// Clients blocked in WAIT.
    pub waiting: Vec<master::WaitingClient>,
    /// A `REPLCONF GETACK` is to be sent before sleeping (WAIT).
    pub get_ack_pending: bool,
    /// An ACK arrived while clients wait in WAIT.
    pub wait_check_due: bool,
    /// A FAILOVER under way.
    pub failover: Option<failover::Failover>,
    /// The RDB file on disk was written for a disk-based full sync
    /// (`rdb-del-sync-files` deletes it; Redis's
    /// `RDBGeneratedByReplication`).
    pub rdb_generated_by_sync: bool,
}

/// A new random 40-hex-char replication ID.
pub fn random_replid(rng: &mut u64) -> String {
    (0..40)
        .map(|_| {
            let v = crate::db::dict::next_random(rng) % 16;
            std::char::from_digit(v as u32, 16).unwrap_or('0')
        })
        .collect()
}

impl ReplicationState {
    /// Fresh state: a new replication ID, offset 0, no backlog.
    pub fn new(rng: &mut u64, now_ms: i64) -> ReplicationState {
        ReplicationState {
            replid: random_replid(rng),
            replid2: NULL_REPLID.to_string(),
            master_repl_offset: 0,
            second_replid_offset: -1,
            backlog: None,
            no_replicas_since_ms: now_ms,
            min_replicas_to_write: 0,
            stream: Rc::new(RefCell::new(StreamShared::default())),
            sink_installed: false,
            replicas: Vec::new(),
            handshakes: Vec::new(),
            transfer: None,
            sync_full: 0,
            sync_partial_ok: 0,
            sync_partial_err: 0,
            last_cron_ms: 0,
            cron_loops: 0,
            waiting: Vec::new(),
            get_ack_pending: false,
            wait_check_due: false,
            rdb_generated_by_sync: false,
            failover: None,
        }
    }

    /// A new replication ID (Redis's `changeReplicationId`).
    pub fn change_replid(&mut self, rng: &mut u64) {
        self.replid = random_replid(rng);
    }

    /// Forgets the secondary ID (Redis's `clearReplicationId2`).
    pub fn clear_replid2(&mut self) {
        self.replid2 = NULL_REPLID.to_string();
        self.second_replid_offset = -1;
    }

    /// Keeps the current ID as the secondary one (valid up to the current
    /// offset + 1) and takes a new one, as a promoted replica does
    /// (Redis's `shiftReplicationId`).
    pub fn shift_replid(&mut self, rng: &mut u64) {
        self.replid2 = self.replid.clone();
        self.second_replid_offset = self.master_repl_offset + 1;
        self.change_replid(rng);
        log::info!(
            "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
            self.replid2,
            self.second_replid_offset,
            self.replid
        );
    }
}

/// The replication IDs and offset this server shows (INFO, ROLE): a
/// replica's are those of the stream it follows (its link keeps them), a
/// master's its own.
pub struct CurrentIds<'a> {
    pub replid: &'a str,
    pub replid2: &'a str,
    pub offset: i64,
    pub second_offset: i64,
}

/// See `CurrentIds`.
pub fn current_ids(srv: &crate::server::Server) -> CurrentIds<'_> {
    let link = &srv.replica;
    if link.is_replica() && !link.master_replid.is_empty() {
        let (replid2, second_offset) = match &link.replid2 {
            Some((id, off)) => (id.as_str(), *off),
            None => (NULL_REPLID, -1),
        };
        return CurrentIds {
            replid: &link.master_replid,
            replid2,
            offset: link.reploff.max(0),
            second_offset,
        };
    }
    CurrentIds {
        replid: &srv.repl.replid,
        replid2: &srv.repl.replid2,
        offset: srv.repl.master_repl_offset,
        second_offset: srv.repl.second_replid_offset,
    }
}
