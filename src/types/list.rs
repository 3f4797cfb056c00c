//! `List`: a Redis list (LPUSH, LRANGE, ...), stored as Redis 7.0's
//! quicklist: a deque of packed nodes, each a compact byte buffer of
//! entries bounded by `list-max-listpack-size` (negative: 4/8/16/32/64 KB
//! per node, positive: entries per node within an 8 KB safety limit).
//! Push and pop at both ends are O(1) in the list's length; index access
//! walks node lengths from the nearer end, then entries inside one node.
//!
//! A node entry is `header | data | back-length`: the header is a LEB128
//! varint, `len << 1` for a byte string or `zigzag(v) << 1 | 1` for an
//! element that is the canonical decimal form of an integer (stored as the
//! integer, like listpack's integer encodings); the back-length is the
//! size of header + data as a LEB128 varint stored byte-reversed, so the
//! node can be walked backwards (RPOP, LPOS with a negative rank). A
//! 5-byte string costs 7 bytes, a small integer 2.
//!
//! Redis 7.0 reports `quicklist` for every list (the `listpack` list
//! encoding arrived in 7.2), and so does this type.
//!
//! `list-compress-depth` N keeps N nodes at each end plain and stores the
//! nodes between them LZF-compressed, as Redis does: a node is compressed
//! when it is at least 48 bytes and LZF saves at least 8 of them; a node
//! that did not compress is not tried again until it changes. Readers
//! expand a compressed node into a temporary buffer (hence the
//! `for_each_*` visitors instead of borrowing iterators); writers expand
//! it in place and compress it again afterwards.
//!
//! Pure data structure and algorithms: no client, no reply, no clock.
//!
//! Redis counterpart: `quicklist.c` and the list half of `listpack.c`
//! (the ideas, not the byte layout); `t_list.c`'s `listType*` helpers.

use std::collections::VecDeque;

use crate::util::numfmt::{i64_str, parse_i64};
use crate::util::sha1::{mix_digest, Digest};

/// Node byte limits for `list-max-listpack-size` -1 .. -5.
const SIZE_LIMITS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Byte limit of a node when the fill is an entry count.
const SAFETY_LIMIT: usize = 8192;
/// Integers whose zigzag form is below this are stored as integers.
const INT_LIMIT: u64 = 1 << 62;
/// Nodes smaller than this are never compressed (Redis's
/// `MIN_COMPRESS_BYTES`).
const MIN_COMPRESS_BYTES: usize = 48;
/// Compression must save at least this many bytes to be kept (Redis's
/// `MIN_COMPRESS_IMPROVE`).
const MIN_COMPRESS_IMPROVE: usize = 8;
/// `Node::packed_len` of a plain node that is not worth compressing until
/// it changes.
const INCOMPRESSIBLE: u32 = u32::MAX;

/// How a list lays out its nodes: `list-max-listpack-size` (`fill`) and
/// `list-compress-depth` (`depth`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Entries per node (positive) or node byte limit (-1 .. -5).
    pub fill: i64,
    /// Plain nodes kept at each end; 0 compresses nothing.
    pub depth: usize,
}

impl From<i64> for Shape {
    /// A shape without compression.
    fn from(fill: i64) -> Self {
        Shape { fill, depth: 0 }
    }
}

/// Which end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The head (LEFT, index 0).
    Head,
    /// The tail (RIGHT, index -1).
    Tail,
}

/// One element as stored: bytes, or an integer standing for its decimal
/// form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem<'a> {
    /// A byte string.
    Bytes(&'a [u8]),
    /// The canonical decimal form of this integer.
    Int(i64),
}

impl<'a> Elem<'a> {
    /// The element a client's bytes become: an integer when the bytes are
    /// its canonical decimal form.
    pub fn from_bytes(b: &'a [u8]) -> Self {
        if b.len() <= 20 {
            if let Some(v) = parse_i64(b) {
                if zigzag(v) < INT_LIMIT {
                    return Elem::Int(v);
                }
            }
        }
        Elem::Bytes(b)
    }

    /// Runs `f` on the element's bytes (integers formatted on the stack).
    #[inline]
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Elem::Bytes(b) => f(b),
            Elem::Int(v) => {
                let mut buf = [0u8; 20];
                f(i64_str(v, &mut buf))
            }
        }
    }

    /// An owned copy.
    pub fn to_owned(self) -> OwnedElem {
        match self {
            Elem::Bytes(b) => OwnedElem::Bytes(b.to_vec()),
            Elem::Int(v) => OwnedElem::Int(v),
        }
    }

    /// Header varint value and data length.
    #[inline]
    fn header(self) -> (u64, usize) {
        match self {
            Elem::Bytes(b) => ((b.len() as u64) << 1, b.len()),
            Elem::Int(v) => ((zigzag(v) << 1) | 1, 0),
        }
    }

    /// Encoded size in a node.
    #[inline]
    fn enc_len(self) -> usize {
        let (h, dl) = self.header();
        let body = varint_len(h) + dl;
        body + varint_len(body as u64)
    }
}

/// An element taken out of a list (LMOVE, tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnedElem {
    /// A byte string.
    Bytes(Vec<u8>),
    /// The canonical decimal form of this integer.
    Int(i64),
}

impl OwnedElem {
    /// A borrowed view.
    pub fn as_elem(&self) -> Elem<'_> {
        match self {
            OwnedElem::Bytes(b) => Elem::Bytes(b),
            OwnedElem::Int(v) => Elem::Int(*v),
        }
    }

    /// The element's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            OwnedElem::Bytes(b) => b,
            OwnedElem::Int(v) => i64_str(v, &mut [0u8; 20]).to_vec(),
        }
    }
}

/// A value searched for (LREM, LPOS, LINSERT's pivot), with its integer
/// form precomputed.
#[derive(Clone, Copy, Debug)]
pub struct Needle<'a> {
    bytes: &'a [u8],
    int: Option<i64>,
}

impl<'a> Needle<'a> {
    /// A needle for `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        let int = match Elem::from_bytes(bytes) {
            Elem::Int(v) => Some(v),
            Elem::Bytes(_) => None,
        };
        Needle { bytes, int }
    }

    /// Whether an element equals the needle.
    #[inline]
    pub fn matches(&self, e: Elem<'_>) -> bool {
        match e {
            Elem::Bytes(b) => b == self.bytes,
            Elem::Int(v) => self.int == Some(v),
        }
    }
}

#[inline]
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[inline]
fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

#[inline]
fn varint_len(mut n: u64) -> usize {
    let mut l = 1;
    while n >= 0x80 {
        n >>= 7;
        l += 1;
    }
    l
}

/// Writes an entry into `out`, which is exactly `e.enc_len()` bytes.
fn write_entry(out: &mut [u8], e: Elem<'_>) {
    let (mut h, dl) = e.header();
    let mut i = 0;
    while h >= 0x80 {
        out[i] = (h as u8 & 0x7F) | 0x80;
        h >>= 7;
        i += 1;
    }
    out[i] = h as u8;
    i += 1;
    if let Elem::Bytes(b) = e {
        out[i..i + dl].copy_from_slice(b);
        i += dl;
    }
    // Back-length, byte-reversed: its first LEB128 byte sits last.
    let mut body = i as u64;
    let mut j = out.len();
    while body >= 0x80 {
        j -= 1;
        out[j] = (body as u8 & 0x7F) | 0x80;
        body >>= 7;
    }
    j -= 1;
    out[j] = body as u8;
    debug_assert_eq!(j, i);
}

/// Decodes the entry starting at `pos`: the element and the offset after
/// it.
#[inline]
fn read_entry(buf: &[u8], pos: usize) -> (Elem<'_>, usize) {
    let mut h = 0u64;
    let mut shift = 0;
    let mut i = pos;
    loop {
        let b = buf[i];
        h |= ((b & 0x7F) as u64) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let (e, end) = if h & 1 == 1 {
        (Elem::Int(unzigzag(h >> 1)), i)
    } else {
        let n = (h >> 1) as usize;
        (Elem::Bytes(&buf[i..i + n]), i + n)
    };
    // Skip the back-length (its size follows from the body's).
    (e, end + varint_len((end - pos) as u64))
}

/// Start offset of the entry that ends at `end`.
#[inline]
fn entry_start_before(buf: &[u8], end: usize) -> usize {
    let mut body = 0usize;
    let mut shift = 0;
    let mut j = end;
    loop {
        j -= 1;
        let b = buf[j];
        body |= ((b & 0x7F) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    j - body
}

/// One quicklist node: packed entries, possibly LZF-compressed.
#[derive(Clone, Debug, Default)]
struct Node {
    /// The entries, or their LZF form when `packed_len` is a length.
    buf: Vec<u8>,
    count: u32,
    /// 0: plain. `INCOMPRESSIBLE`: plain, and compression did not pay the
    /// last time. Otherwise: compressed, and this is the plain length.
    packed_len: u32,
}

/// Offset of entry `i` of the plain entries `buf` holding `n` entries
/// (`i == n` gives the end), walking from the nearer end.
fn offset_in(buf: &[u8], n: usize, i: usize) -> usize {
    if i <= n / 2 {
        let mut pos = 0;
        for _ in 0..i {
            pos = read_entry(buf, pos).1;
        }
        pos
    } else {
        let mut pos = buf.len();
        for _ in i..n {
            pos = entry_start_before(buf, pos);
        }
        pos
    }
}

impl Node {
    fn with_capacity(n: usize) -> Self {
        Node {
            buf: Vec::with_capacity(n),
            count: 0,
            packed_len: 0,
        }
    }

    /// Whether the entries are stored compressed.
    #[inline]
    fn is_packed(&self) -> bool {
        self.packed_len != 0 && self.packed_len != INCOMPRESSIBLE
    }

    /// The plain entries: borrowed, or expanded from the LZF form.
    fn plain(&self) -> std::borrow::Cow<'_, [u8]> {
        if self.is_packed() {
            // Our own compressor wrote it: it always expands.
            let v = crate::util::lzf::decompress(&self.buf, self.packed_len as usize)
                .unwrap_or_default();
            std::borrow::Cow::Owned(v)
        } else {
            std::borrow::Cow::Borrowed(&self.buf)
        }
    }

    /// Expands the node in place before it is changed; a plain node is
    /// marked changed (worth another compression attempt).
    #[inline]
    fn unpack(&mut self) {
        if self.packed_len != 0 {
            if self.is_packed() {
                self.buf = self.plain().into_owned();
            }
            self.packed_len = 0;
        }
    }

    /// Compresses a plain node not tried since it last changed.
    fn pack(&mut self) {
        if self.packed_len != 0 {
            return;
        }
        let n = self.buf.len();
        if n < MIN_COMPRESS_BYTES || n >= INCOMPRESSIBLE as usize {
            self.packed_len = INCOMPRESSIBLE;
            return;
        }
        match crate::util::lzf::compress(&self.buf, n - MIN_COMPRESS_IMPROVE) {
            Some(mut c) => {
                c.shrink_to_fit();
                self.buf = c;
                self.packed_len = n as u32;
            }
            None => self.packed_len = INCOMPRESSIBLE,
        }
    }

    /// Bytes of the plain entries.
    #[inline]
    fn size(&self) -> usize {
        if self.is_packed() {
            self.packed_len as usize
        } else {
            self.buf.len()
        }
    }

    #[inline]
    fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether one more entry of `add` bytes fits under `fill`.
    #[inline]
    fn allows(&self, add: usize, fill: i64) -> bool {
        if self.count == 0 {
            return true;
        }
        let new = self.size() + add;
        if fill < 0 {
            new <= SIZE_LIMITS[(fill.unsigned_abs().min(5) - 1) as usize]
        } else {
            new <= SAFETY_LIMIT && (self.count as i64) < fill
        }
    }

    /// Whether the node is within `fill` (a lone entry always is).
    fn fits(&self, fill: i64) -> bool {
        if self.count <= 1 {
            return true;
        }
        let sz = self.size();
        if fill < 0 {
            sz <= SIZE_LIMITS[(fill.unsigned_abs().min(5) - 1) as usize]
        } else {
            sz <= SAFETY_LIMIT && (self.count as i64) <= fill.max(1)
        }
    }

    /// Makes room for `extra` bytes: exact while small, doubling after.
    #[inline]
    fn grow(&mut self, extra: usize) {
        if self.buf.capacity() - self.buf.len() < extra {
            if self.buf.len() + extra <= 256 {
                self.buf.reserve_exact(extra);
            } else {
                self.buf.reserve(extra);
            }
        }
    }

    /// Gives back spare capacity after removals.
    fn shrink(&mut self) {
        let cap = self.buf.capacity();
        if cap > 256 && self.buf.len() * 4 < cap {
            self.buf.shrink_to(self.buf.len() * 2);
        }
    }

    /// Inserts an entry at byte offset `at`.
    fn insert_at(&mut self, at: usize, e: Elem<'_>) {
        let n = e.enc_len();
        self.grow(n);
        let old = self.buf.len();
        self.buf.resize(old + n, 0);
        self.buf.copy_within(at..old, at + n);
        write_entry(&mut self.buf[at..at + n], e);
        self.count += 1;
    }

    #[inline]
    fn push_back(&mut self, e: Elem<'_>) {
        let n = e.enc_len();
        self.grow(n);
        let old = self.buf.len();
        self.buf.resize(old + n, 0);
        write_entry(&mut self.buf[old..], e);
        self.count += 1;
    }

    /// Removes the entry spanning `start..end`.
    fn remove_span(&mut self, start: usize, end: usize) {
        self.buf.drain(start..end);
        self.count -= 1;
        self.shrink();
    }

    /// Byte offset of entry `i` of a plain node (`i == len` gives the
    /// end), walking from the nearer end.
    fn offset_of(&self, i: usize) -> usize {
        offset_in(&self.buf, self.len(), i)
    }

    /// Offset of the last entry (node must not be empty).
    #[inline]
    fn last_offset(&self) -> usize {
        entry_start_before(&self.buf, self.buf.len())
    }

    /// Splits off the entries from index `i` on into a new node.
    fn split_off(&mut self, i: usize) -> Node {
        let at = self.offset_of(i);
        let tail = self.buf.split_off(at);
        let moved = self.count - i as u32;
        self.count = i as u32;
        self.buf.shrink_to_fit();
        Node {
            buf: tail,
            count: moved,
            packed_len: 0,
        }
    }
}

/// A Redis list.
#[derive(Clone, Debug, Default)]
pub struct List {
    nodes: VecDeque<Node>,
    len: usize,
}

impl List {
    /// An empty value.
    pub fn new() -> Self {
        List::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no element.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The encoding name OBJECT ENCODING reports (Redis 7.0 uses
    /// quicklist for every list).
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Number of quicklist nodes (tests, DEBUG-style introspection).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of LZF-compressed nodes (DEBUG OBJECT's `ql_compressed`).
    pub fn compressed_nodes(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_packed()).count()
    }

    /// Bytes of all nodes' entries when plain (`ql_uncompressed_size`).
    pub fn plain_size(&self) -> usize {
        self.nodes.iter().map(|n| n.size()).sum()
    }

    /// Heap bytes held (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.nodes.iter().map(|n| n.buf.capacity()).sum::<usize>()
    }

    /// Mixes the contents into a DEBUG DIGEST the way Redis does: every
    /// element's string form, in order.
    pub fn mix_digest(&self, digest: &mut Digest) {
        self.for_each_from(0, |e| {
            e.with_bytes(|b| mix_digest(digest, b));
            true
        });
    }

    /// Pushes client elements at one end, in argument order (LPUSH a b c
    /// leaves c first).
    pub fn push_all(&mut self, end: End, items: &[&[u8]], shape: impl Into<Shape>) {
        let shape = shape.into();
        if end == End::Tail && !items.is_empty() {
            // Size the tail node for the batch: exact allocations for a
            // list built by one RPUSH.
            let total: usize = items.iter().map(|b| Elem::from_bytes(b).enc_len()).sum();
            match self.nodes.back_mut() {
                Some(n) if n.allows(total, shape.fill) => {
                    n.unpack();
                    n.grow(total)
                }
                Some(_) => {}
                None => {
                    // One node slot, not VecDeque's default four: most
                    // lists are small.
                    self.nodes.reserve_exact(1);
                    self.nodes
                        .push_back(Node::with_capacity(total.min(SAFETY_LIMIT)))
                }
            }
        }
        for b in items {
            self.push(end, Elem::from_bytes(b), shape);
        }
    }

    /// Pushes one element at one end.
    pub fn push(&mut self, end: End, e: Elem<'_>, shape: impl Into<Shape>) {
        let shape = shape.into();
        let n = e.enc_len();
        if self.nodes.capacity() == 0 {
            self.nodes.reserve_exact(1);
        }
        let mut added = false;
        match end {
            End::Tail => match self.nodes.back_mut() {
                Some(node) if node.allows(n, shape.fill) => {
                    node.unpack();
                    node.push_back(e)
                }
                _ => {
                    let mut node = Node::with_capacity(n);
                    node.push_back(e);
                    self.nodes.push_back(node);
                    added = true;
                }
            },
            End::Head => match self.nodes.front_mut() {
                Some(node) if node.allows(n, shape.fill) => {
                    node.unpack();
                    node.insert_at(0, e)
                }
                _ => {
                    let mut node = Node::with_capacity(n);
                    node.push_back(e);
                    self.nodes.push_front(node);
                    added = true;
                }
            },
        }
        self.len += 1;
        if added {
            self.settle_ends(shape.depth);
        }
    }

    /// Pops the element at one end, handing it to `f` before it is
    /// removed (no copy for replies).
    pub fn pop_with<R>(
        &mut self,
        end: End,
        shape: impl Into<Shape>,
        f: impl FnOnce(Elem<'_>) -> R,
    ) -> Option<R> {
        let last = self.nodes.len().checked_sub(1)?;
        let (ni, node) = match end {
            End::Head => (0, self.nodes.front_mut()?),
            End::Tail => (last, self.nodes.back_mut()?),
        };
        node.unpack();
        let (start, stop, r) = match end {
            End::Head => {
                let (e, next) = read_entry(&node.buf, 0);
                (0, next, f(e))
            }
            End::Tail => {
                let start = node.last_offset();
                let (e, next) = read_entry(&node.buf, start);
                (start, next, f(e))
            }
        };
        if node.count == 1 {
            self.nodes.remove(ni);
            self.shrink_nodes();
            self.settle_ends(shape.into().depth);
        } else if end == End::Tail {
            node.buf.truncate(start);
            node.count -= 1;
            node.shrink();
        } else {
            node.remove_span(start, stop);
        }
        self.len -= 1;
        Some(r)
    }

    /// Pops the element at one end.
    pub fn pop(&mut self, end: End, shape: impl Into<Shape>) -> Option<OwnedElem> {
        self.pop_with(end, shape, |e| e.to_owned())
    }

    /// Keeps the `depth` nodes at each end plain and compresses the first
    /// node inside them: what a push or pop that added or removed an end
    /// node can have changed.
    fn settle_ends(&mut self, depth: usize) {
        if depth == 0 {
            return;
        }
        let n = self.nodes.len();
        if n <= 2 * depth {
            for node in self.nodes.iter_mut() {
                if node.is_packed() {
                    node.unpack();
                }
            }
            return;
        }
        for i in 0..depth {
            for j in [i, n - 1 - i] {
                if self.nodes[j].is_packed() {
                    self.nodes[j].unpack();
                }
            }
        }
        self.nodes[depth].pack();
        self.nodes[n - 1 - depth].pack();
    }

    /// `settle_ends`, and compresses every inner node changed since it
    /// was last compressed (after edits in the middle of the list).
    fn settle_all(&mut self, depth: usize) {
        if depth == 0 {
            return;
        }
        self.settle_ends(depth);
        let n = self.nodes.len();
        if n > 2 * depth {
            for node in self.nodes.range_mut(depth..n - depth) {
                node.pack();
            }
        }
    }

    /// Node index and index within it of element `i` (< len), walking from
    /// the nearer end.
    fn locate(&self, i: usize) -> (usize, usize) {
        if i < self.len / 2 {
            let mut rem = i;
            for (ni, n) in self.nodes.iter().enumerate() {
                if rem < n.len() {
                    return (ni, rem);
                }
                rem -= n.len();
            }
        } else {
            let mut rem = self.len - i; // 1-based from the tail
            for (ni, n) in self.nodes.iter().enumerate().rev() {
                if rem <= n.len() {
                    return (ni, n.len() - rem);
                }
                rem -= n.len();
            }
        }
        (self.nodes.len(), 0)
    }

    /// Runs `f` on element `i` (0-based from the head).
    pub fn with_elem<R>(&self, i: usize, f: impl FnOnce(Elem<'_>) -> R) -> Option<R> {
        if i >= self.len {
            return None;
        }
        let (ni, k) = self.locate(i);
        let node = self.nodes.get(ni)?;
        let buf = node.plain();
        let off = offset_in(&buf, node.len(), k);
        Some(f(read_entry(&buf, off).0))
    }

    /// An owned copy of element `i`.
    pub fn get(&self, i: usize) -> Option<OwnedElem> {
        self.with_elem(i, |e| e.to_owned())
    }

    /// The element index `i` means (negative counts from the tail).
    pub fn index(&self, i: i64) -> Option<usize> {
        let len = self.len as i64;
        let j = if i < 0 { len.checked_add(i)? } else { i };
        (j >= 0 && j < len).then_some(j as usize)
    }

    /// Replaces element `i`; false when out of range.
    pub fn set(&mut self, i: usize, e: Elem<'_>, shape: impl Into<Shape>) -> bool {
        let shape = shape.into();
        if i >= self.len {
            return false;
        }
        let (ni, k) = self.locate(i);
        let Some(node) = self.nodes.get_mut(ni) else {
            return false;
        };
        node.unpack();
        let off = node.offset_of(k);
        let end = read_entry(&node.buf, off).1;
        let n = e.enc_len();
        let old = end - off;
        if n > old {
            node.grow(n - old);
        }
        let mut enc = [0u8; 32];
        if n <= enc.len() {
            write_entry(&mut enc[..n], e);
            node.buf.splice(off..end, enc[..n].iter().copied());
        } else {
            let mut v = vec![0u8; n];
            write_entry(&mut v, e);
            node.buf.splice(off..end, v);
        }
        self.split_if_needed(ni, shape.fill);
        self.settle_all(shape.depth);
        true
    }

    /// Splits plain node `ni` until every piece is within `fill`.
    fn split_if_needed(&mut self, ni: usize, fill: i64) {
        let mut ni = ni;
        while let Some(node) = self.nodes.get_mut(ni) {
            if node.fits(fill) {
                return;
            }
            // Keep the biggest prefix that fits (at least one entry).
            let mut pos = 0;
            let mut k = 0;
            let limit = if fill < 0 {
                SIZE_LIMITS[(fill.unsigned_abs().min(5) - 1) as usize]
            } else {
                SAFETY_LIMIT
            };
            let max_count = if fill < 0 {
                usize::MAX
            } else {
                fill.max(1) as usize
            };
            while k < node.len() {
                let next = read_entry(&node.buf, pos).1;
                if k > 0 && (next > limit || k >= max_count) {
                    break;
                }
                pos = next;
                k += 1;
            }
            let rest = node.split_off(k);
            if rest.count == 0 {
                return;
            }
            self.nodes.insert(ni + 1, rest);
            ni += 1;
        }
    }

    /// Inserts `e` before (or after) the first element equal to `pivot`;
    /// false when the pivot is missing.
    pub fn insert_at_pivot(
        &mut self,
        pivot: &Needle<'_>,
        after: bool,
        e: Elem<'_>,
        shape: impl Into<Shape>,
    ) -> bool {
        let shape = shape.into();
        let mut found = None;
        'outer: for (ni, node) in self.nodes.iter().enumerate() {
            let buf = node.plain();
            let mut pos = 0;
            while pos < buf.len() {
                let (x, next) = read_entry(&buf, pos);
                if pivot.matches(x) {
                    found = Some((ni, if after { next } else { pos }));
                    break 'outer;
                }
                pos = next;
            }
        }
        let Some((ni, off)) = found else {
            return false;
        };
        self.nodes[ni].unpack();
        self.nodes[ni].insert_at(off, e);
        self.len += 1;
        self.split_if_needed(ni, shape.fill);
        self.settle_all(shape.depth);
        true
    }

    /// Removes up to `count` elements equal to `needle` (all when 0, from
    /// the tail when negative), like LREM; returns how many went.
    pub fn remove_matching(
        &mut self,
        needle: &Needle<'_>,
        count: i64,
        shape: impl Into<Shape>,
    ) -> usize {
        let mut left = if count == 0 {
            usize::MAX
        } else {
            count.unsigned_abs().min(usize::MAX as u64) as usize
        };
        let mut removed = 0;
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let order: Vec<usize> = if count >= 0 {
            (0..self.nodes.len()).collect()
        } else {
            (0..self.nodes.len()).rev().collect()
        };
        for ni in order {
            if left == 0 {
                break;
            }
            let node = &mut self.nodes[ni];
            spans.clear();
            {
                let buf = node.plain();
                let mut pos = 0;
                while pos < buf.len() {
                    let (x, next) = read_entry(&buf, pos);
                    if needle.matches(x) {
                        spans.push((pos, next));
                        if count >= 0 && spans.len() == left {
                            break;
                        }
                    }
                    pos = next;
                }
            }
            if count < 0 && spans.len() > left {
                spans.drain(..spans.len() - left);
            }
            if spans.is_empty() {
                continue;
            }
            node.unpack();
            // Compact in place, dropping the spans.
            let mut w = spans[0].0;
            for (k, &(_, stop)) in spans.iter().enumerate() {
                let next_start = spans.get(k + 1).map_or(node.buf.len(), |s| s.0);
                node.buf.copy_within(stop..next_start, w);
                w += next_start - stop;
            }
            node.buf.truncate(w);
            node.count -= spans.len() as u32;
            node.shrink();
            left -= spans.len();
            removed += spans.len();
        }
        if removed > 0 {
            self.nodes.retain(|n| n.count > 0);
            self.shrink_nodes();
            self.len -= removed;
            self.settle_all(shape.into().depth);
        }
        removed
    }

    /// Removes `n` elements from one end.
    pub fn remove_from(&mut self, end: End, n: usize, shape: impl Into<Shape>) {
        let mut n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let node = match end {
                End::Head => self.nodes.front_mut(),
                End::Tail => self.nodes.back_mut(),
            };
            let Some(node) = node else { break };
            if node.len() <= n {
                n -= node.len();
                match end {
                    End::Head => self.nodes.pop_front(),
                    End::Tail => self.nodes.pop_back(),
                };
                continue;
            }
            node.unpack();
            match end {
                End::Head => {
                    let at = node.offset_of(n);
                    node.buf.drain(..at);
                }
                End::Tail => {
                    let at = node.offset_of(node.len() - n);
                    node.buf.truncate(at);
                }
            }
            node.count -= n as u32;
            node.shrink();
            n = 0;
        }
        self.shrink_nodes();
        self.settle_ends(shape.into().depth);
    }

    /// Gives back node slots after a big list shrank.
    fn shrink_nodes(&mut self) {
        let cap = self.nodes.capacity();
        if cap > 16 && self.nodes.len() * 4 < cap {
            self.nodes.shrink_to(self.nodes.len() * 2);
        }
    }

    /// Runs `f` on the elements from index `start` towards the tail until
    /// it returns false (a compressed node is expanded into a temporary
    /// buffer while it is visited).
    pub fn for_each_from(&self, start: usize, mut f: impl FnMut(Elem<'_>) -> bool) {
        if start >= self.len {
            return;
        }
        let (mut ni, k) = self.locate(start);
        let mut skip = k;
        while let Some(node) = self.nodes.get(ni) {
            let buf = node.plain();
            let mut pos = offset_in(&buf, node.len(), skip);
            while pos < buf.len() {
                let (e, next) = read_entry(&buf, pos);
                if !f(e) {
                    return;
                }
                pos = next;
            }
            ni += 1;
            skip = 0;
        }
    }

    /// Runs `f` on the elements from the tail towards the head until it
    /// returns false.
    pub fn for_each_rev(&self, mut f: impl FnMut(Elem<'_>) -> bool) {
        for node in self.nodes.iter().rev() {
            let buf = node.plain();
            let mut pos = buf.len();
            while pos > 0 {
                let start = entry_start_before(&buf, pos);
                if !f(read_entry(&buf, start).0) {
                    return;
                }
                pos = start;
            }
        }
    }

    /// Every element, owned (tests, small lists).
    pub fn to_vec(&self) -> Vec<OwnedElem> {
        let mut out = Vec::with_capacity(self.len.min(1 << 16));
        self.for_each_from(0, |e| {
            out.push(e.to_owned());
            true
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(l: &List) -> Vec<Vec<u8>> {
        l.to_vec().into_iter().map(|e| e.into_bytes()).collect()
    }

    fn rev_items(l: &List) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        l.for_each_rev(|e| {
            v.push(e.with_bytes(|b| b.to_vec()));
            true
        });
        v
    }

    fn items_from(l: &List, i: usize) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        l.for_each_from(i, |e| {
            v.push(e.with_bytes(|b| b.to_vec()));
            true
        });
        v
    }

    fn from(v: &[&str], fill: i64) -> List {
        let mut l = List::new();
        let b: Vec<&[u8]> = v.iter().map(|s| s.as_bytes()).collect();
        l.push_all(End::Tail, &b, fill);
        l
    }

    fn check(l: &List) {
        let n: usize = l.nodes.iter().map(|n| n.len()).sum();
        assert_eq!(n, l.len());
        assert!(l.nodes.iter().all(|n| n.count > 0));
        let mut r = rev_items(l);
        r.reverse();
        assert_eq!(items(l), r);
        for n in &l.nodes {
            let buf = n.plain();
            let mut pos = 0;
            let mut k = 0;
            while pos < buf.len() {
                pos = read_entry(&buf, pos).1;
                k += 1;
            }
            assert_eq!(pos, buf.len());
            assert_eq!(k, n.len());
        }
    }

    #[test]
    fn entries_round_trip() {
        let long = "x".repeat(300);
        let huge = "y".repeat(70_000);
        let vals = [
            "",
            "a",
            "0",
            "-0",
            "007",
            "12345",
            "-1",
            "9223372036854775807",
            "-9223372036854775808",
            "4611686018427387904",
            "+1",
            &long,
            &huge,
        ];
        let l = from(&vals, -2);
        check(&l);
        let got = items(&l);
        for (g, v) in got.iter().zip(vals.iter()) {
            assert_eq!(g, v.as_bytes());
        }
        assert_eq!(Elem::from_bytes(b"12345"), Elem::Int(12345));
        assert_eq!(Elem::from_bytes(b"007"), Elem::Bytes(b"007"));
        assert_eq!(Elem::Int(5).enc_len(), 2);
        assert_eq!(Elem::Bytes(b"hello").enc_len(), 7);
        assert_eq!(Elem::Int(12345).enc_len(), 4);
    }

    #[test]
    fn push_pop_both_ends_across_nodes() {
        let mut l = List::new();
        for i in 0..5000 {
            let s = format!("v{}", i);
            l.push(End::Tail, Elem::from_bytes(s.as_bytes()), -1);
            l.push(End::Head, Elem::from_bytes(i.to_string().as_bytes()), -1);
        }
        assert!(l.node_count() > 4);
        check(&l);
        assert_eq!(l.len(), 10000);
        assert_eq!(l.get(0), Some(OwnedElem::Int(4999)));
        assert_eq!(l.get(9999), Some(OwnedElem::Bytes(b"v4999".to_vec())));
        assert_eq!(l.get(5000), Some(OwnedElem::Bytes(b"v0".to_vec())));
        assert_eq!(l.get(4999), Some(OwnedElem::Int(0)));
        assert_eq!(
            l.pop(End::Tail, -1),
            Some(OwnedElem::Bytes(b"v4999".to_vec()))
        );
        assert_eq!(l.pop(End::Head, -1), Some(OwnedElem::Int(4999)));
        for _ in 0..9998 {
            assert!(l.pop(End::Tail, -1).is_some());
        }
        assert!(l.is_empty());
        assert_eq!(l.node_count(), 0);
        assert_eq!(l.pop(End::Head, -1), None);
    }

    #[test]
    fn fill_by_count_and_size() {
        let v: Vec<String> = (0..10).map(|i| format!("e{}", i)).collect();
        let v: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
        let l = from(&v, 3);
        assert_eq!(l.node_count(), 4);
        check(&l);
        let l = from(&v, 0);
        assert_eq!(l.node_count(), 10);
        let l = from(&v, -2);
        assert_eq!(l.node_count(), 1);
        let big = "z".repeat(5000);
        let l = from(&[&big, &big, "a"], -2);
        assert_eq!(l.node_count(), 2);
        check(&l);
    }

    #[test]
    fn set_insert_remove_trim() {
        let mut l = from(&["a", "b", "c", "b", "d"], 2);
        assert!(l.set(1, Elem::Bytes(b"BB"), 2));
        assert!(!l.set(5, Elem::Bytes(b"x"), 2));
        assert!(l.insert_at_pivot(&Needle::new(b"c"), true, Elem::Int(7), 2));
        assert!(l.insert_at_pivot(&Needle::new(b"a"), false, Elem::Bytes(b"0"), 2));
        assert!(!l.insert_at_pivot(&Needle::new(b"zz"), false, Elem::Bytes(b"0"), 2));
        check(&l);
        assert_eq!(
            items(&l),
            ["0", "a", "BB", "c", "7", "b", "d"].map(|s| s.as_bytes().to_vec())
        );
        assert_eq!(l.remove_matching(&Needle::new(b"7"), 0, 2), 1);
        assert_eq!(l.remove_matching(&Needle::new(b"0"), -1, 2), 1);
        check(&l);
        let mut l = from(&["x", "a", "x", "b", "x", "c", "x"], 2);
        assert_eq!(l.remove_matching(&Needle::new(b"x"), -2, 2), 2);
        assert_eq!(
            items(&l),
            ["x", "a", "x", "b", "c"].map(|s| s.as_bytes().to_vec())
        );
        assert_eq!(l.remove_matching(&Needle::new(b"x"), 1, 2), 1);
        assert_eq!(
            items(&l),
            ["a", "x", "b", "c"].map(|s| s.as_bytes().to_vec())
        );
        check(&l);
        l.remove_from(End::Head, 1, 2);
        l.remove_from(End::Tail, 2, 2);
        assert_eq!(items(&l), ["x"].map(|s| s.as_bytes().to_vec()));
        check(&l);
        l.remove_from(End::Tail, 5, 2);
        assert!(l.is_empty());
    }

    #[test]
    fn trim_inside_big_nodes() {
        let v: Vec<String> = (0..3000).map(|i| format!("item{}", i)).collect();
        let v: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
        let mut l = from(&v, -2);
        l.remove_from(End::Head, 1500, -2);
        l.remove_from(End::Tail, 1000, -2);
        check(&l);
        assert_eq!(l.len(), 500);
        assert_eq!(l.get(0), Some(OwnedElem::Bytes(b"item1500".to_vec())));
        assert_eq!(l.get(499), Some(OwnedElem::Bytes(b"item1999".to_vec())));
        assert_eq!(
            items_from(&l, 498),
            vec![b"item1998".to_vec(), b"item1999".to_vec()]
        );
    }

    #[test]
    fn digest_mixes_string_forms_in_order() {
        let l = from(&["a", "b", "c"], -2);
        let mut d = [0u8; 20];
        l.mix_digest(&mut d);
        let mut e = [0u8; 20];
        for s in ["a", "b", "c"] {
            mix_digest(&mut e, s.as_bytes());
        }
        assert_eq!(d, e);
    }

    /// The end nodes are plain; every inner node is compressed unless LZF
    /// did not pay for it.
    fn check_compression(l: &List, depth: usize) {
        let n = l.nodes.len();
        for (i, node) in l.nodes.iter().enumerate() {
            let end = depth > 0 && (i < depth || i + depth >= n);
            if end || depth == 0 {
                assert!(!node.is_packed(), "node {} of {} is compressed", i, n);
            } else {
                assert!(
                    node.is_packed() || node.packed_len == INCOMPRESSIBLE,
                    "inner node {} of {} left plain",
                    i,
                    n
                );
            }
        }
    }

    #[test]
    fn compress_depth_packs_inner_nodes_and_reads_through_them() {
        let shape = Shape { fill: 16, depth: 1 };
        let mut l = List::new();
        let mut model = Vec::new();
        for i in 0..2000 {
            let v = format!("value-{:06}-padding-padding", i % 500);
            l.push(End::Tail, Elem::from_bytes(v.as_bytes()), shape);
            model.push(v.into_bytes());
        }
        check(&l);
        check_compression(&l, 1);
        assert!(l.compressed_nodes() >= l.node_count() - 2);
        assert!(l.heap_size() < l.plain_size());
        assert_eq!(items(&l), model);
        assert_eq!(l.get(1000).unwrap().into_bytes(), model[1000]);
        let mut rev = rev_items(&l);
        rev.reverse();
        assert_eq!(rev, model);
        // Edits in the middle expand, change and compress again.
        assert!(l.set(1000, Elem::Bytes(b"changed"), shape));
        model[1000] = b"changed".to_vec();
        assert!(l.insert_at_pivot(&Needle::new(b"changed"), true, Elem::Int(7), shape));
        model.insert(1001, b"7".to_vec());
        check_compression(&l, 1);
        assert_eq!(items(&l), model);
        // Popping the ends down to the compressed part expands it.
        while l.len() > 40 {
            l.pop(End::Head, shape);
            l.pop(End::Tail, shape);
            check_compression(&l, 1);
        }
        // Depth 0: nothing is compressed.
        let mut p = List::new();
        for i in 0..2000 {
            p.push(End::Tail, Elem::Int(i), 16);
        }
        assert_eq!(p.compressed_nodes(), 0);
    }

    /// Random operations against a `VecDeque` model, with tiny nodes so
    /// every path crosses node boundaries.
    #[test]
    fn random_ops_match_a_model() {
        let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n.max(1)
        };
        let shapes = [
            Shape { fill: 1, depth: 0 },
            Shape { fill: 3, depth: 0 },
            Shape { fill: -1, depth: 0 },
            Shape { fill: -2, depth: 0 },
            Shape { fill: 3, depth: 1 },
            Shape { fill: -1, depth: 1 },
            Shape { fill: 8, depth: 2 },
        ];
        for shape in shapes {
            let fill = shape;
            let mut l = List::new();
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for step in 0..4000 {
                let v: Vec<u8> = match next(4) {
                    0 => next(50).to_string().into_bytes(),
                    1 => format!("s{}", next(20)).into_bytes(),
                    2 => vec![b'x'; next(3000) as usize],
                    _ => (next(1 << 40) as i64 - (1 << 39)).to_string().into_bytes(),
                };
                match next(9) {
                    0 => {
                        l.push(End::Head, Elem::from_bytes(&v), fill);
                        m.push_front(v);
                    }
                    1 | 2 => {
                        l.push(End::Tail, Elem::from_bytes(&v), fill);
                        m.push_back(v);
                    }
                    3 => assert_eq!(
                        l.pop(End::Head, fill).map(|e| e.into_bytes()),
                        m.pop_front()
                    ),
                    4 => assert_eq!(l.pop(End::Tail, fill).map(|e| e.into_bytes()), m.pop_back()),
                    5 if !m.is_empty() => {
                        let i = next(m.len() as u64) as usize;
                        assert!(l.set(i, Elem::from_bytes(&v), fill));
                        m[i] = v;
                    }
                    6 if !m.is_empty() => {
                        let i = next(m.len() as u64) as usize;
                        let pivot = m[i].clone();
                        let at = m.iter().position(|x| *x == pivot).unwrap_or(0);
                        let after = next(2) == 1;
                        assert!(l.insert_at_pivot(
                            &Needle::new(&pivot),
                            after,
                            Elem::from_bytes(&v),
                            fill
                        ));
                        m.insert(at + after as usize, v);
                    }
                    7 if !m.is_empty() => {
                        let i = next(m.len() as u64) as usize;
                        let target = m[i].clone();
                        let count = next(5) as i64 - 2;
                        let got = l.remove_matching(&Needle::new(&target), count, fill);
                        let mut idx: Vec<usize> =
                            (0..m.len()).filter(|&k| m[k] == target).collect();
                        if count > 0 {
                            idx.truncate(count as usize);
                        } else if count < 0 {
                            let keep = idx.len().saturating_sub((-count) as usize);
                            idx.drain(..keep);
                        }
                        for &k in idx.iter().rev() {
                            m.remove(k);
                        }
                        assert_eq!(got, idx.len());
                    }
                    8 if m.len() > 20 => {
                        let a = next(5) as usize;
                        let b = next(5) as usize;
                        l.remove_from(End::Head, a, fill);
                        l.remove_from(End::Tail, b, fill);
                        m.drain(..a);
                        m.truncate(m.len() - b);
                    }
                    _ => {}
                }
                if step % 97 == 0 {
                    check(&l);
                    check_compression(&l, shape.depth);
                    assert_eq!(items(&l), m.iter().cloned().collect::<Vec<_>>());
                    if !m.is_empty() {
                        let i = next(m.len() as u64) as usize;
                        assert_eq!(l.get(i).map(|e| e.into_bytes()).as_ref(), m.get(i));
                        let tail = items_from(&l, i);
                        assert_eq!(tail, m.iter().skip(i).cloned().collect::<Vec<_>>());
                    }
                }
            }
            check(&l);
            assert_eq!(items(&l), m.iter().cloned().collect::<Vec<_>>());
            for n in &l.nodes {
                assert!(
                    n.fits(fill.fill),
                    "fill {:?} node of {} bytes, {} entries",
                    fill,
                    n.buf.len(),
                    n.count
                );
            }
        }
    }
}
