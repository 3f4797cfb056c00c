//! Small algorithms with Redis-compatible behaviour: number formatting,
//! string quoting, glob matching, long double arithmetic, SHA-1.

pub mod glob;
pub mod longdouble;
pub mod numfmt;
pub mod repr;
pub mod sha1;
