//! moneytrail: a money-flow tracing engine for telecom and online fraud investigations.
//!
//! Layers (see ARCHITECTURE.md): [`keys`] and [`store`] know RocksDB; [`ingest`] turns files into
//! store writes; [`query`] answers questions over a [`store::StoreView`]; the binary (`main.rs`)
//! is the only place that knows about terminals and exit codes.

pub mod cases;
pub mod flowchart;
pub mod freeze;
pub mod gen;
pub mod graph;
pub mod ingest;
pub mod keys;
pub mod model;
pub mod money;
pub mod output;
pub mod query;
pub mod rings;
pub mod server;
pub mod store;
pub mod timefmt;
pub mod trace;
pub mod warnings;
