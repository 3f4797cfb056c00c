//! `SkipList`: the ordered half of a big sorted set: elements sorted by
//! (score, member) with per-link spans, so rank lookups, rank-indexed
//! access and range starts are O(log n). Nodes live in an arena (`Vec`)
//! addressed by `u32` indices with a free list; no `unsafe`.
//!
//! Redis counterpart: `zskiplist` in `t_zset.c` (the algorithm of Pugh's
//! skiplist with spans; the code is written independently).

use crate::types::SmallBytes;

/// The maximum number of levels of a node.
const MAX_LEVEL: usize = 32;
/// Index meaning "no node".
pub const NIL: u32 = u32::MAX;
/// Node classes by height: nodes of 1, 2, 3 and 4 or more levels live in
/// separate arenas (as Redis's allocator puts them in separate size
/// classes), so the tall nodes every search passes through at the top
/// levels are packed together: fewer cache lines and pages to touch. A
/// node index carries its class in the top two bits.
const CLASSES: usize = 4;
const CLASS_SHIFT: u32 = 30;
const SLOT_MASK: u32 = (1 << CLASS_SHIFT) - 1;
/// Most nodes an arena holds (`NIL` is never a valid index).
const ARENA_MAX: usize = SLOT_MASK as usize;
/// The header node's index: the first node of the tallest class.
const HEAD: u32 = (CLASSES as u32 - 1) << CLASS_SHIFT;
/// Levels kept inside the node; taller nodes (1 in 256) keep the rest in
/// a box. Inline links keep a search step to one cache line per node,
/// where a boxed level array costs a second miss.
const INLINE_LEVELS: usize = 4;
/// Smallest member-index table.
const MIN_BUCKETS: usize = 4;

#[derive(Clone, Copy, Debug, Default)]
struct Link {
    forward: u32,
    span: u32,
}

/// 80 bytes, with what a search reads of every node it passes, the score
/// and the low levels' links, in the first 40 (`repr(C)`); the member is
/// read only on a score tie. Levels above `INLINE_LEVELS` (one node in 256
/// has any) live in `SkipList::uppers`.
#[derive(Clone, Debug)]
#[repr(C)]
struct Node {
    score: f64,
    /// Levels 0 to `INLINE_LEVELS - 1`, in place.
    links: [Link; INLINE_LEVELS],
    backward: u32,
    /// Next node in the same member-index bucket.
    hnext: u32,
    /// Cached hash of the member.
    hash: u32,
    /// Index of this node's higher levels in `SkipList::uppers`, or NIL.
    upper: u32,
    member: SmallBytes,
}

/// The nodes of one class of height.
#[derive(Clone, Debug, Default)]
struct Arena {
    nodes: Vec<Node>,
    /// Vacant slots (as full node indices).
    free: Vec<u32>,
}

/// A skiplist of (score, member) pairs ordered by score, then member bytes.
#[derive(Clone, Debug)]
pub struct SkipList {
    /// The nodes, by class of height.
    arenas: [Arena; CLASSES],
    /// Links above `INLINE_LEVELS` of the nodes that have them.
    uppers: Vec<Box<[Link]>>,
    /// Vacant entries of `uppers`.
    free_uppers: Vec<u32>,
    /// The member index: chained hash buckets of node indices (a power of
    /// two of them), so a member costs no second copy of its bytes.
    buckets: Vec<u32>,
    hasher: ahash::RandomState,
    tail: u32,
    len: usize,
    level: usize,
    rng: u64,
}

impl Default for SkipList {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether (s1, m1) sorts before (s2, m2).
#[inline]
fn less(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> bool {
    s1 < s2 || (s1 == s2 && m1 < m2)
}

impl SkipList {
    /// An empty skiplist.
    pub fn new() -> Self {
        let head = Node {
            member: SmallBytes::new(b""),
            score: 0.0,
            backward: NIL,
            links: [Link {
                forward: NIL,
                span: 0,
            }; INLINE_LEVELS],
            hnext: NIL,
            hash: 0,
            upper: 0,
        };
        let head_upper = vec![
            Link {
                forward: NIL,
                span: 0
            };
            MAX_LEVEL - INLINE_LEVELS
        ]
        .into_boxed_slice();
        let mut arenas: [Arena; CLASSES] = Default::default();
        arenas[CLASSES - 1].nodes.push(head);
        SkipList {
            arenas,
            uppers: vec![head_upper],
            free_uppers: Vec::new(),
            buckets: vec![NIL; MIN_BUCKETS],
            hasher: ahash::RandomState::new(),
            tail: NIL,
            len: 0,
            level: 1,
            rng: 0x853c_49e6_748f_ea9b,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Heap bytes held (approximate).
    pub fn heap_size(&self) -> usize {
        let mut n = 0;
        for a in &self.arenas {
            n += a.nodes.capacity() * std::mem::size_of::<Node>() + a.free.capacity() * 4;
            n += a.nodes.iter().map(|x| x.member.heap_size()).sum::<usize>();
        }
        n + self.uppers.capacity() * std::mem::size_of::<Box<[Link]>>()
            + self
                .uppers
                .iter()
                .map(|u| u.len() * std::mem::size_of::<Link>())
                .sum::<usize>()
    }

    fn random_level(&mut self) -> usize {
        let mut level = 1;
        loop {
            let r = crate::db::dict::next_random(&mut self.rng);
            // Probability 1/4 of going one level up.
            if level < MAX_LEVEL && (r >> 40) & 3 == 0 {
                level += 1;
            } else {
                return level;
            }
        }
    }

    /// Node `x`.
    #[inline]
    fn n(&self, x: u32) -> &Node {
        &self.arenas[(x >> CLASS_SHIFT) as usize].nodes[(x & SLOT_MASK) as usize]
    }

    /// Node `x`, to change.
    #[inline]
    fn n_mut(&mut self, x: u32) -> &mut Node {
        &mut self.arenas[(x >> CLASS_SHIFT) as usize].nodes[(x & SLOT_MASK) as usize]
    }

    /// Whether node `f` sorts before (`score`, `member`). The member, in
    /// the node's second cache line, is read only when the scores tie.
    #[inline]
    fn before(&self, f: u32, score: f64, member: &[u8]) -> bool {
        let n = self.n(f);
        n.score < score || (n.score == score && n.member.as_slice() < member)
    }

    #[inline]
    fn fwd(&self, x: u32, i: usize) -> u32 {
        self.link(x, i).forward
    }

    /// Level `i` of node `x`.
    #[inline]
    fn link(&self, x: u32, i: usize) -> Link {
        let node = self.n(x);
        if i < INLINE_LEVELS {
            node.links[i]
        } else {
            self.uppers[node.upper as usize][i - INLINE_LEVELS]
        }
    }

    /// Level `i` of node `x`, to change.
    #[inline]
    fn link_mut(&mut self, x: u32, i: usize) -> &mut Link {
        let node = &mut self.arenas[(x >> CLASS_SHIFT) as usize].nodes[(x & SLOT_MASK) as usize];
        if i < INLINE_LEVELS {
            &mut node.links[i]
        } else {
            &mut self.uppers[node.upper as usize][i - INLINE_LEVELS]
        }
    }

    #[inline]
    fn span(&self, x: u32, i: usize) -> u32 {
        self.link(x, i).span
    }

    /// Member and score of node `x`.
    #[inline]
    pub fn node(&self, x: u32) -> (&[u8], f64) {
        let n = self.n(x);
        (n.member.as_slice(), n.score)
    }

    /// Next node in ascending order (or `NIL`).
    #[inline]
    pub fn next(&self, x: u32) -> u32 {
        self.fwd(x, 0)
    }

    /// Previous node in ascending order (or `NIL`).
    #[inline]
    pub fn prev(&self, x: u32) -> u32 {
        self.n(x).backward
    }

    /// Inserts an element that must not already be present.
    pub fn insert(&mut self, score: f64, member: &[u8]) {
        let lvl = self.random_level();
        let node = Node {
            member: SmallBytes::new(member),
            score,
            backward: NIL,
            links: [Link::default(); INLINE_LEVELS],
            upper: self.new_upper(lvl),
            hnext: NIL,
            hash: self.hasher.hash_one(member) as u32,
        };
        let class = (lvl - 1).min(CLASSES - 1);
        let arena = &mut self.arenas[class];
        let n = match arena.free.pop() {
            Some(i) => {
                *self.n_mut(i) = node;
                i
            }
            None => {
                assert!(arena.nodes.len() < ARENA_MAX, "skiplist arena full");
                if arena.nodes.len() == arena.nodes.capacity() {
                    // Grow by an eighth: amortized O(1) with little slack
                    // (doubling would waste up to half of a big arena).
                    let extra = (arena.nodes.len() / 8).max(4);
                    arena.nodes.reserve_exact(extra);
                }
                arena.nodes.push(node);
                ((class as u32) << CLASS_SHIFT) | (arena.nodes.len() - 1) as u32
            }
        };
        self.attach(n, lvl);
        self.index_add(n);
        if self.len > self.buckets.len() {
            self.index_resize(self.buckets.len() * 2);
        }
    }

    /// Storage for the levels above `INLINE_LEVELS` of a node of `lvl`
    /// levels: an index into `uppers`, or NIL when it has none.
    fn new_upper(&mut self, lvl: usize) -> u32 {
        if lvl <= INLINE_LEVELS {
            return NIL;
        }
        let links = vec![Link::default(); lvl - INLINE_LEVELS].into_boxed_slice();
        match self.free_uppers.pop() {
            Some(i) => {
                self.uppers[i as usize] = links;
                i
            }
            None => {
                self.uppers.push(links);
                (self.uppers.len() - 1) as u32
            }
        }
    }

    /// Links node `n` (its score and member set, `lvl` levels) at its
    /// place in the list.
    fn attach(&mut self, n: u32, lvl: usize) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        {
            let node = self.n(n);
            let (member, score) = (node.member.as_slice(), node.score);
            let mut x = HEAD;
            for i in (0..self.level).rev() {
                rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
                loop {
                    let f = self.fwd(x, i);
                    if f == NIL {
                        break;
                    }
                    if !self.before(f, score, member) {
                        break;
                    }
                    rank[i] += self.span(x, i);
                    x = f;
                }
                update[i] = x;
            }
        }
        if lvl > self.level {
            for i in self.level..lvl {
                rank[i] = 0;
                update[i] = HEAD;
                self.link_mut(HEAD, i).span = self.len as u32;
            }
            self.level = lvl;
        }
        for i in 0..lvl {
            let u = update[i] as usize;
            let ulink = self.link(u as u32, i);
            let passed = rank[0] - rank[i];
            *self.link_mut(n, i) = Link {
                forward: ulink.forward,
                span: ulink.span - passed,
            };
            *self.link_mut(u as u32, i) = Link {
                forward: n,
                span: passed + 1,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(lvl) {
            self.link_mut(u, i).span += 1;
        }
        self.n_mut(n).backward = if update[0] == HEAD { NIL } else { update[0] };
        let f = self.fwd(n, 0);
        if f != NIL {
            self.n_mut(f).backward = n;
        } else {
            self.tail = n;
        }
        self.len += 1;
    }

    /// The search path to the element (`score`, `member`): at each level
    /// the last node before it, and the element's node (None when absent).
    fn path_to(&self, score: f64, member: &[u8]) -> ([u32; MAX_LEVEL], Option<u32>) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL {
                    break;
                }
                if !self.before(f, score, member) {
                    break;
                }
                x = f;
            }
            update[i] = x;
        }
        let x = self.fwd(x, 0);
        if x == NIL {
            return (update, None);
        }
        let (xm, xs) = self.node(x);
        (update, (xs == score && xm == member).then_some(x))
    }

    /// Removes an element; returns whether it was present.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        let (update, found) = self.path_to(score, member);
        let Some(x) = found else {
            return false;
        };
        self.unlink(x, &update);
        true
    }

    /// Changes the score of an element from `old` to `new` (Redis's
    /// `zslUpdateScore`): in place when its order does not change, else
    /// its node moves (the node and its index entry are kept). Returns
    /// whether the element was present.
    pub fn update_score(&mut self, old: f64, member: &[u8], new: f64) -> bool {
        let (update, found) = self.path_to(old, member);
        let Some(x) = found else {
            return false;
        };
        let back = self.n(x).backward;
        let next = self.fwd(x, 0);
        let after_back = back == NIL || {
            let (bm, bs) = self.node(back);
            less(bs, bm, new, member)
        };
        let before_next = next == NIL || {
            let (nm, ns) = self.node(next);
            less(new, member, ns, nm)
        };
        if after_back && before_next {
            self.n_mut(x).score = new;
            return true;
        }
        let lvl = self.detach(x, &update);
        self.n_mut(x).score = new;
        self.attach(x, lvl);
        true
    }

    /// Takes node `x` out of the list (`update` is its search path), keeping
    /// the node and its index entry; returns how many levels it had.
    fn detach(&mut self, x: u32, update: &[u32; MAX_LEVEL]) -> usize {
        let mut lvl = 0;
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let u = u as usize;
            if self.link(u as u32, i).forward == x {
                lvl = i + 1;
                let xl = self.link(x, i);
                let ul = self.link_mut(u as u32, i);
                ul.span += xl.span;
                ul.span -= 1;
                ul.forward = xl.forward;
            } else {
                self.link_mut(u as u32, i).span -= 1;
            }
        }
        let f = self.fwd(x, 0);
        let back = self.n(x).backward;
        if f != NIL {
            self.n_mut(f).backward = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.fwd(HEAD, self.level - 1) == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        lvl
    }

    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) {
        self.detach(x, update);
        self.index_del(x);
        if self.buckets.len() > MIN_BUCKETS && self.len * 8 < self.buckets.len() {
            let target = self.len.max(1).next_power_of_two().max(MIN_BUCKETS);
            self.index_resize(target);
        }
        let node = self.n_mut(x);
        node.member = SmallBytes::new(b"");
        let upper = std::mem::replace(&mut node.upper, NIL);
        if upper != NIL {
            self.uppers[upper as usize] = Box::default();
            self.free_uppers.push(upper);
        }
        self.arenas[(x >> CLASS_SHIFT) as usize].free.push(x);
    }

    /// 0-based rank of an element that is present.
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let mut x = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL {
                    break;
                }
                let fs = self.n(f).score;
                if !(fs < score || (fs == score && self.n(f).member.as_slice() <= member)) {
                    break;
                }
                rank += self.span(x, i) as usize;
                x = f;
            }
            if x != HEAD && self.node(x) == (member, score) {
                return Some(rank - 1);
            }
        }
        None
    }

    /// The node at 0-based rank `r` (NIL when out of range).
    pub fn by_rank(&self, r: usize) -> u32 {
        if r >= self.len {
            return NIL;
        }
        let target = r + 1;
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL || traversed + self.span(x, i) as usize > target {
                    break;
                }
                traversed += self.span(x, i) as usize;
                x = f;
            }
            if traversed == target {
                return x;
            }
        }
        NIL
    }

    /// Descends the list skipping every node for which `skip` holds and
    /// returns the 0-based rank of the node reached next (which may be
    /// `len`): for a monotone predicate, the first node not skipped.
    pub fn descend_skip_while(&self, skip: impl Fn(&[u8], f64) -> bool) -> usize {
        let mut x = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL {
                    break;
                }
                let (fm, fs) = self.node(f);
                if !skip(fm, fs) {
                    break;
                }
                rank += self.span(x, i) as usize;
                x = f;
            }
        }
        rank
    }

    /// The node holding `member` (NIL when absent).
    pub fn find(&self, member: &[u8]) -> u32 {
        let h = self.hasher.hash_one(member) as u32;
        let mut x = self.buckets[h as usize & (self.buckets.len() - 1)];
        while x != NIL {
            let n = self.n(x);
            if n.hash == h && n.member.as_slice() == member {
                return x;
            }
            x = n.hnext;
        }
        NIL
    }

    /// The score of `member`, if present.
    pub fn score_of(&self, member: &[u8]) -> Option<f64> {
        let x = self.find(member);
        (x != NIL).then(|| self.n(x).score)
    }

    fn index_add(&mut self, x: u32) {
        let b = self.n(x).hash as usize & (self.buckets.len() - 1);
        self.n_mut(x).hnext = self.buckets[b];
        self.buckets[b] = x;
    }

    fn index_del(&mut self, x: u32) {
        let b = self.n(x).hash as usize & (self.buckets.len() - 1);
        let next = self.n(x).hnext;
        if self.buckets[b] == x {
            self.buckets[b] = next;
            return;
        }
        let mut p = self.buckets[b];
        while p != NIL {
            let pn = self.n(p).hnext;
            if pn == x {
                self.n_mut(p).hnext = next;
                return;
            }
            p = pn;
        }
    }

    /// Rebuilds the member index with `n` buckets (a power of two) from the
    /// cached hashes.
    fn index_resize(&mut self, n: usize) {
        self.buckets = vec![NIL; n];
        let mut x = self.first();
        while x != NIL {
            self.index_add(x);
            x = self.next(x);
        }
    }

    /// Visits the nodes of the index bucket `cursor` points at and returns
    /// the next cursor (0 when done), with SCAN's reverse-binary increment
    /// so that every member present throughout a scan is seen across
    /// index resizes.
    pub fn scan_step(&self, cursor: u64, mut visit: impl FnMut(u32)) -> u64 {
        let mask = (self.buckets.len() - 1) as u64;
        let mut x = self.buckets[(cursor & mask) as usize];
        while x != NIL {
            visit(x);
            x = self.n(x).hnext;
        }
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    /// The first node (or NIL).
    pub fn first(&self) -> u32 {
        self.fwd(HEAD, 0)
    }

    /// The last node (or NIL).
    pub fn last(&self) -> u32 {
        self.tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[derive(PartialEq, PartialOrd, Clone, Debug)]
    struct Key(f64, Vec<u8>);
    impl Eq for Key {}
    #[allow(clippy::derive_ord_xor_partial_ord)]
    impl Ord for Key {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            self.partial_cmp(o).unwrap_or(std::cmp::Ordering::Equal)
        }
    }

    fn check(sl: &SkipList, model: &BTreeSet<Key>) {
        assert_eq!(sl.len(), model.len());
        let mut x = sl.first();
        let mut prev = NIL;
        for (r, k) in model.iter().enumerate() {
            assert_ne!(x, NIL);
            let (m, s) = sl.node(x);
            assert_eq!((s, m), (k.0, &k.1[..]));
            assert_eq!(sl.prev(x), prev);
            assert_eq!(sl.rank(s, m), Some(r));
            assert_eq!(sl.by_rank(r), x);
            assert_eq!(sl.find(m), x);
            prev = x;
            x = sl.next(x);
        }
        assert_eq!(x, NIL);
        assert_eq!(sl.last(), prev);
        assert_eq!(sl.by_rank(model.len()), NIL);
    }

    #[test]
    fn random_operations_match_a_btreeset() {
        let mut sl = SkipList::new();
        let mut model: BTreeSet<Key> = BTreeSet::new();
        let mut rng = 12345u64;
        for step in 0..20000 {
            let r = crate::db::dict::next_random(&mut rng);
            let score = ((r >> 8) % 50) as f64 / 2.0;
            let member = format!("m{}", (r >> 20) % 300).into_bytes();
            let k = Key(score, member.clone());
            let old = model.iter().find(|k| k.1 == member).cloned();
            assert_eq!(sl.score_of(&member), old.as_ref().map(|k| k.0));
            if r.is_multiple_of(3) {
                assert_eq!(sl.remove(score, &member), model.remove(&k));
            } else {
                // Members are unique: an update moves the element (or
                // changes its score in place when its order holds).
                match old {
                    Some(o) if !r.is_multiple_of(5) => {
                        assert!(sl.update_score(o.0, &o.1, score));
                        model.remove(&o);
                    }
                    Some(o) => {
                        assert!(sl.remove(o.0, &o.1));
                        model.remove(&o);
                        sl.insert(score, &member);
                    }
                    None => sl.insert(score, &member),
                }
                model.insert(k);
                if step % 251 == 0 {
                    // An absent element is not updated.
                    assert!(!sl.update_score(-1.0, b"nobody", 3.0));
                }
            }
            if step % 200 == 0 {
                check(&sl, &model);
            }
            if step % 97 == 0 {
                let below = model.iter().filter(|k| k.0 < score).count();
                assert_eq!(sl.descend_skip_while(|_, s| s < score), below);
            }
        }
        check(&sl, &model);
        let all: Vec<Key> = model.iter().cloned().collect();
        for k in all {
            assert!(sl.remove(k.0, &k.1));
        }
        assert!(sl.is_empty());
        assert_eq!(sl.first(), NIL);
        assert_eq!(sl.last(), NIL);
    }

    #[test]
    fn scan_sees_every_stable_member_across_resizes() {
        let mut sl = SkipList::new();
        for i in 0..100 {
            sl.insert(i as f64, format!("keep{}", i).as_bytes());
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0u64;
        let mut step = 0;
        loop {
            cursor = sl.scan_step(cursor, |x| {
                seen.insert(sl.node(x).0.to_vec());
            });
            // Grow, then shrink, the index while the scan runs.
            step += 1;
            if step < 20 {
                for j in 0..50 {
                    sl.insert(0.5, format!("tmp{}-{}", step, j).as_bytes());
                }
            } else if step < 40 {
                for j in 0..50 {
                    sl.remove(0.5, format!("tmp{}-{}", step - 19, j).as_bytes());
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..100 {
            assert!(seen.contains(format!("keep{}", i).as_bytes()), "keep{}", i);
        }
    }
}
