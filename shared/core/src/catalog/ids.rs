//! Validating newtypes for the catalog's identifiers and codes.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a value was refused by a newtype's parser: a sentence for an operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

macro_rules! string_newtype {
    ($(#[$m:meta])* $name:ident, $check:path) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = Invalid;
            fn try_from(s: String) -> Result<Self, Invalid> {
                $check(&s)?;
                Ok(Self(s))
            }
        }

        impl std::str::FromStr for $name {
            type Err = Invalid;
            fn from_str(s: &str) -> Result<Self, Invalid> {
                Self::try_from(s.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_newtype!(
    /// An edX course key: `course-v1:Org+Course+Run` or the old `Org/Course/Run`.
    CourseId,
    check_course_id
);
string_newtype!(
    /// A teacher's id, the `UID:urn:uuid:<id>` of the vCard and the key of `teachers/{id}`.
    TeacherId,
    check_teacher_id
);
string_newtype!(
    /// A lower-case ISO 639-1 code.
    Lang,
    check_lang
);
string_newtype!(
    /// An OAI-PMH setSpec: `[A-Za-z0-9_.!~*'()-]+` segments joined by `:`.
    SetSpec,
    check_set_spec
);

/// Characters that may appear in an edX key part (letters, digits and `_ . - ~ %`).
fn key_part_ok(p: &str) -> bool {
    !p.is_empty()
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~' | b'%'))
}

fn check_course_id(s: &str) -> Result<(), Invalid> {
    let parts: Vec<&str> = match s.strip_prefix("course-v1:") {
        Some(rest) => rest.split('+').collect(),
        None => s.split('/').collect(),
    };
    if parts.len() == 3 && parts.iter().all(|p| key_part_ok(p)) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "{s:?} is not an edX course key (course-v1:Org+Course+Run or Org/Course/Run)"
        )))
    }
}

fn check_teacher_id(s: &str) -> Result<(), Invalid> {
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Invalid(format!(
            "{s:?} is not a teacher id (letters, digits, - _ ., at most 128)"
        )))
    }
}

fn check_lang(s: &str) -> Result<(), Invalid> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "{s:?} is not a lower-case ISO 639-1 language code"
        )))
    }
}

fn check_set_spec(s: &str) -> Result<(), Invalid> {
    let seg_ok = |seg: &str| {
        !seg.is_empty()
            && seg.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(
                        b,
                        b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')' | b'-'
                    )
            })
    };
    if s.len() <= 256 && s.split(':').all(seg_ok) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "{s:?} is not a setSpec (segments of A-Z a-z 0-9 _ . ! ~ * ' ( ) - joined by ':')"
        )))
    }
}

impl Lang {
    /// The languages ECO's portal filters on.
    pub fn is_eco(&self) -> bool {
        matches!(self.0.as_str(), "en" | "de" | "pt" | "es" | "fr" | "it")
    }
}

impl TeacherId {
    /// Whether this id is a UUID, as the vCard's `UID:urn:uuid:` expects.
    pub fn is_uuid(&self) -> bool {
        let b = self.0.as_bytes();
        b.len() == 36
            && b.iter().enumerate().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => *c == b'-',
                _ => c.is_ascii_hexdigit(),
            })
    }
}

impl SetSpec {
    /// Whether this set is `ancestor` or lies below it (`a:b` is within `a`).
    pub fn is_within(&self, ancestor: &SetSpec) -> bool {
        self.0 == ancestor.0
            || (self.0.len() > ancestor.0.len()
                && self.0.starts_with(&ancestor.0)
                && self.0.as_bytes()[ancestor.0.len()] == b':')
    }

    /// This set and every set above it, nearest last: `a:b:c` gives `a`, `a:b`, `a:b:c`.
    pub fn with_ancestors(&self) -> Vec<SetSpec> {
        self.0
            .match_indices(':')
            .map(|(i, _)| SetSpec(self.0[..i].to_owned()))
            .chain(std::iter::once(self.clone()))
            .collect()
    }

    /// The set ECO files core courses under.
    pub fn is_eco_base(&self) -> bool {
        self.0 == "EcoBase"
    }
}

/// ECO's areas of interest, the taxon of the `discipline` classification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InterestArea {
    #[serde(rename = "ECO:ES")]
    EducationalSciences,
    #[serde(rename = "ECO:SS")]
    SocialSciences,
    #[serde(rename = "ECO:HUM")]
    Humanities,
    #[serde(rename = "ECO:NSM")]
    NaturalSciencesAndMathematics,
    #[serde(rename = "ECO:BS")]
    BiomedicalSciences,
    #[serde(rename = "ECO:TS")]
    TechnologicalSciences,
}

impl InterestArea {
    pub const ALL: [InterestArea; 6] = [
        Self::EducationalSciences,
        Self::SocialSciences,
        Self::Humanities,
        Self::NaturalSciencesAndMathematics,
        Self::BiomedicalSciences,
        Self::TechnologicalSciences,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::EducationalSciences => "ECO:ES",
            Self::SocialSciences => "ECO:SS",
            Self::Humanities => "ECO:HUM",
            Self::NaturalSciencesAndMathematics => "ECO:NSM",
            Self::BiomedicalSciences => "ECO:BS",
            Self::TechnologicalSciences => "ECO:TS",
        }
    }

    /// The English label ECO's own OAI target writes beside the code.
    pub fn label(self) -> &'static str {
        match self {
            Self::EducationalSciences => "Educational sciences",
            Self::SocialSciences => "Social sciences",
            Self::Humanities => "Humanities",
            Self::NaturalSciencesAndMathematics => "Natural sciences and Mathematics",
            Self::BiomedicalSciences => "Biomedical Sciences",
            Self::TechnologicalSciences => "Technological sciences",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_ids_in_both_edx_forms() {
        for ok in [
            "course-v1:PoliMi+ECO101+2024_T1",
            "Polimi/FIS101/2015_M9",
            "course-v1:a+b+c",
        ] {
            assert!(ok.parse::<CourseId>().is_ok(), "{ok}");
        }
        for bad in [
            "",
            "course-v1:a+b",
            "a/b",
            "a/b/c/d",
            "course-v1:a+b+c d",
            "a/b/\n",
        ] {
            assert!(bad.parse::<CourseId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn set_hierarchy() {
        let a: SetSpec = "a".parse().unwrap();
        let ab: SetSpec = "a:b".parse().unwrap();
        let abc: SetSpec = "abc".parse().unwrap();
        assert!(ab.is_within(&a) && a.is_within(&a));
        assert!(!abc.is_within(&a) && !a.is_within(&ab));
        let abcd: SetSpec = "a:b:c".parse().unwrap();
        let names: Vec<String> = abcd
            .with_ancestors()
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(names, ["a", "a:b", "a:b:c"]);
        for bad in ["", "a:", ":a", "a::b", "a b", "a/b", "é"] {
            assert!(bad.parse::<SetSpec>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn interest_areas_round_trip_through_json() {
        for a in InterestArea::ALL {
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.code()));
            assert_eq!(InterestArea::from_code(a.code()), Some(a));
        }
    }

    #[test]
    fn teacher_ids() {
        let t: TeacherId = "0b7d4c52-3f6e-4a51-9c1e-2a9f8e6d4b10".parse().unwrap();
        assert!(t.is_uuid());
        let t: TeacherId = "rossi".parse().unwrap();
        assert!(!t.is_uuid());
        assert!("a/b".parse::<TeacherId>().is_err());
    }
}
