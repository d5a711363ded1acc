//! Identity links: the operator says which ECO user (the OpenID `sub` of ECO's identity
//! provider) an edX user is. Events of users with no link give no statement.

use serde::{Deserialize, Serialize};

use crate::catalog::ids::{string_newtype, Invalid};

string_newtype!(
    /// An edX user id: the LMS's numeric `auth_user.id`, as `context.user_id` carries it.
    EdxUserId,
    check_edx_user_id
);
string_newtype!(
    /// An ECO user id: the `sub` of ECO's OpenID provider, 24 lower-case hex digits (a MongoDB
    /// ObjectId).
    EcoSub,
    check_eco_sub
);

fn check_edx_user_id(s: &str) -> Result<(), Invalid> {
    if !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "{s:?} is not an edX user id (the LMS's numeric user id)"
        )))
    }
}

fn check_eco_sub(s: &str) -> Result<(), Invalid> {
    if s.len() == 24 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "{s:?} is not an ECO user id (24 lower-case hex digits)"
        )))
    }
}

impl EcoSub {
    /// Reads a sub as ECO or a spreadsheet may write it: hex digits in either case.
    ///
    /// # Errors
    /// When it is not 24 hex digits.
    pub fn parse_lenient(s: &str) -> Result<Self, Invalid> {
        s.trim().to_ascii_lowercase().parse()
    }
}

/// One edX user and the ECO identity they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub edx_user_id: EdxUserId,
    pub eco_sub: EcoSub,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkPage {
    pub links: Vec<Link>,
    /// Whether links lie beyond the last one of this page.
    pub more: bool,
}

/// A line of a links file that was not taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CsvProblem {
    /// 1-based.
    pub line: usize,
    pub reason: String,
}

/// Reads a links file: two columns, edX user id and ECO sub, comma- or semicolon-separated
/// (the export of the LMS's `social_auth_usersocialauth` table, `user_id,uid`). A first line
/// that is not a link is taken as a header; blank lines are skipped; a later edX user id
/// replaces an earlier one. Every other line that is not a link is reported, never fatal.
pub fn parse_links_csv(text: &str) -> (Vec<Link>, Vec<CsvProblem>) {
    let mut links: Vec<Link> = Vec::new();
    let mut problems = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            continue;
        }
        match parse_link(line) {
            Ok(link) => match links.iter_mut().find(|l| l.edx_user_id == link.edx_user_id) {
                Some(earlier) => *earlier = link,
                None => links.push(link),
            },
            Err(_) if i == 0 => {}
            Err(reason) => problems.push(CsvProblem {
                line: i + 1,
                reason,
            }),
        }
    }
    (links, problems)
}

fn parse_link(line: &str) -> Result<Link, String> {
    let cells: Vec<&str> = line
        .split([',', ';', '\t'])
        .map(|c| c.trim().trim_matches('"').trim())
        .collect();
    let [user, sub] = cells.as_slice() else {
        return Err(format!(
            "expected two columns (edX user id, ECO user id), found {}",
            cells.len()
        ));
    };
    Ok(Link {
        edx_user_id: user.parse().map_err(|e: Invalid| e.0)?,
        eco_sub: EcoSub::parse_lenient(sub).map_err(|e| e.0)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "5a1b2c3d4e5f60718293a4b5";

    #[test]
    fn ids_are_checked() {
        assert!("42".parse::<EdxUserId>().is_ok());
        for bad in ["", "4 2", "-1", "abc", "123456789012345678901"] {
            assert!(bad.parse::<EdxUserId>().is_err(), "{bad:?}");
        }
        assert!(SUB.parse::<EcoSub>().is_ok());
        assert_eq!(
            EcoSub::parse_lenient(" 5A1B2C3D4E5F60718293A4B5 ")
                .unwrap()
                .as_str(),
            SUB
        );
        for bad in [
            "5a1b",
            "5a1b2c3d4e5f60718293a4bz",
            "5A1B2C3D4E5F60718293A4B5",
        ] {
            assert!(bad.parse::<EcoSub>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_links_file_with_header_blank_and_bad_lines() {
        let text = format!(
            "\u{feff}user_id,uid\n42,{SUB}\n\n\"7\" ; {up}\nnot-a-user,{SUB}\n8\n42,{other}\n",
            up = SUB.to_uppercase(),
            other = "00000000000000000000000a"
        );
        let (links, problems) = parse_links_csv(&text);
        let got: Vec<(&str, &str)> = links
            .iter()
            .map(|l| (l.edx_user_id.as_str(), l.eco_sub.as_str()))
            .collect();
        assert_eq!(got, [("42", "00000000000000000000000a"), ("7", SUB)]);
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [5, 6]);
        assert!(problems[0].reason.contains("not an edX user id"));
        assert!(problems[1].reason.contains("two columns"));
    }

    #[test]
    fn a_first_line_that_is_a_link_is_kept() {
        let (links, problems) = parse_links_csv(&format!("1,{SUB}"));
        assert_eq!(links.len(), 1);
        assert!(problems.is_empty());
    }
}
