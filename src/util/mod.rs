//! Small algorithms with Redis-compatible behaviour: number formatting,
//! string quoting, glob matching.

pub mod longdouble;
pub mod numfmt;
pub mod repr;
