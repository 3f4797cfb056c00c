//! Replication (issue 6). The replica side lives in `replica`.
//!
//! Redis counterpart: `replication.c`.

pub mod replica;
