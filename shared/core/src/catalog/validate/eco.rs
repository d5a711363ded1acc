//! Warnings about what ECO's harvester does to content it accepts (eco-portal-contract.md
//! §2): it runs every title and description through an HTML sanitizer and downloads the
//! course image. The document is accepted; the operator is told what the portal will show.

use super::checker::{child, Checker};
use crate::catalog::ids::HttpUrl;
use crate::catalog::model::LangMap;

/// The first run of text an HTML parser reads as a tag: `<` then a letter, `/`, `!` or `?`,
/// up to the next `>` (or the end). The sanitizer deletes it, words and all.
fn tag_like(s: &str) -> Option<&str> {
    let bytes = s.as_bytes();
    let at = bytes.windows(2).position(|w| {
        w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?'))
    })?;
    let end = s[at..].find('>').map_or(s.len(), |e| at + e + 1);
    let end = (at..=end)
        .rev()
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(end);
    Some(&s[at..end.min(at + 40)])
}

fn sanitizer_warnings(c: &mut Checker, path: &str, texts: &LangMap, is_title: bool) {
    for (lang, text) in texts {
        let at = child(path, lang.as_str());
        if let Some(tag) = tag_like(text) {
            c.warn(
                &at,
                format!(
                    "ECO's harvester strips HTML: the tag-like text {tag:?} is deleted with its \
                     words (write \"< \" or \"less than\" instead)"
                ),
            );
        }
        if text.contains('\t') {
            c.warn(
                &at,
                "ECO's harvester deletes tabs, gluing the words on either side; use spaces",
            );
        }
        if is_title && text.contains(['\r', '\n']) {
            c.warn(&at, "ECO's harvester shows a line break in a title as <br>");
        }
    }
}

pub(super) fn title_warnings(c: &mut Checker, path: &str, titles: &LangMap) {
    sanitizer_warnings(c, path, titles, true);
}

pub(super) fn description_warnings(c: &mut Checker, path: &str, descriptions: &LangMap) {
    sanitizer_warnings(c, path, descriptions, false);
}

pub(super) fn image_warnings(c: &mut Checker, path: &str, image: &HttpUrl) {
    if !image.has_raster_extension() {
        c.warn(
            path,
            "the path does not end in .png, .jpg, .jpeg or .gif; ECO's harvester fails on \
             content that is not a raster image (check it with `pokeco catalog check`)",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::tag_like;

    #[test]
    fn tag_like_text_is_what_an_html_parser_takes_for_a_tag() {
        assert_eq!(tag_like("Meet <every week> online"), Some("<every week>"));
        assert_eq!(tag_like("a </b> c"), Some("</b>"));
        assert_eq!(tag_like("x <!-- y"), Some("<!-- y"));
        assert_eq!(tag_like("1 < 2 and 3 <= 4, <5"), None);
        assert_eq!(tag_like("no tags"), None);
        assert_eq!(tag_like("é<é"), None);
    }
}
