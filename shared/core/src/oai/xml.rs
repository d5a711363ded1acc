//! A small XML writer. Every text and attribute value goes through [`escape_into`], so no
//! caller can emit an unescaped value; output is pure ASCII (ECO decodes network chunks
//! separately and would break multi-byte characters at chunk boundaries).

/// Appends `s` escaped for element text or a double-quoted attribute value. Non-ASCII
/// characters become decimal character references; CR and LF become `&#13;` and `&#10;` so
/// parsers keep them (vCard lines need CR LF); TAB stays literal in text. Characters XML 1.0
/// cannot carry at all (C0 controls, U+FFFE, U+FFFF) become U+FFFD: validation refuses them
/// on input, and the output must stay well-formed whatever the store holds.
pub fn escape_into(out: &mut String, s: &str, in_attribute: bool) {
    let table = if in_attribute { &ATTRIBUTE } else { &TEXT };
    let bytes = s.as_bytes();
    let mut done = 0;
    // Runs of bytes that need no escaping are copied as one slice.
    while let Some(offset) = bytes[done..].iter().position(|b| table[usize::from(*b)]) {
        let at = done + offset;
        out.push_str(&s[done..at]);
        let len = match bytes[at] {
            b'<' => push(out, "&lt;"),
            b'>' => push(out, "&gt;"),
            b'&' => push(out, "&amp;"),
            b'"' => push(out, "&quot;"),
            b'\r' => push(out, "&#13;"),
            b'\n' => push(out, "&#10;"),
            b'\t' => push(out, "&#9;"),
            _ => {
                // A control character or the first byte of a multi-byte character.
                let c = s[at..].chars().next().unwrap_or('\u{fffd}');
                let code = match c {
                    '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => 0xfffd,
                    c => u32::from(c),
                };
                push_char_ref(out, code);
                c.len_utf8()
            }
        };
        done = at + len;
    }
    out.push_str(&s[done..]);
}

fn push(out: &mut String, escaped: &str) -> usize {
    out.push_str(escaped);
    1
}

/// Which bytes need escaping: markup, CR, LF, every control and every non-ASCII byte; TAB
/// only in attributes (where a parser would turn it into a space).
const fn table(in_attribute: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b < 0x20 || b >= 0x7f;
        b += 1;
    }
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'&' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\t' as usize] = in_attribute;
    t
}

const TEXT: [bool; 256] = table(false);
const ATTRIBUTE: [bool; 256] = table(true);

/// `&#<code>;` without the formatting machinery: this runs for every non-ASCII character.
fn push_char_ref(out: &mut String, mut code: u32) {
    let mut digits = [0u8; 10];
    let mut n = digits.len();
    loop {
        n -= 1;
        digits[n] = b'0' + (code % 10) as u8;
        code /= 10;
        if code == 0 {
            break;
        }
    }
    out.push_str("&#");
    for d in &digits[n..] {
        out.push(char::from(*d));
    }
    out.push(';');
}

/// Builds a document into a `String`. Element names are static: only values are dynamic.
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    pub fn with_capacity(n: usize) -> Self {
        Self {
            out: String::with_capacity(n),
        }
    }

    /// Writes `<?xml ...?>` with nothing after it: ECO's harvester loops forever on
    /// whitespace between the declaration and the root.
    pub fn declaration(&mut self) {
        self.out
            .push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    }

    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start_tag(name, attrs);
        self.out.push('>');
    }

    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `<name attrs>text</name>`.
    pub fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.open(name, attrs);
        self.text(text);
        self.close(name);
    }

    /// `<name>` with the concatenation of `parts` as its text, each part escaped.
    pub fn leaf_parts(&mut self, name: &str, parts: &[&str]) {
        self.open(name, &[]);
        for part in parts {
            self.text(part);
        }
        self.close(name);
    }

    /// `<name attrs/>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start_tag(name, attrs);
        self.out.push_str("/>");
    }

    pub fn text(&mut self, text: &str) {
        escape_into(&mut self.out, text, false);
    }

    /// A line break between elements, for people reading the output.
    pub fn newline(&mut self) {
        self.out.push('\n');
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    pub fn finish(self) -> String {
        self.out
    }

    fn start_tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_into(&mut self.out, v, true);
            self.out.push('"');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str, attr: bool) -> String {
        let mut out = String::new();
        escape_into(&mut out, s, attr);
        out
    }

    #[test]
    fn escapes_markup_and_non_ascii() {
        assert_eq!(esc("a<b>&\"c'", false), "a&lt;b&gt;&amp;&quot;c'");
        assert_eq!(esc("unità 😀", false), "unit&#224; &#128512;");
        assert_eq!(esc("A\r\nB\tC", false), "A&#13;&#10;B\tC");
        assert_eq!(esc("A\tB", true), "A&#9;B");
        assert_eq!(esc("plain", true), "plain");
        assert_eq!(esc("", false), "");
        assert_eq!(esc("é<", false), "&#233;&lt;");
    }

    #[test]
    fn finds_a_special_byte_at_every_position_of_long_values() {
        for special in ['<', '>', '&', '"', '\r', '\n', '\u{1}', '\u{7f}', 'é', '\t'] {
            for at in 0..40 {
                let mut s = "a".repeat(40);
                s.insert(at, special);
                let mut expected = "a".repeat(at);
                escape_into(&mut expected, &special.to_string(), true);
                expected.push_str(&"a".repeat(40 - at));
                assert_eq!(esc(&s, true), expected, "{special:?} at {at}");
            }
        }
    }

    #[test]
    fn characters_xml_cannot_carry_become_replacement_characters() {
        assert_eq!(esc("a\u{1}b\u{1f}", false), "a&#65533;b&#65533;");
        assert_eq!(
            esc("\u{fffe}\u{ffff}\u{7f}", true),
            "&#65533;&#65533;&#127;"
        );
    }

    proptest::proptest! {
        #[test]
        fn escaping_round_trips_through_an_xml_parser(s in "\\PC*|.*", attr in proptest::bool::ANY) {
            let escaped = esc(&s, attr);
            proptest::prop_assert!(escaped.is_ascii());
            proptest::prop_assert!(!escaped.contains(['<', '>', '"', '\r', '\n']));
            let expected: String = s
                .chars()
                .map(|c| match c {
                    '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' => '\u{fffd}',
                    '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
                    c => c,
                })
                .collect();
            let back = quick_xml::escape::unescape(&escaped).unwrap();
            proptest::prop_assert_eq!(back, expected);
        }
    }

    #[test]
    fn writer_nests_and_escapes_attributes() {
        let mut w = XmlWriter::with_capacity(64);
        w.declaration();
        w.open("r", &[("a", "x\"y")]);
        w.leaf("s", &[("language", "it")], "è");
        w.empty("e", &[]);
        w.close("r");
        assert_eq!(
            w.finish(),
            r#"<?xml version="1.0" encoding="UTF-8"?><r a="x&quot;y"><s language="it">&#232;</s><e/></r>"#
        );
    }
}
