//! `pokeco`: the local server (every function's router on one port over the embedded store)
//! and the operator commands. The binary in main.rs only parses the command line.

pub mod backends;
pub mod bench;
pub mod catalog;
pub mod check;
pub mod demo;
pub mod pipeline;
pub mod progress;
pub mod replay;
pub mod serve;
pub mod structure;

use std::io::Read;
use std::path::Path;

/// A file's bytes, or standard input's for `-`.
///
/// # Errors
/// The file cannot be read.
pub fn read_bytes(file: &Path) -> std::io::Result<Vec<u8>> {
    if file == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(file)
    }
}

/// A file's text, or standard input's for `-`.
///
/// # Errors
/// The file cannot be read or is not UTF-8.
pub fn read_input(file: &Path) -> std::io::Result<String> {
    String::from_utf8(read_bytes(file)?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}
