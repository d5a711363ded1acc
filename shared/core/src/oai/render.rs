//! The OAI-PMH envelope and the parts every verb shares: `<request>`, headers, errors and
//! resumption tokens.

use super::request::OaiError;
use super::settings::OaiSettings;
use super::xml::XmlWriter;
use crate::catalog::CourseRecord;
use crate::datestamp::Datestamp;

const OAI_NS: &str = "http://www.openarchives.org/OAI/2.0/";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
const OAI_SCHEMA_LOCATION: &str =
    "http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd";

/// Writes a whole response: the declaration, the root with nothing before it, responseDate,
/// `<request>` (the endpoint's URL, echoing `echo` as attributes when given), then `body`.
pub fn document(
    endpoint: &str,
    now: Datestamp,
    echo: Option<&[(String, String)]>,
    capacity: usize,
    body: impl FnOnce(&mut XmlWriter),
) -> String {
    let mut w = XmlWriter::with_capacity(capacity);
    w.declaration();
    w.open(
        "OAI-PMH",
        &[
            ("xmlns", OAI_NS),
            ("xmlns:xsi", XSI_NS),
            ("xsi:schemaLocation", OAI_SCHEMA_LOCATION),
        ],
    );
    w.newline();
    w.leaf("responseDate", &[], &now.text());
    w.newline();
    let attrs: Vec<(&str, &str)> = echo
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    w.leaf("request", &attrs, endpoint);
    w.newline();
    body(&mut w);
    w.newline();
    w.close("OAI-PMH");
    w.newline();
    w.finish()
}

pub fn error(w: &mut XmlWriter, e: &OaiError) {
    w.leaf("error", &[("code", e.code.as_str())], &e.message);
}

pub fn header(w: &mut XmlWriter, settings: &OaiSettings, r: &CourseRecord) {
    if r.deleted {
        w.open("header", &[("status", "deleted")]);
    } else {
        w.open("header", &[]);
    }
    w.leaf(
        "identifier",
        &[],
        &settings.prefix.identifier(r.course.course_id.as_str()),
    );
    w.leaf("datestamp", &[], &r.datestamp.text());
    for set in r.course.header_sets() {
        w.leaf("setSpec", &[], set.as_str());
    }
    w.close("header");
}

/// The attributes of a resumptionToken element.
pub struct TokenAttrs {
    pub expiration: Option<Datestamp>,
    pub complete_list_size: Option<u64>,
    pub cursor: u64,
}

pub fn resumption_token(w: &mut XmlWriter, token: &str, a: &TokenAttrs) {
    let expiration = a.expiration.map(|e| e.to_string());
    let size = a.complete_list_size.map(|n| n.to_string());
    let cursor = a.cursor.to_string();
    let mut attrs: Vec<(&str, &str)> = Vec::with_capacity(3);
    if let Some(e) = &expiration {
        attrs.push(("expirationDate", e));
    }
    if let Some(n) = &size {
        attrs.push(("completeListSize", n));
    }
    attrs.push(("cursor", &cursor));
    if token.is_empty() {
        w.empty("resumptionToken", &attrs);
    } else {
        w.leaf("resumptionToken", &attrs, token);
    }
}
