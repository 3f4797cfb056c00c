//! Small algorithms with Redis-compatible behaviour: number formatting,
//! string quoting, glob matching.

pub mod glob;
pub mod numfmt;
pub mod repr;
pub mod sha1;
