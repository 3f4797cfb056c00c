//! ferredis: a Redis 7.0-compatible in-memory data store.
//!
//! One reactor thread (`server::reactor`) owns every client and the whole
//! keyspace (`db`) and runs commands (`commands`) without locks. See
//! ARCHITECTURE.md for the map.

pub mod commands;
pub mod config;
pub mod db;
pub mod errors;
pub mod logging;
pub mod persistence;
pub mod replication;
pub mod resp;
pub mod server;
pub mod sys;
pub mod types;
pub mod util;

/// The Redis version ferredis is compatible with, reported as
/// `redis_version` and by HELLO so clients enable the right features.
pub const REDIS_VERSION: &str = "7.0.15";

/// ferredis's own version.
pub const FERREDIS_VERSION: &str = env!("CARGO_PKG_VERSION");
