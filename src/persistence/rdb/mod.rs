//! The RDB file format (version 10, as Redis 7.0 writes it): constants,
//! errors, and the bridge between the codec and the keyspace. The byte
//! level lives in `encode` (writer) and `decode` (reader); both work over
//! `impl Write` / `impl Read` so files, DUMP payloads and replication
//! sockets can share them.
//!
//! Layout: `REDIS0010`, AUX fields, then per non-empty database `SELECTDB`
//! and `RESIZEDB`, then per key an optional `EXPIRETIME_MS`, a type byte,
//! the key and the value; `EOF` and an 8-byte little-endian CRC-64 of
//! everything before it (0 when checksums are disabled).
//!
//! Every value type and encoding Redis 7.0 loads is read (plain, ziplist,
//! listpack, intset, zipmap, quicklist v1/v2); the packed blobs are
//! validated in `packed`. Streams, module values and functions are
//! refused with an error naming them. Values are written in the compact
//! encodings Redis 7.0 writes (listpack, intset, quicklist v2), strings
//! LZF-compressed when `rdbcompression yes`.
//!
//! Redis counterpart: `rdb.h`, `rdb.c` (`rdbSaveRio`, `rdbLoadRio`,
//! `rdbSaveKeyValuePair`, `rdbLoadObject`).

pub mod decode;
pub mod encode;
pub mod packed;

use std::fmt;

use std::cell::Cell;

use crate::config::Config;
use crate::db::Keyspace;
use crate::types::{hash, zset, Value};

/// The RDB version written, and the newest one read.
pub const RDB_VERSION: u32 = 10;

/// The file signature before the 4-digit version.
pub const MAGIC: &[u8; 5] = b"REDIS";

/// Opcodes that may appear where a value type byte is expected.
pub mod opcode {
    /// Function library (Redis 7.0 functions).
    pub const FUNCTION2: u8 = 245;
    /// Function library in the 7.0 release-candidate format.
    pub const FUNCTION_PRE_GA: u8 = 246;
    /// Module auxiliary data.
    pub const MODULE_AUX: u8 = 247;
    /// LRU idle time of the next key.
    pub const IDLE: u8 = 248;
    /// LFU frequency of the next key.
    pub const FREQ: u8 = 249;
    /// An auxiliary field (name, value).
    pub const AUX: u8 = 250;
    /// Hash table size hints for the current database.
    pub const RESIZEDB: u8 = 251;
    /// Expire time of the next key, unix ms (8 bytes LE).
    pub const EXPIRETIME_MS: u8 = 252;
    /// Expire time of the next key, unix seconds (4 bytes LE; old files).
    pub const EXPIRETIME: u8 = 253;
    /// Switch database.
    pub const SELECTDB: u8 = 254;
    /// End of the file (the checksum follows).
    pub const EOF: u8 = 255;
}

/// Value type bytes.
pub mod rdb_type {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE_PRE_GA: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
}

/// Length-encoding markers (the top two bits of the first byte, and the
/// two full-byte forms).
pub mod len_enc {
    /// `00xxxxxx`: a 6-bit length.
    pub const BITS6: u8 = 0;
    /// `01xxxxxx xxxxxxxx`: a 14-bit length (big endian).
    pub const BITS14: u8 = 1;
    /// `0x80` then a 32-bit big-endian length.
    pub const BITS32: u8 = 0x80;
    /// `0x81` then a 64-bit big-endian length.
    pub const BITS64: u8 = 0x81;
    /// `11xxxxxx`: a special string encoding follows (`str_enc`).
    pub const ENCVAL: u8 = 3;
}

/// Special string encodings (the low 6 bits after `11`).
pub mod str_enc {
    /// A signed 8-bit integer.
    pub const INT8: u8 = 0;
    /// A signed 16-bit little-endian integer.
    pub const INT16: u8 = 1;
    /// A signed 32-bit little-endian integer.
    pub const INT32: u8 = 2;
    /// An LZF-compressed string: compressed length, length, data.
    pub const LZF: u8 = 3;
}

/// The Redis name of an object type byte (None for bytes that are not a
/// type Redis 7.0 defines).
pub fn type_name(t: u8) -> Option<&'static str> {
    use rdb_type::*;
    Some(match t {
        STRING => "string",
        LIST => "list (linked list encoding)",
        SET => "set (hashtable encoding)",
        ZSET => "zset (skiplist encoding, v1)",
        HASH => "hash (hashtable encoding)",
        ZSET_2 => "zset (skiplist encoding)",
        MODULE_PRE_GA => "module value (pre-GA format)",
        MODULE_2 => "module value",
        HASH_ZIPMAP => "hash (zipmap encoding)",
        LIST_ZIPLIST => "list (ziplist encoding)",
        SET_INTSET => "set (intset encoding)",
        ZSET_ZIPLIST => "zset (ziplist encoding)",
        HASH_ZIPLIST => "hash (ziplist encoding)",
        LIST_QUICKLIST => "list (quicklist encoding)",
        STREAM_LISTPACKS => "stream (listpacks encoding)",
        HASH_LISTPACK => "hash (listpack encoding)",
        ZSET_LISTPACK => "zset (listpack encoding)",
        LIST_QUICKLIST_2 => "list (quicklist v2 encoding)",
        STREAM_LISTPACKS_2 => "stream (listpacks v2 encoding)",
        _ => return None,
    })
}

/// What went wrong reading or checking an RDB stream.
#[derive(Debug)]
pub enum RdbError {
    /// The stream ended early (Redis: "Short read").
    UnexpectedEof,
    /// A read failed for another reason.
    Io(std::io::Error),
    /// The file does not start with `REDIS`.
    BadSignature,
    /// The version is not one ferredis reads (1..=10).
    BadVersion(u32),
    /// The stored checksum differs from the computed one.
    Checksum { expected: u64, got: u64 },
    /// A byte where a type or opcode belongs is neither.
    UnknownType(u8),
    /// A value type Redis has but ferredis cannot load yet.
    UnsupportedType { rdb_type: u8, key: Vec<u8> },
    /// An opcode ferredis cannot load (functions, module data).
    UnsupportedOpcode(&'static str),
    /// A `SELECTDB` beyond the configured number of databases.
    DbIndexOutOfRange { databases: usize },
    /// Any other inconsistency in the data.
    Corrupt(String),
}

impl RdbError {
    /// A corruption error with `msg`.
    pub fn corrupt(msg: impl Into<String>) -> Self {
        RdbError::Corrupt(msg.into())
    }
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RdbError::UnexpectedEof => write!(f, "Unexpected EOF reading RDB file"),
            RdbError::Io(e) => write!(f, "Error reading the RDB file: {}", e),
            RdbError::BadSignature => write!(f, "Wrong signature trying to load DB from file"),
            RdbError::BadVersion(v) => write!(f, "Can't handle RDB format version {}", v),
            RdbError::Checksum { .. } => write!(f, "RDB CRC error"),
            RdbError::UnknownType(t) => write!(f, "Unknown RDB encoding type {}", t),
            RdbError::UnsupportedType { rdb_type, key } => write!(
                f,
                "Can't load key '{}': values of RDB type {} ({}) are not supported yet by ferredis",
                String::from_utf8_lossy(key),
                rdb_type,
                type_name(*rdb_type).unwrap_or("unknown")
            ),
            RdbError::UnsupportedOpcode(what) => write!(f, "{}", what),
            RdbError::DbIndexOutOfRange { databases } => write!(
                f,
                "FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting",
                databases
            ),
            RdbError::Corrupt(msg) => write!(f, "{}", msg),
        }
    }
}

/// An error with the byte offset of the stream where it was noticed.
#[derive(Debug)]
pub struct LoadError {
    /// Bytes consumed before the error was detected.
    pub offset: u64,
    pub error: RdbError,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {})", self.error, self.offset)
    }
}

/// Receives what the decoder reads from a whole RDB stream, in order.
pub trait LoadSink {
    /// An auxiliary field.
    fn aux(&mut self, key: &[u8], value: &[u8]);
    /// `SELECTDB`: the following keys belong to database `db`.
    fn select_db(&mut self, db: u64) -> Result<(), RdbError>;
    /// `RESIZEDB` size hints (untrusted: never allocate from them alone).
    fn resize_db(&mut self, _db_size: u64, _expires_size: u64) {}
    /// A key with its value and expire time (unix ms).
    fn entry(&mut self, key: Vec<u8>, value: Value, expire_ms: Option<i64>)
        -> Result<(), RdbError>;
    /// A key with the `IDLE`/`FREQ` hints that preceded it (by default
    /// the hints are dropped).
    fn entry_with_access(
        &mut self,
        key: Vec<u8>,
        value: Value,
        expire_ms: Option<i64>,
        _access: AccessHint,
    ) -> Result<(), RdbError> {
        self.entry(key, value, expire_ms)
    }
}

/// The `IDLE` (LRU idle seconds) and `FREQ` (LFU counter) opcodes read
/// before a key.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AccessHint {
    pub idle_secs: Option<u64>,
    pub freq: Option<u8>,
}

/// Applies an access hint to the key in slot `slot` of `db`, as Redis's
/// `objectSetLRUOrLFU`: the LFU counter under an LFU policy, the idle
/// time otherwise.
pub fn apply_access_hint(db: &mut crate::db::Db, slot: u32, hint: AccessHint, now_ms: i64) {
    use crate::db::{access, lru_clock, LRU_CLOCK_MAX};
    if db.policy.lfu {
        if let Some(f) = hint.freq {
            let stamp = (access::lfu_minutes(now_ms / 1000) << 8) | u32::from(f);
            db.dict.set_lru(slot, stamp);
        }
    } else if let Some(idle) = hint.idle_secs {
        let clock = i64::from(lru_clock(now_ms));
        let idle = idle.min(LRU_CLOCK_MAX as u64) as i64;
        let mut stamp = clock - idle;
        if stamp < 0 {
            stamp += i64::from(LRU_CLOCK_MAX);
        }
        db.dict.set_lru(slot, stamp as u32);
    }
}

/// Counters of a load into the keyspace (`INFO persistence`'s
/// `rdb_last_load_keys_*`, the "Done loading RDB" line).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LoadStats {
    pub keys_loaded: u64,
    pub keys_expired: u64,
}

/// Loads decoded entries into a `Keyspace`, as `rdbLoadRio` does on a
/// primary: keys already expired are skipped (and counted), duplicates
/// are an error, AUX fields about the producer are logged.
pub struct KeyspaceSink<'a> {
    ks: &'a mut Keyspace,
    db: usize,
    /// Skip keys whose expire time has passed (a primary does).
    expire_stale: bool,
    /// A key already present is replaced instead of being an error
    /// (`DEBUG RELOAD MERGE`, Redis's `RDBFLAGS_ALLOW_DUP`).
    pub allow_dup: bool,
    now_ms: i64,
    /// Counters so far.
    pub stats: LoadStats,
}

impl<'a> KeyspaceSink<'a> {
    /// A sink into `ks`, starting in database 0.
    pub fn new(ks: &'a mut Keyspace, now_ms: i64, expire_stale: bool) -> Self {
        KeyspaceSink {
            ks,
            db: 0,
            expire_stale,
            allow_dup: false,
            now_ms,
            stats: LoadStats::default(),
        }
    }
}

/// The most keys a RESIZEDB hint pre-sizes a database for: the hint comes
/// from the file, so it only saves rehashing up to a bounded size.
const RESIZE_HINT_CAP: u64 = 1 << 24;

impl LoadSink for KeyspaceSink<'_> {
    fn resize_db(&mut self, db_size: u64, _expires_size: u64) {
        if let Some(db) = self.ks.dbs.get_mut(self.db) {
            let total = db.len() as u64 + db_size.min(RESIZE_HINT_CAP);
            db.dict.reserve_total(total as usize);
        }
    }

    fn aux(&mut self, key: &[u8], value: &[u8]) {
        let text = String::from_utf8_lossy(value);
        match key {
            b"redis-ver" => log::info!("Loading RDB produced by version {}", text),
            b"ctime" => {
                let ctime = crate::util::numfmt::parse_i64(value).unwrap_or(0);
                let age = (self.now_ms / 1000).saturating_sub(ctime).max(0);
                log::info!("RDB age {} seconds", age);
            }
            b"used-mem" => {
                let used = crate::util::numfmt::parse_i64(value).unwrap_or(0);
                LOADING_USED_MEM.with(|c| c.set(used.max(0) as u64));
                log::info!(
                    "RDB memory usage when created {:.2} Mb",
                    used as f64 / (1024.0 * 1024.0)
                );
            }
            b"repl-stream-db" | b"repl-offset" => {
                let v = crate::util::numfmt::parse_i64(value).unwrap_or(-1);
                LOADED_REPL.with(|c| {
                    let mut r = c.get();
                    if key == b"repl-offset" {
                        r.1 = v;
                    } else {
                        r.0 = v;
                    }
                    c.set(r);
                });
            }
            b"repl-id" => {
                if let Ok(id) = <[u8; 40]>::try_from(value) {
                    LOADED_REPL.with(|c| {
                        let mut r = c.get();
                        r.2 = Some(id);
                        c.set(r);
                    });
                }
            }
            b"redis-bits" | b"aof-preamble" | b"aof-base" | b"lua" => {}
            _ if key.first() == Some(&b'%') => {
                log::info!("RDB '{}': {}", String::from_utf8_lossy(&key[1..]), text);
            }
            _ => log::trace!(
                "Unrecognized RDB AUX field: '{}'",
                String::from_utf8_lossy(key)
            ),
        }
    }

    fn select_db(&mut self, db: u64) -> Result<(), RdbError> {
        let n = self.ks.dbs.len();
        if db >= n as u64 {
            return Err(RdbError::DbIndexOutOfRange { databases: n });
        }
        self.db = db as usize;
        Ok(())
    }

    fn entry(
        &mut self,
        key: Vec<u8>,
        value: Value,
        expire_ms: Option<i64>,
    ) -> Result<(), RdbError> {
        self.entry_with_access(key, value, expire_ms, AccessHint::default())
    }

    fn entry_with_access(
        &mut self,
        key: Vec<u8>,
        value: Value,
        expire_ms: Option<i64>,
        access: AccessHint,
    ) -> Result<(), RdbError> {
        if self.expire_stale && expire_ms.is_some_and(|when| when < self.now_ms) {
            self.stats.keys_expired += 1;
            return Ok(());
        }
        let db = &mut self.ks.dbs[self.db];
        if self.allow_dup {
            db.remove(&key);
        }
        let Ok(slot) = db.insert_if_absent(&key, value) else {
            log::warn!(
                "RDB has duplicated key '{}' in DB {}",
                String::from_utf8_lossy(&key),
                self.db
            );
            return Err(RdbError::corrupt("Duplicated key found in RDB file"));
        };
        if access != AccessHint::default() {
            apply_access_hint(db, slot, access, self.now_ms);
        }
        if let Some(when) = expire_ms {
            db.set_expire(&key, when);
        }
        self.stats.keys_loaded += 1;
        Ok(())
    }
}

/// Options for writing a whole RDB stream.
#[derive(Debug, Clone, Copy)]
pub struct SaveOptions {
    /// Compute the CRC-64 (`rdbchecksum yes`); 0 is written otherwise.
    pub checksum: bool,
    /// `ctime` AUX field: unix seconds of the snapshot.
    pub ctime: i64,
    /// `used-mem` AUX field: bytes in use.
    pub used_mem: u64,
    /// LZF-compress strings longer than 20 bytes (`rdbcompression yes`).
    pub compression: bool,
    /// Write each key's `IDLE` (an `*-lru` `maxmemory-policy`) or `FREQ`
    /// (`*-lfu`) before it, as Redis does.
    pub access: AccessSave,
    /// Written as the BASE of an AOF (`aof-base:1`).
    pub aof_base: bool,
    /// The `repl-stream-db` / `repl-id` / `repl-offset` AUX fields (a
    /// replica's or a master's replication state, for a later PSYNC).
    pub repl: Option<ReplAux>,
    /// Called with the number of keys written so far at the first key and
    /// every 1024 keys after it, as Redis's `rdbSaveRio` checks whether to
    /// send its child progress report (`persistence::child::rdb_progress`).
    pub progress: Option<fn(u64)>,
}

/// The replication AUX fields of an RDB (Redis's `rdbSaveInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplAux {
    /// The database the replication stream had selected.
    pub stream_db: i64,
    /// The replication ID (40 hex chars).
    pub id: [u8; 40],
    /// The replication offset.
    pub offset: i64,
}

impl ReplAux {
    /// The fields for a replication ID given as a string (None unless it
    /// is 40 bytes long).
    pub fn new(stream_db: i64, replid: &str, offset: i64) -> Option<ReplAux> {
        Some(ReplAux {
            stream_db,
            id: replid.as_bytes().try_into().ok()?,
            offset,
        })
    }

    /// The replication ID as a string.
    pub fn replid(&self) -> String {
        String::from_utf8_lossy(&self.id).into_owned()
    }
}

/// Which access hint is saved per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccessSave {
    #[default]
    None,
    /// `IDLE` seconds (LRU policies).
    Idle,
    /// `FREQ` counter (LFU policies).
    Freq,
}

impl SaveOptions {
    /// Options from the configuration (`rdbchecksum`, `rdbcompression`).
    pub fn from_config(cfg: &Config, ctime: i64, used_mem: u64) -> Self {
        SaveOptions {
            checksum: cfg.get_bool("rdbchecksum"),
            ctime,
            used_mem,
            compression: cfg.get_bool("rdbcompression"),
            progress: None,
            access: {
                let policy = cfg.get_enum("maxmemory-policy");
                if policy.ends_with("-lru") {
                    AccessSave::Idle
                } else if policy.ends_with("-lfu") {
                    AccessSave::Freq
                } else {
                    AccessSave::None
                }
            },
            aof_base: false,
            repl: None,
        }
    }
}

/// The encoding thresholds collections are built with while loading, so
/// `OBJECT ENCODING` after a load matches Redis's for the same file.
#[derive(Debug, Clone, Copy)]
pub struct Encodings {
    /// `list-max-listpack-size` and `list-compress-depth`.
    pub list_fill: crate::types::list::Shape,
    /// `set-max-intset-entries`.
    pub set_max_intset: usize,
    /// `hash-max-listpack-entries` / `-value`.
    pub hash: hash::Limits,
    /// `zset-max-listpack-entries` / `-value`.
    pub zset: zset::Limits,
}

impl Default for Encodings {
    /// Redis's default thresholds.
    fn default() -> Self {
        Encodings {
            list_fill: crate::types::list::Shape::from(-2),
            set_max_intset: 512,
            hash: hash::Limits {
                max_entries: 512,
                max_value: 64,
            },
            zset: zset::Limits {
                max_entries: 128,
                max_value: 64,
            },
        }
    }
}

impl Encodings {
    /// The thresholds currently configured.
    pub fn from_config(cfg: &Config) -> Self {
        let n = |name: &str| cfg.get_i64(name).max(0) as usize;
        Encodings {
            list_fill: crate::types::list::Shape {
                fill: cfg.get_i64("list-max-listpack-size"),
                depth: cfg.get_i64("list-compress-depth").clamp(0, 1 << 16) as usize,
            },
            set_max_intset: n("set-max-intset-entries"),
            hash: hash::Limits {
                max_entries: n("hash-max-listpack-entries"),
                max_value: n("hash-max-listpack-value"),
            },
            zset: zset::Limits {
                max_entries: n("zset-max-listpack-entries"),
                max_value: n("zset-max-listpack-value"),
            },
        }
    }
}

thread_local! {
    /// `DEBUG SET-SKIP-CHECKSUM-VALIDATION`: RESTORE payloads and RDB
    /// loads skip the CRC check (Redis's `server.skip_checksum_validation`;
    /// per thread, which is the reactor's, so tests stay independent).
    static SKIP_CHECKSUM: Cell<bool> = const { Cell::new(false) };
}

/// Sets `DEBUG SET-SKIP-CHECKSUM-VALIDATION`.
pub fn set_skip_checksum_validation(on: bool) {
    SKIP_CHECKSUM.with(|c| c.set(on));
}

/// Whether checksum validation is skipped.
pub fn skip_checksum_validation() -> bool {
    SKIP_CHECKSUM.with(|c| c.get())
}

/// Options for reading a whole RDB stream.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Verify a non-zero stored checksum (`rdbchecksum yes`).
    pub verify_checksum: bool,
    /// Thresholds for the encodings of loaded collections.
    pub encodings: Encodings,
}

impl LoadOptions {
    /// Options from the configuration (`rdbchecksum`, the encoding
    /// thresholds, `DEBUG SET-SKIP-CHECKSUM-VALIDATION`).
    pub fn from_config(cfg: &Config) -> Self {
        LoadOptions {
            verify_checksum: cfg.get_bool("rdbchecksum") && !skip_checksum_validation(),
            encodings: Encodings::from_config(cfg),
        }
    }
}

/// Keys between two calls of `SaveOptions::progress` (a power of two).
pub const PROGRESS_EVERY_KEYS: u64 = 1024;

thread_local! {
    /// The `used-mem` AUX field of the RDB being loaded on this thread (0
    /// until read): `INFO`'s `loading_rdb_used_mem`.
    static LOADING_USED_MEM: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

thread_local! {
    /// The replication AUX fields (stream db, offset, id) of the last RDB
    /// loaded on this thread.
    static LOADED_REPL: std::cell::Cell<(i64, i64, Option<[u8; 40]>)> =
        const { std::cell::Cell::new((-1, -1, None)) };
}

/// The replication AUX fields of the last RDB loaded on this thread, when
/// it had a `repl-id` (a replica restarted after a clean shutdown
/// continues from them with a partial resync).
pub fn loaded_repl_aux() -> Option<ReplAux> {
    let (stream_db, offset, id) = LOADED_REPL.with(|c| c.get());
    id.map(|id| ReplAux {
        stream_db,
        id,
        offset,
    })
}

/// The `used-mem` AUX value of the load running on this thread, 0 when
/// the file has not given it (yet).
pub fn loading_used_mem() -> u64 {
    LOADING_USED_MEM.with(|c| c.get())
}

/// Writes the whole keyspace as an RDB stream to `w` and returns it.
pub fn save_keyspace<W: std::io::Write>(
    w: W,
    ks: &Keyspace,
    opts: &SaveOptions,
) -> std::io::Result<W> {
    save_keyspace_repl(w, ks, opts, None)
}

/// Takes the replication AUX fields of the last RDB loaded on this thread
/// (see `loaded_repl_aux`), forgetting them.
pub fn take_loaded_repl_aux() -> Option<ReplAux> {
    let aux = loaded_repl_aux();
    LOADED_REPL.with(|c| c.set((-1, -1, None)));
    aux
}

/// `save_keyspace` with the replication AUX fields (written after
/// `used-mem`, before `aof-base`, as Redis orders them).
pub fn save_keyspace_repl<W: std::io::Write>(
    w: W,
    ks: &Keyspace,
    opts: &SaveOptions,
    repl: Option<&ReplAux>,
) -> std::io::Result<W> {
    let mut out = encode::RdbWriter::new(w, opts.checksum);
    out.set_compression(opts.compression);
    out.write_header()?;
    out.write_aux(b"redis-ver", crate::REDIS_VERSION.as_bytes())?;
    out.write_aux_int(b"redis-bits", 64)?;
    out.write_aux_int(b"ctime", opts.ctime)?;
    out.write_aux_int(b"used-mem", opts.used_mem.min(i64::MAX as u64) as i64)?;
    if let Some(r) = repl.or(opts.repl.as_ref()) {
        out.write_aux_int(b"repl-stream-db", r.stream_db)?;
        out.write_aux(b"repl-id", &r.id)?;
        out.write_aux_int(b"repl-offset", r.offset)?;
    }
    out.write_aux_int(b"aof-base", opts.aof_base as i64)?;
    let mut keys: u64 = 0;
    for (i, db) in ks.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        out.write_select_db(i as u64)?;
        out.write_resize_db(db.len() as u64, db.expires.len() as u64)?;
        let now_ms = opts.ctime.saturating_mul(1000);
        for (slot, key, value) in db.dict.iter() {
            let expire = if db.dict.flag(slot) {
                db.expire_of(key)
            } else {
                None
            };
            match opts.access {
                AccessSave::None => {}
                AccessSave::Idle => {
                    out.write_raw(&[opcode::IDLE])?;
                    out.write_len(db.idle_secs(slot, now_ms))?;
                }
                AccessSave::Freq => {
                    let f = db.frequency(slot, now_ms).min(255) as u8;
                    out.write_raw(&[opcode::FREQ, f])?;
                }
            }
            out.write_entry(key, value, expire)?;
            if let Some(progress) = opts.progress {
                if keys & (PROGRESS_EVERY_KEYS - 1) == 0 {
                    progress(keys + 1);
                }
            }
            keys += 1;
        }
    }
    out.finish()
}

/// Reads a whole RDB stream from `r` into `ks`. Keys already expired at
/// `now_ms` are skipped when `expire_stale` (a primary does).
pub fn load_keyspace<R: std::io::BufRead>(
    r: R,
    ks: &mut Keyspace,
    now_ms: i64,
    expire_stale: bool,
    opts: &LoadOptions,
) -> Result<LoadStats, LoadError> {
    LOADING_USED_MEM.with(|c| c.set(0));
    LOADED_REPL.with(|c| c.set((-1, -1, None)));
    let mut sink = KeyspaceSink::new(ks, now_ms, expire_stale);
    decode::load(r, opts, &mut sink)?;
    Ok(sink.stats)
}

/// Why a DUMP payload was refused by RESTORE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadError {
    /// Too short, a newer RDB version, or a CRC mismatch
    /// (`DUMP payload version or checksum are wrong`).
    VersionOrChecksum,
    /// The value inside does not decode (`Bad data format`).
    BadData,
}

/// The DUMP serialization of a value: its type byte and body as in an
/// RDB file, then the RDB version (2 bytes LE) and the CRC-64 of all that
/// (8 bytes LE).
pub fn dump_payload(v: &Value, compression: bool) -> Vec<u8> {
    let mut w = encode::RdbWriter::new(Vec::new(), false);
    w.set_compression(compression);
    // Writing to a Vec cannot fail.
    let _ = w
        .write_raw(&[encode::value_type_byte(v)])
        .and_then(|_| w.write_value(v));
    let mut out = w.into_inner();
    out.extend_from_slice(&(RDB_VERSION as u16).to_le_bytes());
    let crc = crate::util::crc64::crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Decodes a DUMP payload as RESTORE does: checks the footer (version
/// not newer than ours; the CRC unless `verify_checksum` is off), then
/// reads one value built with the `enc` thresholds. Empty collections,
/// streams and module values are bad data.
pub fn restore_payload(
    payload: &[u8],
    enc: &Encodings,
    verify_checksum: bool,
) -> Result<Value, PayloadError> {
    let n = payload.len();
    if n < 10 {
        return Err(PayloadError::VersionOrChecksum);
    }
    let version = u16::from_le_bytes([payload[n - 10], payload[n - 9]]);
    if u32::from(version) > RDB_VERSION {
        return Err(PayloadError::VersionOrChecksum);
    }
    if verify_checksum {
        let mut stored = [0u8; 8];
        stored.copy_from_slice(&payload[n - 8..]);
        if crate::util::crc64::crc64(0, &payload[..n - 8]) != u64::from_le_bytes(stored) {
            return Err(PayloadError::VersionOrChecksum);
        }
    }
    // As in Redis, the value is read from the whole payload: a value that
    // runs into the footer bytes is not refused.
    let mut rd = decode::RdbReader::new(payload, false);
    let t = rd.read_u8().map_err(|_| PayloadError::BadData)?;
    if type_name(t).is_none() {
        return Err(PayloadError::BadData);
    }
    match rd.read_object(t, enc) {
        Ok(Some(v)) => Ok(v),
        _ => Err(PayloadError::BadData),
    }
}

/// `load_keyspace` where keys already in `ks` are replaced by the file's
/// when `allow_dup` (`DEBUG RELOAD MERGE`).
pub fn load_keyspace_with<R: std::io::BufRead>(
    r: R,
    ks: &mut Keyspace,
    now_ms: i64,
    expire_stale: bool,
    allow_dup: bool,
    opts: &LoadOptions,
) -> Result<LoadStats, LoadError> {
    let mut sink = KeyspaceSink::new(ks, now_ms, expire_stale);
    sink.allow_dup = allow_dup;
    decode::load(r, opts, &mut sink)?;
    Ok(sink.stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_keyspace() -> Keyspace {
        let mut ks = Keyspace::new(16);
        let db = &mut ks.dbs[0];
        db.set(b"str", Value::string(b"hello"), false);
        db.set(b"int", Value::string(b"12345"), false);
        db.set(b"neg", Value::string(b"-70000"), false);
        db.set(b"big", Value::string(b"123456789012"), false);
        db.set(b"12", Value::string(b"key is an int"), false);
        db.set(b"bin\x00\xff", Value::string(b"\x00\x01\xfe\xff"), false);
        db.set(b"long", Value::string(&[b'x'; 1000]), false);
        db.set(b"ttl", Value::string(b"v"), false);
        db.set_expire(b"ttl", 4_000_000_000_000);
        db.set(b"gone", Value::string(b"v"), false);
        db.set_expire(b"gone", 1000);
        let mut raw = Value::string(b"ab");
        raw.make_raw().extend_from_slice(b"c");
        db.set(b"raw", raw, false);
        ks.dbs[9].set(b"other", Value::string(b"db9"), false);
        ks
    }

    fn dump(ks: &Keyspace, checksum: bool) -> Vec<u8> {
        let opts = SaveOptions {
            checksum,
            ctime: 1_700_000_000,
            used_mem: 1 << 20,
            compression: true,
            access: AccessSave::None,
            aof_base: false,
            repl: None,
            progress: None,
        };
        save_keyspace(Vec::new(), ks, &opts).unwrap()
    }

    thread_local! {
        static PROGRESS_SEEN: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    #[test]
    fn progress_hook_every_1024_keys_and_used_mem_exposed() {
        let mut ks = Keyspace::new(16);
        for (db, n) in [(0usize, 2000u32), (3, 1100)] {
            for i in 0..n {
                ks.dbs[db].set(format!("k{}", i).as_bytes(), Value::string(b"v"), false);
            }
        }
        let opts = SaveOptions {
            checksum: true,
            ctime: 1_700_000_000,
            used_mem: 123_456,
            compression: true,
            access: AccessSave::None,
            aof_base: false,
            repl: None,
            progress: Some(|n| PROGRESS_SEEN.with(|s| s.borrow_mut().push(n))),
        };
        let bytes = save_keyspace(Vec::new(), &ks, &opts).unwrap();
        // Counted over all databases, as Redis's key_count.
        assert_eq!(
            PROGRESS_SEEN.with(|s| s.borrow().clone()),
            vec![1, 1025, 2049, 3073]
        );
        assert_eq!(loading_used_mem(), 0);
        let mut back = Keyspace::new(16);
        load_keyspace(
            &bytes[..],
            &mut back,
            0,
            true,
            &LoadOptions::from_config(&Config::default()),
        )
        .unwrap();
        assert_eq!(loading_used_mem(), 123_456);
        assert_eq!(back.total_keys(), 3100);
    }

    #[test]
    fn round_trip_keeps_keys_values_ttls_and_encodings() {
        let ks = sample_keyspace();
        let bytes = dump(&ks, true);
        assert!(bytes.starts_with(b"REDIS0010\xfa\x09redis-ver\x067.0.15"));
        let mut back = Keyspace::new(16);
        let stats = load_keyspace(
            &bytes[..],
            &mut back,
            2_000_000_000_000,
            true,
            &LoadOptions {
                verify_checksum: true,
                encodings: Encodings::default(),
            },
        )
        .unwrap();
        assert_eq!(
            stats,
            LoadStats {
                keys_loaded: 10,
                keys_expired: 1
            }
        );
        let db = &mut back.dbs[0];
        let now = 2_000_000_000_000;
        let get = |db: &mut crate::db::Db, k: &[u8]| db.get(k, now).map(|v| v.to_bytes());
        assert_eq!(get(db, b"str").unwrap(), b"hello");
        assert_eq!(db.get(b"int", now).unwrap().encoding(), "int");
        assert_eq!(get(db, b"neg").unwrap(), b"-70000");
        assert_eq!(db.get(b"big", now).unwrap().encoding(), "int");
        assert_eq!(get(db, b"12").unwrap(), b"key is an int");
        assert_eq!(get(db, b"bin\x00\xff").unwrap(), b"\x00\x01\xfe\xff");
        assert_eq!(get(db, b"long").unwrap(), vec![b'x'; 1000]);
        assert_eq!(db.get(b"long", now).unwrap().encoding(), "raw");
        assert_eq!(db.get(b"raw", now).unwrap().encoding(), "embstr");
        assert_eq!(db.expire_of(b"ttl"), Some(4_000_000_000_000));
        assert!(db.get(b"gone", now).is_none());
        assert_eq!(back.dbs[9].get(b"other", now).unwrap().to_bytes(), b"db9");
        // Byte-identical when saved again (same content, same order).
        let mut ks2 = sample_keyspace();
        ks2.dbs[0].remove(b"gone");
        let again = dump(&back, true);
        assert_eq!(again.len(), dump(&ks2, true).len());
    }

    #[test]
    fn checksum_off_writes_zero_and_is_not_verified() {
        let ks = sample_keyspace();
        let bytes = dump(&ks, false);
        assert_eq!(&bytes[bytes.len() - 8..], &[0; 8]);
        let mut back = Keyspace::new(16);
        let opts = LoadOptions {
            verify_checksum: true,
            encodings: Encodings::default(),
        };
        assert!(load_keyspace(&bytes[..], &mut back, 0, true, &opts).is_ok());
    }

    #[test]
    fn load_errors_name_the_problem() {
        let ks = sample_keyspace();
        let bytes = dump(&ks, true);
        let opts = LoadOptions {
            verify_checksum: true,
            encodings: Encodings::default(),
        };
        let load = |b: &[u8], dbs: usize| {
            let mut k = Keyspace::new(dbs);
            load_keyspace(b, &mut k, 0, true, &opts)
        };
        // A bad checksum.
        let mut bad = bytes.clone();
        let n = bad.len();
        bad[n - 1] ^= 1;
        let e = load(&bad, 16).unwrap_err();
        assert!(matches!(e.error, RdbError::Checksum { .. }), "{}", e);
        assert_eq!(e.offset, n as u64);
        // Not verified when checksums are off.
        let mut k = Keyspace::new(16);
        let off = LoadOptions {
            verify_checksum: false,
            encodings: Encodings::default(),
        };
        assert!(load_keyspace(&bad[..], &mut k, 0, true, &off).is_ok());
        // Truncated anywhere.
        for cut in [0, 3, 9, 20, n / 2, n - 9, n - 1] {
            let e = load(&bytes[..cut], 16).unwrap_err();
            assert!(matches!(e.error, RdbError::UnexpectedEof), "{} {}", cut, e);
            assert_eq!(e.offset, cut as u64);
        }
        // Signature and version.
        let e = load(b"RODIS0010\xff", 16).unwrap_err();
        assert_eq!(
            e.error.to_string(),
            "Wrong signature trying to load DB from file"
        );
        let e = load(b"REDIS0011\xff", 16).unwrap_err();
        assert_eq!(e.error.to_string(), "Can't handle RDB format version 11");
        let e = load(b"REDIS0000\xff", 16).unwrap_err();
        assert_eq!(e.error.to_string(), "Can't handle RDB format version 0");
        // Too few databases for the file.
        let e = load(&bytes, 4).unwrap_err();
        assert!(e.error.to_string().starts_with(
            "FATAL: Data file was created with a Redis server configured to handle more than 4 databases."
        ));
        // Other types are refused with their name.
        let e = load(b"REDIS0010\x0f\x01kxx", 16).unwrap_err();
        assert_eq!(
            e.error.to_string(),
            "Can't load key 'k': values of RDB type 15 (stream (listpacks encoding)) are not supported yet by ferredis"
        );
        let e = load(b"REDIS0010\x08\x01k", 16).unwrap_err();
        assert_eq!(e.error.to_string(), "Unknown RDB encoding type 8");
        assert_eq!(e.offset, 10);
        let e = load(b"REDIS0010\xf5", 16).unwrap_err();
        assert!(e.error.to_string().contains("not supported"), "{}", e);
        // Duplicated keys.
        let e = load(b"REDIS0009\x00\x01k\x01v\x00\x01k\x01w\xff", 16).unwrap_err();
        assert_eq!(e.error.to_string(), "Duplicated key found in RDB file");
    }
}
