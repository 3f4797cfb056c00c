//! `Server`: the one owner of all state (configuration, keyspace, clients,
//! statistics), driven by the reactor on a single thread.
//!
//! Redis counterpart: `struct redisServer` in `server.h`, `initServer`.

pub mod client;
pub mod cron;
pub mod evict;
pub mod proc_title;
pub mod propagate;
pub mod pubsub;
pub mod reactor;
pub mod shutdown;
pub mod startup;
pub mod tracking;

use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use slab::Slab;

use crate::commands::CommandTable;
use crate::config::Config;
use crate::db::Keyspace;
use crate::types::Value;
pub use client::Client;

/// Per-command statistics (`INFO commandstats`).
#[derive(Debug, Default, Clone)]
pub struct CommandStats {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
}

/// Server-wide counters reported by `INFO stats`.
#[derive(Debug, Default)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub expired_stale_perc: f64,
    pub evicted_keys: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub client_qbuf_limit_disconnections: u64,
    pub client_outbuf_limit_disconnections: u64,
    pub io_reads_processed: u64,
    pub io_writes_processed: u64,
    /// Per error prefix counts (`INFO errorstats`).
    pub errors: HashMap<String, u64>,
    /// Per command name (`container|sub` for subcommands).
    pub commands: HashMap<&'static str, CommandStats, ahash::RandomState>,
    /// Instantaneous ops/sec samples.
    pub ops_samples: [u64; 16],
    pub ops_sample_idx: usize,
    pub ops_last_count: u64,
    pub ops_last_ms: i64,
}

/// One `SLOWLOG` entry.
#[derive(Debug, Clone)]
pub struct SlowlogEntry {
    pub id: u64,
    pub time_secs: i64,
    pub duration_us: u64,
    pub argv: Vec<Vec<u8>>,
    pub peer: String,
    pub name: Vec<u8>,
}

/// `CLIENT PAUSE` state (ordered: a stricter pause is greater).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PauseKind {
    None,
    Write,
    All,
}

/// All server state.
pub struct Server {
    /// Configuration in force.
    pub config: Config,
    /// The databases.
    pub keyspace: Keyspace,
    /// Connected clients; the one running a command is taken out (None)
    /// for the duration of the call.
    pub clients: Slab<Option<Box<Client>>>,
    /// The command table with its name index.
    pub commands: CommandTable,
    /// Cached wall clock (unix ms), refreshed once per loop iteration and
    /// before each command, as Redis caches its time.
    pub now_ms: i64,
    /// Cached wall clock in microseconds.
    pub now_us: i64,
    /// Monotonic start of the process.
    pub started: Instant,
    /// Unix seconds at start.
    pub start_time_secs: i64,
    /// Next `CLIENT ID`.
    pub next_client_id: u64,
    /// Counters for INFO.
    pub stats: Stats,
    /// Changes since the last save (`rdb_changes_since_last_save`).
    pub dirty: u64,
    /// Unix seconds of the last successful save.
    pub lastsave: i64,
    /// RDB save/load counters and status (`INFO persistence`).
    pub persistence: crate::persistence::State,
    /// The forked child (BGSAVE, AOF rewrite), if one runs.
    pub child: Option<crate::persistence::child::Child>,
    /// Fork counters for `INFO stats`.
    pub fork_stats: crate::persistence::child::ForkStats,
    /// Raw descriptors of the listening sockets (closed in forked children).
    pub listener_fds: Vec<i32>,
    /// Eviction candidates kept between evictions (`maxmemory`).
    pub eviction_pool: crate::db::evict::EvictionPool,
    /// The name the process was started as, once the real server owns the
    /// process title (`{title}` of `proc-title-template`); None in tests.
    pub exec_name: Option<String>,
    /// 40-hex-char run id.
    pub run_id: String,
    /// Clients with output to write in before_sleep.
    pub pending_writes: Vec<usize>,
    /// Clients to close in before_sleep.
    pub to_close: Vec<usize>,
    /// Slow log, newest first.
    pub slowlog: std::collections::VecDeque<SlowlogEntry>,
    pub slowlog_next_id: u64,
    /// Tokens of MONITOR clients.
    pub monitors: Vec<usize>,
    /// `CLIENT PAUSE` kind and end (unix ms).
    pub pause: PauseKind,
    pub pause_end_ms: i64,
    /// Clients whose commands wait for the pause to end.
    pub paused_clients: Vec<usize>,
    /// Frees big values and tables off the reactor thread.
    pub lazyfree: crate::db::lazyfree::LazyFree,
    /// Clients blocked on keys (BLPOP and friends).
    pub blocking: crate::db::blocking::BlockedClients,
    /// Keys watched by clients (WATCH).
    pub watch: crate::db::watch::WatchedKeys,
    /// Client-side caching (CLIENT TRACKING) state.
    pub tracking: tracking::Tracking,
    /// Set by SHUTDOWN or a signal: exit at the next loop iteration.
    pub shutdown_asap: bool,
    /// A shutdown waiting for lagging replicas.
    pub shutdown: shutdown::ShutdownState,
    /// `DEBUG PAUSE-CRON`: skip cron ticks while set.
    pub cron_paused: bool,
    /// Whether the active expiry cycle runs (`DEBUG SET-ACTIVE-EXPIRE`).
    pub active_expire_enabled: bool,
    /// Peak of `used_memory`.
    pub used_memory_peak: usize,
    /// Cron ticks run.
    pub cronloops: u64,
    /// Listening TCP port actually bound (for INFO).
    pub tcp_port: u16,
    /// Executable path (INFO server).
    pub executable: String,
    /// Random state for sampling and run ids.
    pub rng: u64,
    /// Command propagation to the AOF and replicas.
    pub propagation: propagate::Propagation,
    /// The append-only file.
    pub aof: crate::persistence::aof::Aof,
    /// Pub/Sub subscriptions (channels, patterns, shard channels).
    pub pubsub: pubsub::PubSub,
    /// This server as a replica: the link to its master (REPLICAOF).
    pub replica: crate::replication::replica::ReplicaLink,
    /// Replication IDs, offset, backlog and attached replicas.
    pub repl: crate::replication::ReplicationState,
}

/// Current unix time in microseconds.
pub fn unix_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

impl Server {
    /// A server with an empty keyspace for `config`.
    pub fn new(config: Config) -> Self {
        let now_us = unix_us();
        let mut rng = (now_us as u64) ^ ((std::process::id() as u64) << 32) ^ 0x9E37_79B9;
        let run_id: String = (0..40)
            .map(|_| {
                let v = crate::db::dict::next_random(&mut rng) % 16;
                std::char::from_digit(v as u32, 16).unwrap_or('0')
            })
            .collect();
        let repl = crate::replication::ReplicationState::new(&mut rng, now_us / 1000);
        let mut keyspace = Keyspace::new(config.databases);
        keyspace.set_clock(now_us / 1000);
        let mut srv = Server {
            keyspace,
            config,
            clients: Slab::new(),
            commands: CommandTable::new(),
            now_ms: now_us / 1000,
            now_us,
            started: Instant::now(),
            start_time_secs: now_us / 1_000_000,
            next_client_id: 1,
            stats: Stats::default(),
            dirty: 0,
            lastsave: now_us / 1_000_000,
            persistence: Default::default(),
            child: None,
            fork_stats: Default::default(),
            listener_fds: Vec::new(),
            eviction_pool: Default::default(),
            exec_name: None,
            run_id,
            pending_writes: Vec::new(),
            to_close: Vec::new(),
            slowlog: Default::default(),
            slowlog_next_id: 0,
            monitors: Vec::new(),
            pause: PauseKind::None,
            pause_end_ms: 0,
            paused_clients: Vec::new(),
            blocking: Default::default(),
            watch: Default::default(),
            tracking: Default::default(),
            lazyfree: Default::default(),
            shutdown_asap: false,
            shutdown: Default::default(),
            active_expire_enabled: true,
            cron_paused: false,
            used_memory_peak: 0,
            cronloops: 0,
            tcp_port: 0,
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            rng,
            propagation: Default::default(),
            aof: Default::default(),
            pubsub: Default::default(),
            replica: Default::default(),
            repl,
        };
        srv.apply_config();
        srv
    }

    /// Pushes configuration that lives outside `Config` into the parts of
    /// the server that act on it (called at start and after CONFIG SET).
    pub fn apply_config(&mut self) {
        self.repl.min_replicas_to_write = self.config.get_i64("min-replicas-to-write");
        let policy = crate::db::access::AccessPolicy {
            lfu: self.config.get_enum("maxmemory-policy").ends_with("-lfu"),
            log_factor: self
                .config
                .get_i64("lfu-log-factor")
                .clamp(0, i32::MAX as i64) as u32,
            decay_minutes: self
                .config
                .get_i64("lfu-decay-time")
                .clamp(0, i32::MAX as i64) as u32,
        };
        self.keyspace.set_access_policy(policy);
        crate::persistence::child::set_oom_score_adj(&self.config, None);
        if let Some(name) = &self.exec_name {
            proc_title::apply(&self.config, name);
        }
        self.keyspace
            .set_notify_mask(self.config.notify_keyspace_events);
        self.refresh_expire_mode();
        self.keyspace.set_lazy_deletes(crate::db::LazyDeletes {
            server_del: self.config.get_bool("lazyfree-lazy-server-del"),
            expire: self.config.get_bool("lazyfree-lazy-expire"),
        });
    }

    /// Hands the big values the server removed by itself in database `db`
    /// (see `Db::graveyard`) to the lazy-free thread.
    #[inline]
    pub fn free_graveyard(&mut self, db: usize) {
        if let Some(values) = self.keyspace.take_graveyard(db) {
            for v in values {
                self.lazyfree.free_value(v);
            }
        }
    }

    /// `free_graveyard` for every database (cron, multi-db commands).
    pub fn free_all_graveyards(&mut self) {
        for db in 0..self.keyspace.dbs.len() {
            self.free_graveyard(db);
        }
    }

    /// Refreshes the cached clock.
    #[inline]
    pub fn update_time(&mut self) {
        self.now_us = unix_us();
        self.now_ms = self.now_us / 1000;
        self.keyspace.set_clock(self.now_ms);
    }

    /// Looks a key up for reading, counting hits and misses.
    #[inline]
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&Value> {
        let now = self.now_ms;
        let d = &mut self.keyspace.dbs[db];
        match d.find_live(key, now) {
            Some(i) => {
                self.stats.keyspace_hits += 1;
                Some(d.dict.value_at(i))
            }
            None => {
                self.stats.keyspace_misses += 1;
                d.note_event(crate::config::notify::KEY_MISS, "keymiss", key);
                None
            }
        }
    }

    /// Looks a key up for writing (expiring it if stale).
    #[inline]
    pub fn lookup_write(&mut self, db: usize, key: &[u8]) -> Option<&mut Value> {
        let now = self.now_ms;
        self.keyspace.dbs[db].get_mut(key, now)
    }

    /// Records a change to the dataset (`dirty` for save points; WATCH and
    /// keyspace notifications hook in here as they land).
    #[inline]
    pub fn key_modified(&mut self, db: usize, key: &[u8]) {
        self.dirty += 1;
        self.blocking.signal(db, key);
        if !self.watch.is_empty() {
            self.watch.touch(db, key, &self.keyspace.dbs[db]);
        }
        if self.tracking.active() {
            tracking::key_modified(self, key);
        }
    }

    /// Marks a client (by token) for writing in before_sleep.
    #[inline]
    pub fn queue_write(&mut self, client: &mut Client) {
        if !client.has(client::cflags::PENDING_WRITE) {
            client.flags |= client::cflags::PENDING_WRITE;
            self.pending_writes.push(client.token);
        }
    }

    /// The pause in force: CLIENT PAUSE's, or writes while a shutdown
    /// waits for its replicas (the stricter of the two).
    /// Sets how the databases treat expired keys for normal clients, after
    /// the role or a pause changed (`replica::client_expire_mode`: replicas
    /// and paused servers keep them).
    pub fn refresh_expire_mode(&mut self) {
        let mode = crate::replication::replica::client_expire_mode(self);
        self.keyspace.set_expire_mode(mode);
    }

    pub fn effective_pause(&self) -> PauseKind {
        self.pause
            .max(shutdown::pause(self))
            .max(crate::replication::failover::pause(self))
    }

    /// Uptime in seconds.
    pub fn uptime_secs(&self) -> i64 {
        self.started.elapsed().as_secs() as i64
    }

    /// Iterates over every connected client except the one taken out to
    /// run a command.
    pub fn other_clients(&self) -> impl Iterator<Item = &Client> {
        // A replica's master client (not in the slab) is one of them, as
        // in Redis's client list.
        self.clients
            .iter()
            .filter_map(|(_, c)| c.as_deref())
            .chain(self.replica.master_client.as_deref())
    }

    /// Iterates mutably over every connected client except the current one.
    pub fn other_clients_mut(&mut self) -> impl Iterator<Item = &mut Client> {
        self.clients
            .iter_mut()
            .filter_map(|(_, c)| c.as_deref_mut())
    }
}
