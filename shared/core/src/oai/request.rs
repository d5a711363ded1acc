//! An OAI-PMH request, parsed from its decoded arguments with every check the protocol
//! makes before the store is consulted.

use crate::catalog::SetSpec;
use crate::datestamp::{Datestamp, Granularity};

/// The protocol's error codes (OAI-PMH 2.0, section 3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    BadArgument,
    BadResumptionToken,
    BadVerb,
    CannotDisseminateFormat,
    IdDoesNotExist,
    NoRecordsMatch,
    NoSetHierarchy,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadArgument => "badArgument",
            Self::BadResumptionToken => "badResumptionToken",
            Self::BadVerb => "badVerb",
            Self::CannotDisseminateFormat => "cannotDisseminateFormat",
            Self::IdDoesNotExist => "idDoesNotExist",
            Self::NoRecordsMatch => "noRecordsMatch",
            Self::NoSetHierarchy => "noSetHierarchy",
        }
    }

    /// Whether the `<request>` element may echo the arguments: not for a request that was
    /// itself malformed (protocol section 3.2).
    pub fn echoes_arguments(self) -> bool {
        !matches!(self, Self::BadVerb | Self::BadArgument)
    }
}

/// An OAI-PMH error: its code and a sentence for the harvester's operator.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct OaiError {
    pub code: ErrorCode,
    pub message: String,
}

impl OaiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn bad_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadArgument, message)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetadataFormat {
    OaiDc,
    OaiLom,
}

impl MetadataFormat {
    pub const ALL: [MetadataFormat; 2] = [Self::OaiDc, Self::OaiLom];

    pub fn prefix(self) -> &'static str {
        match self {
            Self::OaiDc => "oai_dc",
            Self::OaiLom => "oai_lom",
        }
    }

    pub fn schema(self) -> &'static str {
        match self {
            Self::OaiDc => "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
            Self::OaiLom => "http://ltsc.ieee.org/xsd/lomv1.0/lomLoose.xsd",
        }
    }

    pub fn namespace(self) -> &'static str {
        match self {
            Self::OaiDc => "http://www.openarchives.org/OAI/2.0/oai_dc/",
            Self::OaiLom => "http://ltsc.ieee.org/xsd/LOM",
        }
    }

    /// The format of a metadataPrefix: `badArgument` for text outside the schema's pattern
    /// for prefixes (it could not be echoed in `<request>`), `cannotDisseminateFormat` for a
    /// well-formed prefix this repository does not serve.
    pub fn from_prefix(prefix: &str) -> Result<Self, OaiError> {
        if !is_schema_prefix(prefix) {
            return Err(OaiError::bad_argument(format!(
                "{} is not a metadataPrefix (letters, digits and - _ . ! ~ * ' ( ))",
                truncate(prefix)
            )));
        }
        Self::ALL
            .into_iter()
            .find(|f| f.prefix() == prefix)
            .ok_or_else(|| {
                OaiError::new(
                    ErrorCode::CannotDisseminateFormat,
                    format!("metadataPrefix {prefix:?} is not supported (oai_dc, oai_lom)"),
                )
            })
    }
}

/// OAI-PMH.xsd's `metadataPrefixType`: `[A-Za-z0-9\-_\.!~\*'\(\)]+`.
fn is_schema_prefix(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
                )
        })
}

/// Whether `<request identifier="...">` may carry this value: `xs:anyURI` as the schema
/// validators read it. Conservative: a scheme then a path of URI characters with valid
/// escapes (every OAI identifier), or a relative path; anything else is left out of the echo.
pub fn is_echoable_uri(s: &str) -> bool {
    let (body, fragment) = s.split_once('#').unwrap_or((s, ""));
    if !uri_chars_ok(fragment) || body.starts_with("//") {
        return false;
    }
    let first_segment = body.split(['/', '?']).next().unwrap_or_default();
    match first_segment.split_once(':') {
        Some((scheme, _)) => {
            let rest = &body[scheme.len() + 1..];
            let scheme_ok = scheme
                .as_bytes()
                .first()
                .is_some_and(u8::is_ascii_alphabetic)
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
            scheme_ok && !rest.starts_with("//") && uri_chars_ok(rest)
        }
        None => uri_chars_ok(body),
    }
}

/// Whether every character is one a URI path, query or fragment may hold unescaped, and every
/// `%` starts a valid escape.
fn uri_chars_ok(p: &str) -> bool {
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |at: usize| b.get(at).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 3;
                continue;
            }
            c if c.is_ascii_alphanumeric() => {}
            b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+'
            | b',' | b';' | b'=' | b':' | b'@' | b'/' | b'?' => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

/// ListIdentifiers and ListRecords share arguments, paging and tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListVerb {
    ListIdentifiers,
    ListRecords,
}

impl ListVerb {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ListIdentifiers => "ListIdentifiers",
            Self::ListRecords => "ListRecords",
        }
    }
}

/// The selective-harvesting arguments of a first list request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListArgs {
    pub format: MetadataFormat,
    pub from: Option<Datestamp>,
    /// Inclusive: a day-granularity `until` is already moved to the day's last second.
    pub until: Option<Datestamp>,
    pub set: Option<SetSpec>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OaiRequest {
    Identify,
    ListMetadataFormats {
        identifier: Option<String>,
    },
    ListSets {
        resumption_token: Option<String>,
    },
    GetRecord {
        identifier: String,
        format: MetadataFormat,
    },
    List {
        verb: ListVerb,
        args: ListArgs,
    },
    /// A list resumed from a token. `prefix` is the `metadataPrefix` sent beside it (ECO's
    /// harvester does), to be checked against the token's.
    Resume {
        verb: ListVerb,
        token: String,
        prefix: Option<String>,
    },
}

impl OaiRequest {
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Identify => "Identify",
            Self::ListMetadataFormats { .. } => "ListMetadataFormats",
            Self::ListSets { .. } => "ListSets",
            Self::GetRecord { .. } => "GetRecord",
            Self::List { verb, .. } | Self::Resume { verb, .. } => verb.as_str(),
        }
    }
}

/// Parses decoded arguments. Errors come in the protocol's order of precedence: the verb
/// first (badVerb), then the arguments (badArgument), then the format.
pub fn parse(args: &[(String, String)]) -> Result<OaiRequest, OaiError> {
    let verbs: Vec<&str> = args
        .iter()
        .filter(|(k, _)| k == "verb")
        .map(|(_, v)| v.as_str())
        .collect();
    let verb = match verbs.as_slice() {
        [] => {
            return Err(OaiError::new(
                ErrorCode::BadVerb,
                "the verb argument is missing",
            ))
        }
        [v] => *v,
        _ => {
            return Err(OaiError::new(
                ErrorCode::BadVerb,
                "the verb argument is repeated",
            ))
        }
    };
    let allowed: &[&str] = match verb {
        "Identify" => &[],
        "ListMetadataFormats" => &["identifier"],
        "ListSets" => &["resumptionToken"],
        "GetRecord" => &["identifier", "metadataPrefix"],
        "ListIdentifiers" | "ListRecords" => {
            &["metadataPrefix", "from", "until", "set", "resumptionToken"]
        }
        other => {
            return Err(OaiError::new(
                ErrorCode::BadVerb,
                format!("{} is not an OAI-PMH verb", truncate(other)),
            ))
        }
    };
    let args = Args::check(args, allowed)?;
    match verb {
        "Identify" => Ok(OaiRequest::Identify),
        "ListMetadataFormats" => Ok(OaiRequest::ListMetadataFormats {
            identifier: args.get("identifier"),
        }),
        "ListSets" => Ok(OaiRequest::ListSets {
            resumption_token: args.get("resumptionToken"),
        }),
        "GetRecord" => {
            let identifier = args.required("identifier")?;
            let format = MetadataFormat::from_prefix(&args.required("metadataPrefix")?)?;
            Ok(OaiRequest::GetRecord { identifier, format })
        }
        _ => {
            let verb = if verb == "ListRecords" {
                ListVerb::ListRecords
            } else {
                ListVerb::ListIdentifiers
            };
            parse_list(verb, &args)
        }
    }
}

fn parse_list(verb: ListVerb, args: &Args<'_>) -> Result<OaiRequest, OaiError> {
    if let Some(token) = args.get("resumptionToken") {
        // resumptionToken is exclusive; the one exception is the metadataPrefix ECO repeats,
        // checked against the token's own once the token is decoded.
        if let Some(other) = args
            .names()
            .find(|n| !matches!(*n, "resumptionToken" | "metadataPrefix"))
        {
            return Err(OaiError::bad_argument(format!(
                "resumptionToken is an exclusive argument, {other} is not allowed beside it"
            )));
        }
        return Ok(OaiRequest::Resume {
            verb,
            token,
            prefix: args.get("metadataPrefix"),
        });
    }
    let format = MetadataFormat::from_prefix(&args.required("metadataPrefix")?);
    let from = args.get("from").map(|v| date_arg("from", &v)).transpose()?;
    let until = args
        .get("until")
        .map(|v| date_arg("until", &v))
        .transpose()?;
    if let (Some((_, gf)), Some((_, gu))) = (from, until) {
        if gf != gu {
            return Err(OaiError::bad_argument(
                "from and until must have the same granularity",
            ));
        }
    }
    let from = from.map(|(d, _)| d);
    let until = until.map(|(d, g)| {
        if g == Granularity::Day {
            d.end_of_day()
        } else {
            d
        }
    });
    if let (Some(f), Some(u)) = (from, until) {
        if f > u {
            return Err(OaiError::bad_argument("from is later than until"));
        }
    }
    let set = args
        .get("set")
        .map(|s| {
            s.parse::<SetSpec>()
                .map_err(|_| OaiError::bad_argument(format!("{} is not a setSpec", truncate(&s))))
        })
        .transpose()?;
    // The format is checked after the arguments' syntax: badArgument takes precedence.
    Ok(OaiRequest::List {
        verb,
        args: ListArgs {
            format: format?,
            from,
            until,
            set,
        },
    })
}

fn date_arg(name: &str, value: &str) -> Result<(Datestamp, Granularity), OaiError> {
    Datestamp::parse_oai(value).map_err(|_| {
        OaiError::bad_argument(format!(
            "{name} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ, not {}",
            truncate(value)
        ))
    })
}

/// Long values are cut in messages: they are echoed back to whoever sent them.
fn truncate(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{:?}...", &s[..i]),
        None => format!("{s:?}"),
    }
}

/// The arguments of a request other than `verb`, known to be allowed and unrepeated.
struct Args<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Args<'a> {
    fn check(args: &'a [(String, String)], allowed: &[&str]) -> Result<Self, OaiError> {
        let mut seen: Vec<(&str, &str)> = Vec::with_capacity(args.len());
        for (k, v) in args.iter().filter(|(k, _)| k != "verb") {
            if !allowed.contains(&k.as_str()) {
                return Err(OaiError::bad_argument(format!(
                    "{} is not an argument of this verb",
                    truncate(k)
                )));
            }
            if seen.iter().any(|(s, _)| s == k) {
                return Err(OaiError::bad_argument(format!("{k} is repeated")));
            }
            if v.is_empty() {
                return Err(OaiError::bad_argument(format!("{k} is empty")));
            }
            seen.push((k, v));
        }
        Ok(Self(seen))
    }

    fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }

    fn required(&self, name: &str) -> Result<String, OaiError> {
        self.get(name)
            .ok_or_else(|| OaiError::bad_argument(format!("the {name} argument is required")))
    }

    fn names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.0.iter().map(|(k, _)| *k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(q: &str) -> Result<OaiRequest, OaiError> {
        parse(&crate::oai::args::parse_urlencoded(q.as_bytes()).unwrap())
    }

    fn code(q: &str) -> ErrorCode {
        req(q).unwrap_err().code
    }

    #[test]
    fn verbs_and_their_errors() {
        assert_eq!(req("verb=Identify").unwrap(), OaiRequest::Identify);
        assert_eq!(code(""), ErrorCode::BadVerb);
        assert_eq!(code("verb=Nope"), ErrorCode::BadVerb);
        assert_eq!(code("verb=Identify&verb=Identify"), ErrorCode::BadVerb);
        assert_eq!(code("verb=Identify&x=1"), ErrorCode::BadArgument);
        assert_eq!(code("verb=GetRecord&identifier=a"), ErrorCode::BadArgument);
        assert_eq!(
            code("verb=GetRecord&identifier=a&metadataPrefix=marc"),
            ErrorCode::CannotDisseminateFormat
        );
        assert_eq!(code("verb=ListRecords"), ErrorCode::BadArgument);
        assert_eq!(
            code("verb=ListRecords&metadataPrefix=oai_lom&metadataPrefix=oai_lom"),
            ErrorCode::BadArgument
        );
        assert_eq!(
            code("verb=ListRecords&metadataPrefix="),
            ErrorCode::BadArgument
        );
        assert_eq!(
            code("verb=ListRecords&metadataPrefix=x"),
            ErrorCode::CannotDisseminateFormat
        );
        assert_eq!(
            code("verb=ListRecords&metadataPrefix=x&from=2024"),
            ErrorCode::BadArgument
        );
    }

    #[test]
    fn dates_are_inclusive_and_of_one_granularity() {
        let OaiRequest::List { args, .. } =
            req("verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-01&until=2024-01-31").unwrap()
        else {
            panic!("not a list")
        };
        assert_eq!(args.from.unwrap().to_string(), "2024-01-01T00:00:00Z");
        assert_eq!(args.until.unwrap().to_string(), "2024-01-31T23:59:59Z");
        let mixed =
            "verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-01&until=2024-01-31T00:00:00Z";
        assert_eq!(code(mixed), ErrorCode::BadArgument);
        let reversed =
            "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2024-02-01&until=2024-01-31";
        assert_eq!(code(reversed), ErrorCode::BadArgument);
        let same_day =
            "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2024-02-01&until=2024-02-01";
        assert!(req(same_day).is_ok());
    }

    #[test]
    fn resumption_token_is_exclusive_but_for_the_prefix() {
        assert_eq!(
            req("verb=ListRecords&metadataPrefix=oai_lom&resumptionToken=abc").unwrap(),
            OaiRequest::Resume {
                verb: ListVerb::ListRecords,
                token: "abc".into(),
                prefix: Some("oai_lom".into())
            }
        );
        assert_eq!(
            code("verb=ListRecords&resumptionToken=abc&set=a"),
            ErrorCode::BadArgument
        );
        assert_eq!(
            code("verb=ListRecords&resumptionToken=abc&from=2024-01-01"),
            ErrorCode::BadArgument
        );
    }

    #[test]
    fn sets_are_checked_for_syntax() {
        assert_eq!(
            code("verb=ListRecords&metadataPrefix=oai_dc&set=a::b"),
            ErrorCode::BadArgument
        );
        assert!(req("verb=ListRecords&metadataPrefix=oai_dc&set=EcoBase:sub").is_ok());
    }

    #[test]
    fn prefixes_outside_the_schema_pattern_are_bad_arguments() {
        let q = "verb=ListRecords&metadataPrefix=oai:dc";
        assert_eq!(code(q), ErrorCode::BadArgument);
        let q = "verb=ListRecords&metadataPrefix=oai_x";
        assert_eq!(code(q), ErrorCode::CannotDisseminateFormat);
        let q = "verb=GetRecord&identifier=oai:a:b&metadataPrefix=a%20b";
        assert_eq!(code(q), ErrorCode::BadArgument);
    }

    #[test]
    fn identifiers_echoed_only_when_the_schema_takes_them_as_uris() {
        for ok in [
            "oai:pok.example.org:course-v1:Org+C1+2024",
            "oai:x.org:Polimi/FIS101/2015_M9",
            "oai:x:a%2Fb",
            "relative/path",
            "a",
            "urn:x#frag",
        ] {
            assert!(is_echoable_uri(ok), "{ok}");
        }
        for bad in [
            "%zz<",
            "oai:x:%2",
            "a b",
            "oai:x:<y>",
            "1oai:x",
            "a#b#c",
            "oai://x:y",
            "\\",
        ] {
            assert!(!is_echoable_uri(bad), "{bad}");
        }
    }

    #[test]
    fn long_values_are_truncated_in_messages() {
        let long = "x".repeat(10_000);
        let err = req(&format!("verb={long}")).unwrap_err();
        assert!(err.message.len() < 200, "{}", err.message.len());
    }
}
