//! `Client`: one connection's state: its socket, query buffer and parser,
//! reply buffer, selected database, name, flags and timestamps.
//!
//! Redis counterpart: `struct client` in `server.h`, `createClient` in
//! `networking.c`.

use std::io::{self, Read, Write};

use mio::net::{TcpStream, UnixStream};

use crate::resp::parser::RequestParser;
use crate::resp::reply::ReplyBuf;

/// The socket of a client.
pub enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
    /// No socket: an in-process client (tests, and later AOF loading).
    Detached,
}

impl Conn {
    /// Reads into `buf`.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
            Conn::Detached => Ok(0),
        }
    }

    /// Writes from `buf`.
    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
            Conn::Detached => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// The raw descriptor (for `CLIENT LIST`'s `fd=`).
    pub fn fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        match self {
            Conn::Tcp(s) => s.as_raw_fd(),
            Conn::Unix(s) => s.as_raw_fd(),
            Conn::Detached => -1,
        }
    }
}

/// What `CLIENT REPLY` set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    SkipNext,
    /// Skipping the reply of the current command.
    Skip,
}

/// Client flag bits (`CLIENT LIST`'s `flags=` letters are derived).
pub mod cflags {
    /// Close after the pending replies are written.
    pub const CLOSE_AFTER_REPLY: u32 = 1 << 0;
    /// Close at the next opportunity, dropping pending output.
    pub const CLOSE_ASAP: u32 = 1 << 1;
    /// A MONITOR client.
    pub const MONITOR: u32 = 1 << 2;
    /// Connected through the unix socket.
    pub const UNIX_SOCKET: u32 = 1 << 3;
    /// Its commands are held by CLIENT PAUSE.
    pub const PAUSED: u32 = 1 << 4;
    /// `CLIENT NO-EVICT on`.
    pub const NO_EVICT: u32 = 1 << 5;
    /// Connected from a loopback address (protected mode, debug local).
    pub const LOCAL: u32 = 1 << 6;
    /// Waiting in the pending-writes list.
    pub const PENDING_WRITE: u32 = 1 << 7;
    /// The master client of a replica (applies the replication stream).
    pub const MASTER: u32 = 1 << 8;
    /// A replica attached with SYNC/PSYNC (replication owns its output).
    pub const REPLICA: u32 = 1 << 9;
}

/// One connected client.
pub struct Client {
    /// Monotonic id (`CLIENT ID`), never reused.
    pub id: u64,
    /// Slab index / mio token, reused after the client is gone.
    pub token: usize,
    /// The socket.
    pub conn: Conn,
    /// Peer address `ip:port` (or `path:0` for unix sockets).
    pub addr: String,
    /// Local address `ip:port`.
    pub laddr: String,
    /// Bytes read but not yet consumed by the parser.
    pub query: Vec<u8>,
    /// Parse position in `query`.
    pub qpos: usize,
    /// Largest query buffer seen recently (`qbuf` stats).
    pub query_peak: usize,
    /// Incremental parser state.
    pub parser: RequestParser,
    /// Pending output and protocol version.
    pub reply: ReplyBuf,
    /// Selected database.
    pub db: usize,
    /// `CLIENT SETNAME` name.
    pub name: Option<Vec<u8>>,
    /// Whether AUTH succeeded (or no password is needed).
    pub authenticated: bool,
    /// `cflags::*` bits.
    pub flags: u32,
    /// Unix ms when the connection was accepted.
    pub created_ms: i64,
    /// Where CLIENT LIST shows it: in the order clients were linked to the
    /// server, as Redis's client list (`2 * id`; a replica's master client
    /// that is resurrected after a partial resync moves to the end).
    pub list_order: u64,
    /// Unix ms of the last command.
    pub last_interaction_ms: i64,
    /// Name of the last command run (`CLIENT LIST`'s `cmd=`).
    pub last_cmd: &'static str,
    /// `CLIENT REPLY` state.
    pub reply_mode: ReplyMode,
    /// When the output buffer first went over the soft limit (unix ms).
    pub obuf_soft_since_ms: i64,
    /// Total bytes read from this client.
    pub net_input_bytes: u64,
    /// Total bytes written to this client.
    pub net_output_bytes: u64,
    /// Set while the client waits on keys (BLPOP and friends).
    pub blocked: Option<Box<crate::db::blocking::BlockedState>>,
    /// A handler's request to block, taken by `call` after the handler.
    pub block_request: Option<crate::db::blocking::BlockRequest>,
    /// The open transaction (MULTI until EXEC/DISCARD).
    pub multi: Option<Box<crate::commands::multi::MultiState>>,
    /// Channels, patterns and shard channels subscribed to (None until
    /// the first SUBSCRIBE).
    pub pubsub: Option<Box<crate::server::pubsub::ClientSubs>>,
    /// Replication offset right after its last propagated write (WAIT).
    pub woff: i64,
}

impl Client {
    /// A new client for an accepted socket.
    pub fn new(
        id: u64,
        token: usize,
        conn: Conn,
        addr: String,
        laddr: String,
        now_ms: i64,
    ) -> Self {
        Client {
            id,
            token,
            conn,
            addr,
            laddr,
            query: Vec::new(),
            qpos: 0,
            query_peak: 0,
            parser: RequestParser::default(),
            reply: ReplyBuf::default(),
            db: 0,
            name: None,
            authenticated: false,
            flags: 0,
            created_ms: now_ms,
            list_order: id.saturating_mul(2),
            last_interaction_ms: now_ms,
            last_cmd: "NULL",
            reply_mode: ReplyMode::On,
            obuf_soft_since_ms: 0,
            net_input_bytes: 0,
            net_output_bytes: 0,
            blocked: None,
            block_request: None,
            multi: None,
            pubsub: None,
            woff: 0,
        }
    }

    /// Whether a flag is set.
    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    /// Protocol version (2 or 3).
    pub fn resp(&self) -> i64 {
        if self.reply.resp3 {
            3
        } else {
            2
        }
    }

    /// Whether the client must be closed now.
    pub fn must_close(&self) -> bool {
        self.has(cflags::CLOSE_ASAP)
            || (self.has(cflags::CLOSE_AFTER_REPLY) && !self.reply.has_pending())
    }

    /// Writes as much pending output as the socket takes. Returns Err on
    /// a fatal socket error.
    pub fn flush(&mut self) -> io::Result<()> {
        while self.reply.has_pending() {
            let start = self.reply.sent;
            match self.conn.write(&self.reply.buf[start..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.net_output_bytes += n as u64;
                    self.reply.consume(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The `flags=` letters of `CLIENT LIST`, in Redis's order; the
    /// tracking letters (`t`, `R`, `B`) and whether a watched key was
    /// touched (`d`) are known to the server's registries, not the client.
    pub fn flag_letters(&self, tracking: &str, dirty_cas: bool) -> String {
        let mut s = String::new();
        if self.has(cflags::MONITOR) {
            s.push('O');
        } else if self.has(cflags::REPLICA) {
            s.push('S');
        }
        if self.has(cflags::MASTER) {
            s.push('M');
        }
        if self.is_subscriber() {
            s.push('P');
        }
        if self.multi.is_some() {
            s.push('x');
        }
        // A client held by CLIENT PAUSE is blocked too, for Redis.
        if self.blocked.is_some() || self.has(cflags::PAUSED) {
            s.push('b');
        }
        s.push_str(tracking);
        if dirty_cas {
            s.push('d');
        }
        if self.has(cflags::CLOSE_AFTER_REPLY) {
            s.push('c');
        }
        if self.has(cflags::CLOSE_ASAP) {
            s.push('A');
        }
        if self.has(cflags::UNIX_SOCKET) {
            s.push('U');
        }
        if self.has(cflags::NO_EVICT) {
            s.push('e');
        }
        if s.is_empty() {
            s.push('N');
        }
        s
    }
}
