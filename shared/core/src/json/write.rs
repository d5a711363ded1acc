//! JSON written by hand where it is hot: strings escaped exactly as `serde_json` escapes them,
//! so that a document written here is byte for byte the one `serde_json` writes.

const ONES: u64 = u64::from_ne_bytes([1; 8]);
const HIGH: u64 = ONES << 7;

/// Whether a word holds a byte below 0x20, a `"` or a `\`. The lowest flagged byte is exact
/// (a borrow can only flag bytes above a true hit), which is all the callers use.
pub(crate) fn special_bytes(w: u64) -> u64 {
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    let q = w ^ (ONES * u64::from(b'"'));
    let b = w ^ (ONES * u64::from(b'\\'));
    (control | (q.wrapping_sub(ONES) & !q) | (b.wrapping_sub(ONES) & !b)) & HIGH
}

/// The index of the first `"`, `\` or control byte of `bytes` at or after `from`, eight
/// bytes at a time; `bytes.len()` when there is none.
#[inline]
pub(crate) fn next_special(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let hits = special_bytes(u64::from_le_bytes(w));
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if b < 0x20 || b == b'"' || b == b'\\' {
            return i;
        }
        i += 1;
    }
    bytes.len()
}

/// `s` as a JSON string, quoted: `"` and `\` escaped, control characters in their short form
/// or as `\u00xx`; nothing else (no `/`, no non-ASCII), as `serde_json` writes it.
pub fn string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    escaped(out, s);
    out.push('"');
}

/// `s` escaped as inside a JSON string, without the quotes (to write a string in parts).
pub fn escaped(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let mut start = 0;
    loop {
        let at = next_special(bytes, start);
        out.push_str(&s[start..at]);
        let Some(&b) = bytes.get(at) else {
            break;
        };
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
        start = at + 1;
    }
}

/// A JSON object of string values, in the map's order.
pub fn string_map<'a>(out: &mut String, entries: impl IntoIterator<Item = (&'a str, &'a str)>) {
    out.push('{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, key);
        out.push(':');
        string(out, value);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn written(s: &str) -> String {
        let mut out = String::new();
        string(&mut out, s);
        out
    }

    #[test]
    fn escapes_as_serde_json_does() {
        let tricky =
            "q\"b\\s/ \u{1} \u{8}\u{c}\n\r\t \u{7f} é 漢 😀 and a longer run of plain text \u{1f}!";
        assert_eq!(written(tricky), serde_json::to_string(tricky).unwrap());
        assert_eq!(written(""), "\"\"");
    }

    proptest! {
        #[test]
        fn any_string_is_written_as_serde_json_writes_it(s in any::<String>()) {
            prop_assert_eq!(written(&s), serde_json::to_string(&s).unwrap());
        }

        #[test]
        fn the_first_special_byte_is_found(s in "[a-z\"\\\\\u{0}-\u{1f}é]{0,40}") {
            let bytes = s.as_bytes();
            let expected = bytes
                .iter()
                .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
                .unwrap_or(bytes.len());
            prop_assert_eq!(next_special(bytes, 0), expected);
        }
    }
}
