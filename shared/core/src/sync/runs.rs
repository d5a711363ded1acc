//! The record of sync runs, kept in the store: what the latest runs did (for operators), and
//! when the queue was last seen empty, from which the readiness view bounds the age of the
//! oldest undelivered statement where the queue cannot tell it (SQS keeps that age in
//! CloudWatch only).

use serde::{Deserialize, Serialize};

use super::SyncReport;
use crate::datestamp::Datestamp;
use crate::queue::Depth;

/// How many runs the store keeps: with a run a minute, the last twenty minutes.
pub const RUNS_KEPT: usize = 20;

/// Message ids of corrupt messages listed in a record; the rest are counted only.
const CORRUPT_LISTED: usize = 10;

/// The longest `stopped` reason a record keeps, in bytes.
const REASON_BYTES: usize = 500;

/// One sync run, as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRun {
    pub started_at: Datestamp,
    pub finished_at: Datestamp,
    /// The run ended on an empty receive.
    pub drained: bool,
    /// When the latest run that emptied the queue (this one or an earlier one) started:
    /// whatever is queued now was sent after.
    pub clear_since: Option<Datestamp>,
    /// When the oldest message the run received was sent (`report.lag_seconds` before the
    /// run's end).
    pub oldest_sent: Option<Datestamp>,
    #[serde(flatten)]
    pub report: SyncReport,
}

impl SyncRun {
    /// The record of a run; `previous` is the latest one kept, whose `clear_since` carries
    /// over when this run did not empty the queue. Long lists and reasons are cut so a
    /// record stays small.
    pub fn new(
        started_at: Datestamp,
        drained: bool,
        oldest_sent: Option<Datestamp>,
        mut report: SyncReport,
        previous: Option<&SyncRun>,
    ) -> Self {
        report.corrupt.truncate(CORRUPT_LISTED);
        if let Some(reason) = &mut report.stopped {
            let mut end = reason.len().min(REASON_BYTES);
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.truncate(end);
        }
        let finished_at = Datestamp::now();
        report.lag_seconds = oldest_sent.map(|sent| seconds_between(sent, finished_at));
        Self {
            started_at,
            finished_at,
            drained,
            clear_since: if drained {
                Some(started_at)
            } else {
                previous.and_then(|p| p.clear_since)
            },
            oldest_sent,
            report,
        }
    }
}

/// How the backlog's age was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Nothing waits.
    Empty,
    /// The queue knows when its oldest message was sent.
    Exact,
    /// Bounded by the latest run that emptied the queue.
    AtMost,
    /// Statements wait, and no kept run ever emptied the queue.
    Unknown,
}

/// The age of the oldest undelivered statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Backlog {
    pub seconds: Option<u64>,
    pub basis: Basis,
}

impl Backlog {
    /// From the queue's depth, the latest kept run, and the time now. Dead letters and
    /// refused statements are not counted: they wait for an operator, not for the sync.
    pub fn of(depth: &Depth, latest: Option<&SyncRun>, now: Datestamp) -> Self {
        let (seconds, basis) = if depth.visible + depth.in_flight == 0 {
            (Some(0), Basis::Empty)
        } else if let Some(sent) = depth.oldest_sent {
            (Some(seconds_between(sent, now)), Basis::Exact)
        } else if let Some(clear) = latest.and_then(|r| r.clear_since) {
            (Some(seconds_between(clear, now)), Basis::AtMost)
        } else {
            (None, Basis::Unknown)
        };
        Self { seconds, basis }
    }
}

/// The kept runs once `run` is added: the latest first, at most [`RUNS_KEPT`].
pub fn keep(mut runs: Vec<SyncRun>, run: &SyncRun) -> Vec<SyncRun> {
    runs.insert(0, run.clone());
    runs.truncate(RUNS_KEPT);
    runs
}

fn seconds_between(from: Datestamp, to: Datestamp) -> u64 {
    u64::try_from(to.unix().saturating_sub(from.unix())).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Datestamp {
        Datestamp::from_unix(1_700_000_000 + secs).unwrap()
    }

    fn depth(waiting: u64, oldest: Option<Datestamp>) -> Depth {
        Depth {
            visible: waiting,
            oldest_sent: oldest,
            ..Depth::default()
        }
    }

    fn run(drained: bool, previous: Option<&SyncRun>) -> SyncRun {
        SyncRun::new(
            at(100),
            drained,
            Some(at(40)),
            SyncReport::default(),
            previous,
        )
    }

    #[test]
    fn a_run_that_empties_the_queue_clears_it_since_its_start_and_others_carry_that_over() {
        let clearing = run(true, None);
        assert_eq!(clearing.clear_since, Some(at(100)));
        let stuck = run(false, Some(&clearing));
        assert_eq!(stuck.clear_since, Some(at(100)));
        assert_eq!(run(false, None).clear_since, None);
    }

    #[test]
    fn the_backlog_is_exact_where_the_queue_knows_else_bounded_by_the_last_clear_run() {
        let clearing = run(true, None);
        let now = at(160);
        assert_eq!(
            Backlog::of(&depth(0, None), Some(&clearing), now),
            Backlog {
                seconds: Some(0),
                basis: Basis::Empty
            }
        );
        assert_eq!(
            Backlog::of(&depth(3, Some(at(150))), Some(&clearing), now),
            Backlog {
                seconds: Some(10),
                basis: Basis::Exact
            }
        );
        assert_eq!(
            Backlog::of(&depth(3, None), Some(&clearing), now),
            Backlog {
                seconds: Some(60),
                basis: Basis::AtMost
            }
        );
        assert_eq!(
            Backlog::of(&depth(3, None), Some(&run(false, None)), now).basis,
            Basis::Unknown
        );
        // In-flight messages are undelivered too.
        let in_flight = Depth {
            in_flight: 1,
            ..Depth::default()
        };
        assert_eq!(Backlog::of(&in_flight, None, now).basis, Basis::Unknown);
    }

    #[test]
    fn a_record_stays_small_whatever_the_run_met() {
        let report = SyncReport {
            corrupt: (0..50).map(|i| i.to_string()).collect(),
            stopped: Some("é".repeat(400)),
            ..SyncReport::default()
        };
        let r = SyncRun::new(at(0), false, None, report, None);
        assert_eq!(r.report.corrupt.len(), CORRUPT_LISTED);
        let reason = r.report.stopped.unwrap();
        assert!(reason.len() <= REASON_BYTES && reason.chars().all(|c| c == 'é'));
    }

    #[test]
    fn lag_runs_from_the_oldest_message_to_the_end_of_the_run() {
        let sent = Datestamp::from_unix(Datestamp::now().unix() - 90).unwrap();
        let r = SyncRun::new(at(0), true, Some(sent), SyncReport::default(), None);
        let lag = r.report.lag_seconds.unwrap();
        assert!((90..=91).contains(&lag), "{lag}");
        let none = SyncRun::new(at(0), true, None, SyncReport::default(), None);
        assert_eq!(none.report.lag_seconds, None);
    }

    #[test]
    fn a_record_round_trips_through_json() {
        let r = run(true, None);
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains(r#""delivered":0"#), "{text}");
        assert_eq!(serde_json::from_str::<SyncRun>(&text).unwrap(), r);
    }
}
