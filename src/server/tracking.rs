//! Client-side caching: the server-wide tracking state (which clients may
//! cache which keys, the BCAST prefix table, each tracking client's mode)
//! and the delivery of invalidation messages (RESP3 push frames, or
//! `__redis__:invalidate` Pub/Sub messages through a redirect).
//!
//! Default mode: the keys of every read-only command a tracking client runs
//! are remembered (`key -> client ids`, one-shot, keyed by name only, not
//! by database); a write to such a key (`Server::key_modified`), its expiry
//! or eviction sends each remembered client an invalidation and forgets
//! them. FLUSHDB/FLUSHALL send every tracking client a null invalidation.
//! BCAST mode: writes to keys under a subscribed prefix are collected per
//! prefix and sent as one message per prefix before the loop sleeps.
//! Messages for the client running a command are held until after its
//! reply (after the whole EXEC); messages for a client that is taken out of
//! the client table (it is reading or running) are parked until it is in
//! hand again.
//!
//! Redis counterpart: `tracking.c` (and `CLIENT TRACKING`/`CACHING` in
//! `networking.c`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::client::Client;
use super::Server;

/// Per-client tracking flags (Redis's `CLIENT_TRACKING_*`).
pub mod tflags {
    /// BCAST mode.
    pub const BCAST: u32 = 1 << 0;
    /// OPTIN mode.
    pub const OPTIN: u32 = 1 << 1;
    /// OPTOUT mode.
    pub const OPTOUT: u32 = 1 << 2;
    /// `CLIENT CACHING yes|no` was given for the next command.
    pub const CACHING: u32 = 1 << 3;
    /// NOLOOP: no messages about the client's own writes.
    pub const NOLOOP: u32 = 1 << 4;
    /// The redirect client went away.
    pub const BROKEN_REDIR: u32 = 1 << 5;
}

/// The tracking state of one client with tracking on.
#[derive(Debug, Clone, Default)]
pub struct ClientTracking {
    /// `tflags::*` bits.
    pub flags: u32,
    /// Client id invalidations are redirected to (0 = none).
    pub redirect: u64,
    /// Slab token of the redirect client while it is connected.
    redirect_token: Option<usize>,
    /// Slab token of the tracking client itself.
    token: usize,
    /// BCAST prefixes, sorted.
    pub prefixes: BTreeSet<Vec<u8>>,
}

/// Keys written under a BCAST prefix, each with the client that wrote it
/// last (None: expiry, eviction).
type WrittenKeys = BTreeMap<Vec<u8>, Option<u64>>;

/// One BCAST prefix: its subscribers and the keys written under it since
/// the last broadcast (with the client that wrote each last, for NOLOOP).
#[derive(Debug, Default)]
struct Prefix {
    clients: BTreeSet<u64>,
    keys: WrittenKeys,
}

/// A message waiting for a client that is taken out of the client table.
#[derive(Debug)]
enum Parked {
    /// An invalidation for tracking client `id` (its redirect is resolved
    /// when it is in hand).
    Tracking { token: usize, id: u64, value: Value },
    /// An encoded invalidation value for target `id` (already resolved).
    Target {
        token: usize,
        id: u64,
        via_redirect: bool,
        value: Vec<u8>,
    },
}

/// The "value" part of an invalidation message.
#[derive(Debug, Clone)]
enum Value {
    /// One key: `*1 $len key`.
    Key(Vec<u8>),
    /// Already encoded (a BCAST array of keys).
    Proto(Vec<u8>),
    /// Flush: a null in the tracking client's protocol.
    Null,
}

/// Server-wide tracking state.
#[derive(Debug, Default)]
pub struct Tracking {
    /// Key -> ids of the clients that may cache it.
    table: HashMap<Vec<u8>, HashSet<u64>, ahash::RandomState>,
    /// Number of (key, client) pairs in `table`.
    total_items: usize,
    /// BCAST prefixes.
    prefixes: BTreeMap<Vec<u8>, Prefix>,
    /// Whether some prefix has keys to broadcast.
    bcast_pending: bool,
    /// Clients with tracking on, by id.
    clients: HashMap<u64, ClientTracking, ahash::RandomState>,
    /// Id of the client whose command is running (top-level call).
    current: Option<u64>,
    /// Nesting depth of `call` (EXEC runs nested calls).
    depth: usize,
    /// Invalidations for the running client, sent after its reply
    /// (None = flush).
    pending: Vec<Option<Vec<u8>>>,
    /// Messages for clients taken out of the client table.
    parked: Vec<Parked>,
    /// Per database: how many of `Db::lazy_expired` were already handled.
    lazy_seen: Vec<usize>,
    /// Rounds in a row `limit_used_slots` stayed over the limit.
    limit_rounds: usize,
}

impl Tracking {
    /// Whether any key or prefix is tracked (nothing to do otherwise).
    #[inline]
    pub fn active(&self) -> bool {
        !self.table.is_empty() || !self.prefixes.is_empty()
    }

    /// Number of clients with tracking on (`tracking_clients`).
    pub fn clients_count(&self) -> usize {
        self.clients.len()
    }

    /// Number of tracked keys (`tracking_total_keys`).
    pub fn total_keys(&self) -> usize {
        self.table.len()
    }

    /// Number of (key, client) pairs (`tracking_total_items`).
    pub fn total_items(&self) -> usize {
        self.total_items
    }

    /// Number of BCAST prefixes (`tracking_total_prefixes`).
    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }

    /// A client's tracking state (None when tracking is off).
    pub fn state(&self, id: u64) -> Option<&ClientTracking> {
        self.clients.get(&id)
    }

    /// A client's tracking state, mutable.
    pub fn state_mut(&mut self, id: u64) -> Option<&mut ClientTracking> {
        self.clients.get_mut(&id)
    }
}

/// The Pub/Sub message header of an invalidation sent to a RESP2 redirect
/// client.
const RESP2_HEADER: &[u8] = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";
/// The push header of an invalidation (RESP3).
const PUSH_HEADER: &[u8] = b">2\r\n$10\r\ninvalidate\r\n";

/// Whether a RESP2 redirect client receives invalidations as Pub/Sub
/// messages on `__redis__:invalidate`: Redis 7.0 checks its `CLIENT_PUBSUB`
/// flag, i.e. whether it is subscribed to *any* channel or pattern, not
/// specifically to that channel (verified against redis-server 7.0.15).
pub fn redirect_target_listens(_srv: &Server, target: &Client) -> bool {
    target.is_subscriber()
}

/// Enables tracking (or changes its options) for `client`; the options
/// were validated by the caller. Prefixes accumulate over calls, as in
/// Redis; the other flags and the redirect are replaced.
pub fn enable(
    srv: &mut Server,
    client: &Client,
    redirect: u64,
    redirect_token: Option<usize>,
    options: u32,
    prefixes: &[&[u8]],
) {
    let t = &mut srv.tracking;
    let st = t.clients.entry(client.id).or_default();
    st.flags &= tflags::CACHING;
    st.flags |= options & (tflags::BCAST | tflags::OPTIN | tflags::OPTOUT | tflags::NOLOOP);
    st.redirect = redirect;
    st.redirect_token = redirect_token;
    st.token = client.token;
    if options & tflags::BCAST != 0 {
        let mut add: Vec<Vec<u8>> = prefixes.iter().map(|p| p.to_vec()).collect();
        if add.is_empty() {
            add.push(Vec::new());
        }
        for p in add {
            st.prefixes.insert(p.clone());
            t.prefixes.entry(p).or_default().clients.insert(client.id);
        }
    }
}

/// Disables tracking for a client (CLIENT TRACKING off, RESET,
/// disconnect). The keys it read stay in the table (Redis does no id
/// clean-up); they are skipped when invalidated.
pub fn disable(srv: &mut Server, id: u64) {
    let t = &mut srv.tracking;
    let Some(st) = t.clients.remove(&id) else {
        return;
    };
    for p in st.prefixes {
        if let Some(pref) = t.prefixes.get_mut(&p) {
            pref.clients.remove(&id);
            if pref.clients.is_empty() {
                t.prefixes.remove(&p);
            }
        }
    }
}

/// A client disconnected: tracking off for it, and clients redirecting to
/// it now have a broken redirect.
pub fn client_freed(srv: &mut Server, id: u64) {
    disable(srv, id);
    let t = &mut srv.tracking;
    for st in t.clients.values_mut() {
        if st.redirect == id {
            st.redirect_token = None;
        }
    }
    t.parked.retain(|p| match p {
        Parked::Tracking { id: i, .. } | Parked::Target { id: i, .. } => *i != id,
    });
}

/// Finds a connected client by id: its slab token (the running client,
/// `in_hand`, included).
pub fn find_token(srv: &Server, in_hand: &Client, id: u64) -> Option<usize> {
    if in_hand.id == id {
        return Some(in_hand.token);
    }
    srv.clients
        .iter()
        .find(|(_, c)| c.as_ref().is_some_and(|c| c.id == id))
        .map(|(t, _)| t)
}

/// Encodes an invalidation value for a tracking client speaking `resp3`.
fn encode(value: &Value, resp3: bool) -> Vec<u8> {
    match value {
        Value::Key(k) => {
            let mut v = Vec::with_capacity(k.len() + 16);
            v.extend_from_slice(b"*1\r\n$");
            v.extend_from_slice(k.len().to_string().as_bytes());
            v.extend_from_slice(b"\r\n");
            v.extend_from_slice(k);
            v.extend_from_slice(b"\r\n");
            v
        }
        Value::Proto(p) => p.clone(),
        Value::Null if resp3 => b"_\r\n".to_vec(),
        Value::Null => b"$-1\r\n".to_vec(),
    }
}

/// Appends an invalidation to its final recipient: a push frame in RESP3,
/// a Pub/Sub message for a listening RESP2 redirect client, else nothing.
fn deliver(srv: &mut Server, target: &mut Client, via_redirect: bool, value: &[u8]) {
    if target.reply.resp3 {
        target.reply.raw(PUSH_HEADER);
    } else if via_redirect && redirect_target_listens(srv, target) {
        target.reply.raw(RESP2_HEADER);
    } else {
        return;
    }
    target.reply.raw(value);
    srv.queue_write(target);
    // A client that does not read its invalidations is disconnected by the
    // output buffer limits, as after any reply.
    if srv.config.obuf_limit_normal != (0, 0, 0) {
        super::reactor::check_output_limits(srv, target);
        if target.has(super::client::cflags::CLOSE_ASAP) {
            srv.to_close.push(target.token);
        }
    }
}

/// Runs `f` on the client `(token, id)`: the one in hand, or one in the
/// client table. Returns false when it is taken out (or gone).
fn with_client(
    srv: &mut Server,
    in_hand: Option<&mut Client>,
    token: usize,
    id: u64,
    f: impl FnOnce(&mut Server, &mut Client),
) -> bool {
    if let Some(c) = in_hand {
        if c.id == id {
            f(srv, c);
            return true;
        }
    }
    let taken = match srv.clients.get_mut(token) {
        Some(slot) if slot.as_ref().is_some_and(|c| c.id == id) => slot.take(),
        _ => None,
    };
    let Some(mut c) = taken else {
        return false;
    };
    f(srv, &mut c);
    srv.clients[token] = Some(c);
    true
}

/// Sends an invalidation to tracking client `id` (Redis's
/// `sendTrackingMessage`): through its redirect when it has one (or a
/// `tracking-redir-broken` push when the redirect client is gone).
fn send(srv: &mut Server, mut in_hand: Option<&mut Client>, id: u64, value: Value) {
    let st = srv.tracking.clients.get(&id).cloned();
    let token = match (&st, in_hand.as_deref()) {
        (Some(st), _) => st.token,
        (None, Some(c)) if c.id == id => c.token,
        _ => return,
    };
    let (redirect, redirect_token) = st
        .as_ref()
        .map_or((0, None), |s| (s.redirect, s.redirect_token));
    // Step 1, on the tracking client: its protocol (for a flush null) and
    // the broken-redirect notice.
    let mut resolved: Option<(bool, Vec<u8>)> = None;
    let reached = with_client(srv, in_hand.as_deref_mut(), token, id, |srv, c| {
        let bytes = encode(&value, c.reply.resp3);
        if redirect == 0 {
            deliver(srv, c, false, &bytes);
            return;
        }
        if redirect_token.is_none() {
            if let Some(st) = srv.tracking.clients.get_mut(&id) {
                st.flags |= tflags::BROKEN_REDIR;
            }
            if c.reply.resp3 {
                c.reply.raw(b">2\r\n$21\r\ntracking-redir-broken\r\n");
                c.reply.int(redirect as i64);
                srv.queue_write(c);
            }
            return;
        }
        resolved = Some((true, bytes));
    });
    if !reached {
        srv.tracking
            .parked
            .push(Parked::Tracking { token, id, value });
        return;
    }
    // Step 2, on the redirect client.
    let (Some((via, bytes)), Some(rtoken)) = (resolved, redirect_token) else {
        return;
    };
    let bytes_for_park = bytes.clone();
    let reached = with_client(srv, in_hand, rtoken, redirect, |srv, target| {
        deliver(srv, target, via, &bytes)
    });
    if !reached {
        srv.tracking.parked.push(Parked::Target {
            token: rtoken,
            id: redirect,
            via_redirect: via,
            value: bytes_for_park,
        });
    }
}

/// Sends `value` to tracking client `id`, or holds it until after the
/// reply when `id` is the client running a command.
fn notify(srv: &mut Server, id: u64, value: Value) {
    let t = &mut srv.tracking;
    if t.depth > 0 && t.current == Some(id) {
        t.pending.push(match value {
            Value::Key(k) => Some(k),
            _ => None,
        });
        return;
    }
    send(srv, None, id, value);
}

/// A key was modified (written, expired, evicted): invalidates it for the
/// clients that read it, and records it for BCAST subscribers. `writer` is
/// the client that wrote it (None for expiry/eviction), for BCAST NOLOOP.
pub fn invalidate_key(srv: &mut Server, key: &[u8], writer: Option<u64>) {
    if !srv.tracking.active() {
        return;
    }
    let t = &mut srv.tracking;
    if !t.prefixes.is_empty() {
        for (p, pref) in t.prefixes.iter_mut() {
            if key.starts_with(p) {
                pref.keys.insert(key.to_vec(), writer);
                t.bcast_pending = true;
            }
        }
    }
    let Some(ids) = t.table.remove(key) else {
        return;
    };
    t.total_items -= ids.len();
    let mut ids: Vec<u64> = ids.into_iter().collect();
    ids.sort_unstable();
    let current = t.current;
    for id in ids {
        let Some(st) = srv.tracking.clients.get(&id) else {
            continue;
        };
        if st.flags & tflags::BCAST != 0 {
            continue;
        }
        if st.flags & tflags::NOLOOP != 0 && current == Some(id) {
            continue;
        }
        notify(srv, id, Value::Key(key.to_vec()));
    }
}

/// A key was written by the running command (`Server::key_modified`).
pub fn key_modified(srv: &mut Server, key: &[u8]) {
    if !srv.tracking.active() {
        return;
    }
    lazy_expired(srv);
    let writer = srv.tracking.current;
    invalidate_key(srv, key, writer);
}

/// Handles the keys the databases expired lazily since the last call
/// (before propagation drains `Db::lazy_expired`, and before a write so
/// the messages keep Redis's order).
pub fn lazy_expired(srv: &mut Server) {
    if !srv.tracking.active() {
        return;
    }
    let ndb = srv.keyspace.dbs.len();
    if srv.tracking.lazy_seen.len() != ndb {
        srv.tracking.lazy_seen.resize(ndb, 0);
    }
    for db in 0..ndb {
        let len = srv.keyspace.dbs[db].lazy_expired.len();
        let seen = srv.tracking.lazy_seen[db].min(len);
        if seen == len {
            srv.tracking.lazy_seen[db] = len;
            continue;
        }
        let keys: Vec<Vec<u8>> = srv.keyspace.dbs[db].lazy_expired[seen..].to_vec();
        srv.tracking.lazy_seen[db] = len;
        for k in keys {
            invalidate_key(srv, &k, None);
        }
    }
}

/// Propagation drained `Db::lazy_expired` (after `lazy_expired`).
pub fn lazy_drained(srv: &mut Server) {
    for s in srv.tracking.lazy_seen.iter_mut() {
        *s = 0;
    }
}

/// FLUSHDB/FLUSHALL/DEBUG RELOAD: every tracking client gets a null
/// invalidation, and the table is emptied.
pub fn invalidate_all(srv: &mut Server) {
    let mut ids: Vec<u64> = srv.tracking.clients.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        notify(srv, id, Value::Null);
    }
    srv.tracking.table.clear();
    srv.tracking.total_items = 0;
}

/// Called by `commands::call` before the handler: the top-level call makes
/// `client` the running client, and messages parked for it go out first.
pub fn before_call(srv: &mut Server, client: &mut Client) {
    if srv.tracking.depth == 0 {
        srv.tracking.current = Some(client.id);
        if !srv.tracking.parked.is_empty() {
            flush_parked(srv, client);
        }
    }
    srv.tracking.depth += 1;
}

/// Called by `commands::call` after the handler and its reply: remembers
/// the keys of a read-only command for a tracking client, and at the top
/// level sends what was held for the running client.
pub fn after_call(
    srv: &mut Server,
    client: &mut Client,
    spec: &crate::commands::CommandSpec,
    argv: &[&[u8]],
    reply_start: usize,
) {
    if !srv.tracking.parked.is_empty() {
        // Messages for this client as a redirect target, produced while it
        // ran: Redis appends them at once, i.e. before the reply (of this
        // command inside EXEC).
        let before = client.reply.buf.len();
        flush_parked(srv, client);
        let added = client.reply.buf.len() - before;
        if added > 0 && reply_start >= client.reply.sent && reply_start <= before {
            client.reply.buf[reply_start..].rotate_right(added);
        }
    }
    let tracking_on = !srv.tracking.clients.is_empty();
    if tracking_on && spec.has(crate::commands::flags::READONLY) {
        if let Some(st) = srv.tracking.clients.get(&client.id) {
            remember_keys(srv, client.id, st.flags, spec, argv);
        }
    }
    srv.tracking.depth = srv.tracking.depth.saturating_sub(1);
    if srv.tracking.depth > 0 {
        return;
    }
    if !tracking_on && srv.tracking.pending.is_empty() {
        srv.tracking.current = None;
        return;
    }
    let pending = std::mem::take(&mut srv.tracking.pending);
    let id = client.id;
    for p in pending {
        let value = match p {
            Some(k) => Value::Key(k),
            None => Value::Null,
        };
        send(srv, Some(client), id, value);
    }
    srv.tracking.current = None;
    if client.multi.is_none() && !spec.name.starts_with("client|") {
        clear_caching(srv, client.id);
    }
}

/// A command was rejected before running: `CLIENT CACHING` applies to the
/// next command only, whatever becomes of it (not while queueing a
/// transaction, and not for other CLIENT subcommands).
pub fn after_reject(srv: &mut Server, client: &mut Client, spec_name: Option<&str>) {
    if !srv.tracking.parked.is_empty() {
        flush_parked(srv, client);
    }
    if client.multi.is_none() && !spec_name.is_some_and(|n| n.starts_with("client|")) {
        clear_caching(srv, client.id);
    }
}

fn clear_caching(srv: &mut Server, id: u64) {
    if let Some(st) = srv.tracking.clients.get_mut(&id) {
        st.flags &= !tflags::CACHING;
    }
}

/// Remembers the keys of a read-only command (Redis's
/// `trackingRememberKeys`), unless BCAST or OPTIN/OPTOUT says not to.
fn remember_keys(
    srv: &mut Server,
    id: u64,
    flags: u32,
    spec: &crate::commands::CommandSpec,
    argv: &[&[u8]],
) {
    if flags & tflags::BCAST != 0 {
        return;
    }
    let caching = flags & tflags::CACHING != 0;
    if (flags & tflags::OPTIN != 0 && !caching) || (flags & tflags::OPTOUT != 0 && caching) {
        return;
    }
    let Some(positions) = spec.keys_of(argv) else {
        return;
    };
    let t = &mut srv.tracking;
    for i in positions {
        let Some(key) = argv.get(i) else {
            continue;
        };
        let ids = match t.table.get_mut(*key) {
            Some(ids) => ids,
            None => t.table.entry(key.to_vec()).or_default(),
        };
        if ids.insert(id) {
            t.total_items += 1;
        }
    }
}

/// Sends the messages parked for `client`, now in hand.
fn flush_parked(srv: &mut Server, client: &mut Client) {
    let parked = std::mem::take(&mut srv.tracking.parked);
    let mut keep = Vec::new();
    for p in parked {
        match p {
            Parked::Tracking { id, value, .. } if id == client.id => {
                send(srv, Some(client), id, value)
            }
            Parked::Target {
                id,
                via_redirect,
                value,
                ..
            } if id == client.id => deliver(srv, client, via_redirect, &value),
            other => keep.push(other),
        }
    }
    keep.append(&mut srv.tracking.parked);
    srv.tracking.parked = keep;
}

/// Work before the event loop sleeps: keep the table under
/// `tracking-table-max-keys`, broadcast the BCAST invalidations, and hand
/// parked messages to their clients (all back in the table now).
pub fn before_sleep(srv: &mut Server) {
    if !srv.tracking.clients.is_empty() {
        limit_used_slots(srv);
    }
    if srv.tracking.bcast_pending {
        broadcast(srv);
    }
    if !srv.tracking.parked.is_empty() {
        let parked = std::mem::take(&mut srv.tracking.parked);
        for p in parked {
            let (token, id) = match &p {
                Parked::Tracking { token, id, .. } | Parked::Target { token, id, .. } => {
                    (*token, *id)
                }
            };
            let Some(slot) = srv.clients.get_mut(token) else {
                continue;
            };
            let Some(mut c) = slot.take_if(|c| c.id == id) else {
                continue;
            };
            match p {
                Parked::Tracking { value, .. } => send(srv, Some(&mut c), id, value),
                Parked::Target {
                    via_redirect,
                    value,
                    ..
                } => deliver(srv, &mut c, via_redirect, &value),
            }
            srv.clients[token] = Some(c);
        }
        // Whatever could not be delivered now has nobody to go to.
        srv.tracking.parked.clear();
    }
}

/// Evicts keys from the tracking table while it holds more than
/// `tracking-table-max-keys`, invalidating them (the effort grows each
/// round the table stays over the limit, as in Redis).
fn limit_used_slots(srv: &mut Server) {
    if srv.tracking.table.is_empty() {
        srv.tracking.limit_rounds = 0;
        return;
    }
    let max = srv.config.get_i64("tracking-table-max-keys").max(0) as usize;
    if max == 0 || srv.tracking.table.len() <= max {
        srv.tracking.limit_rounds = 0;
        return;
    }
    let effort = 100 * (srv.tracking.limit_rounds + 1);
    let over = srv.tracking.table.len() - max;
    let victims: Vec<Vec<u8>> = srv
        .tracking
        .table
        .keys()
        .take(over.min(effort))
        .cloned()
        .collect();
    for k in victims {
        invalidate_key(srv, &k, None);
    }
    if srv.tracking.table.len() <= max {
        srv.tracking.limit_rounds = 0;
    } else {
        srv.tracking.limit_rounds += 1;
    }
}

/// Encodes a BCAST array of keys, leaving out those `skip` wrote last
/// (NOLOOP); None when nothing is left.
fn bcast_proto(keys: &WrittenKeys, skip: Option<u64>) -> Option<Vec<u8>> {
    let n = keys
        .values()
        .filter(|w| skip.is_none() || **w != skip)
        .count();
    if n == 0 {
        return None;
    }
    let mut out = format!("*{}\r\n", n).into_bytes();
    for (k, w) in keys {
        if skip.is_some() && *w == skip {
            continue;
        }
        out.extend_from_slice(format!("${}\r\n", k.len()).as_bytes());
        out.extend_from_slice(k);
        out.extend_from_slice(b"\r\n");
    }
    Some(out)
}

/// Sends every prefix's collected keys to its subscribers, one message per
/// prefix (Redis's `trackingBroadcastInvalidationMessages`).
fn broadcast(srv: &mut Server) {
    srv.tracking.bcast_pending = false;
    let mut batches: Vec<(Vec<u64>, WrittenKeys)> = Vec::new();
    for pref in srv.tracking.prefixes.values_mut() {
        if pref.keys.is_empty() {
            continue;
        }
        let keys = std::mem::take(&mut pref.keys);
        batches.push((pref.clients.iter().copied().collect(), keys));
    }
    for (clients, keys) in batches {
        let Some(common) = bcast_proto(&keys, None) else {
            continue;
        };
        for id in clients {
            let noloop = srv
                .tracking
                .clients
                .get(&id)
                .is_some_and(|s| s.flags & tflags::NOLOOP != 0);
            let proto = if noloop {
                match bcast_proto(&keys, Some(id)) {
                    Some(p) => p,
                    None => continue,
                }
            } else {
                common.clone()
            };
            send(srv, None, id, Value::Proto(proto));
        }
    }
}
