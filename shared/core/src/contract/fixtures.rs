//! The data the checks write and the helpers that read it back.

use crate::catalog::{
    Course, CourseId, CourseRecord, InterestArea, LangMap, OaiSet, SetSpec, Teacher, TeacherId,
};
use crate::datestamp::Datestamp;
use crate::order::Position;
use crate::store::{CatalogStore, RecordPage, RecordQuery};

pub(super) fn ds(s: &str) -> Datestamp {
    s.parse().expect("fixture datestamp")
}

pub(super) fn at(secs: i64) -> Datestamp {
    // A fixed base so the data never depends on the clock.
    Datestamp::from_unix(1_700_000_000 + secs).expect("fixture datestamp in range")
}

pub(super) fn cid(s: &str) -> CourseId {
    s.parse().expect("fixture course id")
}

pub(super) fn spec(s: &str) -> SetSpec {
    s.parse().expect("fixture set spec")
}

pub(super) fn tid(s: &str) -> TeacherId {
    s.parse().expect("fixture teacher id")
}

pub(super) fn langs(pairs: &[(&str, &str)]) -> LangMap {
    pairs
        .iter()
        .map(|(l, t)| (l.parse().expect("fixture lang"), (*t).to_owned()))
        .collect()
}

/// A course with every optional field set, and text that needs care (quotes, `<`, non-ASCII).
pub fn full_course(id: &str) -> Course {
    Course {
        course_id: cid(id),
        title: langs(&[("en", "Physics <1> & \"more\""), ("it", "Fisica – più")]),
        description: langs(&[
            ("en", "Mechanics, then waves."),
            ("it", "Meccanica, poi onde."),
        ]),
        languages: vec!["it".parse().unwrap(), "en".parse().unwrap()],
        url: "https://lms.example.org/courses/course-v1:PoliMi+FIS101+2024/about"
            .parse()
            .unwrap(),
        image: Some("https://lms.example.org/asset/fis101.jpg".parse().unwrap()),
        organizers: vec!["Politecnico di Milano".to_owned(), "Ünï Ørg".to_owned()],
        teachers: vec![tid("0b7d4c52-3f6e-4a51-9c1e-2a9f8e6d4b10"), tid("rossi")],
        interest_area: InterestArea::NaturalSciencesAndMathematics,
        start: Some(ds("2024-09-16T00:00:00Z")),
        end: Some(ds("2024-12-20T23:59:59Z")),
        units: Some(7),
        study_load: Some(5),
        typical_learning_time: Some("PT24H".to_owned().try_into().unwrap()),
        sets: vec![spec("EcoBase"), spec("physics:mechanics")],
        grade_cutoffs: Some(
            [("A".to_owned(), 0.9), ("Pass".to_owned(), 0.55)]
                .into_iter()
                .collect::<std::collections::BTreeMap<_, _>>()
                .try_into()
                .unwrap(),
        ),
    }
}

/// A course with only the required fields.
pub fn minimal_course(id: &str) -> Course {
    Course {
        course_id: cid(id),
        title: langs(&[("en", "Minimal")]),
        description: langs(&[("en", "Only what is required.")]),
        languages: vec!["en".parse().unwrap()],
        url: "https://lms.example.org/m".parse().unwrap(),
        image: None,
        organizers: vec!["Org".to_owned()],
        teachers: vec![],
        interest_area: InterestArea::Humanities,
        start: None,
        end: None,
        units: None,
        study_load: None,
        typical_learning_time: None,
        sets: vec![],
        grade_cutoffs: None,
    }
}

pub(super) fn course_in(id: &str, sets: &[&str]) -> Course {
    let mut c = minimal_course(id);
    c.sets = sets.iter().map(|s| spec(s)).collect();
    c
}

pub(super) fn query(limit: usize) -> RecordQuery {
    RecordQuery {
        limit,
        ..RecordQuery::default()
    }
}

pub(super) fn ids(records: &[CourseRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| r.course.course_id.to_string())
        .collect()
}

pub(super) fn position(r: &CourseRecord) -> Position {
    Position {
        datestamp: r.datestamp,
        course_id: r.course.course_id.clone(),
    }
}

/// Reads every page of `q`, following `after`, checking each page's size and `more` flag.
pub(super) async fn walk<S: CatalogStore>(store: &S, q: &RecordQuery) -> Vec<RecordPage> {
    assert!(q.limit > 0, "walk needs a positive limit");
    let mut q = q.clone();
    let mut pages = Vec::new();
    loop {
        let page = store.page_courses(&q).await.unwrap();
        assert!(
            page.records.len() <= q.limit,
            "page over the limit: {}",
            page.records.len()
        );
        if page.more {
            assert_eq!(
                page.records.len(),
                q.limit,
                "a page with more after it must be full"
            );
        }
        let more = page.more;
        q.after = page.records.last().map(position);
        pages.push(page);
        if !more {
            return pages;
        }
        assert!(pages.len() < 10_000, "paging does not end");
    }
}

pub(super) fn flatten(pages: &[RecordPage]) -> Vec<CourseRecord> {
    pages
        .iter()
        .flat_map(|p| p.records.iter().cloned())
        .collect()
}

/// 23 courses over 11 distinct seconds (ties included), in sets `a`, `a:b`, `ab`, `b` or none.
/// Course `i` gets datestamp `at(i / 2 * 10)`, so pairs share a second.
pub(super) fn catalog23() -> Vec<(Course, Datestamp)> {
    let sets: [&[&str]; 5] = [&["a"], &["a:b"], &["ab"], &["b", "a:b:c"], &[]];
    (0..23)
        .map(|i| {
            // Ids whose order differs from insertion order, so ties are sorted by id, not by
            // arrival. Old and new edX key forms mixed.
            let id = if i % 3 == 0 {
                format!("course-v1:Org+C{:02}+R", 40 - i)
            } else {
                format!("Org/C{:02}/R", 40 - i)
            };
            (course_in(&id, sets[i % 5]), at((i as i64 / 2) * 10))
        })
        .collect()
}

/// Every teacher and set the fixture courses name, so that their writes pass the store's
/// reference checks.
pub(super) async fn seed<S: CatalogStore>(store: &S) {
    for (id, last) in [
        ("0b7d4c52-3f6e-4a51-9c1e-2a9f8e6d4b10", "Bianchi"),
        ("rossi", "Rossi"),
    ] {
        store.put_teacher(teacher(id, last)).await.unwrap();
    }
    for s in SEEDED_SETS {
        let set = OaiSet {
            spec: spec(s),
            name: format!("Set {s}"),
        };
        store.put_set(set).await.unwrap();
    }
}

/// The sets [`seed`] creates: every set a fixture course names.
pub(super) const SEEDED_SETS: [&str; 12] = [
    "EcoBase",
    "a",
    "a:b",
    "a:b:c",
    "ab",
    "b",
    "b:x",
    "c",
    "d",
    "e:f",
    "physics:mechanics",
    "x",
];

pub(super) async fn load<S: CatalogStore>(store: &S, courses: &[(Course, Datestamp)]) {
    seed(store).await;
    for (c, d) in courses {
        store.put_course(c.clone(), *d).await.unwrap();
    }
}

/// The records a query must return, computed from the fixture the slow, obvious way.
pub(super) fn expected(courses: &[(Course, Datestamp)], q: &RecordQuery) -> Vec<String> {
    let mut hits: Vec<(Datestamp, String)> = courses
        .iter()
        .filter(|(_, d)| q.from.is_none_or(|f| *d >= f) && q.until.is_none_or(|u| *d <= u))
        .filter(|(c, _)| match &q.set {
            None => true,
            Some(s) => c.sets.iter().any(|cs| cs.is_within(s)),
        })
        .map(|(c, d)| (*d, c.course_id.to_string()))
        .collect();
    // Byte order of the id, as `Position`'s `Ord` has it.
    hits.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
    });
    hits.into_iter().map(|(_, id)| id).collect()
}

pub(super) fn teacher(id: &str, last: &str) -> Teacher {
    Teacher {
        id: tid(id),
        first_name: "Anna".to_owned(),
        last_name: last.to_owned(),
        image: Some(format!("https://lms.example.org/{id}.png").parse().unwrap()),
        descriptions: langs(&[("en", "Teaches <physics>."), ("it", "Insegna fisica.")]),
    }
}
