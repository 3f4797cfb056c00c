//! RDB writer: length encodings, strings (integer-encoded when Redis
//! would, LZF-compressed past 20 bytes when compression is on and it
//! saves space), values in the encodings Redis 7.0 writes (intset,
//! listpack hash/zset, quicklist v2 lists; the plain types for big
//! hashes, sets and sorted sets), opcodes and the trailing CRC-64, over
//! any `impl Write`.
//!
//! Redis counterpart: `rdb.c` (`rdbSaveLen`, `rdbSaveRawString`,
//! `rdbTryIntegerEncoding`, `rdbSaveObject`, `rdbSaveKeyValuePair`,
//! `rdbSaveAuxField`).

use std::io::{self, Write};

use super::packed::{write_intset, Entry, ListpackWriter};
use super::{len_enc, opcode, rdb_type, str_enc, MAGIC, RDB_VERSION};
use crate::types::set::Member;
use crate::types::Value;
use crate::util::crc64::crc64;
use crate::util::lzf::Compressor;
use crate::util::numfmt::{format_g17, parse_i64, push_i64};

/// Strings longer than this are LZF-compressed when compression is on.
const LZF_MIN_LEN: usize = 20;

/// Bytes a quicklist node's listpack holds at most when written (Redis's
/// default `list-max-listpack-size -2`).
const LIST_NODE_BYTES: usize = 8192;

/// Writes RDB items to `W`, keeping the running CRC-64 of everything
/// written (when checksums are on).
pub struct RdbWriter<W: Write> {
    inner: W,
    crc: u64,
    checksum: bool,
    written: u64,
    /// The LZF compressor, when compression is on.
    lzf: Option<Box<Compressor>>,
    /// Buffer reused for the listpacks of hashes and sorted sets.
    scratch: Vec<u8>,
}

impl<W: Write> RdbWriter<W> {
    /// A writer over `inner`; `checksum` false writes a zero checksum, as
    /// `rdbchecksum no` does.
    pub fn new(inner: W, checksum: bool) -> Self {
        RdbWriter {
            inner,
            crc: 0,
            checksum,
            written: 0,
            lzf: None,
            scratch: Vec::new(),
        }
    }

    /// Turns LZF compression of long strings on or off
    /// (`rdbcompression`).
    pub fn set_compression(&mut self, on: bool) {
        self.lzf = if on {
            Some(self.lzf.take().unwrap_or_default())
        } else {
            None
        };
    }

    /// A listpack writer over the reused buffer.
    fn listpack(&mut self) -> ListpackWriter {
        ListpackWriter::with_buffer(std::mem::take(&mut self.scratch))
    }

    /// Writes a finished listpack as a string and keeps its buffer.
    fn write_listpack(&mut self, lp: ListpackWriter) -> io::Result<()> {
        let blob = lp.finish();
        let res = self.write_string(&blob);
        self.scratch = blob;
        res
    }

    /// The inner writer (no EOF or checksum is written: for DUMP
    /// payloads, which end differently).
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The CRC-64 of everything written so far (0 with checksums off).
    pub fn crc(&self) -> u64 {
        self.crc
    }

    /// Writes bytes as they are.
    pub fn write_raw(&mut self, b: &[u8]) -> io::Result<()> {
        if self.checksum {
            self.crc = crc64(self.crc, b);
        }
        self.written += b.len() as u64;
        self.inner.write_all(b)
    }

    /// `REDIS0010`.
    pub fn write_header(&mut self) -> io::Result<()> {
        self.write_raw(MAGIC)?;
        self.write_raw(format!("{:04}", RDB_VERSION).as_bytes())
    }

    /// A length in the shortest of the 6/14/32/64-bit forms.
    pub fn write_len(&mut self, len: u64) -> io::Result<()> {
        if len < 1 << 6 {
            self.write_raw(&[(len as u8) | (len_enc::BITS6 << 6)])
        } else if len < 1 << 14 {
            self.write_raw(&[((len >> 8) as u8) | (len_enc::BITS14 << 6), len as u8])
        } else if len <= u32::MAX as u64 {
            let mut b = [0u8; 5];
            b[0] = len_enc::BITS32;
            b[1..].copy_from_slice(&(len as u32).to_be_bytes());
            self.write_raw(&b)
        } else {
            let mut b = [0u8; 9];
            b[0] = len_enc::BITS64;
            b[1..].copy_from_slice(&len.to_be_bytes());
            self.write_raw(&b)
        }
    }

    /// An integer in the INT8/16/32 string encoding, if it fits in 32
    /// bits. Returns false (writing nothing) otherwise.
    fn write_int_encoded(&mut self, v: i64) -> io::Result<bool> {
        let tag = |e: u8| (len_enc::ENCVAL << 6) | e;
        if let Ok(x) = i8::try_from(v) {
            self.write_raw(&[tag(str_enc::INT8), x as u8])?;
        } else if let Ok(x) = i16::try_from(v) {
            let b = x.to_le_bytes();
            self.write_raw(&[tag(str_enc::INT16), b[0], b[1]])?;
        } else if let Ok(x) = i32::try_from(v) {
            let b = x.to_le_bytes();
            self.write_raw(&[tag(str_enc::INT32), b[0], b[1], b[2], b[3]])?;
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// A string: integer-encoded when it is the canonical form of an
    /// integer that fits in 32 bits (at most 11 characters), as Redis's
    /// `rdbSaveRawString` does; LZF-compressed when compression is on,
    /// the string is longer than 20 bytes and the compressed form is at
    /// least 4 bytes shorter; otherwise length and bytes.
    pub fn write_string(&mut self, s: &[u8]) -> io::Result<()> {
        if s.len() <= 11 {
            if let Some(v) = canonical_int(s) {
                if self.write_int_encoded(v)? {
                    return Ok(());
                }
            }
        }
        if s.len() > LZF_MIN_LEN {
            if let Some(mut c) = self.lzf.take() {
                let res = c.compress_ref(s, s.len() - 4).map(|z| {
                    self.write_raw(&[(len_enc::ENCVAL << 6) | str_enc::LZF])
                        .and_then(|_| self.write_len(z.len() as u64))
                        .and_then(|_| self.write_len(s.len() as u64))
                        .and_then(|_| self.write_raw(z))
                });
                self.lzf = Some(c);
                if let Some(r) = res {
                    return r;
                }
            }
        }
        self.write_len(s.len() as u64)?;
        self.write_raw(s)
    }

    /// The string form of an integer (`rdbSaveLongLongAsStringObject`).
    pub fn write_int_string(&mut self, v: i64) -> io::Result<()> {
        if self.write_int_encoded(v)? {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(20);
        push_i64(&mut buf, v);
        self.write_len(buf.len() as u64)?;
        self.write_raw(&buf)
    }

    /// An AUX field with a string value.
    pub fn write_aux(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        self.write_raw(&[opcode::AUX])?;
        self.write_string(key)?;
        self.write_string(value)
    }

    /// An AUX field with an integer value (written as its string form,
    /// which is then integer-encoded when small: `rdbSaveAuxFieldStrInt`).
    pub fn write_aux_int(&mut self, key: &[u8], value: i64) -> io::Result<()> {
        let mut buf = Vec::with_capacity(20);
        push_i64(&mut buf, value);
        self.write_aux(key, &buf)
    }

    /// `SELECTDB db`.
    pub fn write_select_db(&mut self, db: u64) -> io::Result<()> {
        self.write_raw(&[opcode::SELECTDB])?;
        self.write_len(db)
    }

    /// `RESIZEDB db_size expires_size`.
    pub fn write_resize_db(&mut self, db_size: u64, expires_size: u64) -> io::Result<()> {
        self.write_raw(&[opcode::RESIZEDB])?;
        self.write_len(db_size)?;
        self.write_len(expires_size)
    }

    /// A value's body (without its type byte), in the encoding
    /// `value_type_byte` names.
    pub fn write_value(&mut self, v: &Value) -> io::Result<()> {
        match v {
            Value::Int(n) => self.write_int_string(*n),
            Value::List(l) => {
                // Quicklist v2: nodes of packed listpacks, built one at a
                // time (a first pass counts them: the count comes first).
                let mut nodes = 0u64;
                each_list_node(l, |_| {
                    nodes += 1;
                    Ok(())
                })?;
                self.write_len(nodes)?;
                each_list_node(l, |lp| {
                    self.write_len(2)?;
                    self.write_string(&lp)
                })
            }
            Value::Set(s) if s.is_intset() => {
                let mut ints: Vec<i64> = s
                    .iter()
                    .filter_map(|m| match m {
                        Member::Int(n) => Some(n),
                        Member::Str(b) => parse_i64(b),
                    })
                    .collect();
                ints.sort_unstable();
                self.write_string(&write_intset(&ints))
            }
            Value::Set(s) => {
                self.write_len(s.len() as u64)?;
                for m in s.iter() {
                    m.with_bytes(|b| self.write_string(b))?;
                }
                Ok(())
            }
            Value::Hash(h) if h.encoding() == "listpack" => {
                let mut lp = self.listpack();
                for (f, v) in h.iter() {
                    lp.push_bytes(f);
                    lp.push_bytes(v);
                }
                self.write_listpack(lp)
            }
            Value::Hash(h) => {
                self.write_len(h.len() as u64)?;
                for (f, v) in h.iter() {
                    self.write_string(f)?;
                    self.write_string(v)?;
                }
                Ok(())
            }
            Value::ZSet(z) if z.is_listpack() => {
                // Scores as Redis stores them in a listpack: `%.17g`
                // text, an integer entry when it is one.
                let mut lp = self.listpack();
                z.for_each(|m, score| {
                    lp.push_bytes(m);
                    let text = format_g17(score);
                    lp.push(Entry::from_bytes(text.as_bytes()));
                });
                self.write_listpack(lp)
            }
            Value::ZSet(z) => {
                // ZSET_2: member, then the score as a little-endian double.
                self.write_len(z.len() as u64)?;
                let mut res = Ok(());
                z.for_each(|m, score| {
                    if res.is_ok() {
                        res = self
                            .write_string(m)
                            .and_then(|_| self.write_raw(&score.to_le_bytes()));
                    }
                });
                res
            }
            other => self.write_string(other.str_bytes().unwrap_or_default()),
        }
    }

    /// One key: optional `EXPIRETIME_MS`, type byte, key, value.
    pub fn write_entry(&mut self, key: &[u8], v: &Value, expire_ms: Option<i64>) -> io::Result<()> {
        if let Some(when) = expire_ms {
            let mut b = [0u8; 9];
            b[0] = opcode::EXPIRETIME_MS;
            b[1..].copy_from_slice(&when.to_le_bytes());
            self.write_raw(&b)?;
        }
        self.write_raw(&[value_type_byte(v)])?;
        self.write_string(key)?;
        self.write_value(v)
    }

    /// `EOF` and the checksum (little endian); flushes and returns the
    /// inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.write_raw(&[opcode::EOF])?;
        let crc = if self.checksum { self.crc } else { 0 };
        self.inner.write_all(&crc.to_le_bytes())?;
        self.written += 8;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

/// Calls `emit` with the listpack of each quicklist v2 node a list is
/// written as: at most LIST_NODE_BYTES each (a longer element gets a
/// node alone).
pub fn each_list_node(
    l: &crate::types::list::List,
    mut emit: impl FnMut(Vec<u8>) -> io::Result<()>,
) -> io::Result<()> {
    let mut lp = ListpackWriter::new();
    let mut res = Ok(());
    l.for_each_from(0, |e| {
        let add = e.with_bytes(|b| b.len()) + 11;
        if lp.count() > 0 && lp.len_bytes() + add > LIST_NODE_BYTES {
            res = emit(std::mem::take(&mut lp).finish());
            if res.is_err() {
                return false;
            }
        }
        e.with_bytes(|b| lp.push_bytes(b));
        true
    });
    res?;
    if lp.count() > 0 {
        emit(lp.finish())?;
    }
    Ok(())
}

/// Bytes a value's body takes in an RDB file (DEBUG OBJECT's
/// `serializedlength`, Redis's `rdbSavedObjectLen`).
pub fn serialized_len(v: &Value, compression: bool) -> u64 {
    let mut w = RdbWriter::new(io::sink(), false);
    w.set_compression(compression);
    // Writing to a sink cannot fail.
    let _ = w.write_value(v);
    w.written()
}

/// The RDB type byte a value is saved with.
pub fn value_type_byte(v: &Value) -> u8 {
    match v {
        Value::Int(_) | Value::Inline { .. } | Value::Heap(_) | Value::Raw(_) => rdb_type::STRING,
        Value::List(_) => rdb_type::LIST_QUICKLIST_2,
        Value::Set(s) if s.is_intset() => rdb_type::SET_INTSET,
        Value::Set(_) => rdb_type::SET,
        Value::ZSet(z) if z.is_listpack() => rdb_type::ZSET_LISTPACK,
        Value::ZSet(_) => rdb_type::ZSET_2,
        Value::Hash(h) if h.encoding() == "listpack" => rdb_type::HASH_LISTPACK,
        Value::Hash(_) => rdb_type::HASH,
    }
}

/// The integer `s` spells, if `s` is exactly its canonical decimal form.
fn canonical_int(s: &[u8]) -> Option<i64> {
    let v = parse_i64(s)?;
    let mut buf = Vec::with_capacity(20);
    push_i64(&mut buf, v);
    (buf == s).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(f: impl FnOnce(&mut RdbWriter<Vec<u8>>) -> io::Result<()>) -> Vec<u8> {
        let mut w = RdbWriter::new(Vec::new(), true);
        f(&mut w).unwrap();
        w.inner
    }

    #[test]
    fn lengths_use_the_shortest_form() {
        assert_eq!(bytes(|w| w.write_len(0)), [0x00]);
        assert_eq!(bytes(|w| w.write_len(63)), [0x3f]);
        assert_eq!(bytes(|w| w.write_len(64)), [0x40, 0x40]);
        assert_eq!(bytes(|w| w.write_len(100)), [0x40, 0x64]);
        assert_eq!(bytes(|w| w.write_len(16383)), [0x7f, 0xff]);
        assert_eq!(bytes(|w| w.write_len(16384)), [0x80, 0, 0, 0x40, 0]);
        assert_eq!(
            bytes(|w| w.write_len(1 << 32)),
            [0x81, 0, 0, 0, 1, 0, 0, 0, 0]
        );
    }

    #[test]
    fn strings_are_int_encoded_as_redis_does() {
        // Bytes as redis-server 7.0 wrote them for the same values.
        assert_eq!(bytes(|w| w.write_string(b"12")), [0xc0, 0x0c]);
        assert_eq!(bytes(|w| w.write_string(b"64")), [0xc0, 0x40]);
        assert_eq!(bytes(|w| w.write_string(b"-1")), [0xc0, 0xff]);
        assert_eq!(bytes(|w| w.write_string(b"300")), [0xc1, 0x2c, 0x01]);
        assert_eq!(
            bytes(|w| w.write_string(b"-70000")),
            [0xc2, 0x90, 0xee, 0xfe, 0xff]
        );
        assert_eq!(
            bytes(|w| w.write_string(b"123456789012")),
            b"\x0c123456789012"
        );
        assert_eq!(
            bytes(|w| w.write_int_string(123456789012)),
            b"\x0c123456789012"
        );
        assert_eq!(
            bytes(|w| w.write_int_string(-70000)),
            [0xc2, 0x90, 0xee, 0xfe, 0xff]
        );
        // Not canonical: kept as bytes.
        assert_eq!(bytes(|w| w.write_string(b"012")), b"\x03012");
        assert_eq!(bytes(|w| w.write_string(b"-0")), b"\x02-0");
        assert_eq!(bytes(|w| w.write_string(b"+1")), b"\x02+1");
        assert_eq!(bytes(|w| w.write_string(b"")), b"\x00");
    }

    #[test]
    fn entries_with_expire() {
        let got =
            bytes(|w| w.write_entry(b"ex", &Value::string(b"val"), Some(0x0000_01a2_1190_df8b)));
        assert_eq!(
            got,
            b"\xfc\x8b\xdf\x90\x11\xa2\x01\x00\x00\x00\x02ex\x03val".as_slice()
        );
    }
}
