//! Small builders for JSON Schema (2020-12, as OpenAPI 3.1 uses it), so
//! the schemas read like the structs they describe.

use serde_json::{Map, Value, json};

pub fn string() -> Value {
    json!({"type": "string"})
}

/// A string with a description.
pub fn text(description: &str) -> Value {
    json!({"type": "string", "description": description})
}

pub fn pattern(pattern: &str, description: &str) -> Value {
    json!({"type": "string", "pattern": pattern, "description": description})
}

pub fn date() -> Value {
    json!({"type": "string", "format": "date"})
}

pub fn timestamp() -> Value {
    json!({"type": "string", "format": "date-time"})
}

/// A whole number of at least 0.
pub fn count() -> Value {
    json!({"type": "integer", "minimum": 0})
}

pub fn integer(minimum: i64, maximum: i64) -> Value {
    json!({"type": "integer", "minimum": minimum, "maximum": maximum})
}

pub fn boolean() -> Value {
    json!({"type": "boolean"})
}

pub fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

pub fn one_of_keys(keys: &[&str]) -> Value {
    json!({"type": "string", "enum": keys})
}

/// A reference to a schema under `#/components/schemas`.
pub fn schema(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// The value or `null`.
pub fn nullable(schema: Value) -> Value {
    match schema.get("type").and_then(Value::as_str) {
        Some(kind) => {
            let mut schema = schema.clone();
            schema["type"] = json!([kind, "null"]);
            schema
        }
        None => json!({"oneOf": [schema, {"type": "null"}]}),
    }
}

fn properties(fields: &[(&str, Value)]) -> Map<String, Value> {
    fields
        .iter()
        .map(|(name, schema)| ((*name).to_owned(), schema.clone()))
        .collect()
}

/// An answer object: every property is always there (absent values are
/// `null`), and more may be added in later versions.
pub fn answer(fields: &[(&str, Value)]) -> Value {
    let required: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
    json!({"type": "object", "properties": properties(fields), "required": required})
}

/// A request body: only these properties, `required` among them.
pub fn request(required: &[&str], fields: &[(&str, Value)]) -> Value {
    json!({
        "type": "object",
        "properties": properties(fields),
        "required": required,
        "additionalProperties": false,
    })
}

/// An object keyed by Land code (`"01"` to `"16"`).
pub fn per_land(values: Value) -> Value {
    json!({
        "type": "object",
        "propertyNames": {"pattern": LAND_PATTERN},
        "additionalProperties": values,
    })
}

pub const LAND_PATTERN: &str = "^(0?[1-9]|1[0-6])$";
pub const SLUG_PATTERN: &str = "^[a-z](-?[a-z0-9])+$";
pub const AGS_PATTERN: &str = "^[0-9]{8}$";
pub const KREIS_PATTERN: &str = "^[0-9]{5}$";
