//! moneytrail: a money-flow tracing engine for telecom and online fraud investigations.
//!
//! Layers (see ARCHITECTURE.md): [`keys`] and [`store`] know RocksDB; [`ingest`] turns files into
//! store writes; analysis ([`trace`], [`freeze`], [`cases`], [`rings`], [`warnings`]) works on the
//! [`graph::TransferGraph`] trait; [`app`] holds one function per use case, which the binary (`main.rs`,
//! the only place that knows terminals and exit codes) and the HTTP API ([`server`]) both call.

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
