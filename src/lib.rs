//! moneytrail: a money-flow tracing engine for telecom and online fraud investigations.
//!
//! Layers (ARCHITECTURE.md has the table `tests/tidy.rs` enforces): [`keys`] and [`store`] know RocksDB;
//! [`ingest`], [`statements`] and [`batch`] read and write files; analysis ([`trace`], [`freeze`],
//! [`cases`], [`link`], [`rings`], [`watch`], [`warnings`], [`flowchart`]) works on the
//! [`graph::TransferGraph`] trait; [`app`] holds the desk and one function per use case, which the binary
//! (`main.rs` and `cli/`, the only places that know terminals and exit codes) and the HTTP API ([`server`])
//! both call; [`eval`] scores results against a generated world's truth ([`gen`]) for the binary.

pub mod app;
pub mod batch;
pub mod cases;
pub mod eval;
pub mod finbench;
pub mod flowchart;
pub mod freeze;
pub mod gen;
pub mod graph;
pub mod ingest;
pub mod keys;
pub mod link;
pub mod model;
pub mod money;
pub mod output;
pub mod policy;
pub mod query;
pub mod rings;
pub mod server;
pub mod statements;
pub mod store;
pub mod timefmt;
pub mod trace;
pub mod warnings;
pub mod watch;
