//! `pokeco`: the local server (every function's router on one port over the embedded store)
//! and the operator commands. The binary in main.rs only parses the command line.

pub mod catalog;
pub mod check;
pub mod demo;
pub mod serve;
