//! A strict JSON reader for the hot path of ingest: it walks a document once, hands out the
//! text of the values asked for, and skips the rest without building anything.
//!
//! It may refuse what is valid JSON, never accept what is not: it gives up on a number with
//! an exponent or more than 24 characters (which `serde_json` might find out of range) and on
//! nesting deeper than [`MAX_DEPTH`]. A caller that gets `None` falls back to `serde_json`,
//! which then decides and reports.

use std::borrow::Cow;

use super::write::next_special;

/// Deeper documents are left to `serde_json` (its own limit is 128).
pub const MAX_DEPTH: u32 = 64;

/// The longest number token read here; longer ones are left to `serde_json`.
const MAX_NUMBER: usize = 24;

/// The text of one checked JSON value, without surrounding whitespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Raw<'a>(&'a str);

/// An object member's key as written between its quotes.
#[derive(Clone, Copy, Debug)]
pub struct Key<'a> {
    pub raw: &'a str,
    /// Whether the key holds escapes (then `raw` is not its value).
    pub escaped: bool,
}

impl Key<'_> {
    pub fn is(&self, name: &str) -> bool {
        if self.escaped {
            unescape(self.raw).is_some_and(|k| k == name)
        } else {
            self.raw == name
        }
    }
}

pub(crate) struct Cursor<'a> {
    text: &'a str,
    i: usize,
    depth: u32,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            text,
            i: 0,
            depth: 0,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes().get(self.i).copied()
    }

    pub(crate) fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.i += 1)
    }

    /// The next byte that is not whitespace, consumed. Log lines are compact: the first byte
    /// is tried before any whitespace is skipped.
    fn token(&mut self) -> Option<u8> {
        loop {
            let b = self.peek()?;
            self.i += 1;
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(b);
            }
        }
    }

    /// One value at the cursor (no leading whitespace).
    pub(crate) fn value(&mut self) -> Option<Raw<'a>> {
        let start = self.i;
        self.skip()?;
        Some(Raw(self.text.get(start..self.i)?))
    }

    /// Checks one value at the cursor (no leading whitespace) and moves past it.
    pub(crate) fn skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => {
                self.i += 1;
                self.string_body()?;
            }
            b'{' => self.members(|_, c| c.skip())?,
            b'[' => self.elements(Self::skip)?,
            b't' => self.literal(b"true")?,
            b'f' => self.literal(b"false")?,
            b'n' => self.literal(b"null")?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return None,
        }
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.bytes().get(self.i..end)? == word).then(|| self.i = end)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`; an exponent is left to `serde_json`.
    fn number(&mut self) -> Option<()> {
        let start = self.i;
        let digits = |c: &mut Self| {
            let from = c.i;
            while let Some(b'0'..=b'9') = c.peek() {
                c.i += 1;
            }
            c.i - from
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        let done = !matches!(self.peek(), Some(b'e' | b'E'));
        (done && self.i - start <= MAX_NUMBER).then_some(())
    }

    /// The rest of a string whose opening quote is read: the bounds of its text and whether
    /// it holds escapes.
    fn string_body(&mut self) -> Option<(usize, usize, bool)> {
        let bytes = self.bytes();
        let start = self.i;
        let mut escaped = false;
        let mut at = next_special(bytes, start);
        loop {
            match *bytes.get(at)? {
                b'"' => {
                    self.i = at + 1;
                    return Some((start, at, escaped));
                }
                b'\\' => {
                    escaped = true;
                    let after = at + 1 + escape_len(bytes.get(at + 1..)?)?;
                    at = next_special(bytes, after);
                }
                // A raw control character.
                _ => return None,
            }
        }
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// An object at the cursor. `member` gets each key with the cursor at its value
    /// (whitespace skipped) and reads that one value, so a caller can step into it.
    pub(crate) fn members(
        &mut self,
        mut member: impl FnMut(Key<'a>, &mut Self) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        self.enter()?;
        match self.token()? {
            b'"' => loop {
                let (start, end, escaped) = self.string_body()?;
                let raw = self.text.get(start..end)?;
                if self.token()? != b':' {
                    return None;
                }
                self.ws();
                member(Key { raw, escaped }, self)?;
                match self.token()? {
                    b',' => {
                        if self.token()? != b'"' {
                            return None;
                        }
                    }
                    b'}' => break,
                    _ => return None,
                }
            },
            b'}' => {}
            _ => return None,
        }
        self.depth -= 1;
        Some(())
    }

    /// An array at the cursor; `element` reads each element, the cursor at it.
    fn elements(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        self.enter()?;
        self.ws();
        if self.eat(b']').is_none() {
            loop {
                element(self)?;
                match self.token()? {
                    b',' => self.ws(),
                    b']' => break,
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// Only whitespace left.
    pub(crate) fn end(&mut self) -> Option<()> {
        self.ws();
        (self.i == self.text.len()).then_some(())
    }
}

/// The length of the escape after a `\` (`n`, or `uXXXX`, or a surrogate pair's twelve
/// bytes), `None` for an invalid one or a lone surrogate, which `serde_json` refuses.
fn escape_len(after: &[u8]) -> Option<usize> {
    match after.first()? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(1),
        b'u' => match hex4(after.get(1..5)?)? {
            0xd800..=0xdbff => {
                after.get(5..7).filter(|u| *u == b"\\u")?;
                matches!(hex4(after.get(7..11)?)?, 0xdc00..=0xdfff).then_some(11)
            }
            0xdc00..=0xdfff => None,
            _ => Some(5),
        },
        _ => None,
    }
}

fn hex4(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |n, &d| {
        let v = char::from(d).to_digit(16)?;
        Some(n * 16 + v)
    })
}

/// The value of a string's text (between its quotes), escapes decoded. The text must be one
/// the reader checked: a special byte in it is a `\`.
fn unescape(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut start = 0;
    loop {
        let at = next_special(bytes, start);
        out.push_str(raw.get(start..at)?);
        let Some(&b) = bytes.get(at) else {
            break;
        };
        if b != b'\\' {
            return None;
        }
        let after = &bytes[at + 1..];
        let len = escape_len(after)?;
        match after[0] {
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let high = hex4(&after[1..5])?;
                let code = if len == 11 {
                    let low = hex4(&after[7..11])?;
                    0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
                } else {
                    high
                };
                out.push(char::from_u32(code)?);
            }
            other => out.push(char::from(other)),
        }
        start = at + 1 + len;
    }
    Some(out)
}

impl<'a> Raw<'a> {
    /// `text` when it is exactly one JSON value, whitespace around it allowed, that this
    /// reader can vouch for.
    pub fn parse(text: &'a str) -> Option<Self> {
        let mut c = Cursor::new(text);
        c.ws();
        let value = c.value()?;
        c.end()?;
        Some(value)
    }

    /// Reads an object, handing every member to `member` as it goes (a key given twice is
    /// handed twice: keep the last, as `serde_json` does); `None` unless `text` is exactly
    /// one object this reader vouches for, or when `member` gives up.
    pub fn object_members(
        text: &'a str,
        mut member: impl FnMut(Key<'a>, Raw<'a>) -> Option<()>,
    ) -> Option<()> {
        let mut c = Cursor::new(text);
        c.ws();
        c.members(|key, c| member(key, c.value()?))?;
        c.end()
    }

    /// Text this reader checked before (kept as a string, read again later).
    pub(crate) fn checked(text: &'a str) -> Self {
        Self(text)
    }

    pub fn text(self) -> &'a str {
        self.0
    }

    pub fn is_object(self) -> bool {
        self.0.starts_with('{')
    }

    /// An object's member (the last one of that name), `None` for anything but an object.
    pub fn get(self, name: &str) -> Option<Raw<'a>> {
        let mut found = None;
        Self::object_members(self.0, |key, value| {
            if key.is(name) {
                found = Some(value);
            }
            Some(())
        })?;
        found
    }

    /// An array's first element, `None` for anything but a non-empty array.
    pub fn first(self) -> Option<Raw<'a>> {
        let mut c = Cursor::new(self.0);
        c.eat(b'[')?;
        c.ws();
        c.value()
    }

    /// A string's value, escapes decoded; `None` for anything but a string.
    pub fn str(self) -> Option<Cow<'a, str>> {
        let raw = self.0.strip_prefix('"')?.strip_suffix('"')?;
        if next_special(raw.as_bytes(), 0) < raw.len() {
            unescape(raw).map(Cow::Owned)
        } else {
            Some(Cow::Borrowed(raw))
        }
    }

    /// A value as text, as `serde_json`'s tree would give it: a non-empty string, or a number
    /// as `serde_json` prints it; `None` for anything else.
    pub fn to_text(self) -> Option<String> {
        match self.0.as_bytes().first()? {
            b'"' => self.str().filter(|s| !s.is_empty()).map(Cow::into_owned),
            b'-' | b'0'..=b'9' => {
                // A plain integer that fits a u64 prints as written; others as serde_json
                // prints them (`-0` as `-0.0`, `1.50` as `1.5`).
                let digits = self.0.as_bytes();
                let plain = digits.len() <= 19
                    && digits.iter().all(u8::is_ascii_digit)
                    && (digits[0] != b'0' || digits.len() == 1);
                if plain {
                    Some(self.0.to_owned())
                } else {
                    let n: serde_json::Number = serde_json::from_str(self.0).ok()?;
                    Some(n.to_string())
                }
            }
            _ => None,
        }
    }

    /// The value as a `serde_json` tree.
    pub fn to_value(self) -> Option<serde_json::Value> {
        serde_json::from_str(self.0).ok()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    #[test]
    fn reads_what_serde_json_reads() {
        let doc = r#" {"a": [1, -2.5, true, null, {"b": "c\"\u00e9\ud83d\ude00"}], "k\u0065y": "v", "a": 0} "#;
        let raw = Raw::parse(doc).unwrap();
        assert_eq!(raw.get("a").unwrap().text(), "0");
        assert_eq!(raw.get("key").unwrap().str().unwrap(), "v");
        let tree: Value = serde_json::from_str(doc).unwrap();
        assert_eq!(raw.to_value().unwrap(), tree);
        let nested = Raw::parse(r#"[{"b": "c\"\u00e9\ud83d\ude00"}]"#).unwrap();
        assert_eq!(
            nested.first().unwrap().get("b").unwrap().str().unwrap(),
            "c\"é😀"
        );
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for bad in [
            "{",
            "{\"a\":}",
            "{\"a\":1,}",
            "[1,]",
            "01",
            "1.",
            "-",
            "\"\u{1}\"",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "{} {}",
            "tru",
            "{'a': 1}",
        ] {
            assert_eq!(Raw::parse(bad), None, "{bad}");
            assert!(serde_json::from_str::<Value>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn leaves_to_serde_json_what_it_is_unsure_of() {
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        for unsure in ["1e400", "1E2", &"9".repeat(30), &deep] {
            assert_eq!(Raw::parse(unsure), None, "{unsure}");
        }
    }

    #[test]
    fn text_is_what_the_tree_prints() {
        for (json, text) in [
            ("42", Some("42")),
            ("\"42\"", Some("42")),
            ("\"\"", None),
            ("-0", Some("-0.0")),
            ("1.50", Some("1.5")),
            ("-7", Some("-7")),
            ("18446744073709551615", Some("18446744073709551615")),
            ("null", None),
            ("[\"a\"]", None),
        ] {
            assert_eq!(
                Raw::parse(json).unwrap().to_text().as_deref(),
                text,
                "{json}"
            );
        }
    }

    /// Any JSON value, with the strings and numbers a tracking log has.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z\"\\\\é]{0,6}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_document_reads_as_its_tree(value in json_value(), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                serde_json::to_string(&value).unwrap()
            };
            // Floats may print with an exponent, which is left to serde_json.
            if let Some(raw) = Raw::parse(&text) {
                let tree: Value = serde_json::from_str(&text).unwrap();
                prop_assert_eq!(raw.to_value(), Some(tree));
            } else {
                prop_assert!(text.contains('e') || text.contains('E'));
            }
        }

        #[test]
        fn no_mangled_document_is_accepted_that_serde_json_refuses(
            value in json_value(),
            cut in any::<prop::sample::Index>(),
            junk in "[{}\\[\\]\",:\\\\a-z0-9 .eE+-]{0,3}",
        ) {
            let text = serde_json::to_string(&value).unwrap();
            let at = cut.index(text.len() + 1);
            let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            let mangled = format!("{}{junk}{}", &text[..at], &text[at..]);
            if let Some(raw) = Raw::parse(&mangled) {
                let tree: Result<Value, _> = serde_json::from_str(&mangled);
                prop_assert!(tree.is_ok(), "accepted {mangled:?}");
                prop_assert_eq!(raw.to_value(), tree.ok());
            }
        }
    }
}
