//! Values stored in the keyspace and their Redis type and encoding names.
//! Pure data: nothing here sees a client, a reply or the clock.
//!
//! Redis counterpart: `object.c` (`robj`, `tryObjectEncoding`,
//! `strEncoding`).

pub mod bytes;
pub mod hash;
pub mod intset;
pub mod list;
pub mod listpack;
pub mod set;
pub mod skiplist;
pub mod zset;

pub use bytes::SmallBytes;

use crate::util::numfmt::{parse_i64, push_i64};

/// Strings this long or shorter are `embstr` when created whole.
pub const EMBSTR_MAX: usize = 44;
/// Inline capacity of a short string value.
const INLINE_CAP: usize = 22;

/// A value in the keyspace. 24 bytes, so a key's slot stays small.
#[derive(Clone, Debug)]
pub enum Value {
    /// A string that is the canonical form of an i64 (`int` encoding).
    Int(i64),
    /// A short string stored in place (`embstr`).
    Inline { len: u8, buf: [u8; INLINE_CAP] },
    /// An immutable heap string: `embstr` up to 44 bytes, `raw` above.
    Heap(Box<[u8]>),
    /// A string that was modified in place (APPEND, SETRANGE): `raw`,
    /// with spare capacity for further growth.
    Raw(Box<Vec<u8>>),
    /// A list.
    List(Box<list::List>),
    /// A hash.
    Hash(hash::Hash),
    /// A set.
    Set(Box<set::Set>),
    /// A sorted set.
    ZSet(Box<zset::ZSet>),
}

/// The Redis types, as `TYPE` and `SCAN ... TYPE` name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    String,
    List,
    Set,
    ZSet,
    Hash,
    Stream,
}

impl ValueType {
    /// The name `TYPE` replies with.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::List => "list",
            ValueType::Set => "set",
            ValueType::ZSet => "zset",
            ValueType::Hash => "hash",
            ValueType::Stream => "stream",
        }
    }

    /// Parses a type name (case-insensitive), as `SCAN ... TYPE` does.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_slice() {
            b"string" => ValueType::String,
            b"list" => ValueType::List,
            b"set" => ValueType::Set,
            b"zset" => ValueType::ZSet,
            b"hash" => ValueType::Hash,
            b"stream" => ValueType::Stream,
            _ => return None,
        })
    }
}

impl Value {
    /// A string value from bytes, choosing the encoding Redis's
    /// `tryObjectEncoding` would: `int` when the bytes are the canonical
    /// form of an i64 of at most 20 characters, else `embstr`/`raw` by size.
    pub fn string(b: &[u8]) -> Self {
        if b.len() <= 20 {
            if let Some(n) = parse_i64(b) {
                return Value::Int(n);
            }
        }
        Self::string_no_int(b)
    }

    /// A string value that keeps its bytes (never `int`-encoded).
    pub fn string_no_int(b: &[u8]) -> Self {
        if b.len() <= INLINE_CAP {
            let mut buf = [0u8; INLINE_CAP];
            buf[..b.len()].copy_from_slice(b);
            Value::Inline {
                len: b.len() as u8,
                buf,
            }
        } else {
            Value::Heap(b.into())
        }
    }

    /// A `raw` string that owns `v` (used after in-place modification).
    pub fn raw(v: Vec<u8>) -> Self {
        Value::Raw(Box::new(v))
    }

    /// The Redis type of this value.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Int(_) | Value::Inline { .. } | Value::Heap(_) | Value::Raw(_) => {
                ValueType::String
            }
            Value::List(_) => ValueType::List,
            Value::Hash(_) => ValueType::Hash,
            Value::Set(_) => ValueType::Set,
            Value::ZSet(_) => ValueType::ZSet,
        }
    }

    /// The encoding name `OBJECT ENCODING` replies with.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Inline { .. } => "embstr",
            Value::Heap(b) if b.len() <= EMBSTR_MAX => "embstr",
            Value::Heap(_) | Value::Raw(_) => "raw",
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
        }
    }

    /// Whether this is a string value.
    pub fn is_string(&self) -> bool {
        self.value_type() == ValueType::String
    }

    /// The bytes of a string value, if it is one and is not int-encoded.
    pub fn str_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Inline { len, buf } => Some(&buf[..*len as usize]),
            Value::Heap(b) => Some(b),
            Value::Raw(v) => Some(v),
            _ => None,
        }
    }

    /// Appends the string form of a string value to `out`.
    pub fn write_string(&self, out: &mut Vec<u8>) {
        match self {
            Value::Int(n) => push_i64(out, *n),
            other => out.extend_from_slice(other.str_bytes().unwrap_or_default()),
        }
    }

    /// The string form as an owned vector (for string values).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_string(&mut v);
        v
    }

    /// Length in bytes of a string value (`STRLEN`).
    pub fn string_len(&self) -> usize {
        match self {
            Value::Int(n) => {
                let mut buf = [0u8; 20];
                crate::util::numfmt::i64_str(*n, &mut buf).len()
            }
            other => other.str_bytes().map_or(0, |b| b.len()),
        }
    }

    /// The integer a string value holds, if it parses as one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            other => other.str_bytes().and_then(parse_i64),
        }
    }

    /// Turns the value into a growable `raw` string and returns its buffer
    /// (APPEND, SETRANGE).
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Value::Raw(_)) {
            let bytes = self.to_bytes();
            *self = Value::raw(bytes);
        }
        match self {
            Value::Raw(v) => v,
            _ => unreachable!("invariant: just converted to raw"),
        }
    }

    /// How many allocations freeing this value costs, roughly (Redis's
    /// `lazyfreeGetFreeEffort`): 1 for strings, the element count for
    /// collections.
    pub fn free_effort(&self) -> usize {
        match self {
            Value::List(l) => l.len(),
            Value::Hash(h) => h.len(),
            Value::Set(s) => s.len(),
            Value::ZSet(z) => z.len(),
            _ => 1,
        }
    }

    /// Heap bytes this value owns beyond its 24-byte slot (for
    /// `MEMORY USAGE`).
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Int(_) | Value::Inline { .. } => 0,
            Value::Heap(b) => b.len(),
            Value::Raw(v) => v.capacity() + std::mem::size_of::<Vec<u8>>(),
            Value::List(l) => std::mem::size_of::<list::List>() + l.heap_size(),
            Value::Hash(h) => h.heap_size(),
            Value::Set(s) => std::mem::size_of::<set::Set>() + s.heap_size(),
            Value::ZSet(z) => std::mem::size_of::<zset::ZSet>() + z.heap_size(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_24_bytes() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(Value::string(b"123").encoding(), "int");
        assert_eq!(Value::string(b"-0").encoding(), "embstr");
        assert_eq!(Value::string(b"0123").encoding(), "embstr");
        assert_eq!(Value::string(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(Value::string(&[b'a'; 45]).encoding(), "raw");
        let mut v = Value::string(b"ab");
        v.make_raw().push(b'c');
        assert_eq!(v.encoding(), "raw");
        assert_eq!(v.to_bytes(), b"abc");
        assert_eq!(Value::string(b"-42").to_bytes(), b"-42");
    }
}
