//! The request contract: one struct per write body, derived with serde
//! (unknown fields refused, the proto's identifiers parsed as they are
//! read), and one way from a deserialisation error to a refusal that
//! names the field (`Rejection::Invalid`, answered with 422). The JSON API
//! and the web forms read the same structs; what the caller may do, and
//! whether a command fits the state, is the domain's decision, behind the
//! ledger.

pub mod adoptions;
pub mod field;
pub mod form;
pub mod participants;
pub mod reference;
pub mod services;
pub mod settlement;

use std::fmt::Display;

use efa_proto::{Command, Date, Rejection};
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

use field::{Object, Via};

/// The longest reason, as the domain takes it.
const REASON_CHARS_MAX: usize = 1000;

/// A write request read into a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub command: Command,
    /// When the change takes effect; the day it is recorded when absent.
    pub effective: Option<Date>,
}

impl Parsed {
    pub fn new(command: Command, effective: Option<Date>) -> Self {
        Self { command, effective }
    }
}

/// `command`, effective from the date a body gives.
fn dated(command: Command, effective: Option<Via<Date>>) -> Result<Parsed, Rejection> {
    Ok(Parsed::new(command, effective.map(|Via(date)| date)))
}

/// A write body of the API: which identifiers of the path it takes, whether
/// it may be left out, and how it becomes a command. One generic handler
/// serves every route whose body implements it.
pub trait WriteBody: DeserializeOwned + Send + 'static {
    /// The identifiers from the path (`()` for none).
    type Path: Send;
    /// The body may be left out (read as `{}`) when all its fields are.
    const OPTIONAL: bool = false;

    fn command(self, path: Self::Path) -> Result<Parsed, Rejection>;
}

/// Reads a JSON body (its syntax and unique keys already checked).
pub fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Rejection> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer)
        .map(|Object(value)| value)
        .map_err(refusal)
}

/// The refusal for a deserialisation error, naming the field by its path
/// (`region.kreise.0`: fields and keys by name, list items by index).
/// The field readers speak German already; serde's own messages (a
/// missing or unknown field, a value of the wrong kind) are put into
/// German here.
fn refusal<E: Display>(error: serde_path_to_error::Error<E>) -> Rejection {
    let names: Vec<String> = error
        .path()
        .iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect();
    let (path, message) = (names.join("."), error.into_inner().to_string());
    let (path, message) = (path.as_str(), message.as_str());
    let message = message
        .rsplit_once(" at line ")
        .map_or(message, |(message, _)| message);
    // An unknown field's path names it already; a missing one's names
    // its parent.
    let child = |name: &str| match path {
        "" => name.to_owned(),
        own if own == name || own.ends_with(&format!(".{name}")) => own.to_owned(),
        parent => format!("{parent}.{name}"),
    };
    for (prefix, reason) in [
        ("missing field `", "fehlt"),
        ("unknown field `", "ist kein bekanntes Feld"),
        ("duplicate field `", "kommt doppelt vor"),
    ] {
        if let Some(name) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
        {
            return Rejection::invalid(&child(name), reason);
        }
    }
    let field = if path.is_empty() { "body" } else { path };
    if message.starts_with("invalid type: null") {
        return Rejection::invalid(field, "fehlt");
    }
    let reason = match message.split_once(", expected ") {
        Some((_, "a sequence")) => "muss eine Liste sein",
        Some((_, "a map")) => "muss ein JSON-Objekt sein",
        Some((_, "a string")) => "muss ein Text sein",
        Some((_, expected)) if message.starts_with("invalid ") => expected,
        _ => message,
    };
    Rejection::invalid(field, reason)
}

#[cfg(test)]
mod tests;
