//! JSON written by hand where it is hot: strings escaped exactly as `serde_json` escapes them,
//! so that a document written here is byte for byte the one `serde_json` writes.

/// Whether a byte ends a run of plain string text: `"`, `\` or a control character.
#[inline(always)]
fn special(b: u8) -> bool {
    (b < 0x20) | (b == b'"') | (b == b'\\')
}

/// 0xff for each special byte of a 16-byte chunk, 0 for the others, as one number (the
/// lowest byte first). Written so that the compiler turns it into a few vector compares.
#[inline(always)]
fn special_mask(chunk: &[u8]) -> u128 {
    let mut c = [0u8; 16];
    c.copy_from_slice(chunk);
    u128::from_le_bytes(std::array::from_fn(
        |k| if special(c[k]) { 0xff } else { 0 },
    ))
}

/// The index of the first `"`, `\` or control byte of `bytes` at or after `from`, sixteen
/// bytes at a time; `bytes.len()` when there is none.
#[inline]
pub(crate) fn next_special(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 16) {
        let hits = special_mask(chunk);
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 16;
    }
    // The last sixteen bytes, those before `i` masked off (they were read already).
    if let Some(last) = bytes.len().checked_sub(16) {
        if i < bytes.len() {
            let hits = special_mask(&bytes[last..]) >> (8 * (i - last));
            return if hits == 0 {
                bytes.len()
            } else {
                i + (hits.trailing_zeros() / 8) as usize
            };
        }
        return bytes.len();
    }
    while let Some(&b) = bytes.get(i) {
        if special(b) {
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
        fn the_first_special_byte_is_found(
            s in "([a-z]{0,20}[\"\\\\\u{0}-\u{1f}é]){0,5}[a-z]{0,20}",
            from in any::<prop::sample::Index>(),
        ) {
            let bytes = s.as_bytes();
            let from = from.index(bytes.len() + 1);
            let expected = bytes[from..]
                .iter()
                .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
                .map_or(bytes.len(), |at| from + at);
            prop_assert_eq!(next_special(bytes, from), expected);
        }
    }
}
