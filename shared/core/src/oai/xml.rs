//! A small XML writer. Every text and attribute value goes through [`escape_into`], so no
//! caller can emit an unescaped value; output is pure ASCII (ECO decodes network chunks
//! separately and would break multi-byte characters at chunk boundaries).

/// Appends `s` escaped for element text or a double-quoted attribute value. Non-ASCII
/// characters become decimal character references; CR and LF become `&#13;` and `&#10;` so
/// parsers keep them (vCard lines need CR LF); TAB stays literal in text.
pub fn escape_into(out: &mut String, s: &str, in_attribute: bool) {
    let plain = |b: u8| {
        b.is_ascii()
            && !matches!(b, b'<' | b'>' | b'&' | b'"' | b'\r' | b'\n')
            && !(in_attribute && b == b'\t')
    };
    // Fast path: most values need no escaping at all.
    if s.bytes().all(plain) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\t' if !in_attribute => out.push('\t'),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                use std::fmt::Write;
                // Writing to a String cannot fail.
                let _ = write!(out, "&#{};", u32::from(c));
            }
        }
    }
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
