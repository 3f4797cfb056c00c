//! The packed blobs Redis stores inside RDB values, byte for byte as Redis
//! lays them out: `listpack` (hash/zset/quicklist-v2 nodes), `ziplist`
//! (older files), `intset` and `zipmap` (very old hashes). Readers check
//! every header, length, back-length and count against the blob and fail
//! with a message instead of trusting them; writers produce what Redis
//! 7.0 writes for `listpack` and `intset`.
//!
//! These layouts are independent of ferredis's in-memory encodings
//! (`types::listpack` etc.): values are decoded into entries and rebuilt.
//!
//! Redis counterpart: `listpack.c` (`lpValidateIntegrity`, `lpEncode*`),
//! `ziplist.c` (`ziplistValidateIntegrity`), `intset.c`
//! (`intsetValidateIntegrity`), `zipmap.c` (`zipmapValidateIntegrity`).

use crate::util::numfmt::{i64_str, parse_i64, push_i64};

/// One entry of a packed blob: an integer or a byte string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl<'a> Entry<'a> {
    /// The entry `b` becomes in a listpack: an integer when `b` is the
    /// canonical form of one (`lpStringToInt64`).
    pub fn from_bytes(b: &'a [u8]) -> Self {
        if !b.is_empty() && b.len() <= 20 {
            if let Some(v) = parse_i64(b) {
                return Entry::Int(v);
            }
        }
        Entry::Str(b)
    }

    /// Runs `f` on the entry's string form.
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Entry::Str(b) => f(b),
            Entry::Int(v) => f(i64_str(v, &mut [0u8; 20])),
        }
    }

    /// The entry's string form, owned.
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Entry::Str(b) => b.to_vec(),
            Entry::Int(v) => {
                let mut out = Vec::with_capacity(20);
                push_i64(&mut out, v);
                out
            }
        }
    }
}

/// A (field, value) pair of a zipmap.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

/// A validation failure (the caller names the value type).
pub type Invalid = &'static str;

fn le_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Sign-extends the low `bits` bits of `v`.
fn sign_extend(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

/// Little-endian signed integer of `n` bytes at `at`.
fn le_int(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let s = b.get(at..at + n)?;
    let v = s
        .iter()
        .rev()
        .fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
    Some(sign_extend(v, 8 * n as u32))
}

// ---------------------------------------------------------------------------
// listpack

/// The listpack header: total bytes (u32) and element count (u16).
const LP_HDR: usize = 6;
const LP_EOF: u8 = 0xff;

/// The back-length bytes of an entry whose header+data is `l` bytes, in
/// stored order.
fn lp_backlen(l: usize) -> ([u8; 5], usize) {
    let mut b = [0u8; 5];
    let n = match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    };
    // Most significant 7-bit group first; every byte but the first one
    // carries the continuation bit (the blob is read backwards).
    for (i, slot) in b.iter_mut().take(n).enumerate() {
        let shift = 7 * (n - 1 - i);
        let group = ((l >> shift) & 127) as u8;
        *slot = if i == 0 { group } else { group | 128 };
    }
    (b, n)
}

/// Decodes the entry at `pos`: the entry and its header+data length.
fn lp_entry(b: &[u8], pos: usize) -> Result<(Entry<'_>, usize), Invalid> {
    const BAD: Invalid = "bad listpack entry";
    let c = *b.get(pos).ok_or(BAD)?;
    let str_at = |hdr: usize, len: usize| -> Result<(Entry<'_>, usize), Invalid> {
        let s = b.get(pos + hdr..pos + hdr + len).ok_or(BAD)?;
        Ok((Entry::Str(s), hdr + len))
    };
    if c & 0x80 == 0 {
        return Ok((Entry::Int(i64::from(c & 0x7f)), 1));
    }
    if c & 0xc0 == 0x80 {
        return str_at(1, (c & 0x3f) as usize);
    }
    if c & 0xe0 == 0xc0 {
        let lo = *b.get(pos + 1).ok_or(BAD)?;
        let u = (u64::from(c & 0x1f) << 8) | u64::from(lo);
        return Ok((Entry::Int(sign_extend(u, 13)), 2));
    }
    if c & 0xf0 == 0xe0 {
        let lo = *b.get(pos + 1).ok_or(BAD)?;
        return str_at(2, (((c & 0x0f) as usize) << 8) | lo as usize);
    }
    let int = |n: usize| -> Result<(Entry<'_>, usize), Invalid> {
        Ok((Entry::Int(le_int(b, pos + 1, n).ok_or(BAD)?), 1 + n))
    };
    match c {
        0xf0 => str_at(5, le_u32(b, pos + 1).ok_or(BAD)? as usize),
        0xf1 => int(2),
        0xf2 => int(3),
        0xf3 => int(4),
        0xf4 => int(8),
        _ => Err(BAD),
    }
}

/// Parses and validates a listpack: total length, every entry header and
/// back-length, the terminator and the element count.
pub fn parse_listpack(b: &[u8]) -> Result<Vec<Entry<'_>>, Invalid> {
    // Every entry takes at least two bytes: the header count is trusted
    // only that far.
    let declared = le_u16(b, 4).unwrap_or(0) as usize;
    let mut out = Vec::with_capacity(declared.min(b.len() / 2));
    visit_listpack(b, |e| {
        out.push(e);
        Ok(())
    })?;
    Ok(out)
}

/// What `repack_simple_listpack_hash` made of a listpack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repacked {
    /// Entries (fields and values).
    pub entries: usize,
    /// Bytes of re-encoded entries at the start of the output buffer.
    pub len: usize,
    /// Whether two fields (even entries) are equal.
    pub duplicate_field: bool,
}

/// Most fields `repack_simple_listpack_hash` checks for duplicates.
pub const REPACK_MAX_FIELDS: usize = 32;

/// Bytes the re-packer may write past its output (fixed-size copies).
const REPACK_SLACK: usize = 64;

/// The common listpack of an RDB hash, where every entry is a 7-bit
/// integer or a string of at most 63 bytes (one header byte, one
/// back-length byte), re-encoded in one pass as the packed entries of
/// `types::hash` (a LEB128 length, here always one byte, then the bytes;
/// integers as their decimal digits) at the start of `out`, which it
/// grows as needed and whose bytes past the result are scratch. Fields are
/// checked for duplicates through a 64-bit filter of their last byte, with
/// a byte comparison only on a filter hit.
///
/// `None` as soon as anything else appears (another encoding, more than
/// `REPACK_MAX_FIELDS` fields, an odd count, anything irregular): the
/// caller then uses the general parser, which also words the errors.
pub fn repack_simple_listpack_hash(b: &[u8], out: &mut Vec<u8>) -> Option<Repacked> {
    if b.len() < LP_HDR + 1 || le_u32(b, 0) != Some(b.len() as u32) {
        return None;
    }
    let declared = le_u16(b, 4)?;
    let end = b.len() - 1;
    if b[end] != LP_EOF {
        return None;
    }
    // A string entry shrinks by its back-length byte; an integer of two
    // bytes grows to at most four.
    let need = 2 * b.len() + REPACK_SLACK;
    if out.len() < need {
        out.resize(need, 0);
    }
    let mut fields = [(0u32, 0u32); REPACK_MAX_FIELDS];
    let mut filter = 0u64;
    let mut duplicate_field = false;
    let mut pos = LP_HDR;
    let mut op = 0usize;
    let mut count = 0usize;
    while pos < end {
        let c = b[pos];
        let start = op;
        let l = if c & 0x80 == 0 {
            let v = c & 0x7f;
            if v < 10 {
                out[op..op + 2].copy_from_slice(&[1, b'0' + v]);
                op += 2;
            } else if v < 100 {
                out[op..op + 3].copy_from_slice(&[2, b'0' + v / 10, b'0' + v % 10]);
                op += 3;
            } else {
                out[op..op + 4].copy_from_slice(&[3, b'1', b'0' + v / 10 % 10, b'0' + v % 10]);
                op += 4;
            }
            1
        } else if c & 0xC0 == 0x80 {
            let l = 1 + usize::from(c & 0x3f);
            if pos + l >= end {
                return None;
            }
            if pos + REPACK_SLACK <= b.len() {
                out[op..op + REPACK_SLACK].copy_from_slice(&b[pos..pos + REPACK_SLACK]);
            } else {
                out[op..op + l].copy_from_slice(&b[pos..pos + l]);
            }
            out[op] = c & 0x3f;
            op += l;
            l
        } else {
            return None;
        };
        // An entry under 128 bytes has a one-byte back-length: its size.
        if pos + l >= end || b[pos + l] != l as u8 {
            return None;
        }
        if count.is_multiple_of(2) {
            let k = count / 2;
            if k >= REPACK_MAX_FIELDS {
                return None;
            }
            // Fields usually differ in their last byte ("field0",
            // "field1", ...): its low six bits pick the filter bit, and
            // only fields of the same length and last byte are compared.
            let last = out[op - 1];
            let bit = 1u64 << (last & 63);
            if filter & bit != 0 {
                let field = &out[start..op];
                duplicate_field |= fields[..k].iter().any(|&(s, e)| {
                    let (s, e) = (s as usize, e as usize);
                    e - s == field.len() && out[e - 1] == last && out[s..e] == *field
                });
            }
            filter |= bit;
            fields[k] = (start as u32, op as u32);
        }
        count += 1;
        pos += l + 1;
    }
    if pos != end
        || !count.is_multiple_of(2)
        || (declared != u16::MAX && usize::from(declared) != count)
    {
        return None;
    }
    Some(Repacked {
        entries: count,
        len: op,
        duplicate_field,
    })
}

/// Validates a listpack as `parse_listpack` does, handing each entry to
/// `f` as it goes (no vector of entries); returns the entry count.
pub fn visit_listpack<'a>(
    b: &'a [u8],
    mut f: impl FnMut(Entry<'a>) -> Result<(), Invalid>,
) -> Result<usize, Invalid> {
    if b.len() < LP_HDR + 1 {
        return Err("listpack too short");
    }
    if le_u32(b, 0) != Some(b.len() as u32) || b.len() > u32::MAX as usize {
        return Err("listpack total bytes mismatch");
    }
    let declared = le_u16(b, 4).unwrap_or(0);
    let mut count = 0usize;
    let mut pos = LP_HDR;
    let end = b.len() - 1;
    loop {
        if pos > end {
            return Err("listpack without terminator");
        }
        if b[pos] == LP_EOF {
            if pos != end {
                return Err("listpack terminator before the end");
            }
            break;
        }
        let (e, l) = lp_entry(&b[..end], pos)?;
        let (back, n) = lp_backlen(l);
        if b.get(pos + l..pos + l + n) != Some(&back[..n]) || pos + l + n > end {
            return Err("bad listpack back-length");
        }
        f(e)?;
        count += 1;
        pos += l + n;
    }
    if declared != u16::MAX && declared as usize != count {
        return Err("listpack element count mismatch");
    }
    Ok(count)
}

/// Builds a listpack in Redis's layout.
#[derive(Debug)]
pub struct ListpackWriter {
    buf: Vec<u8>,
    count: usize,
}

impl Default for ListpackWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl ListpackWriter {
    /// An empty listpack.
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0; LP_HDR]);
        ListpackWriter { buf, count: 0 }
    }

    /// An empty listpack built in `buf` (its old contents dropped, its
    /// capacity reused).
    pub fn with_buffer(mut buf: Vec<u8>) -> Self {
        buf.clear();
        buf.extend_from_slice(&[0; LP_HDR]);
        ListpackWriter { buf, count: 0 }
    }

    /// Bytes so far (without the terminator).
    pub fn len_bytes(&self) -> usize {
        self.buf.len()
    }

    /// Entries so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Appends a string, stored as an integer when it is one.
    pub fn push_bytes(&mut self, b: &[u8]) {
        self.push(Entry::from_bytes(b));
    }

    /// Appends an entry in the smallest encoding Redis would pick.
    pub fn push(&mut self, e: Entry<'_>) {
        let start = self.buf.len();
        match e {
            Entry::Int(v) => {
                if (0..=127).contains(&v) {
                    self.buf.push(v as u8);
                } else if (-4096..=4095).contains(&v) {
                    let u = (v as u64) & 0x1fff;
                    self.buf.push(0xc0 | (u >> 8) as u8);
                    self.buf.push(u as u8);
                } else {
                    let (tag, n) = if i16::try_from(v).is_ok() {
                        (0xf1, 2)
                    } else if (-(1 << 23)..(1 << 23)).contains(&v) {
                        (0xf2, 3)
                    } else if i32::try_from(v).is_ok() {
                        (0xf3, 4)
                    } else {
                        (0xf4, 8)
                    };
                    self.buf.push(tag);
                    self.buf.extend_from_slice(&v.to_le_bytes()[..n]);
                }
            }
            Entry::Str(s) => {
                let n = s.len();
                if n < 64 {
                    self.buf.push(0x80 | n as u8);
                } else if n < 4096 {
                    self.buf.push(0xe0 | (n >> 8) as u8);
                    self.buf.push(n as u8);
                } else {
                    self.buf.push(0xf0);
                    self.buf.extend_from_slice(&(n as u32).to_le_bytes());
                }
                self.buf.extend_from_slice(s);
            }
        }
        let (back, n) = lp_backlen(self.buf.len() - start);
        self.buf.extend_from_slice(&back[..n]);
        self.count += 1;
    }

    /// The finished blob (header filled in, terminator appended).
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(LP_EOF);
        let total = self.buf.len() as u32;
        self.buf[..4].copy_from_slice(&total.to_le_bytes());
        let count = self.count.min(u16::MAX as usize) as u16;
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

// ---------------------------------------------------------------------------
// ziplist

const ZL_HDR: usize = 10;

/// Parses and validates a ziplist: total bytes, tail offset, every
/// entry's prev-length and encoding, the terminator and the count.
pub fn parse_ziplist(b: &[u8]) -> Result<Vec<Entry<'_>>, Invalid> {
    const BAD: Invalid = "bad ziplist entry";
    if b.len() < ZL_HDR + 1 {
        return Err("ziplist too short");
    }
    if le_u32(b, 0) != Some(b.len() as u32) || b.len() > u32::MAX as usize {
        return Err("ziplist total bytes mismatch");
    }
    let tail = le_u32(b, 4).unwrap_or(0) as usize;
    let declared = le_u16(b, 8).unwrap_or(0);
    let end = b.len() - 1;
    let body = &b[..end];
    let mut out = Vec::new();
    let mut pos = ZL_HDR;
    let mut prev_len = 0usize;
    let mut last = ZL_HDR;
    loop {
        let first = *b.get(pos).ok_or("ziplist without terminator")?;
        if first == 0xff {
            if pos != end {
                return Err("ziplist terminator before the end");
            }
            break;
        }
        let (prev, plsize) = if first < 254 {
            (first as usize, 1)
        } else {
            (le_u32(body, pos + 1).ok_or(BAD)? as usize, 5)
        };
        if prev != prev_len {
            return Err("bad ziplist prev-length");
        }
        let ep = pos + plsize;
        let c = *body.get(ep).ok_or(BAD)?;
        let (entry, hdr_data) = match c >> 6 {
            0 => {
                let n = (c & 0x3f) as usize;
                (Entry::Str(body.get(ep + 1..ep + 1 + n).ok_or(BAD)?), 1 + n)
            }
            1 => {
                let lo = *body.get(ep + 1).ok_or(BAD)? as usize;
                let n = (((c & 0x3f) as usize) << 8) | lo;
                (Entry::Str(body.get(ep + 2..ep + 2 + n).ok_or(BAD)?), 2 + n)
            }
            2 => {
                if c != 0x80 {
                    return Err(BAD);
                }
                let s = body.get(ep + 1..ep + 5).ok_or(BAD)?;
                let n = u32::from_be_bytes(s.try_into().map_err(|_| BAD)?) as usize;
                let data = body.get(ep + 5..ep + 5 + n).ok_or(BAD)?;
                (Entry::Str(data), 5 + n)
            }
            _ => {
                let n = match c {
                    0xc0 => 2,
                    0xd0 => 4,
                    0xe0 => 8,
                    0xf0 => 3,
                    0xfe => 1,
                    0xf1..=0xfd => 0,
                    _ => return Err(BAD),
                };
                let v = if n == 0 {
                    i64::from(c & 0x0f) - 1
                } else {
                    le_int(body, ep + 1, n).ok_or(BAD)?
                };
                (Entry::Int(v), 1 + n)
            }
        };
        let total = plsize + hdr_data;
        out.push(entry);
        last = pos;
        prev_len = total;
        pos += total;
    }
    if tail != last {
        return Err("bad ziplist tail offset");
    }
    if declared != u16::MAX && declared as usize != out.len() {
        return Err("ziplist element count mismatch");
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// intset

/// Parses and validates an intset: a known width, a size matching the
/// count, at least one element, strictly ascending values.
pub fn parse_intset(b: &[u8]) -> Result<Vec<i64>, Invalid> {
    let width = le_u32(b, 0).ok_or("intset too short")? as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err("bad intset encoding");
    }
    let count = le_u32(b, 4).ok_or("intset too short")? as usize;
    if count == 0 {
        return Err("empty intset");
    }
    if count.checked_mul(width).and_then(|n| n.checked_add(8)) != Some(b.len()) {
        return Err("intset size mismatch");
    }
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let v = le_int(b, 8 + i * width, width).ok_or("intset too short")?;
        if out.last().is_some_and(|&p| p >= v) {
            return Err("intset not sorted or with duplicates");
        }
        out.push(v);
    }
    Ok(out)
}

/// An intset of `sorted` (ascending, distinct) in the narrowest width.
pub fn write_intset(sorted: &[i64]) -> Vec<u8> {
    let width: usize = if sorted.iter().all(|&v| i16::try_from(v).is_ok()) {
        2
    } else if sorted.iter().all(|&v| i32::try_from(v).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(8 + width * sorted.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for v in sorted {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

// ---------------------------------------------------------------------------
// zipmap

/// Parses and validates a zipmap (the hash encoding of RDB version < 4):
/// field and value lengths, free space, the terminator and the count.
pub fn parse_zipmap(b: &[u8]) -> Result<Vec<Pair<'_>>, Invalid> {
    const BAD: Invalid = "bad zipmap entry";
    let declared = *b.first().ok_or("zipmap too short")?;
    let end = b.len().checked_sub(1).ok_or(BAD)?;
    let body = &b[..end];
    let len_at = |pos: usize| -> Result<(usize, usize), Invalid> {
        match *body.get(pos).ok_or(BAD)? {
            n @ 0..=253 => Ok((n as usize, 1)),
            254 => Ok((le_u32(body, pos + 1).ok_or(BAD)? as usize, 5)),
            _ => Err(BAD),
        }
    };
    let mut out = Vec::new();
    let mut pos = 1;
    loop {
        if pos > end {
            return Err("zipmap without terminator");
        }
        if pos == end {
            if b[end] != 0xff {
                return Err("zipmap without terminator");
            }
            break;
        }
        let (klen, n) = len_at(pos)?;
        pos += n;
        let key = body.get(pos..pos + klen).ok_or(BAD)?;
        pos += klen;
        let (vlen, n) = len_at(pos)?;
        pos += n;
        let free = *body.get(pos).ok_or(BAD)? as usize;
        pos += 1;
        let value = body.get(pos..pos + vlen).ok_or(BAD)?;
        pos += vlen;
        if body.get(pos..pos + free).is_none() {
            return Err(BAD);
        }
        pos += free;
        out.push((key, value));
    }
    if declared < 254 && declared as usize != out.len() {
        return Err("zipmap element count mismatch");
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// writers of the old layouts

/// A ziplist of `items` laid out as Redis (< 7.0) writes one: integers
/// in the smallest integer encoding, strings with 6/14/32-bit lengths.
/// Redis 7.0 no longer writes ziplists; this is for tests and tools.
pub fn write_ziplist(items: &[&[u8]]) -> Vec<u8> {
    let mut zl = vec![0u8; 10];
    let mut prev = 0usize;
    let mut last = 10;
    for it in items {
        last = zl.len();
        let mut e = Vec::new();
        if prev < 254 {
            e.push(prev as u8);
        } else {
            e.push(254);
            e.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        match parse_i64(it) {
            Some(v) if (0..=12).contains(&v) => e.push(0xf1 + v as u8),
            Some(v) if i8::try_from(v).is_ok() => e.extend([0xfe, v as u8]),
            Some(v) if i16::try_from(v).is_ok() => {
                e.push(0xc0);
                e.extend_from_slice(&(v as i16).to_le_bytes());
            }
            Some(v) if (-(1 << 23)..(1 << 23)).contains(&v) => {
                e.push(0xf0);
                e.extend_from_slice(&v.to_le_bytes()[..3]);
            }
            Some(v) if i32::try_from(v).is_ok() => {
                e.push(0xd0);
                e.extend_from_slice(&(v as i32).to_le_bytes());
            }
            Some(v) => {
                e.push(0xe0);
                e.extend_from_slice(&v.to_le_bytes());
            }
            None if it.len() < 64 => {
                e.push(it.len() as u8);
                e.extend_from_slice(it);
            }
            None if it.len() < 16384 => {
                e.extend([0x40 | (it.len() >> 8) as u8, it.len() as u8]);
                e.extend_from_slice(it);
            }
            None => {
                e.push(0x80);
                e.extend_from_slice(&(it.len() as u32).to_be_bytes());
                e.extend_from_slice(it);
            }
        }
        prev = e.len();
        zl.extend_from_slice(&e);
    }
    zl.push(0xff);
    let n = zl.len() as u32;
    zl[..4].copy_from_slice(&n.to_le_bytes());
    zl[4..8].copy_from_slice(&(last as u32).to_le_bytes());
    zl[8..10].copy_from_slice(&(items.len().min(65535) as u16).to_le_bytes());
    zl
}

/// A zipmap of `pairs` (one free byte after each value), as Redis < 2.6
/// wrote small hashes; for tests and tools.
pub fn write_zipmap(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut zm = vec![pairs.len().min(254) as u8];
    let len = |zm: &mut Vec<u8>, n: usize| {
        if n < 254 {
            zm.push(n as u8);
        } else {
            zm.push(254);
            zm.extend_from_slice(&(n as u32).to_le_bytes());
        }
    };
    for (k, v) in pairs {
        len(&mut zm, k.len());
        zm.extend_from_slice(k);
        len(&mut zm, v.len());
        zm.push(1);
        zm.extend_from_slice(v);
        zm.push(0);
    }
    zm.push(0xff);
    zm
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The general path's re-encoding of a listpack hash: each entry as
    /// a LEB128 length and its bytes (integers as decimal).
    fn repacked_by_general_path(lp: &[u8]) -> Option<(Vec<u8>, usize, bool)> {
        let entries = parse_listpack(lp).ok()?;
        let mut out = Vec::new();
        let mut fields: Vec<Vec<u8>> = Vec::new();
        let mut dup = false;
        for (i, e) in entries.iter().enumerate() {
            let bytes = match e {
                Entry::Str(b) => b.to_vec(),
                Entry::Int(n) => n.to_string().into_bytes(),
            };
            crate::types::hash::push_entry(&mut out, &bytes);
            if i % 2 == 0 {
                dup |= fields.contains(&bytes);
                fields.push(bytes);
            }
        }
        Some((out, entries.len(), dup))
    }

    #[test]
    fn repacking_agrees_with_the_general_path() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || crate::db::dict::next_random(&mut rng);
        let mut fast = 0;
        let mut out = Vec::new();
        for _ in 0..20_000 {
            let pairs = 1 + next() % 12;
            let mut w = ListpackWriter::new();
            for _ in 0..pairs * 2 {
                // Mostly what the fast path takes, now and then what it
                // leaves (bigger integers, strings of 64 bytes or more).
                let rare = next() % 64 == 0;
                let e: Vec<u8> = match next() % 5 {
                    0 if rare => (next() % 100_000).to_string().into_bytes(),
                    0 => (next() % 128).to_string().into_bytes(),
                    1 => format!("f{}", next() % 4).into_bytes(),
                    2 => Vec::new(),
                    _ if rare => vec![b'x'; 64],
                    _ => (0..next() % 64).map(|i| b'a' + (i % 26) as u8).collect(),
                };
                w.push_bytes(&e);
            }
            let mut lp = w.finish();
            if next() % 4 == 0 {
                let at = (next() % lp.len() as u64) as usize;
                lp[at] = next() as u8;
            }
            let Some(r) = repack_simple_listpack_hash(&lp, &mut out) else {
                continue;
            };
            fast += 1;
            let (want, entries, dup) =
                repacked_by_general_path(&lp).expect("the fast path accepts only valid blobs");
            assert_eq!(&out[..r.len], &want[..]);
            assert_eq!((r.entries, r.duplicate_field), (entries, dup));
        }
        assert!(fast > 10_000, "the fast path took {fast} blobs");
    }

    #[test]
    fn listpack_round_trip_and_redis_bytes() {
        // HSET h a 1 b hello, as redis-server 7.0 lays the listpack out.
        let mut w = ListpackWriter::new();
        for e in [&b"a"[..], b"1", b"b", b"hello"] {
            w.push_bytes(e);
        }
        let lp = w.finish();
        assert_eq!(
            lp,
            b"\x16\x00\x00\x00\x04\x00\x81a\x02\x01\x01\x81b\x02\x85hello\x06\xff"
        );
        let vals = [
            0i64,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -32768,
            32767,
            40000,
            -8388608,
            8388607,
            8388608,
            i32::MIN as i64,
            i32::MAX as i64 + 1,
            i64::MIN,
            i64::MAX,
        ];
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let mut w = ListpackWriter::new();
        for v in vals {
            w.push(Entry::Int(v));
        }
        w.push(Entry::Str(&long));
        w.push(Entry::Str(&mid));
        w.push(Entry::Str(b""));
        let lp = w.finish();
        let back = parse_listpack(&lp).unwrap();
        assert_eq!(back.len(), vals.len() + 3);
        for (i, v) in vals.iter().enumerate() {
            assert_eq!(back[i], Entry::Int(*v));
        }
        assert_eq!(back[vals.len()], Entry::Str(&long));
        assert_eq!(back[vals.len() + 1], Entry::Str(&mid));
        // Every truncation and most single-byte changes are refused.
        for cut in 0..lp.len() {
            assert!(parse_listpack(&lp[..cut]).is_err());
        }
        assert_eq!(lp_backlen(127), ([127, 0, 0, 0, 0], 1));
        assert_eq!(lp_backlen(128), ([1, 128, 0, 0, 0], 2));
    }

    #[test]
    fn ziplist_as_redis_wrote_it() {
        // RPUSH l a 1 300 -70000 <300 x 'z'> under Redis 6.2 (ziplist).
        let mut zl = vec![0u8; 10];
        let mut prev = 0usize;
        let mut last = 10;
        let mut push = |zl: &mut Vec<u8>, enc: &[u8]| {
            last = zl.len();
            let mut e = Vec::new();
            if prev < 254 {
                e.push(prev as u8);
            } else {
                e.push(254);
                e.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            e.extend_from_slice(enc);
            prev = e.len();
            zl.extend_from_slice(&e);
        };
        push(&mut zl, b"\x01a");
        push(&mut zl, b"\xf2");
        push(&mut zl, b"\xc0\x2c\x01");
        push(&mut zl, b"\xd0\x90\xee\xfe\xff");
        let mut big = vec![0x41, 0x2c];
        big.extend_from_slice(&[b'z'; 300]);
        push(&mut zl, &big);
        push(&mut zl, b"\xfe\x80");
        zl.push(0xff);
        let n = zl.len() as u32;
        zl[..4].copy_from_slice(&n.to_le_bytes());
        zl[4..8].copy_from_slice(&(last as u32).to_le_bytes());
        zl[8..10].copy_from_slice(&6u16.to_le_bytes());
        let got = parse_ziplist(&zl).unwrap();
        assert_eq!(got[0], Entry::Str(b"a"));
        assert_eq!(got[1], Entry::Int(1));
        assert_eq!(got[2], Entry::Int(300));
        assert_eq!(got[3], Entry::Int(-70000));
        assert_eq!(got[4], Entry::Str(&[b'z'; 300]));
        assert_eq!(got[5], Entry::Int(-128));
        for cut in 0..zl.len() {
            assert!(parse_ziplist(&zl[..cut]).is_err());
        }
        let mut bad = zl.clone();
        bad[8] = 5;
        assert!(parse_ziplist(&bad).is_err());
    }

    #[test]
    fn intset_and_zipmap() {
        let is = write_intset(&[-5, 1, 300]);
        assert_eq!(
            is,
            b"\x02\x00\x00\x00\x03\x00\x00\x00\xfb\xff\x01\x00\x2c\x01"
        );
        assert_eq!(parse_intset(&is).unwrap(), vec![-5, 1, 300]);
        let big = write_intset(&[1, 1 << 40]);
        assert_eq!(parse_intset(&big).unwrap(), vec![1, 1 << 40]);
        assert!(parse_intset(b"\x02\x00\x00\x00\x00\x00\x00\x00").is_err());
        assert!(parse_intset(b"\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x01\x00").is_err());
        assert!(parse_intset(b"\x03\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00").is_err());
        for cut in 0..is.len() {
            assert!(parse_intset(&is[..cut]).is_err());
        }
        // zipmap {"foo" => "bar", "k" => "vv"} with one free byte.
        let zm = b"\x02\x03foo\x03\x00bar\x01k\x02\x01vv\x00\xff";
        assert_eq!(
            parse_zipmap(zm).unwrap(),
            vec![(&b"foo"[..], &b"bar"[..]), (&b"k"[..], &b"vv"[..])]
        );
        for cut in 0..zm.len() {
            assert!(parse_zipmap(&zm[..cut]).is_err());
        }
    }
}
