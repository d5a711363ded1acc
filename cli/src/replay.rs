//! `pokeco replay FILE...`: tracking logs (plain or gzip, any size) read as a stream and
//! ingested as `POST /events` would, in chunks, with progress on standard error and a summary
//! on standard output. It also backfills the progress projection. Statement ids are stable and
//! progress merges idempotent, so a second replay of the same file adds nothing to the LRS and
//! changes no progress. A corrupt line is counted and shown, never fatal; a file that cannot be
//! read to its end is reported and the next file read.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flate2::read::MultiGzDecoder;
use pokeco_core::ingest::{
    line_events, IngestReport, IngestService, Line, LineError, MAX_REJECTED_LISTED,
};
use serde::Serialize;

use crate::backends::AnyError;

/// Events ingested per call: one request's worth.
pub const CHUNK_EVENTS: usize = 1000;

/// How one file went.
#[derive(Debug, Serialize)]
pub struct FileSummary {
    pub file: PathBuf,
    #[serde(flatten)]
    pub report: IngestReport,
    /// Why the file could not be read to its end (a truncated gzip, an I/O error).
    pub unreadable: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub files: Vec<FileSummary>,
    pub events: u64,
    pub enqueued: u64,
    /// Progress states that changed the stored ones (0 for a log replayed again).
    pub progress_updates: u64,
    pub seconds: f64,
    pub events_per_second: f64,
}

/// Counts the bytes read from the file (compressed), for the progress line.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The file's lines (standard input's for `-`), decompressed when it is gzip (by its magic
/// bytes, whatever its name).
fn open_lines(path: &Path, read: Arc<AtomicU64>) -> std::io::Result<Box<dyn BufRead + Send>> {
    let source: Box<dyn Read + Send> = if path == Path::new("-") {
        Box::new(std::io::stdin())
    } else {
        Box::new(File::open(path)?)
    };
    let mut file = BufReader::new(source);
    let gzip = file.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let counted = Counting { inner: file, read };
    Ok(if gzip {
        Box::new(BufReader::with_capacity(
            1 << 16,
            MultiGzDecoder::new(counted),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, counted))
    })
}

struct Progress {
    started: Instant,
    last: Instant,
    terminal: bool,
}

impl Progress {
    fn show(&mut self, file: &Path, read: u64, size: u64, events: u64, done: bool) {
        let now = Instant::now();
        let every = if self.terminal {
            Duration::from_millis(250)
        } else {
            Duration::from_secs(10)
        };
        if !done && now.duration_since(self.last) < every {
            return;
        }
        self.last = now;
        let seconds = now.duration_since(self.started).as_secs_f64().max(1e-3);
        let mb = |b: u64| b as f64 / 1_048_576.0;
        let line = format!(
            "{}: {:.1}/{:.1} MB, {events} events, {:.0} events/s",
            file.display(),
            mb(read),
            mb(size),
            events as f64 / seconds
        );
        let mut err = std::io::stderr().lock();
        let _ = if self.terminal {
            write!(err, "\r\x1b[K{line}{}", if done { "\n" } else { "" })
        } else {
            writeln!(err, "{line}")
        };
    }
}

/// Replays the files in order through `service`.
///
/// # Errors
/// The store or the queue failed: what was queued before stays queued, and replaying the
/// same file again is harmless.
pub async fn replay(service: &IngestService, files: &[PathBuf]) -> Result<Summary, AnyError> {
    let started = Instant::now();
    let mut progress = Progress {
        started,
        last: started,
        terminal: std::io::stderr().is_terminal(),
    };
    let mut summaries = Vec::new();
    for path in files {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let read = Arc::new(AtomicU64::new(0));
        let mut lines = open_lines(path, Arc::clone(&read))
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let mut report = IngestReport::default();
        let mut unreadable = None;
        let mut number = 0;
        let mut buf = Vec::new();
        loop {
            let mut chunk: Vec<Line> = Vec::with_capacity(CHUNK_EVENTS);
            let mut ended = false;
            while chunk.len() < CHUNK_EVENTS {
                buf.clear();
                match lines.read_until(b'\n', &mut buf) {
                    Ok(0) => {
                        ended = true;
                        break;
                    }
                    Ok(_) => {
                        number += 1;
                        let line = buf.trim_ascii();
                        if !line.is_empty() {
                            chunk.extend(
                                line_events(line)
                                    .into_iter()
                                    .map(|event| Line { number, event }),
                            );
                        }
                    }
                    Err(e) => {
                        if !buf.trim_ascii().is_empty() {
                            chunk.push(Line {
                                number: number + 1,
                                event: Err(LineError::Truncated(e.to_string())),
                            });
                        }
                        unreadable = Some(format!("read stopped after line {number}: {e}"));
                        ended = true;
                        break;
                    }
                }
            }
            let part = service.ingest(chunk).await?;
            for r in &part.rejected_lines {
                if report.rejected_lines.len() < MAX_REJECTED_LISTED {
                    eprintln!("{}:{}: {}", path.display(), r.line, r.reason);
                }
            }
            report.add(part);
            progress.show(
                path,
                read.load(Ordering::Relaxed),
                size,
                report.events,
                false,
            );
            if ended {
                break;
            }
        }
        progress.show(
            path,
            read.load(Ordering::Relaxed),
            size,
            report.events,
            true,
        );
        if let Some(why) = &unreadable {
            eprintln!("{}: {why}", path.display());
        }
        summaries.push(FileSummary {
            file: path.clone(),
            report,
            unreadable,
        });
    }
    let seconds = started.elapsed().as_secs_f64();
    let events: u64 = summaries.iter().map(|s| s.report.events).sum();
    Ok(Summary {
        enqueued: summaries.iter().map(|s| s.report.enqueued).sum(),
        progress_updates: summaries.iter().map(|s| s.report.progress_updates).sum(),
        events,
        seconds,
        events_per_second: events as f64 / seconds.max(1e-3),
        files: summaries,
    })
}
