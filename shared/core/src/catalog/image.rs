//! What ECO's harvester does with a course image it downloads (eco-portal-contract.md §2.8):
//! no answer, another status than 200 or fewer than 20 bytes, and the course is stored without
//! its image; 20 bytes or more of anything but an image crashes the harvester after saving the
//! course. This judges one download; fetching is the caller's.

use std::fmt;

/// The formats pok-eco recommends, told by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
    Gif,
}

/// ECO's fate for one course image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageVerdict {
    /// A PNG, JPEG or GIF: shown.
    Usable(ImageFormat),
    /// The course is stored without its image (ECO shows its default picture).
    Dropped(String),
    /// ECO's harvester crashes on it, leaving its lock file: no later harvest runs.
    Crashes(String),
}

/// The first bytes of each format (PNG's signature, JPEG's SOI marker, GIF's two versions).
fn format_of(body: &[u8]) -> Option<ImageFormat> {
    if body.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if body.starts_with(b"\xFF\xD8\xFF") {
        Some(ImageFormat::Jpeg)
    } else if body.starts_with(b"GIF87a") || body.starts_with(b"GIF89a") {
        Some(ImageFormat::Gif)
    } else {
        None
    }
}

/// What the first bytes look like, for the operator.
fn looks_like(body: &[u8]) -> &'static str {
    let head = String::from_utf8_lossy(&body[..body.len().min(256)]).to_ascii_lowercase();
    let head = head.trim_start();
    if head.contains("<svg") {
        "an SVG image"
    } else if head.starts_with("<!doctype html") || head.starts_with("<html") {
        "an HTML page"
    } else if body.starts_with(b"RIFF") && body.get(8..12) == Some(b"WEBP") {
        "a WebP image"
    } else if body.starts_with(b"\0\0\x01\0") {
        "an ICO icon"
    } else {
        "neither PNG, JPEG nor GIF"
    }
}

/// Judges one download: `Err` for no answer (the reason), else the status and body.
pub fn judge_image(download: Result<(u16, &[u8]), String>) -> ImageVerdict {
    match download {
        Err(why) => ImageVerdict::Dropped(format!(
            "no answer ({why}); ECO's harvester has no timeout and waits for it"
        )),
        Ok((status, _)) if status != 200 => {
            ImageVerdict::Dropped(format!("HTTP {status}; ECO shows its default picture"))
        }
        Ok((_, body)) if body.len() < 20 => ImageVerdict::Dropped(format!(
            "{} bytes, fewer than 20; ECO shows its default picture",
            body.len()
        )),
        Ok((_, body)) => match format_of(body) {
            Some(format) => ImageVerdict::Usable(format),
            None => ImageVerdict::Crashes(format!(
                "the content is {}: ECO's harvester crashes on it; serve PNG or JPEG",
                looks_like(body)
            )),
        },
    }
}

impl fmt::Display for ImageVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usable(format) => write!(f, "ok ({format:?})"),
            Self::Dropped(why) => write!(f, "dropped: {why}"),
            Self::Crashes(why) => write!(f, "CRASHES ECO: {why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &[u8]) -> ImageVerdict {
        judge_image(Ok((200, body)))
    }

    #[test]
    fn each_fate_of_a_download() {
        let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[0; 20]].concat();
        assert_eq!(ok(&png), ImageVerdict::Usable(ImageFormat::Png));
        let jpeg = [b"\xFF\xD8\xFF\xE0".as_slice(), &[0; 20]].concat();
        assert_eq!(ok(&jpeg), ImageVerdict::Usable(ImageFormat::Jpeg));
        assert_eq!(
            ok(b"GIF89a..............."),
            ImageVerdict::Usable(ImageFormat::Gif)
        );
        assert!(
            matches!(ok(b"\x89PNG"), ImageVerdict::Dropped(_)),
            "under 20 bytes"
        );
        assert!(
            matches!(judge_image(Ok((404, &png))), ImageVerdict::Dropped(m) if m.contains("404"))
        );
        assert!(
            matches!(judge_image(Err("timed out".into())), ImageVerdict::Dropped(m) if m.contains("timed out"))
        );
        let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>"#;
        assert!(matches!(ok(svg), ImageVerdict::Crashes(m) if m.contains("SVG")));
        let html = b"<!DOCTYPE html><html><body>Not found</body></html>";
        assert!(matches!(ok(html), ImageVerdict::Crashes(m) if m.contains("HTML")));
    }
}
