//! An xAPI 1.0.3 statement as the pipeline carries it: its id and its JSON, written once by a
//! profile and passed on as text to the queue, the LRS and the failed store. Nothing decodes
//! and re-encodes it on the way, so every copy is byte for byte the one the profile wrote.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// The xAPI version every statement declares, and the `X-Experience-API-Version` header.
pub const XAPI_VERSION: &str = "1.0.3";

#[derive(Clone, PartialEq, Eq)]
pub struct Statement {
    id: String,
    json: String,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("a statement is a JSON object: {0}")]
    NotJson(String),
    #[error("a statement needs a string id")]
    NoId,
}

impl Statement {
    /// A statement a profile wrote: `json` must be one JSON object whose `id` is `id`.
    pub(crate) fn written(id: String, json: String) -> Self {
        Self { id, json }
    }

    /// A statement from its JSON text, kept as given.
    ///
    /// # Errors
    /// Not a JSON object, or no string `id`.
    pub fn from_json(json: String) -> Result<Self, StatementError> {
        #[derive(Deserialize)]
        struct Id {
            id: Option<Value>,
        }
        if !json.trim_start().starts_with('{') {
            return Err(StatementError::NotJson("not an object".into()));
        }
        let id: Id =
            serde_json::from_str(&json).map_err(|e| StatementError::NotJson(e.to_string()))?;
        match id.id {
            Some(Value::String(id)) => Ok(Self { id, json }),
            _ => Err(StatementError::NoId),
        }
    }

    /// # Errors
    /// As [`Statement::from_json`].
    pub fn from_value(value: &Value) -> Result<Self, StatementError> {
        Self::from_json(value.to_string())
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn json(&self) -> &str {
        &self.json
    }

    /// The statement as a tree, to read or change it (tests, tools).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.json).unwrap_or_default()
    }

    /// Changes the statement through its tree (tests, tools); its text is written anew.
    ///
    /// # Errors
    /// The change left no string id; the statement is then unchanged.
    pub fn edit(&mut self, change: impl FnOnce(&mut Value)) -> Result<(), StatementError> {
        let mut value = self.to_value();
        change(&mut value);
        *self = Self::from_value(&value)?;
        Ok(())
    }

    /// Statements as one JSON array, as the LRS takes them.
    pub fn array(statements: &[Statement]) -> String {
        // Sized once: a batch's array is the largest buffer of a sync run.
        let bytes = statements.iter().map(|s| s.json.len() + 1).sum::<usize>();
        let mut out = String::with_capacity(bytes + 2);
        out.push('[');
        for (i, s) in statements.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&s.json);
        }
        out.push(']');
        out
    }
}

impl std::fmt::Debug for Statement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.json)
    }
}

impl Serialize for Statement {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.json.clone()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Statement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        Self::from_json(String::from(Box::<str>::from(raw))).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_goes_through_unchanged() {
        let text = r#"{"id":"6f0c9a52-8d1e-4c3b-9a7e-2b5d0c4e8f11", "verb":{"id":"v"}}"#;
        let s = Statement::from_json(text.to_owned()).unwrap();
        assert_eq!(s.id(), "6f0c9a52-8d1e-4c3b-9a7e-2b5d0c4e8f11");
        let array = Statement::array(&[s.clone(), s.clone()]);
        assert_eq!(array, format!("[{text},{text}]"));
        let back: Vec<Statement> = serde_json::from_str(&array).unwrap();
        assert_eq!(back, vec![s.clone(), s.clone()]);
        #[derive(Serialize)]
        struct Failed<'a> {
            statement: &'a Statement,
        }
        let wrapped = serde_json::to_string(&Failed { statement: &s }).unwrap();
        assert_eq!(wrapped, format!(r#"{{"statement":{text}}}"#));
    }

    #[test]
    fn a_statement_is_an_object_with_an_id() {
        assert!(matches!(
            Statement::from_json("[1]".into()),
            Err(StatementError::NotJson(_))
        ));
        assert_eq!(
            Statement::from_json(r#"{"id": 7}"#.into()),
            Err(StatementError::NoId)
        );
        assert_eq!(
            Statement::from_json(r#"{"verb": {}}"#.into()),
            Err(StatementError::NoId)
        );
    }
}
