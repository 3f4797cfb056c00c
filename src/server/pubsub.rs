//! The Pub/Sub registry (channel -> subscribers, patterns, shard channels),
//! each client's own subscription sets, message delivery to subscribers'
//! reply buffers (with the `client-output-buffer-limit pubsub` check at
//! every message), and keyspace notifications (`notify`).
//!
//! Redis counterpart: `pubsub.c` (the registry and delivery) and
//! `notify.c` (`notifyKeyspaceEvent`).

use std::collections::{HashMap, HashSet};

use super::client::{cflags, Client};
use super::Server;
use crate::util::glob::GlobPattern;

type Map<K, V> = HashMap<K, V, ahash::RandomState>;
type Set<K> = HashSet<K, ahash::RandomState>;

/// One subscription of a client: its slab token (to reach it) and its
/// id (to tell it from a later client that reuses the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscriber {
    pub token: usize,
    pub id: u64,
}

/// The kind of a channel subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE / PUBLISH.
    Channel,
    /// SSUBSCRIBE / SPUBLISH.
    Shard,
    /// PSUBSCRIBE.
    Pattern,
}

impl Kind {
    /// The reply header word of a subscribe / unsubscribe of this kind.
    pub fn words(self) -> (&'static [u8], &'static [u8]) {
        match self {
            Kind::Channel => (b"subscribe", b"unsubscribe"),
            Kind::Shard => (b"ssubscribe", b"sunsubscribe"),
            Kind::Pattern => (b"psubscribe", b"punsubscribe"),
        }
    }
}

/// A subscribed pattern with its compiled glob and its subscribers.
struct PatternEntry {
    glob: GlobPattern,
    subs: Vec<Subscriber>,
}

/// Server-wide registry of subscriptions.
#[derive(Default)]
pub struct PubSub {
    /// Channel -> subscribers in subscription order.
    channels: Map<Vec<u8>, Vec<Subscriber>>,
    /// Shard channel -> subscribers.
    shard: Map<Vec<u8>, Vec<Subscriber>>,
    /// Pattern -> compiled glob and subscribers.
    patterns: Map<Vec<u8>, PatternEntry>,
    /// Messages for subscribers that were out of the slab (running a
    /// command further up the stack, e.g. a writer whose push woke a
    /// blocked client) when they were published; delivered, in order, as
    /// soon as the client is back (next delivery or `before_sleep`).
    stash: Vec<(Subscriber, Vec<u8>)>,
    /// Where the running command's reply starts in its client's buffer
    /// (set by `call`): database events a RESP3 client receives about its
    /// own command go there, as they happened before the reply.
    pub reply_mark: usize,
}

/// One client's subscriptions.
#[derive(Default, Debug)]
pub struct ClientSubs {
    pub channels: Set<Vec<u8>>,
    pub patterns: Set<Vec<u8>>,
    pub shard: Set<Vec<u8>>,
}

impl ClientSubs {
    fn set(&mut self, kind: Kind) -> &mut Set<Vec<u8>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Shard => &mut self.shard,
            Kind::Pattern => &mut self.patterns,
        }
    }
}

impl Client {
    /// SUBSCRIBE + PSUBSCRIBE count (what (P)SUBSCRIBE replies show).
    pub fn sub_count(&self) -> usize {
        self.pubsub
            .as_ref()
            .map_or(0, |p| p.channels.len() + p.patterns.len())
    }

    /// SSUBSCRIBE count.
    pub fn ssub_count(&self) -> usize {
        self.pubsub.as_ref().map_or(0, |p| p.shard.len())
    }

    /// Whether the client has any subscription (Redis's `CLIENT_PUBSUB`:
    /// the subscribed context in RESP2, the pubsub output-buffer class).
    #[inline]
    pub fn is_subscriber(&self) -> bool {
        self.pubsub.as_ref().is_some_and(|p| {
            !(p.channels.is_empty() && p.patterns.is_empty() && p.shard.is_empty())
        })
    }

    /// The count shown in a (un)subscribe reply of `kind`.
    fn count_for(&self, kind: Kind) -> usize {
        match kind {
            Kind::Shard => self.ssub_count(),
            _ => self.sub_count(),
        }
    }
}

impl PubSub {
    /// Distinct channels with subscribers (`pubsub_channels`).
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Distinct patterns with subscribers (`pubsub_patterns`, NUMPAT).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Distinct shard channels (`pubsubshard_channels`).
    pub fn shard_count(&self) -> usize {
        self.shard.len()
    }

    /// Subscribers of `channel` (NUMSUB / SHARDNUMSUB).
    pub fn numsub(&self, kind: Kind, channel: &[u8]) -> usize {
        let map = match kind {
            Kind::Shard => &self.shard,
            _ => &self.channels,
        };
        map.get(channel).map_or(0, |v| v.len())
    }

    /// Channel names matching `pattern` (all when None).
    pub fn channel_names(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<&[u8]> {
        let map = match kind {
            Kind::Shard => &self.shard,
            _ => &self.channels,
        };
        let glob = pattern.map(|p| GlobPattern::new(p, false));
        map.keys()
            .filter(|k| glob.as_ref().is_none_or(|g| g.matches(k)))
            .map(|k| k.as_slice())
            .collect()
    }

    fn add(&mut self, kind: Kind, name: &[u8], s: Subscriber) {
        match kind {
            Kind::Channel => self.channels.entry(name.to_vec()).or_default().push(s),
            Kind::Shard => self.shard.entry(name.to_vec()).or_default().push(s),
            Kind::Pattern => self
                .patterns
                .entry(name.to_vec())
                .or_insert_with(|| PatternEntry {
                    glob: GlobPattern::new(name, false),
                    subs: Vec::new(),
                })
                .subs
                .push(s),
        }
    }

    fn remove(&mut self, kind: Kind, name: &[u8], s: Subscriber) {
        fn drop_from(v: &mut Vec<Subscriber>, s: Subscriber) -> bool {
            if let Some(i) = v.iter().position(|x| *x == s) {
                v.remove(i);
            }
            v.is_empty()
        }
        match kind {
            Kind::Channel => {
                if self.channels.get_mut(name).is_some_and(|v| drop_from(v, s)) {
                    self.channels.remove(name);
                }
            }
            Kind::Shard => {
                if self.shard.get_mut(name).is_some_and(|v| drop_from(v, s)) {
                    self.shard.remove(name);
                }
            }
            Kind::Pattern => {
                if self
                    .patterns
                    .get_mut(name)
                    .is_some_and(|e| drop_from(&mut e.subs, s))
                {
                    self.patterns.remove(name);
                }
            }
        }
    }
}

/// Writes a (un)subscribe confirmation: `[word, name|null, count]` as a
/// push (RESP3) or array (RESP2).
fn reply_confirm(c: &mut Client, word: &[u8], name: Option<&[u8]>, count: usize) {
    c.reply.push_len(3);
    c.reply.bulk(word);
    match name {
        Some(n) => c.reply.bulk(n),
        None => c.reply.null(),
    }
    c.reply.int(count as i64);
}

/// Subscribes the client to `name` of `kind` and replies the confirmation.
pub fn subscribe(srv: &mut Server, c: &mut Client, kind: Kind, name: &[u8]) {
    let subs = c.pubsub.get_or_insert_with(Default::default);
    if subs.set(kind).insert(name.to_vec()) {
        let s = Subscriber {
            token: c.token,
            id: c.id,
        };
        srv.pubsub.add(kind, name, s);
    }
    let count = c.count_for(kind);
    reply_confirm(c, kind.words().0, Some(name), count);
}

/// Unsubscribes the client from `name` of `kind`; `notify` replies the
/// confirmation (sent even when the client was not subscribed).
pub fn unsubscribe(srv: &mut Server, c: &mut Client, kind: Kind, name: &[u8], notify: bool) {
    let removed = c.pubsub.as_mut().is_some_and(|p| p.set(kind).remove(name));
    if removed {
        let s = Subscriber {
            token: c.token,
            id: c.id,
        };
        srv.pubsub.remove(kind, name, s);
    }
    if notify {
        let count = c.count_for(kind);
        reply_confirm(c, kind.words().1, Some(name), count);
    }
}

/// Unsubscribes the client from every subscription of `kind`; with
/// `notify`, one confirmation each, or a single one with a null name when
/// there was none.
pub fn unsubscribe_all(srv: &mut Server, c: &mut Client, kind: Kind, notify: bool) {
    let names: Vec<Vec<u8>> = c
        .pubsub
        .as_mut()
        .map(|p| p.set(kind).iter().cloned().collect())
        .unwrap_or_default();
    if names.is_empty() && notify {
        reply_confirm(c, kind.words().1, None, c.count_for(kind));
    }
    for n in names {
        unsubscribe(srv, c, kind, &n, notify);
    }
}

/// Drops every subscription of a client silently (RESET, disconnect).
pub fn forget_client(srv: &mut Server, c: &mut Client) {
    if c.pubsub.is_none() {
        return;
    }
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        unsubscribe_all(srv, c, kind, false);
    }
    c.pubsub = None;
}

/// Encodes a message frame in RESP2 (`*3`/`*4`); RESP3 clients get the
/// same bytes with `>` as first byte.
fn encode(out: &mut Vec<u8>, parts: &[&[u8]]) {
    out.clear();
    out.push(b'*');
    crate::util::numfmt::push_i64(out, parts.len() as i64);
    out.extend_from_slice(b"\r\n");
    for p in parts {
        out.push(b'$');
        crate::util::numfmt::push_i64(out, p.len() as i64);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(p);
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends one message frame to a client's output.
#[inline]
fn push_frame(c: &mut Client, frame: &[u8]) {
    if c.reply.resp3 {
        c.reply.buf.push(b'>');
        c.reply.buf.extend_from_slice(&frame[1..]);
    } else {
        c.reply.buf.extend_from_slice(frame);
    }
}

/// Delivers a frame to subscriber `s`: the client running the command
/// (`cur`, out of the slab) or one in the slab. A client over its output
/// limit is scheduled for closing and its pending output dropped, so a
/// subscriber that never reads cannot grow without bound.
fn deliver(srv: &mut Server, cur: &mut Option<&mut Client>, s: Subscriber, frame: &[u8]) {
    if !srv.pubsub.stash.is_empty() {
        flush_stash(srv, cur);
    }
    if let Some(c) = cur.as_deref_mut() {
        if c.token == s.token {
            push_frame(c, frame);
            return;
        }
    }
    let c = match srv.clients.get_mut(s.token) {
        Some(Some(c)) => c,
        Some(None) => {
            srv.pubsub.stash.push((s, frame.to_vec()));
            return;
        }
        None => return,
    };
    if c.id != s.id || c.has(cflags::CLOSE_ASAP) {
        return;
    }
    push_frame(c, frame);
    if !c.has(cflags::PENDING_WRITE) {
        c.flags |= cflags::PENDING_WRITE;
        srv.pending_writes.push(s.token);
    }
    let limits = srv.config.obuf_limit_pubsub;
    if limits != (0, 0, 0) && super::reactor::obuf_over_limit(limits, c, srv.now_ms) {
        let Some(Some(mut c)) = srv.clients.get_mut(s.token).map(Option::take) else {
            return;
        };
        super::reactor::close_for_obuf_limit(srv, &mut c);
        srv.clients[s.token] = Some(c);
        srv.to_close.push(s.token);
    }
}

/// Delivers the stashed messages whose clients are reachable again.
#[cold]
fn flush_stash(srv: &mut Server, cur: &mut Option<&mut Client>) {
    let stash = std::mem::take(&mut srv.pubsub.stash);
    for (s, frame) in stash {
        deliver(srv, cur, s, &frame);
    }
}

/// Work before the reactor sleeps: publishes the events the databases
/// recorded outside commands (cron's lazy expiries) and delivers stashed
/// messages.
pub fn before_sleep(srv: &mut Server) {
    flush_db_events(srv, None);
    if !srv.pubsub.stash.is_empty() {
        flush_stash(srv, &mut None);
    }
}

/// Publishes `msg` on `channel`: to its subscribers (shard channels for
/// `Kind::Shard`) and, for ordinary channels, to every matching pattern's
/// subscribers. `cur` is the client running the command (out of the
/// slab). Returns the number of receivers.
pub fn publish(
    srv: &mut Server,
    mut cur: Option<&mut Client>,
    kind: Kind,
    channel: &[u8],
    msg: &[u8],
) -> usize {
    let mut receivers = 0;
    let mut frame = Vec::new();
    let map = match kind {
        Kind::Shard => &mut srv.pubsub.shard,
        _ => &mut srv.pubsub.channels,
    };
    if let Some(subs) = map.get_mut(channel).map(std::mem::take) {
        let word: &[u8] = if kind == Kind::Shard {
            b"smessage"
        } else {
            b"message"
        };
        encode(&mut frame, &[word, channel, msg]);
        for &s in &subs {
            deliver(srv, &mut cur, s, &frame);
        }
        receivers += subs.len();
        let map = match kind {
            Kind::Shard => &mut srv.pubsub.shard,
            _ => &mut srv.pubsub.channels,
        };
        if let Some(slot) = map.get_mut(channel) {
            *slot = subs;
        }
    }
    if kind == Kind::Shard || srv.pubsub.patterns.is_empty() {
        return receivers;
    }
    let patterns = std::mem::take(&mut srv.pubsub.patterns);
    for (pat, e) in &patterns {
        if !e.glob.matches(channel) {
            continue;
        }
        encode(&mut frame, &[b"pmessage", pat, channel, msg]);
        for &s in &e.subs {
            deliver(srv, &mut cur, s, &frame);
        }
        receivers += e.subs.len();
    }
    srv.pubsub.patterns = patterns;
    receivers
}

/// Publishes a keyspace notification for `key` in `db` of class `class`
/// (`config::notify::*`) with event name `event`, when the configuration
/// asks for that class: `__keyspace@<db>__:<key>` carries the event,
/// `__keyevent@<db>__:<event>` the key. One flag test when disabled.
#[inline]
pub fn notify(
    srv: &mut Server,
    cur: Option<&mut Client>,
    class: u32,
    event: &str,
    key: &[u8],
    db: usize,
) {
    if srv.config.notify_keyspace_events & class == 0 {
        return;
    }
    notify_slow(srv, cur, None, event, key, db);
}

/// `notify`, with what the running client receives itself placed at its
/// reply offset `at` (where Redis's handler emits the event, before reply
/// bytes this handler had to write first).
pub fn notify_at(
    srv: &mut Server,
    cur: &mut Client,
    at: usize,
    class: u32,
    event: &str,
    key: &[u8],
    db: usize,
) {
    if srv.config.notify_keyspace_events & class == 0 {
        return;
    }
    notify_slow(srv, Some(cur), Some(at), event, key, db);
}

/// Classes the databases record themselves (`Db::events`).
const DB_EVENTS: u32 =
    crate::config::notify::NEW | crate::config::notify::EXPIRED | crate::config::notify::KEY_MISS;

/// Publishes the events the databases recorded (new keys, lazy expiry,
/// key misses), in the order they happened. Called before every other
/// notification and after each command.
#[inline]
pub fn flush_db_events(srv: &mut Server, cur: Option<&mut Client>) {
    if srv.config.notify_keyspace_events & DB_EVENTS != 0 {
        flush_db_events_slow(srv, cur);
    }
}

#[cold]
fn flush_db_events_slow(srv: &mut Server, mut cur: Option<&mut Client>) {
    for db in 0..srv.keyspace.dbs.len() {
        if srv.keyspace.dbs[db].events.is_empty() {
            continue;
        }
        let events = std::mem::take(&mut srv.keyspace.dbs[db].events);
        for (_, event, key) in &events {
            publish_event(srv, cur.as_deref_mut(), event, key, db);
        }
    }
}

#[cold]
fn notify_slow(
    srv: &mut Server,
    mut cur: Option<&mut Client>,
    at: Option<usize>,
    event: &str,
    key: &[u8],
    db: usize,
) {
    // What the running client gets about its own command goes where Redis
    // emits it: database events (lookups, new keys) at the mark (before
    // reply bytes written since the last event), this event at the end or
    // at `at`.
    let before = cur.as_ref().map_or(0, |c| c.reply.buf.len());
    flush_db_events(srv, cur.as_deref_mut());
    if let (Some(c), None) = (cur.as_deref_mut(), at) {
        move_back(c, before, srv.pubsub.reply_mark);
    }
    publish_event(srv, cur.as_deref_mut(), event, key, db);
    if let Some(c) = cur {
        let added = c.reply.buf.len() - before;
        srv.pubsub.reply_mark = match at {
            Some(pos) => {
                move_back(c, before, pos);
                pos + added
            }
            None => c.reply.buf.len(),
        };
    }
}

/// Moves what was appended to a client's output since `before` back to
/// offset `mark` (not yet written), keeping its order.
pub fn move_back(c: &mut Client, before: usize, mark: usize) {
    let added = c.reply.buf.len() - before;
    if added > 0 && mark >= c.reply.sent && mark <= before {
        c.reply.buf[mark..].rotate_right(added);
    }
}

/// Publishes one event on the keyspace and keyevent channels the
/// configuration enables.
fn publish_event(
    srv: &mut Server,
    mut cur: Option<&mut Client>,
    event: &str,
    key: &[u8],
    db: usize,
) {
    use crate::config::notify::{KEYEVENT, KEYSPACE};
    let flags = srv.config.notify_keyspace_events;
    if flags & KEYSPACE != 0 {
        let mut ch = format!("__keyspace@{}__:", db).into_bytes();
        ch.extend_from_slice(key);
        publish(
            srv,
            cur.as_deref_mut(),
            Kind::Channel,
            &ch,
            event.as_bytes(),
        );
    }
    if flags & KEYEVENT != 0 {
        let ch = format!("__keyevent@{}__:{}", db, event).into_bytes();
        publish(srv, cur, Kind::Channel, &ch, key);
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;

    fn push(channel: &str, msg: &str) -> String {
        format!(
            ">3\r\n$7\r\nmessage\r\n${}\r\n{}\r\n${}\r\n{}\r\n",
            channel.len(),
            channel,
            msg.len(),
            msg
        )
    }

    #[test]
    fn own_keyspace_events_in_resp3_sit_where_redis_puts_them() {
        let mut h = Harness::new();
        h.run_str(&["hello", "3"]);
        h.run_str(&["subscribe", "__keyevent@0__:set", "__keyevent@0__:del"]);
        h.run_str(&["subscribe", "__keyevent@0__:expire", "__keyevent@0__:new"]);
        // Disabled: nothing is published.
        assert_eq!(h.run_str(&["set", "k", "v"]), "+OK\r\n");
        h.run_str(&["config", "set", "notify-keyspace-events", "KEA"]);
        // SET notifies before its reply.
        let set = push("__keyevent@0__:set", "k");
        assert_eq!(h.run_str(&["set", "k", "v"]), format!("{}+OK\r\n", set));
        // EXPIRE: a new TTL is notified after the reply, a deletion before.
        let expire = push("__keyevent@0__:expire", "k");
        assert_eq!(
            h.run_str(&["expire", "k", "100"]),
            format!(":1\r\n{}", expire)
        );
        let del = push("__keyevent@0__:del", "k");
        assert_eq!(h.run_str(&["expire", "k", "-1"]), format!("{}:1\r\n", del));
        // `n` is not part of A; with it, a new key's event comes first.
        h.run_str(&["config", "set", "notify-keyspace-events", "KEAn"]);
        let new = push("__keyevent@0__:new", "k2");
        let set2 = push("__keyevent@0__:set", "k2");
        assert_eq!(
            h.run_str(&["set", "k2", "v"]),
            format!("{}{}+OK\r\n", new, set2)
        );
    }

    #[test]
    fn reset_and_unsubscribe_leave_the_registry_empty() {
        let mut h = Harness::new();
        h.run_str(&["subscribe", "a", "b"]);
        h.run_str(&["psubscribe", "p*"]);
        h.run_str(&["ssubscribe", "s"]);
        assert_eq!(h.srv.pubsub.channel_count(), 2);
        assert_eq!(h.srv.pubsub.pattern_count(), 1);
        assert_eq!(h.srv.pubsub.shard_count(), 1);
        assert!(h.client.is_subscriber());
        assert_eq!(h.run_str(&["reset"]), "+RESET\r\n");
        assert_eq!(h.srv.pubsub.channel_count(), 0);
        assert_eq!(h.srv.pubsub.pattern_count(), 0);
        assert_eq!(h.srv.pubsub.shard_count(), 0);
        assert!(!h.client.is_subscriber());
        assert_eq!(h.run_str(&["publish", "a", "x"]), ":0\r\n");
    }
}
