//! Running the `pokeco` binary as an operator does: arguments, standard input, its output.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// `pokeco`, ready for the arguments and settings of one test.
pub fn pokeco() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pokeco"))
}

/// Runs `cmd` with `stdin` on its standard input (closed at once when `None`).
pub fn output(mut cmd: Command, stdin: Option<&[u8]>) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// What the command printed, as JSON.
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
