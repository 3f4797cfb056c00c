//! Small algorithms with Redis-compatible behaviour: number formatting,
//! string quoting, glob matching, long double arithmetic, SHA-1, CRC-64
//! and LZF (RDB files).

pub mod crc64;
pub mod glob;
pub mod longdouble;
pub mod lzf;
pub mod numfmt;
pub mod repr;
pub mod sha1;
