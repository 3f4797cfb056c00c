//! RDB reader over any `impl Read`: length encodings, strings (plain,
//! integer-encoded, LZF-compressed), values, and the walk over a whole
//! stream (opcodes, AUX fields, databases, expire times, the checksum).
//! Lengths come from the stream and are never trusted: data is read in
//! bounded chunks, so memory only grows with bytes actually present, and
//! every error carries the offset where it was noticed.
//!
//! Redis counterpart: `rdb.c` (`rdbLoadLenByRef`, `rdbGenericLoadStringObject`,
//! `rdbLoadLzfStringObject`, `rdbLoadObject`, `rdbLoadRio`).

use std::io::{self, BufRead};

use super::packed::{
    parse_intset, parse_listpack, parse_ziplist, parse_zipmap, repack_simple_listpack_hash,
    visit_listpack, Entry, REPACK_MAX_FIELDS,
};
use super::{
    len_enc, opcode, rdb_type, str_enc, type_name, AccessHint, Encodings, LoadError, LoadOptions,
    LoadSink, RdbError, MAGIC, RDB_VERSION,
};
use crate::types::hash::{self, Hash};
use crate::types::list::{Elem, End, List};
use crate::types::set::Set;
use crate::types::zset::{self, ZSet};
use crate::types::Value;
use crate::util::crc64::{crc64, crc64_byte};
use crate::util::lzf;
use crate::util::numfmt::{i64_str, parse_f64, push_i64};

/// The most bytes allocated ahead of the data that fills them.
const CHUNK: usize = 1 << 20;

/// A length field: a plain length, or the marker of a special string
/// encoding (`str_enc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    Plain(u64),
    Encoded(u8),
}

/// A decoded string: integer encodings are kept as integers so values can
/// stay `int`-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RdbString {
    Int(i64),
    Bytes(Vec<u8>),
}

/// Reads RDB items from a buffered `R`, counting the bytes consumed and
/// keeping the running CRC-64 of them (when asked to). Reads work on the
/// buffer `R` exposes (`BufRead`): a byte or a length is a check and an
/// index, a compressed string is expanded straight from it, and nothing
/// past the last item is consumed (an AOF's commands follow its RDB
/// preamble in the same reader).
pub struct RdbReader<R: BufRead> {
    inner: R,
    offset: u64,
    crc: u64,
    checksum: bool,
    /// Reused buffers for packed blobs and for compressed bytes that
    /// straddle the end of `inner`'s buffer (one blob per key: no
    /// allocation per key while loading).
    blob: Vec<u8>,
    compressed: Vec<u8>,
}

/// Turns an I/O error of the reader into the RDB error. (The buffer is
/// filled with `fill_buf`, without retrying `Interrupted`: files and
/// memory, the sources read here, are not interrupted by signals.)
fn io_error(e: io::Error) -> RdbError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        RdbError::UnexpectedEof
    } else {
        RdbError::Io(e)
    }
}

impl<R: BufRead> RdbReader<R> {
    /// A reader over `inner`; `checksum` computes the CRC-64 as it reads.
    pub fn new(inner: R, checksum: bool) -> Self {
        RdbReader {
            inner,
            offset: 0,
            crc: 0,
            checksum,
            blob: Vec::new(),
            compressed: Vec::new(),
        }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The CRC-64 of the bytes consumed so far.
    pub fn crc(&self) -> u64 {
        self.crc
    }

    /// Marks the next `n` buffered bytes as consumed.
    #[inline]
    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
        self.offset += n as u64;
    }

    /// Fills `buf` or fails with `UnexpectedEof` (offset = bytes present).
    pub fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), RdbError> {
        let mut done = 0;
        while done < buf.len() {
            let checksum = self.checksum;
            let avail = self.inner.fill_buf().map_err(io_error)?;
            if avail.is_empty() {
                return Err(RdbError::UnexpectedEof);
            }
            let n = avail.len().min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&avail[..n]);
            if checksum {
                self.crc = crc64(self.crc, &buf[done..done + n]);
            }
            self.consume(n);
            done += n;
        }
        Ok(())
    }

    /// Hands `f` the next `len` bytes and consumes them: straight from the
    /// buffer when they are all there, else gathered in a reused buffer.
    fn with_bytes<T>(&mut self, len: usize, f: impl FnOnce(&[u8]) -> T) -> Result<T, RdbError> {
        let checksum = self.checksum;
        let avail = self.inner.fill_buf().map_err(io_error)?;
        if avail.len() >= len {
            let data = &avail[..len];
            if checksum {
                self.crc = crc64(self.crc, data);
            }
            let t = f(data);
            self.consume(len);
            return Ok(t);
        }
        let mut data = std::mem::take(&mut self.compressed);
        let res = self.read_bytes_into(len as u64, &mut data);
        let t = res.map(|()| f(&data));
        self.compressed = data;
        t
    }

    /// One byte.
    #[inline]
    pub fn read_u8(&mut self) -> Result<u8, RdbError> {
        let checksum = self.checksum;
        let b = match self.inner.fill_buf().map_err(io_error)?.first() {
            Some(&b) => b,
            None => return Err(RdbError::UnexpectedEof),
        };
        if checksum {
            self.crc = crc64_byte(self.crc, b);
        }
        self.consume(1);
        Ok(b)
    }

    pub fn read_array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        let mut b = [0u8; N];
        self.read_exact(&mut b)?;
        Ok(b)
    }

    /// A length or a special-encoding marker.
    pub fn read_len_or_enc(&mut self) -> Result<Len, RdbError> {
        let b = self.read_u8()?;
        match b >> 6 {
            len_enc::BITS6 => Ok(Len::Plain((b & 0x3f) as u64)),
            len_enc::BITS14 => {
                let lo = self.read_u8()?;
                Ok(Len::Plain((((b & 0x3f) as u64) << 8) | lo as u64))
            }
            len_enc::ENCVAL => Ok(Len::Encoded(b & 0x3f)),
            _ => match b {
                len_enc::BITS32 => Ok(Len::Plain(u32::from_be_bytes(self.read_array()?) as u64)),
                len_enc::BITS64 => Ok(Len::Plain(u64::from_be_bytes(self.read_array()?))),
                _ => Err(RdbError::corrupt(format!(
                    "Unknown length encoding {} in rdbLoadLen()",
                    b
                ))),
            },
        }
    }

    /// A length. An encoding marker reads as its 6-bit value, as Redis's
    /// `rdbLoadLen` does when the caller does not ask for encodings.
    pub fn read_len(&mut self) -> Result<u64, RdbError> {
        Ok(match self.read_len_or_enc()? {
            Len::Plain(n) => n,
            Len::Encoded(e) => e as u64,
        })
    }

    /// `len` bytes, allocated in bounded chunks as they arrive.
    pub fn read_bytes(&mut self, len: u64) -> Result<Vec<u8>, RdbError> {
        let mut v = Vec::new();
        self.read_bytes_into(len, &mut v)?;
        Ok(v)
    }

    /// `read_bytes` into `out` (cleared first), reusing its allocation;
    /// memory grows only with the bytes actually present.
    fn read_bytes_into(&mut self, len: u64, out: &mut Vec<u8>) -> Result<(), RdbError> {
        if len > isize::MAX as u64 {
            return Err(RdbError::corrupt("Length overflow"));
        }
        let len = len as usize;
        out.clear();
        out.reserve(len.min(CHUNK));
        while out.len() < len {
            let checksum = self.checksum;
            let avail = self.inner.fill_buf().map_err(io_error)?;
            if avail.is_empty() {
                return Err(RdbError::UnexpectedEof);
            }
            let n = avail.len().min(len - out.len());
            let data = &avail[..n];
            if checksum {
                self.crc = crc64(self.crc, data);
            }
            out.extend_from_slice(data);
            self.consume(n);
        }
        Ok(())
    }

    /// The integer of an INT8/INT16/INT32 string encoding `e`.
    fn read_int_enc(&mut self, e: u8) -> Result<i64, RdbError> {
        Ok(match e {
            str_enc::INT8 => self.read_u8()? as i8 as i64,
            str_enc::INT16 => i16::from_le_bytes(self.read_array()?) as i64,
            str_enc::INT32 => i32::from_le_bytes(self.read_array()?) as i64,
            _ => {
                return Err(RdbError::corrupt(format!(
                    "Unknown RDB string encoding type {}",
                    e
                )))
            }
        })
    }

    /// A string in any encoding, integers kept as integers.
    pub fn read_rdb_string(&mut self) -> Result<RdbString, RdbError> {
        match self.read_len_or_enc()? {
            Len::Plain(n) => Ok(RdbString::Bytes(self.read_bytes(n)?)),
            Len::Encoded(str_enc::LZF) => {
                let mut out = Vec::new();
                self.read_lzf_into(&mut out)?;
                Ok(RdbString::Bytes(out))
            }
            Len::Encoded(e) => Ok(RdbString::Int(self.read_int_enc(e)?)),
        }
    }

    /// A string in any encoding, as bytes.
    pub fn read_string(&mut self) -> Result<Vec<u8>, RdbError> {
        Ok(match self.read_rdb_string()? {
            RdbString::Int(n) => {
                let mut v = Vec::with_capacity(20);
                push_i64(&mut v, n);
                v
            }
            RdbString::Bytes(b) => b,
        })
    }

    /// A string in any encoding into the reader's reusable blob buffer
    /// (taken out of the reader; hand it back with `return_blob`).
    fn read_blob(&mut self) -> Result<Vec<u8>, RdbError> {
        let mut out = std::mem::take(&mut self.blob);
        match self.read_len_or_enc()? {
            Len::Plain(n) => self.read_bytes_into(n, &mut out)?,
            Len::Encoded(str_enc::LZF) => self.read_lzf_into(&mut out)?,
            // An integer-encoded string: not a valid blob, but its bytes are
            // what the caller's validation should see.
            Len::Encoded(e) => {
                let n = self.read_int_enc(e)?;
                out.clear();
                push_i64(&mut out, n);
            }
        }
        Ok(out)
    }

    /// Gives the buffer `read_blob` returned back for the next blob.
    fn return_blob(&mut self, blob: Vec<u8>) {
        self.blob = blob;
    }

    /// An LZF-compressed string body (compressed length, length, data),
    /// expanded into `out`; the compressed bytes go through a buffer the
    /// reader reuses.
    fn read_lzf_into(&mut self, out: &mut Vec<u8>) -> Result<(), RdbError> {
        let clen = self.read_len()?;
        let len = self.read_len()?;
        let invalid = || RdbError::corrupt("Invalid LZF compressed string");
        // Refuse a declared length the compressed bytes cannot produce
        // before reading (or allocating) anything for it.
        if len > clen.saturating_mul(lzf::MAX_RATIO as u64) {
            return Err(invalid());
        }
        if clen > isize::MAX as u64 {
            return Err(RdbError::corrupt("Length overflow"));
        }
        self.with_bytes(clen as usize, |data| {
            lzf::decompress_into(data, len as usize, out).map_err(|_| invalid())
        })?
    }

    /// A string value, encoded as Redis's `tryObjectEncoding` would
    /// encode it after loading (`int`, `embstr` or `raw`).
    pub fn read_string_value(&mut self) -> Result<Value, RdbError> {
        Ok(match self.read_rdb_string()? {
            RdbString::Int(n) => Value::Int(n),
            RdbString::Bytes(b) => Value::string(&b),
        })
    }

    /// The body of a value of RDB type `t`, built with the encodings
    /// Redis would give it under `enc`. `Ok(None)` is an empty
    /// collection, which Redis skips on load (and RESTORE refuses).
    pub fn read_object(&mut self, t: u8, enc: &Encodings) -> Result<Option<Value>, RdbError> {
        let v = match t {
            rdb_type::STRING => self.read_string_value()?,
            rdb_type::LIST => {
                let n = self.read_len()?;
                let mut l = List::new();
                for _ in 0..n {
                    let e = self.read_string()?;
                    l.push(End::Tail, Elem::from_bytes(&e), enc.list_fill);
                }
                Value::List(Box::new(l))
            }
            rdb_type::LIST_ZIPLIST => {
                let blob = self.read_string()?;
                let entries = parse_ziplist(&blob).map_err(|_| corrupt_blob(t))?;
                let mut l = List::new();
                push_entries(&mut l, &entries, enc.list_fill);
                Value::List(Box::new(l))
            }
            rdb_type::LIST_QUICKLIST | rdb_type::LIST_QUICKLIST_2 => {
                let nodes = self.read_len()?;
                let mut l = List::new();
                for _ in 0..nodes {
                    let container = if t == rdb_type::LIST_QUICKLIST_2 {
                        self.read_len()?
                    } else {
                        QUICKLIST_PACKED
                    };
                    let blob = self.read_string()?;
                    match container {
                        QUICKLIST_PLAIN => {
                            l.push(End::Tail, Elem::from_bytes(&blob), enc.list_fill)
                        }
                        QUICKLIST_PACKED => {
                            let entries = if t == rdb_type::LIST_QUICKLIST {
                                parse_ziplist(&blob)
                            } else {
                                parse_listpack(&blob)
                            }
                            .map_err(|_| corrupt_blob(t))?;
                            push_entries(&mut l, &entries, enc.list_fill);
                        }
                        _ => return Err(RdbError::corrupt("Quicklist integrity check failed.")),
                    }
                }
                Value::List(Box::new(l))
            }
            rdb_type::SET => {
                let n = self.read_len()?;
                let mut s = if n > enc.set_max_intset as u64 {
                    Set::new_hashtable()
                } else {
                    Set::new()
                };
                for _ in 0..n {
                    let m = self.read_string()?;
                    if !s.insert(&m, enc.set_max_intset) {
                        return Err(RdbError::corrupt("Duplicate set members detected"));
                    }
                }
                Value::Set(Box::new(s))
            }
            rdb_type::SET_INTSET => {
                let blob = self.read_string()?;
                let ints = parse_intset(&blob).map_err(|_| corrupt_blob(t))?;
                let mut s = if ints.len() > enc.set_max_intset {
                    Set::new_hashtable()
                } else {
                    Set::new()
                };
                for v in ints {
                    s.insert(i64_str(v, &mut [0u8; 20]), usize::MAX);
                }
                Value::Set(Box::new(s))
            }
            rdb_type::HASH => {
                let n = self.read_len()?;
                let mut h = Hash::new();
                if n > enc.hash.max_entries as u64 {
                    h.convert();
                }
                for _ in 0..n {
                    let f = self.read_string()?;
                    let v = self.read_string()?;
                    if !h.set(&f, &v, enc.hash) {
                        return Err(RdbError::corrupt("Duplicate hash fields detected"));
                    }
                }
                Value::Hash(h)
            }
            rdb_type::HASH_ZIPMAP => {
                let blob = self.read_string()?;
                let pairs = parse_zipmap(&blob).map_err(|_| corrupt_blob(t))?;
                let pairs: Vec<(Entry, Entry)> = pairs
                    .into_iter()
                    .map(|(f, v)| (Entry::Str(f), Entry::Str(v)))
                    .collect();
                build_hash(&pairs, enc, true)?
            }
            rdb_type::HASH_LISTPACK => {
                let blob = self.read_blob()?;
                let value = match listpack_hash(&blob, enc) {
                    Ok(Some(v)) => v,
                    Ok(None) => {
                        let entries = parse_listpack(&blob).map_err(|_| corrupt_blob(t))?;
                        let pairs = into_pairs(&entries).ok_or_else(|| corrupt_blob(t))?;
                        build_hash(&pairs, enc, false)?
                    }
                    Err(e) => return Err(e.unwrap_or_else(|| corrupt_blob(t))),
                };
                self.return_blob(blob);
                value
            }
            rdb_type::HASH_ZIPLIST => {
                let blob = self.read_string()?;
                let entries = parse_ziplist(&blob).map_err(|_| corrupt_blob(t))?;
                let pairs = into_pairs(&entries).ok_or_else(|| corrupt_blob(t))?;
                build_hash(&pairs, enc, false)?
            }
            rdb_type::ZSET | rdb_type::ZSET_2 => {
                let n = self.read_len()?;
                let mut pairs: Vec<(Vec<u8>, f64)> = Vec::with_capacity((n as usize).min(1024));
                for _ in 0..n {
                    let m = self.read_string()?;
                    let score = if t == rdb_type::ZSET_2 {
                        f64::from_le_bytes(self.read_array()?)
                    } else {
                        self.read_text_double()?
                    };
                    if score.is_nan() {
                        return Err(RdbError::corrupt("Zset with NAN score detected"));
                    }
                    pairs.push((m, score));
                }
                build_plain_zset(&pairs, enc)?
            }
            rdb_type::ZSET_ZIPLIST | rdb_type::ZSET_LISTPACK => {
                let blob = self.read_string()?;
                let entries = if t == rdb_type::ZSET_ZIPLIST {
                    parse_ziplist(&blob)
                } else {
                    parse_listpack(&blob)
                }
                .map_err(|_| corrupt_blob(t))?;
                let pairs = into_pairs(&entries).ok_or_else(|| corrupt_blob(t))?;
                build_packed_zset(&pairs, enc, t)?
            }
            rdb_type::STREAM_LISTPACKS | rdb_type::STREAM_LISTPACKS_2 => {
                return Err(RdbError::corrupt(
                    "Stream values are not supported yet by ferredis",
                ))
            }
            rdb_type::MODULE_PRE_GA | rdb_type::MODULE_2 => {
                return Err(RdbError::corrupt(
                    "Module values cannot be loaded: ferredis has no module system",
                ))
            }
            _ => return Err(RdbError::UnknownType(t)),
        };
        let empty = match &v {
            Value::List(l) => l.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::ZSet(z) => z.is_empty(),
            _ => false,
        };
        Ok((!empty).then_some(v))
    }

    /// A score in the old text form of RDB type 3: a length byte (253 NaN,
    /// 254 +inf, 255 -inf) then that many ASCII characters.
    fn read_text_double(&mut self) -> Result<f64, RdbError> {
        let len = self.read_u8()?;
        match len {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let text = self.read_bytes(n as u64)?;
                std::str::from_utf8(&text)
                    .ok()
                    .and_then(|s| s.parse::<f64>().ok())
                    .ok_or_else(|| RdbError::corrupt("Invalid zset score"))
            }
        }
    }
}

/// Quicklist v2 node containers.
const QUICKLIST_PLAIN: u64 = 1;
const QUICKLIST_PACKED: u64 = 2;

/// The error for a packed blob that fails validation, in Redis's words.
fn corrupt_blob(t: u8) -> RdbError {
    RdbError::corrupt(match t {
        rdb_type::LIST_ZIPLIST => "List ziplist integrity check failed.",
        rdb_type::LIST_QUICKLIST | rdb_type::LIST_QUICKLIST_2 => {
            "Quicklist integrity check failed."
        }
        rdb_type::SET_INTSET => "Intset integrity check failed.",
        rdb_type::HASH_ZIPMAP => "Zipmap integrity check failed.",
        rdb_type::HASH_ZIPLIST => "Hash ziplist integrity check failed.",
        rdb_type::HASH_LISTPACK => "Hash listpack integrity check failed.",
        rdb_type::ZSET_ZIPLIST => "Zset ziplist integrity check failed.",
        rdb_type::ZSET_LISTPACK => "Zset listpack integrity check failed.",
        _ => "Bad packed value",
    })
}

/// Appends packed entries to a list.
fn push_entries(l: &mut List, entries: &[Entry<'_>], fill: crate::types::list::Shape) {
    for e in entries {
        e.with_bytes(|b| l.push(End::Tail, Elem::from_bytes(b), fill));
    }
}

/// Pairs up an even number of entries.
fn into_pairs<'a>(entries: &[Entry<'a>]) -> Option<Vec<(Entry<'a>, Entry<'a>)>> {
    if !entries.len().is_multiple_of(2) {
        return None;
    }
    Some(entries.chunks_exact(2).map(|p| (p[0], p[1])).collect())
}

/// A hash from packed pairs: duplicate fields are corrupt; `listpack`
/// unless there are more pairs than `hash-max-listpack-entries` (or, for
/// a zipmap, a field or value longer than `hash-max-listpack-value`: what
/// Redis 7.0 does; ziplist and listpack hashes keep long values). No
/// per-entry copies: fields go straight from the blob into the hash,
/// which reports duplicates.
fn build_hash(
    pairs: &[(Entry<'_>, Entry<'_>)],
    enc: &Encodings,
    check_value_len: bool,
) -> Result<Value, RdbError> {
    let entry_len = |e: &Entry<'_>| match e {
        Entry::Str(b) => b.len(),
        Entry::Int(_) => 20,
    };
    let long = check_value_len
        && pairs
            .iter()
            .any(|(f, v)| entry_len(f).max(entry_len(v)) > enc.hash.max_value);
    if pairs.len() <= enc.hash.max_entries && !long {
        return packed_hash(pairs);
    }
    let mut h = Hash::new();
    h.convert();
    let unlimited = hash::Limits {
        max_entries: usize::MAX,
        max_value: usize::MAX,
    };
    for (f, v) in pairs {
        let new = f.with_bytes(|fb| v.with_bytes(|vb| h.set(fb, vb, unlimited)));
        if !new {
            return Err(RdbError::corrupt("Duplicate hash fields detected"));
        }
    }
    Ok(Value::Hash(h))
}

/// A small listpack hash blob straight into a `listpack` hash (the
/// common case of an RDB load): the simple blobs re-packed in one pass
/// (`repack_simple_listpack_hash`), the others validated and re-encoded
/// entry by entry, their fields fingerprinted for the duplicate check.
/// `Ok(None)` when the hash is too big for this path (the general one
/// handles it); `Err(None)` for a corrupt blob, `Err(Some(e))` for
/// duplicate fields.
fn listpack_hash(blob: &[u8], enc: &Encodings) -> Result<Option<Value>, Option<RdbError>> {
    let declared = blob
        .get(4..6)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as usize);
    if declared == u16::MAX as usize || declared / 2 > HASH_BUILD_MAX.min(enc.hash.max_entries) {
        return Ok(None);
    }
    let duplicate = || Some(RdbError::corrupt("Duplicate hash fields detected"));
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    SCRATCH.with(|scratch| {
        let mut out = scratch.borrow_mut();
        if let Some(r) = repack_simple_listpack_hash(blob, &mut out) {
            if r.duplicate_field {
                return Err(duplicate());
            }
            let pairs = r.entries / 2;
            return Ok(Some(Value::Hash(Hash::from_packed_bytes(
                pairs,
                &out[..r.len],
            ))));
        }
        // An encoding the fast pass leaves to the full parser.
        out.clear();
        // Integers may print longer than they are packed: room for both.
        out.reserve(blob.len() * 2);
        let mut st = HashBuild::new(&mut out);
        let visited = visit_listpack(blob, |e| st.add(e));
        let dup = st.dup;
        match visited {
            Err(_) => Err(None),
            Ok(count) if !count.is_multiple_of(2) => Err(None),
            Ok(_) if dup => Err(duplicate()),
            Ok(count) => Ok(Some(Value::Hash(Hash::from_packed_bytes(count / 2, &out)))),
        }
    })
}

/// Most fields `listpack_hash` converts.
const HASH_BUILD_MAX: usize = REPACK_MAX_FIELDS;

/// A packed hash being built from listpack entries (`listpack_hash`):
/// the entries re-encoded into `out`, and per field a one-word fingerprint
/// (length and edge bytes) with its span in `out`, so that bytes are
/// compared only when fingerprints match.
struct HashBuild<'a> {
    out: &'a mut Vec<u8>,
    prints: [(u64, u32, u32); HASH_BUILD_MAX],
    n: usize,
    dup: bool,
}

impl<'a> HashBuild<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        HashBuild {
            out,
            prints: [(0, 0, 0); HASH_BUILD_MAX],
            n: 0,
            dup: false,
        }
    }

    fn add(&mut self, e: Entry<'_>) -> Result<(), &'static str> {
        let field = self.n.is_multiple_of(2);
        e.with_bytes(|b| {
            let start = self.out.len();
            crate::types::hash::push_entry(self.out, b);
            if field {
                let k = self.n / 2;
                if k >= HASH_BUILD_MAX {
                    return Err("too many entries");
                }
                let (first, last) = match b.len() {
                    0 => (0, 0),
                    l => (b[0], b[l - 1]),
                };
                let print = (b.len() as u64) << 16 | u64::from(first) << 8 | u64::from(last);
                let p = (print, start as u32, self.out.len() as u32);
                for q in &self.prints[..k] {
                    if q.0 == p.0
                        && self.out[q.1 as usize..q.2 as usize]
                            == self.out[p.1 as usize..p.2 as usize]
                    {
                        self.dup = true;
                    }
                }
                self.prints[k] = p;
            }
            Ok(())
        })?;
        self.n += 1;
        Ok(())
    }
}

/// A `listpack` hash built in one step, after checking that the fields
/// are distinct (a duplicate is corruption, as Redis's deep check says).
fn packed_hash(pairs: &[(Entry<'_>, Entry<'_>)]) -> Result<Value, RdbError> {
    let duplicate = || RdbError::corrupt("Duplicate hash fields detected");
    if pairs.len() <= HASH_BUILD_MAX {
        // Encoded and checked in one pass, as `listpack_hash` does.
        let mut out = Vec::new();
        let mut st = HashBuild::new(&mut out);
        for &(f, v) in pairs {
            st.add(f)
                .and_then(|()| st.add(v))
                .map_err(|_| duplicate())?;
        }
        if st.dup {
            return Err(duplicate());
        }
        return Ok(Value::Hash(Hash::from_packed_bytes(pairs.len(), &out)));
    }
    // Many fields: a sorted copy finds duplicates.
    let mut fields: Vec<std::borrow::Cow<'_, [u8]>> = pairs
        .iter()
        .map(|(f, _)| match f {
            Entry::Str(b) => std::borrow::Cow::Borrowed(*b),
            Entry::Int(n) => std::borrow::Cow::Owned(n.to_string().into_bytes()),
        })
        .collect();
    fields.sort_unstable();
    if fields.windows(2).any(|w| w[0] == w[1]) {
        return Err(duplicate());
    }
    let hash = Hash::build_packed(pairs.len(), |emit| {
        for (f, v) in pairs {
            f.with_bytes(&mut *emit);
            v.with_bytes(&mut *emit);
        }
    });
    Ok(Value::Hash(hash))
}

/// A sorted set from the (member, score) pairs of a plain zset: built as
/// a skiplist (duplicates are corrupt), then `listpack` when within
/// `zset-max-listpack-entries` and every member within
/// `zset-max-listpack-value`, as Redis does.
fn build_plain_zset(pairs: &[(Vec<u8>, f64)], enc: &Encodings) -> Result<Value, RdbError> {
    let packed = pairs.len() <= enc.zset.max_entries
        && pairs.iter().all(|(m, _)| m.len() <= enc.zset.max_value);
    let mut z = if packed {
        ZSet::new()
    } else {
        ZSet::new_skiplist()
    };
    let lim = zset_limits(packed, enc);
    for (m, score) in pairs {
        if z.score(m).is_some() {
            return Err(RdbError::corrupt("Duplicate zset fields detected"));
        }
        z.insert_new(m, *score, lim);
    }
    Ok(Value::ZSet(Box::new(z)))
}

/// A sorted set from packed (member, score) entries: duplicates are
/// corrupt, scores must parse; `listpack` unless there are more than
/// `zset-max-listpack-entries` members (long members are kept, as Redis).
fn build_packed_zset(
    pairs: &[(Entry<'_>, Entry<'_>)],
    enc: &Encodings,
    t: u8,
) -> Result<Value, RdbError> {
    let packed = pairs.len() <= enc.zset.max_entries;
    let mut z = if packed {
        ZSet::new()
    } else {
        ZSet::new_skiplist()
    };
    let lim = zset_limits(packed, enc);
    for (m, s) in pairs {
        let score = match s {
            Entry::Int(v) => *v as f64,
            Entry::Str(b) => parse_f64(b).ok_or_else(|| corrupt_blob(t))?,
        };
        m.with_bytes(|mb| {
            if z.score(mb).is_some() {
                return Err(RdbError::corrupt("Duplicate zset fields detected"));
            }
            z.insert_new(mb, score, lim);
            Ok(())
        })?;
    }
    Ok(Value::ZSet(Box::new(z)))
}

/// Limits that keep a zset in the encoding chosen up front.
fn zset_limits(packed: bool, enc: &Encodings) -> zset::Limits {
    if packed {
        zset::Limits {
            max_entries: usize::MAX,
            max_value: usize::MAX,
        }
    } else {
        enc.zset
    }
}

/// The version digits of a header, read like C's `atoi` (leading digits).
fn parse_version(digits: &[u8]) -> u32 {
    digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0u32, |acc, &b| acc * 10 + (b - b'0') as u32)
}

/// Reads a whole RDB stream, handing what it finds to `sink`.
pub fn load<R: BufRead, S: LoadSink>(
    r: R,
    opts: &LoadOptions,
    sink: &mut S,
) -> Result<(), LoadError> {
    let mut rd = RdbReader::new(r, opts.verify_checksum);
    load_stream(&mut rd, opts, sink).map_err(|error| LoadError {
        offset: rd.offset(),
        error,
    })
}

fn load_stream<R: BufRead, S: LoadSink>(
    rd: &mut RdbReader<R>,
    opts: &LoadOptions,
    sink: &mut S,
) -> Result<(), RdbError> {
    let header: [u8; 9] = rd.read_array()?;
    if &header[..5] != MAGIC {
        return Err(RdbError::BadSignature);
    }
    let version = parse_version(&header[5..]);
    if !(1..=RDB_VERSION).contains(&version) {
        return Err(RdbError::BadVersion(version));
    }
    let mut expire_ms: Option<i64> = None;
    let mut access = AccessHint::default();
    let mut empty_skipped = 0u64;
    loop {
        let t = rd.read_u8()?;
        match t {
            opcode::EXPIRETIME => {
                let secs = i32::from_le_bytes(rd.read_array()?);
                expire_ms = Some(secs as i64 * 1000);
            }
            opcode::EXPIRETIME_MS => expire_ms = Some(i64::from_le_bytes(rd.read_array()?)),
            opcode::FREQ => access.freq = Some(rd.read_u8()?),
            opcode::IDLE => access.idle_secs = Some(rd.read_len()?),
            opcode::EOF => break,
            opcode::SELECTDB => {
                let db = rd.read_len()?;
                sink.select_db(db)?;
            }
            opcode::RESIZEDB => {
                let db_size = rd.read_len()?;
                let expires_size = rd.read_len()?;
                sink.resize_db(db_size, expires_size);
            }
            opcode::AUX => {
                let key = rd.read_string()?;
                let value = rd.read_string()?;
                sink.aux(&key, &value);
            }
            opcode::MODULE_AUX => {
                return Err(RdbError::UnsupportedOpcode(
                    "The RDB file contains module AUX data (opcode 247), but ferredis has no module system",
                ))
            }
            opcode::FUNCTION_PRE_GA => {
                return Err(RdbError::UnsupportedOpcode(
                    "Pre-release function format not supported.",
                ))
            }
            opcode::FUNCTION2 => {
                return Err(RdbError::UnsupportedOpcode(
                    "The RDB file contains functions (opcode 245), which are not supported yet by ferredis",
                ))
            }
            _ => {
                if type_name(t).is_none() {
                    return Err(RdbError::UnknownType(t));
                }
                let key = rd.read_string()?;
                if matches!(
                    t,
                    rdb_type::STREAM_LISTPACKS
                        | rdb_type::STREAM_LISTPACKS_2
                        | rdb_type::MODULE_PRE_GA
                        | rdb_type::MODULE_2
                ) {
                    return Err(RdbError::UnsupportedType { rdb_type: t, key });
                }
                let expire = expire_ms.take();
                let hint = std::mem::take(&mut access);
                match rd.read_object(t, &opts.encodings)? {
                    Some(value) => sink.entry_with_access(key, value, expire, hint)?,
                    None => {
                        empty_skipped += 1;
                        if empty_skipped <= 10 {
                            log::info!(
                                "rdbLoadObject skipping empty key: {}",
                                String::from_utf8_lossy(&key)
                            );
                        }
                    }
                }
            }
        }
    }
    if version >= 5 {
        let expected = rd.crc();
        let got = u64::from_le_bytes(rd.read_array()?);
        if opts.verify_checksum {
            if got == 0 {
                log::warn!("RDB file was saved with checksum disabled: no check performed.");
            } else if got != expected {
                return Err(RdbError::Checksum { expected, got });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{load_keyspace, save_keyspace, SaveOptions};
    use super::*;
    use crate::db::Keyspace;

    fn reader(b: &[u8]) -> RdbReader<&[u8]> {
        RdbReader::new(b, false)
    }

    #[test]
    fn reads_every_length_and_string_form() {
        assert_eq!(reader(&[0x3f]).read_len().unwrap(), 63);
        assert_eq!(reader(&[0x40, 0x64]).read_len().unwrap(), 100);
        assert_eq!(reader(&[0x80, 0, 0, 0x40, 0]).read_len().unwrap(), 16384);
        assert_eq!(
            reader(&[0x81, 0, 0, 0, 1, 0, 0, 0, 0]).read_len().unwrap(),
            1 << 32
        );
        assert!(matches!(
            reader(&[0x82]).read_len(),
            Err(RdbError::Corrupt(m)) if m == "Unknown length encoding 130 in rdbLoadLen()"
        ));
        assert_eq!(reader(&[0xc0, 0xff]).read_string().unwrap(), b"-1");
        assert_eq!(reader(&[0xc1, 0x2c, 0x01]).read_string().unwrap(), b"300");
        assert_eq!(
            reader(&[0xc2, 0x90, 0xee, 0xfe, 0xff])
                .read_string()
                .unwrap(),
            b"-70000"
        );
        assert_eq!(
            reader(&[0xc2, 0x90, 0xee, 0xfe, 0xff])
                .read_rdb_string()
                .unwrap(),
            RdbString::Int(-70000)
        );
        // LZF, as redis-server 7.0 wrote 100 x 'a'.
        let lzf = [
            0xc3, 0x09, 0x40, 0x64, 0x01, 0x61, 0x61, 0xe0, 0x57, 0x00, 0x01, 0x61, 0x61,
        ];
        let v = reader(&lzf).read_string_value().unwrap();
        assert_eq!(v.to_bytes(), vec![b'a'; 100]);
        assert_eq!(v.encoding(), "raw");
        assert!(matches!(
            reader(&[0xc4]).read_string(),
            Err(RdbError::Corrupt(m)) if m == "Unknown RDB string encoding type 4"
        ));
        // A declared LZF length the data cannot produce.
        assert!(matches!(
            reader(&[0xc3, 0x01, 0x81, 0, 0, 0, 1, 0, 0, 0, 0, 0]).read_string(),
            Err(RdbError::Corrupt(m)) if m == "Invalid LZF compressed string"
        ));
    }

    #[test]
    fn huge_lengths_do_not_allocate_before_the_data() {
        // 2^62 bytes promised, 3 present: a short read, not an OOM.
        let mut b = vec![0x81, 0x40, 0, 0, 0, 0, 0, 0, 0];
        b.extend_from_slice(b"abc");
        let mut r = reader(&b);
        assert!(matches!(r.read_string(), Err(RdbError::UnexpectedEof)));
        assert_eq!(r.offset(), 12);
        let b = [0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            reader(&b).read_string(),
            Err(RdbError::Corrupt(m)) if m == "Length overflow"
        ));
    }

    #[test]
    fn reads_a_file_written_by_redis() {
        // redis-server 7.0.15: SET foo bar, SET n 12, SET long <100 x a>,
        // SET ex val EX 1000 (and SAVE, rdbcompression yes).
        let mut f: Vec<u8> = b"REDIS0010\xfa\x09redis-ver\x067.0.15\xfa\x0aredis-bits\xc0\x40\
              \xfa\x05ctime\xc2\x94\x87\x06\x6b\xfa\x08used-mem\xc2\x78\xb8\x0e\x00\
              \xfa\x08aof-base\xc0\x00\xfe\x00\xfb\x04\x01\
              \x00\x04long\xc3\x09\x40\x64\x01\x61\x61\xe0\x57\x00\x01\x61\x61\
              \x00\x01n\xc0\x0c\
              \xfc\x8b\xdf\x90\x11\xa2\x01\x00\x00\x00\x02ex\x03val\
              \x00\x03foo\x03bar\xff"
            .to_vec();
        let crc = crc64(0, &f);
        f.extend_from_slice(&crc.to_le_bytes());
        let mut ks = Keyspace::new(16);
        let opts = LoadOptions {
            verify_checksum: true,
            encodings: Encodings::default(),
        };
        let stats = load_keyspace(&f[..], &mut ks, 0, true, &opts).unwrap();
        assert_eq!(stats.keys_loaded, 4);
        let db = &mut ks.dbs[0];
        assert_eq!(db.get(b"n", 0).unwrap().encoding(), "int");
        assert_eq!(db.get(b"foo", 0).unwrap().to_bytes(), b"bar");
        assert_eq!(db.get(b"long", 0).unwrap().to_bytes(), vec![b'a'; 100]);
        assert_eq!(db.expire_of(b"ex"), Some(0x0000_01a2_1190_df8b));
    }

    /// One RDB key entry: type byte, key, then `body`.
    fn entry(t: u8, key: &[u8], body: &[u8]) -> Vec<u8> {
        let mut w = crate::persistence::rdb::encode::RdbWriter::new(Vec::new(), false);
        w.write_raw(&[t]).unwrap();
        w.write_string(key).unwrap();
        w.write_raw(body).unwrap();
        w.into_inner()
    }

    /// A string in RDB form.
    fn rdb_str(b: &[u8]) -> Vec<u8> {
        let mut w = crate::persistence::rdb::encode::RdbWriter::new(Vec::new(), false);
        w.write_string(b).unwrap();
        w.into_inner()
    }

    /// An RDB length.
    fn rdb_len(n: u64) -> Vec<u8> {
        let mut w = crate::persistence::rdb::encode::RdbWriter::new(Vec::new(), false);
        w.write_len(n).unwrap();
        w.into_inner()
    }

    /// A keyspace with every type in its small and big encodings.
    fn every_type_keyspace() -> Keyspace {
        use crate::types::hash::Hash;
        use crate::types::list::List;
        use crate::types::set::Set;
        use crate::types::zset::ZSet;
        let mut ks = Keyspace::new(16);
        let db = &mut ks.dbs[0];
        let mut l = List::new();
        for i in 0..300 {
            let e = if i % 3 == 0 {
                (i as i64 * 1000 - 7).to_string()
            } else {
                "e".repeat(i % 70)
            };
            l.push(End::Tail, Elem::from_bytes(e.as_bytes()), -2);
        }
        db.set(b"list", Value::List(Box::new(l)), false);
        let mut s = Set::new();
        for v in [1i64, -5, 300, 70000, 1 << 40] {
            s.insert(v.to_string().as_bytes(), 512);
        }
        db.set(b"intset", Value::Set(Box::new(s)), false);
        let mut s = Set::new();
        for i in 0..20 {
            s.insert(format!("m{}", i).as_bytes(), 512);
        }
        db.set(b"strset", Value::Set(Box::new(s)), false);
        let lim = hash::Limits {
            max_entries: 512,
            max_value: 64,
        };
        let mut h = Hash::new();
        h.set(b"a", b"1", lim);
        h.set(b"b", b"hello", lim);
        db.set(b"hash", Value::Hash(h), false);
        let mut h = Hash::new();
        h.set(b"long", &[b'v'; 100], lim);
        h.set(b"x", b"y", lim);
        db.set(b"bighash", Value::Hash(h), false);
        let mut z = ZSet::new();
        for (i, s) in [1.5, -2.0, f64::INFINITY, 1e20].iter().enumerate() {
            z.insert_new(format!("z{}", i).as_bytes(), *s, zset::Limits::default());
        }
        db.set(b"zset", Value::ZSet(Box::new(z)), false);
        let mut z = ZSet::new_skiplist();
        for i in 0..200 {
            z.insert_new(
                format!("big{}", i).as_bytes(),
                i as f64 / 3.0,
                zset::Limits::default(),
            );
        }
        db.set(b"bigzset", Value::ZSet(Box::new(z)), false);
        db.set(b"str", Value::string(&b"abc".repeat(30)), false);
        db.set_expire(b"str", 5_000_000_000_000);
        ks
    }

    /// A valid file with every type and encoding: ferredis's own writes
    /// plus the older encodings Redis still loads, spliced in before EOF.
    fn every_encoding_file() -> Vec<u8> {
        let opts = SaveOptions {
            checksum: true,
            ctime: 1_700_000_000,
            used_mem: 1 << 20,
            compression: true,
            access: super::super::AccessSave::None,
            aof_base: false,
            repl: None,
            progress: None,
        };
        let mut f = save_keyspace(Vec::new(), &every_type_keyspace(), &opts).unwrap();
        f.truncate(f.len() - 9);
        let big = vec![b'q'; 300];
        let items: [&[u8]; 8] = [
            b"a",
            b"1",
            b"-100",
            b"30000",
            b"-70000",
            b"5000000000",
            &big,
            b"12",
        ];
        // Ziplist list (10), quicklist v1 (14) of two ziplists.
        f.extend(entry(
            10,
            b"zl-list",
            &rdb_str(&super::super::packed::write_ziplist(&items)),
        ));
        let mut ql = rdb_len(2);
        ql.extend(rdb_str(&super::super::packed::write_ziplist(&items[..3])));
        ql.extend(rdb_str(&super::super::packed::write_ziplist(&items[3..])));
        f.extend(entry(14, b"ql-list", &ql));
        // Quicklist v2 (18) with a plain node between packed ones.
        let mut lp = super::super::packed::ListpackWriter::new();
        lp.push_bytes(b"p1");
        lp.push_bytes(b"2");
        let lp = lp.finish();
        let mut q2 = rdb_len(3);
        q2.extend(rdb_len(2));
        q2.extend(rdb_str(&lp));
        q2.extend(rdb_len(1));
        q2.extend(rdb_str(&big));
        q2.extend(rdb_len(2));
        q2.extend(rdb_str(&lp));
        f.extend(entry(18, b"q2-list", &q2));
        // Plain list (1).
        let mut pl = rdb_len(2);
        pl.extend(rdb_str(b"x"));
        pl.extend(rdb_str(b"7"));
        f.extend(entry(1, b"plain-list", &pl));
        // Zipmap (9), ziplist hash (13), ziplist zset (12), zset v1 (3).
        let zm = super::super::packed::write_zipmap(&[(b"f1", b"v1"), (b"f2", b"22")]);
        f.extend(entry(9, b"zm-hash", &rdb_str(&zm)));
        let zh = super::super::packed::write_ziplist(&[b"f", b"1", b"g", b"two"]);
        f.extend(entry(13, b"zl-hash", &rdb_str(&zh)));
        let zz = super::super::packed::write_ziplist(&[b"m1", b"1", b"m2", b"2.5", b"m3", b"-3"]);
        f.extend(entry(12, b"zl-zset", &rdb_str(&zz)));
        let mut z1 = rdb_len(3);
        z1.extend(rdb_str(b"a"));
        z1.extend(b"\x031.5");
        z1.extend(rdb_str(b"b"));
        z1.push(254);
        z1.extend(rdb_str(b"c"));
        z1.push(255);
        f.extend(entry(3, b"v1-zset", &z1));
        // An empty ziplist list: skipped on load.
        f.extend(entry(
            10,
            b"empty",
            &rdb_str(&super::super::packed::write_ziplist(&[])),
        ));
        f.push(0xff);
        let crc = crc64(0, &f);
        f.extend_from_slice(&crc.to_le_bytes());
        f
    }

    fn load_all(f: &[u8], verify: bool) -> Result<Keyspace, LoadError> {
        let mut ks = Keyspace::new(16);
        let o = LoadOptions {
            verify_checksum: verify,
            encodings: Encodings::default(),
        };
        load_keyspace(f, &mut ks, 0, true, &o).map(|_| ks)
    }

    #[test]
    fn loads_every_encoding_with_redis_encodings() {
        let f = every_encoding_file();
        let mut ks = load_all(&f, true).unwrap();
        let db = &mut ks.dbs[0];
        let enc = |db: &mut crate::db::Db, k: &[u8]| db.get(k, 0).map(|v| v.encoding());
        let list = |db: &mut crate::db::Db, k: &[u8]| -> Vec<Vec<u8>> {
            match db.get(k, 0) {
                Some(Value::List(l)) => l.to_vec().into_iter().map(|e| e.into_bytes()).collect(),
                _ => panic!("not a list"),
            }
        };
        let big = vec![b'q'; 300];
        let items: Vec<Vec<u8>> = [
            &b"a"[..],
            b"1",
            b"-100",
            b"30000",
            b"-70000",
            b"5000000000",
            &big,
            b"12",
        ]
        .iter()
        .map(|b| b.to_vec())
        .collect();
        assert_eq!(list(db, b"zl-list"), items);
        assert_eq!(list(db, b"ql-list"), items);
        assert_eq!(
            list(db, b"q2-list"),
            vec![
                b"p1".to_vec(),
                b"2".to_vec(),
                big.clone(),
                b"p1".to_vec(),
                b"2".to_vec()
            ]
        );
        assert_eq!(list(db, b"plain-list"), vec![b"x".to_vec(), b"7".to_vec()]);
        assert_eq!(list(db, b"list").len(), 300);
        assert!(db.get(b"empty", 0).is_none());
        match db.get(b"zm-hash", 0) {
            Some(Value::Hash(h)) => {
                assert_eq!(h.get(b"f2"), Some(&b"22"[..]));
                assert_eq!(h.encoding(), "listpack");
            }
            _ => panic!("zm-hash"),
        }
        match db.get(b"zl-hash", 0) {
            Some(Value::Hash(h)) => assert_eq!(h.get(b"g"), Some(&b"two"[..])),
            _ => panic!("zl-hash"),
        }
        match db.get(b"zl-zset", 0) {
            Some(Value::ZSet(z)) => {
                assert_eq!(z.score(b"m2"), Some(2.5));
                assert_eq!(z.score(b"m3"), Some(-3.0));
                assert_eq!(z.encoding(), "listpack");
            }
            _ => panic!("zl-zset"),
        }
        match db.get(b"v1-zset", 0) {
            Some(Value::ZSet(z)) => {
                assert_eq!(z.score(b"a"), Some(1.5));
                assert_eq!(z.score(b"c"), Some(f64::NEG_INFINITY));
            }
            _ => panic!("v1-zset"),
        }
        match db.get(b"zset", 0) {
            Some(Value::ZSet(z)) => assert_eq!(z.score(b"z3"), Some(1e20)),
            _ => panic!("zset"),
        }
        assert_eq!(enc(db, b"intset"), Some("intset"));
        assert_eq!(enc(db, b"strset"), Some("hashtable"));
        assert_eq!(enc(db, b"hash"), Some("listpack"));
        assert_eq!(enc(db, b"bighash"), Some("hashtable"));
        assert_eq!(enc(db, b"zset"), Some("listpack"));
        assert_eq!(enc(db, b"bigzset"), Some("skiplist"));
        assert_eq!(enc(db, b"str"), Some("raw"));
        assert_eq!(db.expire_of(b"str"), Some(5_000_000_000_000));
        // Saved again and reloaded: the same digest of every key.
        let again = save_keyspace(
            Vec::new(),
            &ks,
            &SaveOptions {
                checksum: true,
                ctime: 0,
                used_mem: 0,
                compression: false,
                access: super::super::AccessSave::None,
                aof_base: false,
                repl: None,
                progress: None,
            },
        )
        .unwrap();
        let back = load_all(&again, true).unwrap();
        assert_eq!(back.dbs[0].len(), ks.dbs[0].len());
    }

    #[test]
    fn duplicates_and_bad_blobs_are_corrupt() {
        let load_one = |t: u8, body: &[u8]| {
            let mut f = b"REDIS0010".to_vec();
            f.extend(entry(t, b"k", body));
            f.push(0xff);
            f.extend_from_slice(&[0; 8]);
            load_all(&f, true)
                .map(|_| ())
                .map_err(|e| e.error.to_string())
        };
        let dup_set = [rdb_len(2), rdb_str(b"a"), rdb_str(b"a")].concat();
        assert_eq!(
            load_one(2, &dup_set).unwrap_err(),
            "Duplicate set members detected"
        );
        let dup_hash = rdb_str(&super::super::packed::write_ziplist(&[
            b"f", b"1", b"f", b"2",
        ]));
        assert_eq!(
            load_one(13, &dup_hash).unwrap_err(),
            "Duplicate hash fields detected"
        );
        let mut lp = super::super::packed::ListpackWriter::new();
        for e in [b"m", b"1", b"m", b"2"] {
            lp.push_bytes(e);
        }
        assert_eq!(
            load_one(17, &rdb_str(&lp.finish())).unwrap_err(),
            "Duplicate zset fields detected"
        );
        let odd = rdb_str(&super::super::packed::write_ziplist(&[b"f", b"1", b"g"]));
        assert_eq!(
            load_one(13, &odd).unwrap_err(),
            "Hash ziplist integrity check failed."
        );
        assert_eq!(
            load_one(
                11,
                &rdb_str(b"\x02\x00\x00\x00\x02\x00\x00\x00\x05\x00\x01\x00")
            )
            .unwrap_err(),
            "Intset integrity check failed."
        );
        let q2 = [rdb_len(1), rdb_len(3), rdb_str(b"x")].concat();
        assert_eq!(
            load_one(18, &q2).unwrap_err(),
            "Quicklist integrity check failed."
        );
        let nan = [rdb_len(1), rdb_str(b"a"), f64::NAN.to_le_bytes().to_vec()].concat();
        assert_eq!(
            load_one(5, &nan).unwrap_err(),
            "Zset with NAN score detected"
        );
        // A huge declared count with nothing behind it: a short read.
        let huge = [vec![0x81, 0x40, 0, 0, 0, 0, 0, 0, 0], rdb_str(b"a")].concat();
        for t in [1, 2, 3, 4, 5, 14, 18] {
            assert!(load_one(t, &huge).is_err());
        }
    }

    /// A few thousand mutations (bit flips, byte changes, truncations,
    /// insertions, length-field edits) of a valid file with every type
    /// and encoding through the decoder: every outcome is Ok or an error,
    /// never a panic or a runaway allocation. The seed is fixed; set
    /// `FERREDIS_FUZZ_ROUNDS` for a longer run.
    #[test]
    fn mutated_files_never_panic() {
        let valid = every_encoding_file();
        assert!(load_all(&valid, true).is_ok());
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let specials = [
            0x00, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xc0, 0xc3, 0xf0, 0xfe, 0xff,
        ];
        let lengths: [&[u8]; 5] = [
            &[0x3f],
            &[0x7f, 0xff],
            &[0x80, 0x7f, 0xff, 0xff, 0xff],
            &[0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            &[0xc3, 0x7f, 0xff],
        ];
        let mut outcomes = [0usize; 2];
        // FERREDIS_FUZZ_ROUNDS=1000000 runs a longer campaign.
        let rounds = std::env::var("FERREDIS_FUZZ_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3000);
        for round in 0..rounds {
            let mut f = valid.clone();
            let at = |n: u64, len: usize| n as usize % len;
            match round % 5 {
                0 => {
                    for _ in 0..1 + next() % 3 {
                        let i = at(next(), f.len());
                        f[i] ^= 1 << (next() % 8);
                    }
                }
                1 => {
                    let i = at(next(), f.len());
                    f[i] = if next() % 2 == 0 {
                        next() as u8
                    } else {
                        specials[next() as usize % specials.len()]
                    };
                }
                2 => f.truncate(at(next(), f.len())),
                3 => {
                    let i = at(next(), f.len());
                    let extra: Vec<u8> = (0..1 + next() % 9).map(|_| next() as u8).collect();
                    f.splice(i..i, extra);
                }
                _ => {
                    // Overwrite bytes with a length field.
                    let i = at(next(), f.len());
                    let l = lengths[next() as usize % lengths.len()];
                    let end = (i + l.len()).min(f.len());
                    f.splice(i..end, l.iter().copied());
                }
            }
            for verify in [true, false] {
                outcomes[load_all(&f, verify).is_ok() as usize] += 1;
            }
        }
        assert!(outcomes[0] > 1000 && outcomes[1] > 0, "{:?}", outcomes);
    }
}
