//! RDB writer: length encodings, strings (integer-encoded when Redis
//! would), values, opcodes and the trailing CRC-64, over any
//! `impl Write`. Strings are written uncompressed for now (LZF
//! compression arrives with the persistence issue; every reader accepts
//! both forms).
//!
//! Redis counterpart: `rdb.c` (`rdbSaveLen`, `rdbSaveRawString`,
//! `rdbTryIntegerEncoding`, `rdbSaveObject`, `rdbSaveKeyValuePair`,
//! `rdbSaveAuxField`).

use std::io::{self, Write};

use super::{len_enc, opcode, rdb_type, str_enc, MAGIC, RDB_VERSION};
use crate::types::Value;
use crate::util::crc64::crc64;
use crate::util::numfmt::{parse_i64, push_i64};

/// Writes RDB items to `W`, keeping the running CRC-64 of everything
/// written (when checksums are on).
pub struct RdbWriter<W: Write> {
    inner: W,
    crc: u64,
    checksum: bool,
    written: u64,
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
        }
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
    /// `rdbSaveRawString` does; otherwise length and bytes.
    pub fn write_string(&mut self, s: &[u8]) -> io::Result<()> {
        if s.len() <= 11 {
            if let Some(v) = canonical_int(s) {
                if self.write_int_encoded(v)? {
                    return Ok(());
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

    /// A value's body (without its type byte).
    pub fn write_value(&mut self, v: &Value) -> io::Result<()> {
        match v {
            Value::Int(n) => self.write_int_string(*n),
            // Collections use the plain RDB types (a count, then each
            // element as a string) that Redis 7.0 still loads; the packed
            // listpack/intset forms come with the persistence issue.
            Value::List(l) => {
                self.write_len(l.len() as u64)?;
                let mut res = Ok(());
                l.for_each_from(0, |e| {
                    res = e.with_bytes(|b| self.write_string(b));
                    res.is_ok()
                });
                res
            }
            Value::Set(s) => {
                self.write_len(s.len() as u64)?;
                for m in s.iter() {
                    m.with_bytes(|b| self.write_string(b))?;
                }
                Ok(())
            }
            Value::Hash(h) => {
                self.write_len(h.len() as u64)?;
                for (f, v) in h.iter() {
                    self.write_string(f)?;
                    self.write_string(v)?;
                }
                Ok(())
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

/// The RDB type byte a value is saved with.
pub fn value_type_byte(v: &Value) -> u8 {
    match v {
        Value::Int(_) | Value::Inline { .. } | Value::Heap(_) | Value::Raw(_) => rdb_type::STRING,
        Value::List(_) => rdb_type::LIST,
        Value::Set(_) => rdb_type::SET,
        Value::ZSet(_) => rdb_type::ZSET_2,
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
