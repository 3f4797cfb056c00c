//! `BlockedClients`: clients waiting on keys (BLPOP, BLMOVE, BZPOPMIN,
//! ...). Each key has a FIFO of waiting clients; a write to a key with
//! waiters marks it ready, and after the command (or, later, the whole
//! MULTI/EXEC) that wrote it, the reactor re-runs each waiter's command in
//! FIFO order until the data runs out. Timeouts are kept ordered so the
//! reactor can sleep exactly until the next one.
//!
//! Idle blocked clients cost a map entry per key and nothing per loop.
//!
//! Redis counterpart: `blocked.c` (`blockForKeys`, `signalKeyAsReady`,
//! `handleClientsBlockedOnKeys`, `handleBlockedClientsTimeout`).

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

/// A key in a database.
pub type DbKey = (usize, Vec<u8>);

/// What a blocked client gets when its timeout fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutReply {
    /// `*-1` (RESP2) / `_` (RESP3): BLPOP, BRPOP, BLMPOP, BZPOP*, BZMPOP.
    NullArray,
    /// `$-1` (RESP2) / `_` (RESP3): BLMOVE, BRPOPLPUSH.
    NullBulk,
}

/// The blocking state a client carries while it waits.
#[derive(Debug, Clone)]
pub struct BlockedState {
    /// Database the keys live in.
    pub db: usize,
    /// Keys the client waits on.
    pub keys: Vec<Vec<u8>>,
    /// Unix ms at which it times out; 0 waits forever.
    pub deadline_ms: i64,
    /// The command to re-run when a key is ready.
    pub argv: Vec<Vec<u8>>,
    /// What to reply on timeout.
    pub timeout_reply: TimeoutReply,
}

/// A handler's request to block the calling client.
#[derive(Debug, Clone)]
pub struct BlockRequest {
    pub keys: Vec<Vec<u8>>,
    /// Unix ms deadline; 0 = forever.
    pub deadline_ms: i64,
    pub timeout_reply: TimeoutReply,
}

/// Registry of blocked clients (by token) and ready keys.
#[derive(Debug, Default)]
pub struct BlockedClients {
    /// Waiters per key, in arrival order.
    by_key: HashMap<DbKey, VecDeque<usize>>,
    /// Keys written since the last serve, in signal order.
    ready: Vec<DbKey>,
    ready_set: HashSet<DbKey>,
    /// (deadline, client id, token) for clients with a timeout.
    timeouts: BTreeSet<(i64, u64, usize)>,
    /// Number of blocked clients.
    count: usize,
    /// Clients just unblocked (served, timed out, CLIENT UNBLOCK) whose
    /// pipelined input must run next.
    pub unblocked: Vec<usize>,
    /// Set while ready keys are being served, so serving never nests.
    pub serving: bool,
}

impl BlockedClients {
    /// Number of blocked clients (`INFO clients` `blocked_clients`).
    pub fn count(&self) -> usize {
        self.count
    }

    /// Whether any client waits on any key (a cheap check on every write).
    #[inline]
    pub fn has_waiters(&self) -> bool {
        !self.by_key.is_empty()
    }

    /// Registers a client (by token and id) as waiting on its keys.
    pub fn block(&mut self, token: usize, client_id: u64, state: &BlockedState) {
        for k in &state.keys {
            let q = self.by_key.entry((state.db, k.clone())).or_default();
            if !q.contains(&token) {
                q.push_back(token);
            }
        }
        if state.deadline_ms > 0 {
            self.timeouts.insert((state.deadline_ms, client_id, token));
        }
        self.count += 1;
    }

    /// Removes a client from every key it waited on.
    pub fn unblock(&mut self, token: usize, client_id: u64, state: &BlockedState) {
        for k in &state.keys {
            let dk = (state.db, k.clone());
            if let Some(q) = self.by_key.get_mut(&dk) {
                q.retain(|&t| t != token);
                if q.is_empty() {
                    self.by_key.remove(&dk);
                }
            }
        }
        if state.deadline_ms > 0 {
            self.timeouts.remove(&(state.deadline_ms, client_id, token));
        }
        self.count = self.count.saturating_sub(1);
    }

    /// Marks a key ready if someone waits on it (called on every write).
    #[inline]
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        if self.by_key.is_empty() {
            return;
        }
        let dk = (db, key.to_vec());
        if self.by_key.contains_key(&dk) && self.ready_set.insert(dk.clone()) {
            self.ready.push(dk);
        }
    }

    /// Marks every waited-on key of a database ready (FLUSHDB, SWAPDB...).
    pub fn signal_db(&mut self, db: usize) {
        let keys: Vec<DbKey> = self.by_key.keys().filter(|k| k.0 == db).cloned().collect();
        for dk in keys {
            if self.ready_set.insert(dk.clone()) {
                self.ready.push(dk);
            }
        }
    }

    /// Takes the keys that became ready.
    pub fn take_ready(&mut self) -> Vec<DbKey> {
        self.ready_set.clear();
        std::mem::take(&mut self.ready)
    }

    /// Whether keys are waiting to be served.
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The waiters of a key, in FIFO order (a snapshot).
    pub fn waiters(&self, dk: &DbKey) -> Vec<usize> {
        self.by_key
            .get(dk)
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default()
    }

    /// The earliest timeout, if any.
    pub fn next_deadline(&self) -> Option<i64> {
        self.timeouts.iter().next().map(|t| t.0)
    }

    /// Tokens whose timeout is at or before `now_ms`.
    pub fn expired(&self, now_ms: i64) -> Vec<usize> {
        self.timeouts
            .iter()
            .take_while(|t| t.0 <= now_ms)
            .map(|t| t.2)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(keys: &[&str], deadline: i64) -> BlockedState {
        BlockedState {
            db: 0,
            keys: keys.iter().map(|k| k.as_bytes().to_vec()).collect(),
            deadline_ms: deadline,
            argv: vec![],
            timeout_reply: TimeoutReply::NullArray,
        }
    }

    #[test]
    fn fifo_per_key_and_ready_signals() {
        let mut b = BlockedClients::default();
        let s1 = state(&["a", "b"], 0);
        let s2 = state(&["a"], 500);
        b.block(1, 10, &s1);
        b.block(2, 11, &s2);
        assert_eq!(b.count(), 2);
        assert_eq!(b.waiters(&(0, b"a".to_vec())), vec![1, 2]);
        b.signal(0, b"zzz");
        assert!(!b.has_ready());
        b.signal(0, b"a");
        b.signal(0, b"a");
        assert_eq!(b.take_ready(), vec![(0, b"a".to_vec())]);
        assert_eq!(b.next_deadline(), Some(500));
        assert_eq!(b.expired(499), Vec::<usize>::new());
        assert_eq!(b.expired(500), vec![2]);
        b.unblock(1, 10, &s1);
        b.unblock(2, 11, &s2);
        assert_eq!(b.count(), 0);
        assert!(!b.has_waiters());
        assert_eq!(b.next_deadline(), None);
    }
}
