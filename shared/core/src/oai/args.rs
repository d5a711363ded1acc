//! Decoding of OAI-PMH arguments from a query string or an
//! `application/x-www-form-urlencoded` body, strictly: a malformed escape is an error, not a
//! guess, because a harvester that sent one should hear `badArgument`.

/// Why the argument string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgsError {
    #[error("invalid percent-escape in the request")]
    BadEscape,
    #[error("the request arguments are not UTF-8")]
    NotUtf8,
}

/// Splits `a=1&b=2` into decoded pairs, in order, keeping repeats (the caller rejects them).
/// `+` is a space. Empty segments (`a=1&&b=2`, a trailing `&`) are skipped; a segment without
/// `=` is a key with an empty value.
pub fn parse_urlencoded(input: &[u8]) -> Result<Vec<(String, String)>, ArgsError> {
    input
        .split(|b| *b == b'&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| {
            let (k, v) = match seg.iter().position(|b| *b == b'=') {
                Some(i) => (&seg[..i], &seg[i + 1..]),
                None => (seg, &[][..]),
            };
            Ok((decode(k)?, decode(v)?))
        })
        .collect()
}

fn decode(s: &[u8]) -> Result<String, ArgsError> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3).ok_or(ArgsError::BadEscape)?;
                let hi = hex_val(hex[0]).ok_or(ArgsError::BadEscape)?;
                let lo = hex_val(hex[1]).ok_or(ArgsError::BadEscape)?;
                out.push(hi << 4 | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ArgsError::NotUtf8)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn decodes_pairs_in_order_with_repeats() {
        let got =
            parse_urlencoded(b"verb=ListRecords&from=2024-01-01&verb=x+y&set=a%3Ab&&flag").unwrap();
        assert_eq!(
            got,
            pairs(&[
                ("verb", "ListRecords"),
                ("from", "2024-01-01"),
                ("verb", "x y"),
                ("set", "a:b"),
                ("flag", "")
            ])
        );
        assert_eq!(parse_urlencoded(b"").unwrap(), vec![]);
        assert_eq!(parse_urlencoded(b"a=%C3%A8").unwrap(), pairs(&[("a", "è")]));
    }

    #[test]
    fn rejects_malformed_escapes_and_bad_utf8() {
        assert_eq!(parse_urlencoded(b"verb=%"), Err(ArgsError::BadEscape));
        assert_eq!(parse_urlencoded(b"verb=%4"), Err(ArgsError::BadEscape));
        assert_eq!(parse_urlencoded(b"verb=%zz"), Err(ArgsError::BadEscape));
        assert_eq!(parse_urlencoded(b"verb=%FF"), Err(ArgsError::NotUtf8));
        assert_eq!(parse_urlencoded(b"v\xffrb=1"), Err(ArgsError::NotUtf8));
    }
}
