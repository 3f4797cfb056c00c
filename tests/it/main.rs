//! The `it` integration-test target: a real `ferredis-server` process
//! driven over TCP and unix sockets by raw RESP, `redis-cli` and the
//! `redis` crate. The differential tests against `redis-server` live in
//! the separate `compat` target.
//!
//! Redis counterpart: Redis's Tcl test suite (`tests/`), the parts about
//! the protocol and the server process.

mod admin;
mod aof;
mod bgsave;
mod blocking;
mod clients;
mod common;
mod dump;
mod evict;
mod failover;
mod keyspace;
mod list;
mod multi;
mod notify;
mod protocol;
mod pubsub;
mod rdb;
mod repl_chain;
mod repl_master;
mod repl_replica;
mod server;
mod shutdown_replicas;
mod tidy;
mod tracking;
