//! The two metadata formats of a course: IEEE LOM with ECO's extension (`oai_lom`, laid out
//! as ECO's harvester reads it: contract section 2.6) and Dublin Core (`oai_dc`).

use std::borrow::Cow;
use std::collections::HashMap;

use super::request::MetadataFormat;
use super::settings::OaiPrefix;
use super::xml::XmlWriter;
use crate::catalog::{Course, CourseRecord, Teacher, TeacherId};
use crate::datestamp::Datestamp;

pub const LOM_NS: &str = "http://ltsc.ieee.org/xsd/LOM";
pub const ECO_NS: &str = "http://www.ecolearning.eu/xsd/LOM";

/// The teachers the records of a page name, fetched once per page.
pub type Teachers = HashMap<TeacherId, Teacher>;

pub fn write_metadata(
    w: &mut XmlWriter,
    format: MetadataFormat,
    record: &CourseRecord,
    prefix: &OaiPrefix,
    teachers: &Teachers,
) {
    w.open("metadata", &[]);
    match format {
        MetadataFormat::OaiLom => write_lom(w, &record.course, prefix, teachers),
        MetadataFormat::OaiDc => write_dc(w, &record.course, record.datestamp, teachers),
    }
    w.close("metadata");
}

fn lang_strings<'a>(
    w: &mut XmlWriter,
    element: &str,
    strings: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    w.open(element, &[]);
    for (lang, text) in strings {
        // `language` must be the first and only attribute: ECO takes the first as the language.
        w.leaf("lom:string", &[("language", lang)], text);
    }
    w.close(element);
}

fn vocabulary(w: &mut XmlWriter, element: &str, value: &str) {
    w.open(element, &[]);
    w.leaf("lom:source", &[], "LOMv1.0");
    w.leaf("lom:value", &[], value);
    w.close(element);
}

/// A `lom:contribute` whose entity is a vCard given in parts (written without building the
/// string first: a page holds hundreds of them).
fn contribute(w: &mut XmlWriter, role: &str, vcard: &[&str]) {
    w.open("lom:contribute", &[]);
    vocabulary(w, "lom:role", role);
    w.leaf_parts("lom:entity", vcard);
    w.close("lom:contribute");
}

/// vCard 3.0 escaping for one component of a structured value (`N`): `\`, `;` and `,`.
fn vcard_component(s: &str) -> Cow<'_, str> {
    if !s.contains(['\\', ';', ',']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if matches!(c, '\\' | ';' | ',') {
            out.push('\\');
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// ECO splits vCards on CR LF and reads `FN:` and `UID:urn:uuid:` verbatim, so lines are
/// joined with CR LF (escaped by the writer as `&#13;&#10;`) and never folded.
fn teacher_contribute(w: &mut XmlWriter, t: &Teacher) {
    let (first, last) = (t.first_name.as_str(), t.last_name.as_str());
    let space = if first.is_empty() || last.is_empty() {
        ""
    } else {
        " "
    };
    contribute(
        w,
        "author",
        &[
            "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:urn:uuid:",
            t.id.as_str(),
            "\r\nN:",
            &vcard_component(last),
            ";",
            &vcard_component(first),
            ";;;\r\nFN:",
            first,
            space,
            last,
            "\r\nEND:VCARD",
        ],
    );
}

fn organizer_contribute(w: &mut XmlWriter, org: &str) {
    contribute(
        w,
        "content provider",
        &[
            "BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;;;\r\nFN:",
            org,
            "\r\nORG:",
            org,
            "\r\nEND:VCARD",
        ],
    );
}

fn write_lom(w: &mut XmlWriter, c: &Course, prefix: &OaiPrefix, teachers: &Teachers) {
    w.open(
        "lom:lom",
        &[
            ("xmlns:lom", LOM_NS),
            ("xmlns:eco", ECO_NS),
            (
                "xsi:schemaLocation",
                "http://ltsc.ieee.org/xsd/LOM http://ltsc.ieee.org/xsd/lomv1.0/lomLoose.xsd",
            ),
        ],
    );
    // general comes first so that its identifier and description are the first ECO finds.
    w.open("lom:general", &[]);
    w.open("lom:identifier", &[]);
    w.leaf("lom:catalog", &[], prefix.repository_id());
    w.leaf("lom:entry", &[], c.course_id.as_str());
    w.close("lom:identifier");
    lang_strings(
        w,
        "lom:title",
        c.title.iter().map(|(l, t)| (l.as_str(), t.as_str())),
    );
    for lang in &c.languages {
        w.leaf("lom:language", &[], lang.as_str());
    }
    lang_strings(
        w,
        "lom:description",
        c.description.iter().map(|(l, t)| (l.as_str(), t.as_str())),
    );
    if let Some(start) = c.start {
        w.leaf("eco:startDate", &[], &start.text());
    }
    if let Some(end) = c.end {
        w.leaf("eco:endDate", &[], &end.text());
    }
    if let Some(units) = c.units {
        w.leaf("eco:nrOfUnits", &[], &units.to_string());
    }
    if let Some(load) = c.study_load {
        w.leaf("eco:studyLoad", &[], &load.to_string());
    }
    if let Some(image) = &c.image {
        w.open("eco:courseImage", &[]);
        w.leaf("eco:courseUrl", &[], image.as_str());
        w.close("eco:courseImage");
    }
    w.close("lom:general");

    w.open("lom:lifeCycle", &[]);
    for t in c.teachers.iter().filter_map(|id| teachers.get(id)) {
        teacher_contribute(w, t);
    }
    for org in &c.organizers {
        organizer_contribute(w, org);
    }
    w.close("lom:lifeCycle");

    w.open("lom:technical", &[]);
    w.leaf("lom:location", &[], c.url.as_str());
    w.close("lom:technical");

    if let Some(duration) = &c.typical_learning_time {
        w.open("lom:educational", &[]);
        w.open("lom:typicalLearningTime", &[]);
        w.leaf("lom:duration", &[], duration.as_str());
        w.close("lom:typicalLearningTime");
        w.close("lom:educational");
    }

    w.open("lom:classification", &[]);
    vocabulary(w, "lom:purpose", "discipline");
    w.open("lom:taxonPath", &[]);
    lang_strings(w, "lom:source", [("en", "ECO Area of Interests")]);
    w.open("lom:taxon", &[]);
    w.leaf("lom:id", &[], c.interest_area.code());
    lang_strings(w, "lom:entry", [("en", c.interest_area.label())]);
    w.close("lom:taxon");
    w.close("lom:taxonPath");
    w.close("lom:classification");
    w.close("lom:lom");
}

fn write_dc(w: &mut XmlWriter, c: &Course, changed: Datestamp, teachers: &Teachers) {
    w.open(
        "oai_dc:dc",
        &[
            ("xmlns:oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
            ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
            ("xsi:schemaLocation", "http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd"),
        ],
    );
    for (lang, title) in &c.title {
        w.leaf("dc:title", &[("xml:lang", lang.as_str())], title);
    }
    for t in c.teachers.iter().filter_map(|id| teachers.get(id)) {
        w.leaf("dc:creator", &[], &t.full_name());
    }
    w.leaf("dc:subject", &[], c.interest_area.label());
    for (lang, text) in &c.description {
        w.leaf("dc:description", &[("xml:lang", lang.as_str())], text);
    }
    for org in &c.organizers {
        w.leaf("dc:publisher", &[], org);
    }
    w.leaf("dc:date", &[], &c.start.unwrap_or(changed).day());
    w.leaf("dc:type", &[], "MOOC");
    w.leaf("dc:identifier", &[], c.url.as_str());
    for lang in &c.languages {
        w.leaf("dc:language", &[], lang.as_str());
    }
    w.close("oai_dc:dc");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vcards_escape_structured_parts_only() {
        let t = Teacher {
            id: "t1".parse().unwrap(),
            first_name: "Anna;Maria".into(),
            last_name: "Rossi, Jr".into(),
            image: None,
            descriptions: Default::default(),
        };
        let mut w = XmlWriter::with_capacity(256);
        teacher_contribute(&mut w, &t);
        let out = w.finish();
        let entity = out
            .split("<lom:entity>")
            .nth(1)
            .unwrap()
            .split("</lom:entity>")
            .next()
            .unwrap();
        assert_eq!(
            entity,
            "BEGIN:VCARD&#13;&#10;VERSION:3.0&#13;&#10;UID:urn:uuid:t1&#13;&#10;N:Rossi\\, Jr;Anna\\;Maria;;;&#13;&#10;FN:Anna;Maria Rossi, Jr&#13;&#10;END:VCARD"
        );
    }
}
