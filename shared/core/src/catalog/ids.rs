//! Validating newtypes for the catalog's identifiers and codes.

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

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use string_newtype;

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
    /// A lower-case ISO 639-1 code (one of [`ISO_639_1`]).
    Lang,
    check_lang
);
string_newtype!(
    /// An absolute `http` or `https` URL with a host and nothing a URL must percent-encode.
    HttpUrl,
    check_http_url
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

/// The longest course id accepted, in bytes: DynamoDB keys are at most 2 KB and a resumption
/// token carries one id, so ids are bounded well below both.
pub const MAX_COURSE_ID_BYTES: usize = 255;

fn check_course_id(s: &str) -> Result<(), Invalid> {
    if s.len() > MAX_COURSE_ID_BYTES {
        return Err(Invalid(format!(
            "a course id is at most {MAX_COURSE_ID_BYTES} bytes, this one has {}",
            s.len()
        )));
    }
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

/// ISO 639-1, the two-letter codes (from the iso-codes tables; `bh` kept for old records).
/// Sorted, for a binary search.
pub const ISO_639_1: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj",
    "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi",
    "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk",
    "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti",
    "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo",
    "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

fn check_lang(s: &str) -> Result<(), Invalid> {
    if ISO_639_1.binary_search(&s).is_ok() {
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

/// Checks an absolute `http`/`https` URL strictly: a host, an optional numeric port, and no
/// character that a URL must percent-encode.
fn check_http_url(s: &str) -> Result<(), Invalid> {
    url_problem(s).map_or(Ok(()), |why| Err(Invalid(why.to_owned())))
}

fn url_problem(s: &str) -> Option<&'static str> {
    const NOT_HTTP: &str = "must be an absolute http or https URL";
    let Some((scheme, rest)) = s.split_once("://") else {
        return Some(NOT_HTTP);
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Some(NOT_HTTP);
    }
    if s.chars().any(|ch| {
        ch.is_whitespace()
            || ch.is_control()
            || matches!(ch, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
    }) {
        return Some(
            "contains a character that must be percent-encoded in a URL (space, quote, \
             backslash, control, ...)",
        );
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let port = if let Some(v6) = host_port.strip_prefix('[') {
        let Some((addr, after)) = v6.split_once(']') else {
            return Some("has an unterminated [IPv6] host");
        };
        let hex = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
        if !addr.contains(':') || !addr.bytes().all(hex) {
            return Some("has an invalid [IPv6] host");
        }
        match after {
            "" => None,
            p => match p.strip_prefix(':') {
                Some(p) => Some(p),
                None => return Some("has junk after the [IPv6] host"),
            },
        }
    } else {
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        };
        if host.is_empty() || host.contains(['[', ']', '@', ':']) {
            return Some("has no valid host");
        }
        port
    };
    match port {
        Some(p)
            if !p.is_empty()
                && (!p.bytes().all(|b| b.is_ascii_digit()) || p.parse::<u16>().is_err()) =>
        {
            Some("has an invalid port")
        }
        _ => None,
    }
}

impl HttpUrl {
    /// Whether the URL's path ends like a raster image ECO's harvester can read.
    pub fn has_raster_extension(&self) -> bool {
        let before_query = self.0.split(['?', '#']).next().unwrap_or_default();
        let lower = before_query.to_ascii_lowercase();
        [".png", ".jpg", ".jpeg", ".gif"]
            .iter()
            .any(|ext| lower.ends_with(ext))
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
            &format!("a/b/{}", "c".repeat(252)),
        ] {
            assert!(bad.parse::<CourseId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn course_ids_are_bounded() {
        let longest = format!("a/b/{}", "c".repeat(MAX_COURSE_ID_BYTES - 4));
        assert!(longest.parse::<CourseId>().is_ok());
        assert!(format!("{longest}c").parse::<CourseId>().is_err());
    }

    #[test]
    fn languages_are_iso_639_1() {
        assert!(
            ISO_639_1.windows(2).all(|w| w[0] < w[1]),
            "sorted for the search"
        );
        assert_eq!(ISO_639_1.len(), 184);
        for ok in ["en", "it", "zu"] {
            assert!(ok.parse::<Lang>().is_ok(), "{ok}");
        }
        for bad in ["EN", "xx", "eng", "e", ""] {
            assert!(bad.parse::<Lang>().is_err(), "{bad}");
        }
    }

    #[test]
    fn http_urls() {
        for ok in [
            "https://x.org",
            "http://x.org/",
            "HTTPS://x.org:8443/a?b=c#d",
            "https://user@x.org/p",
            "http://[::1]:3000/x",
            "https://ex%C3%A4mple.org/caf%C3%A9",
            "https://exämple.org/café",
        ] {
            assert!(ok.parse::<HttpUrl>().is_ok(), "{ok}");
        }
        for bad in [
            "x.org",
            "/courses/a",
            "ftp://x.org/",
            "javascript:alert(1)",
            "https:/x.org",
            "https://",
            "https:///path",
            "https://x.org:port/",
            "https://x.org:99999/",
            "https://x .org/",
            "https://x.org/a b",
            "https://x.org/\"q\"",
            "https://x.org/a\\b",
            "https://[::1/",
            "https://[zz]/",
            "https://@/",
        ] {
            assert!(bad.parse::<HttpUrl>().is_err(), "{bad}");
        }
        let img: HttpUrl = "https://x.org/a.JPG?v=2".parse().unwrap();
        assert!(img.has_raster_extension());
        let page: HttpUrl = "https://x.org/a.svg".parse().unwrap();
        assert!(!page.has_raster_extension());
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
