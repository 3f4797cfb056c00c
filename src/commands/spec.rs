//! `CommandSpec` (one row of the command table), the command flags with
//! Redis's names, the command groups, and the ACL categories derived from
//! them. Pure declarations: no dispatch logic lives here.
//!
//! Redis counterpart: `struct redisCommand` and the `CMD_*` flags in
//! `server.h`.

use super::Ctx;
use crate::errors::CmdResult;

/// Finds the key positions of a command whose keys move (`numkeys`
/// arguments: LMPOP, ZUNIONSTORE, ...); None when the arguments are
/// invalid.
pub type GetKeys = fn(&[&[u8]]) -> Option<Vec<usize>>;

/// A command handler: parses `ctx.argv`, does the work, writes the reply
/// (or returns the error to reply with).
pub type Handler = fn(&mut Ctx) -> CmdResult;

/// Command flags, as Redis names them (bit per flag).
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const MODULE: u32 = 1 << 3;
    pub const ADMIN: u32 = 1 << 4;
    pub const PUBSUB: u32 = 1 << 5;
    pub const NOSCRIPT: u32 = 1 << 6;
    pub const BLOCKING: u32 = 1 << 7;
    pub const LOADING: u32 = 1 << 8;
    pub const STALE: u32 = 1 << 9;
    pub const SKIP_MONITOR: u32 = 1 << 10;
    pub const SKIP_SLOWLOG: u32 = 1 << 11;
    pub const ASKING: u32 = 1 << 12;
    pub const FAST: u32 = 1 << 13;
    pub const NO_AUTH: u32 = 1 << 14;
    pub const MAY_REPLICATE: u32 = 1 << 15;
    pub const SENTINEL: u32 = 1 << 16;
    pub const ONLY_SENTINEL: u32 = 1 << 17;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 18;
    pub const PROTECTED: u32 = 1 << 19;
    pub const MODULE_GETKEYS: u32 = 1 << 20;
    pub const MODULE_NO_CLUSTER: u32 = 1 << 21;
    pub const NO_ASYNC_LOADING: u32 = 1 << 22;
    pub const NO_MULTI: u32 = 1 << 23;
    pub const MOVABLE_KEYS: u32 = 1 << 24;
    pub const ALLOW_BUSY: u32 = 1 << 25;

    /// Flag names in the order `COMMAND INFO` prints them.
    pub const FLAG_NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (MODULE, "module"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// ACL categories (bit per category), named as `COMMAND INFO` prints them.
pub mod acl {
    pub const KEYSPACE: u64 = 1 << 0;
    pub const READ: u64 = 1 << 1;
    pub const WRITE: u64 = 1 << 2;
    pub const SET: u64 = 1 << 3;
    pub const SORTEDSET: u64 = 1 << 4;
    pub const LIST: u64 = 1 << 5;
    pub const HASH: u64 = 1 << 6;
    pub const STRING: u64 = 1 << 7;
    pub const BITMAP: u64 = 1 << 8;
    pub const HYPERLOGLOG: u64 = 1 << 9;
    pub const GEO: u64 = 1 << 10;
    pub const STREAM: u64 = 1 << 11;
    pub const PUBSUB: u64 = 1 << 12;
    pub const ADMIN: u64 = 1 << 13;
    pub const FAST: u64 = 1 << 14;
    pub const SLOW: u64 = 1 << 15;
    pub const BLOCKING: u64 = 1 << 16;
    pub const DANGEROUS: u64 = 1 << 17;
    pub const CONNECTION: u64 = 1 << 18;
    pub const TRANSACTION: u64 = 1 << 19;
    pub const SCRIPTING: u64 = 1 << 20;

    /// Category names in Redis's order.
    pub const NAMES: &[(u64, &str)] = &[
        (KEYSPACE, "@keyspace"),
        (READ, "@read"),
        (WRITE, "@write"),
        (SET, "@set"),
        (SORTEDSET, "@sortedset"),
        (LIST, "@list"),
        (HASH, "@hash"),
        (STRING, "@string"),
        (BITMAP, "@bitmap"),
        (HYPERLOGLOG, "@hyperloglog"),
        (GEO, "@geo"),
        (STREAM, "@stream"),
        (PUBSUB, "@pubsub"),
        (ADMIN, "@admin"),
        (FAST, "@fast"),
        (SLOW, "@slow"),
        (BLOCKING, "@blocking"),
        (DANGEROUS, "@dangerous"),
        (CONNECTION, "@connection"),
        (TRANSACTION, "@transaction"),
        (SCRIPTING, "@scripting"),
    ];
}

/// The command groups of Redis's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Generic,
    String,
    List,
    Set,
    SortedSet,
    Hash,
    Pubsub,
    Transactions,
    Connection,
    Server,
    Scripting,
    Hyperloglog,
    Cluster,
    Geo,
    Stream,
    Bitmap,
}

impl Group {
    /// The name `COMMAND DOCS` prints.
    pub fn name(self) -> &'static str {
        match self {
            Group::Generic => "generic",
            Group::String => "string",
            Group::List => "list",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Hash => "hash",
            Group::Pubsub => "pubsub",
            Group::Transactions => "transactions",
            Group::Connection => "connection",
            Group::Server => "server",
            Group::Scripting => "scripting",
            Group::Hyperloglog => "hyperloglog",
            Group::Cluster => "cluster",
            Group::Geo => "geo",
            Group::Stream => "stream",
            Group::Bitmap => "bitmap",
        }
    }

    /// The ACL category every command of the group belongs to.
    fn acl(self) -> u64 {
        match self {
            Group::Generic => acl::KEYSPACE,
            Group::String => acl::STRING,
            Group::List => acl::LIST,
            Group::Set => acl::SET,
            Group::SortedSet => acl::SORTEDSET,
            Group::Hash => acl::HASH,
            Group::Pubsub => acl::PUBSUB,
            Group::Transactions => acl::TRANSACTION,
            Group::Connection => acl::CONNECTION,
            Group::Scripting => acl::SCRIPTING,
            Group::Hyperloglog => acl::HYPERLOGLOG,
            Group::Geo => acl::GEO,
            Group::Stream => acl::STREAM,
            Group::Bitmap => acl::BITMAP,
            Group::Server | Group::Cluster => 0,
        }
    }
}

/// One command (or subcommand) of the table.
#[derive(Debug)]
pub struct CommandSpec {
    /// Lowercase name; subcommands are `container|sub`.
    pub name: &'static str,
    /// Redis arity: N means exactly N arguments (name included), -N at
    /// least N.
    pub arity: i32,
    /// `flags::*` bits.
    pub flags: u32,
    /// Position of the first key (0 = no keys).
    pub first_key: i32,
    /// Position of the last key (negative counts from the end).
    pub last_key: i32,
    /// Step between keys.
    pub step: i32,
    /// Group for docs and the default ACL category.
    pub group: Group,
    /// ACL categories beyond those derived from flags and group.
    pub extra_acl: u64,
    /// The handler; None for a pure container (CONFIG, CLIENT, ...).
    pub handler: Option<Handler>,
    /// Subcommands of a container.
    pub subcommands: &'static [CommandSpec],
    /// One-line summary for `COMMAND DOCS`.
    pub summary: &'static str,
    /// The Redis version that introduced the command.
    pub since: &'static str,
    /// Command tips (`request_policy:...`, `nondeterministic_output`, ...)
    /// as COMMAND INFO lists them.
    pub tips: &'static [&'static str],
    /// Key finder for commands with movable keys (`MOVABLE_KEYS` flag).
    pub get_keys: Option<GetKeys>,
    /// Whether the group's ACL category applies (SORT is in the generic
    /// group but not in @keyspace).
    pub group_acl: bool,
}

/// Key positions (first, last, step).
pub const fn keys(first: i32, last: i32, step: i32) -> (i32, i32, i32) {
    (first, last, step)
}

/// No keys.
pub const NO_KEYS: (i32, i32, i32) = (0, 0, 0);

/// Builds a table row for a command with a handler.
pub const fn cmd(
    name: &'static str,
    arity: i32,
    flags: u32,
    keys: (i32, i32, i32),
    group: Group,
    handler: Handler,
) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags,
        first_key: keys.0,
        last_key: keys.1,
        step: keys.2,
        group,
        extra_acl: 0,
        handler: Some(handler),
        subcommands: &[],
        summary: "",
        since: "1.0.0",
        tips: &[],
        get_keys: None,
        group_acl: true,
    }
}

/// Builds a container row (CONFIG, CLIENT, OBJECT, ...).
pub const fn container(
    name: &'static str,
    arity: i32,
    group: Group,
    subcommands: &'static [CommandSpec],
) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags: 0,
        first_key: 0,
        last_key: 0,
        step: 0,
        group,
        extra_acl: 0,
        handler: None,
        subcommands,
        summary: "",
        since: "1.0.0",
        tips: &[],
        get_keys: None,
        group_acl: true,
    }
}

impl CommandSpec {
    /// Adds ACL categories (`@dangerous` for KEYS, FLUSHALL, ...).
    pub const fn acl(mut self, extra: u64) -> Self {
        self.extra_acl |= extra;
        self
    }

    /// Leaves out the group's ACL category (SORT: generic, not @keyspace).
    pub const fn without_group_acl(mut self) -> Self {
        self.group_acl = false;
        self
    }

    /// Marks the command's keys as movable and gives the function that
    /// finds them.
    pub const fn movable(mut self, f: GetKeys) -> Self {
        self.get_keys = Some(f);
        self.flags |= flags::MOVABLE_KEYS;
        self
    }

    /// Sets the command tips.
    pub const fn tips(mut self, tips: &'static [&'static str]) -> Self {
        self.tips = tips;
        self
    }

    /// Sets the docs summary and introducing version.
    pub const fn doc(mut self, summary: &'static str, since: &'static str) -> Self {
        self.summary = summary;
        self.since = since;
        self
    }

    /// Whether `argc` arguments (name included) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a > 0 && argc == a as usize) || (a < 0 && argc >= (-a) as usize)
    }

    /// Whether a flag is set.
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// The flag names COMMAND INFO lists.
    pub fn flag_names(&self) -> Vec<&'static str> {
        flags::FLAG_NAMES
            .iter()
            .filter(|(bit, _)| self.flags & bit != 0)
            .map(|&(_, n)| n)
            .collect()
    }

    /// All ACL categories: from flags (write/read/admin/fast/slow/...),
    /// the group, and the row's extras.
    pub fn acl_categories(&self) -> u64 {
        // A pure container (CONFIG, CLIENT, OBJECT, ...) is only @slow.
        if self.handler.is_none() {
            return acl::SLOW;
        }
        let mut c = self.extra_acl;
        if self.group_acl {
            c |= self.group.acl();
        }
        if self.has(flags::WRITE) {
            c |= acl::WRITE;
        }
        if self.has(flags::READONLY) && self.group != Group::Scripting {
            c |= acl::READ;
        }
        if self.has(flags::ADMIN) {
            c |= acl::ADMIN | acl::DANGEROUS;
        }
        if self.has(flags::PUBSUB) {
            c |= acl::PUBSUB;
        }
        if self.has(flags::FAST) {
            c |= acl::FAST;
        }
        if self.has(flags::BLOCKING) {
            c |= acl::BLOCKING;
        }
        if c & acl::FAST == 0 {
            c |= acl::SLOW;
        }
        c
    }

    /// The key argument positions for a full command line: the movable-key
    /// finder when the command has one, else first/last/step. None when a
    /// movable-key command's arguments are invalid.
    pub fn keys_of(&self, argv: &[&[u8]]) -> Option<Vec<usize>> {
        match self.get_keys {
            Some(f) => f(argv),
            None => Some(self.key_positions(argv.len())),
        }
    }

    /// The key argument positions for `argv` (first/last/step semantics).
    pub fn key_positions(&self, argc: usize) -> Vec<usize> {
        if self.first_key <= 0 {
            return Vec::new();
        }
        let first = self.first_key as usize;
        let last = if self.last_key < 0 {
            (argc as i64 + self.last_key as i64) as usize
        } else {
            self.last_key as usize
        };
        let step = self.step.max(1) as usize;
        let mut out = Vec::new();
        let mut i = first;
        while i <= last && i < argc {
            out.push(i);
            i += step;
        }
        out
    }
}
