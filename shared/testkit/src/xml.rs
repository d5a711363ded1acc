//! A canonical element tree for comparing XML documents: names resolved to namespace URIs,
//! attributes sorted (namespace declarations dropped), references decoded, whitespace-only
//! text between elements dropped.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

fn qualified(ns: ResolveResult<'_>, local: &[u8]) -> String {
    let local = String::from_utf8_lossy(local);
    match ns {
        ResolveResult::Bound(ns) => format!("{{{}}}{local}", String::from_utf8_lossy(ns.0)),
        _ => local.into_owned(),
    }
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

/// Parses a document into its root element. Panics on malformed XML: that is a test failure.
pub fn parse(xml: &str) -> Element {
    let mut reader = NsReader::from_str(xml);
    let mut stack: Vec<Element> = vec![Element {
        name: String::new(),
        attrs: vec![],
        children: vec![],
    }];
    let push_text = |stack: &mut Vec<Element>, s: &str| {
        let top = stack.last_mut().expect("open element");
        if let Some(Node::Text(t)) = top.children.last_mut() {
            t.push_str(s);
        } else {
            top.children.push(Node::Text(s.to_owned()));
        }
    };
    loop {
        let (ns, event) = reader.read_resolved_event().expect("well-formed XML");
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = qualified(ns, e.local_name().as_ref());
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.expect("attribute");
                    let key = a.key;
                    if key.as_ref() == b"xmlns" || key.as_ref().starts_with(b"xmlns:") {
                        continue;
                    }
                    let (ans, local) = reader.resolve_attribute(key);
                    let value = a.unescape_value().expect("attribute value").into_owned();
                    attrs.push((qualified(ans, local.as_ref()), value));
                }
                attrs.sort();
                let el = Element {
                    name,
                    attrs,
                    children: vec![],
                };
                if matches!(event, Event::Empty(_)) {
                    stack
                        .last_mut()
                        .expect("parent")
                        .children
                        .push(Node::Element(el));
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let mut el = stack.pop().expect("open element");
                el.children = normalise(el.children);
                stack
                    .last_mut()
                    .expect("parent")
                    .children
                    .push(Node::Element(el));
            }
            Event::Text(t) => push_text(&mut stack, &t.decode().expect("utf-8")),
            Event::CData(t) => push_text(&mut stack, &String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().expect("char ref") {
                    Some(c) => c,
                    None => predefined(&r.decode().expect("utf-8")).expect("known entity"),
                };
                push_text(&mut stack, c.encode_utf8(&mut [0; 4]));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let doc = stack.pop().expect("document");
    doc.children
        .into_iter()
        .find_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
        .expect("a root element")
}

/// Drops whitespace-only text between elements (mixed content does not occur here), and
/// normalises line ends as an XML parser would for literal CR LF.
fn normalise(children: Vec<Node>) -> Vec<Node> {
    let has_elements = children.iter().any(|n| matches!(n, Node::Element(_)));
    children
        .into_iter()
        .filter(|n| !(has_elements && matches!(n, Node::Text(t) if t.trim().is_empty())))
        .collect()
}

impl Element {
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// Every element below this one (document order) whose local name is `local`.
    pub fn descendants<'a>(&'a self, local: &'a str) -> Vec<&'a Element> {
        let mut out = Vec::new();
        for e in self.elements() {
            if e.name == local || e.name.ends_with(&format!("}}{local}")) {
                out.push(e);
            }
            out.extend(e.descendants(local));
        }
        out
    }

    pub fn text(&self) -> String {
        self.children
            .iter()
            .map(|n| match n {
                Node::Text(t) => t.clone(),
                Node::Element(e) => e.text(),
            })
            .collect()
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}
