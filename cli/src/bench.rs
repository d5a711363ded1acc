//! What the bench binaries share: the child processes they start (killed however the bench
//! ends), free ports, the `pokeco` binary beside them, and the figures `/proc` gives of a
//! process (Linux).

use std::path::PathBuf;
use std::process::Child;
use std::time::Duration;

use crate::backends::AnyError;

/// A child process killed when the benchmark ends, however it ends.
pub struct Running(pub Child);

impl Running {
    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port free now.
///
/// # Errors
/// No port could be bound.
pub fn free_port() -> Result<u16, AnyError> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The `pokeco` binary next to the running one.
///
/// # Errors
/// It is not built.
pub fn pokeco_exe() -> Result<PathBuf, AnyError> {
    let pokeco = std::env::current_exe()?.with_file_name("pokeco");
    if !pokeco.exists() {
        return Err(format!(
            "{} not found: build it first (cargo build --release -p pokeco)",
            pokeco.display()
        )
        .into());
    }
    Ok(pokeco)
}

/// Peak resident set size of a process, in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time (user + system) a process has used so far. The kernel reports it in USER_HZ
/// ticks, 100 per second on every mainstream architecture.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}
