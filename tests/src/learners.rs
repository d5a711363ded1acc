//! The sample events' users, linked to ECO ids of one test alone: statement ids derive from the
//! actor, so each test's statements are its own in an LRS the tests share.

// Test helpers: a failed expectation panics, as in a test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use pokeco_core::catalog::CourseId;
use pokeco_core::oai::OaiPrefix;
use pokeco_core::xapi::{CourseNames, EcoProfile, EdxEvent, Lookups, Statement};
use pokeco_testkit::OAI_PREFIX;
use serde_json::Value;

use crate::server::LMS_URL;

/// The actors' account homePage base of the test servers and stacks.
pub const HOMEPAGE: &str = "https://portal.ecolearning.eu";

pub struct Learners {
    /// edX user id and ECO sub: the samples' users 42 and 1.
    pub links: Vec<(&'static str, String)>,
}

impl Learners {
    /// Ids from the clock, the process and a counter: new in every test of every run.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let n = u128::from(NEXT.fetch_add(1, Ordering::Relaxed));
        Self::from_base((nanos << 16) ^ (u128::from(std::process::id()) << 8) ^ n)
    }

    /// Ids derived from `seed`, such as a stack's unique name.
    pub fn seeded(seed: &str) -> Self {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        seed.hash(&mut hasher);
        Self::from_base(u128::from(hasher.finish()) << 20)
    }

    fn from_base(base: u128) -> Self {
        let sub = |i: u128| format!("{:024x}", (base * 2 + i) & ((1u128 << 96) - 1));
        Self {
            links: vec![("42", sub(0)), ("1", sub(1))],
        }
    }

    /// The links as the LMS's export gives them, for `link import`.
    pub fn csv(&self) -> String {
        let mut csv = String::from("user_id,uid\n");
        for (user, sub) in &self.links {
            csv.push_str(&format!("{user},{sub}\n"));
        }
        csv
    }

    /// The statements the ECO profile gives for `events` with an empty catalog, by id.
    pub fn expected(&self, events: &[Value]) -> BTreeMap<String, Statement> {
        let profile = EcoProfile {
            prefix: OaiPrefix::new(OAI_PREFIX).unwrap(),
            homepage: HOMEPAGE.to_owned(),
            lms_url: LMS_URL.to_owned(),
        };
        events
            .iter()
            .filter_map(|e| EdxEvent::from_value(e).ok())
            .filter_map(|e| profile.translate(&e, self).ok())
            .map(|s| (s.id().to_owned(), s))
            .collect()
    }
}

impl Lookups for Learners {
    fn eco_user(&self, edx_user_id: &str) -> Option<&str> {
        self.links
            .iter()
            .find(|(u, _)| *u == edx_user_id)
            .map(|(_, s)| s.as_str())
    }
    fn course(&self, _: &CourseId) -> Option<&CourseNames> {
        None
    }
    fn block(&self, _: &CourseId, _: &str) -> Option<String> {
        None
    }
}
