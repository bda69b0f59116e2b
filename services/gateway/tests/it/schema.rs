//! A small JSON Schema checker, enough for the OpenAPI document's own
//! schemas ($ref, allOf, oneOf, type, enum, const, required, properties,
//! additionalProperties, items, minimum, maximum): the reads check their
//! answers against the document, so the two cannot drift apart.

use serde_json::Value;

/// Checks `value` against `schema`, resolving `$ref`s in `document`.
pub fn check(document: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = document
            .pointer(reference.trim_start_matches('#'))
            .ok_or_else(|| format!("{at}: dangling {reference}"))?;
        return check(document, target, value, at);
    }
    if let Some(Value::Array(all)) = schema.get("allOf") {
        for part in all {
            check(document, part, value, at)?;
        }
    }
    if let Some(Value::Array(choices)) = schema.get("oneOf") {
        let matching = choices
            .iter()
            .filter(|choice| check(document, choice, value, at).is_ok())
            .count();
        if matching != 1 {
            return Err(format!("{at}: {matching} of oneOf match {value}"));
        }
    }
    check_type(schema, value, at)?;
    check_values(schema, value, at)?;
    match value {
        Value::Object(_) => check_object(document, schema, value, at),
        Value::Array(items) => match schema.get("items") {
            Some(item_schema) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, item)| check(document, item_schema, item, &format!("{at}/{i}"))),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

fn type_matches(kind: &str, value: &Value) -> bool {
    match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => false,
    }
}

fn check_type(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let ok = match schema.get("type") {
        None => true,
        Some(Value::String(kind)) => type_matches(kind, value),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .any(|kind| type_matches(kind.as_str().unwrap_or_default(), value)),
        Some(_) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{at}: {value} is not of type {}", schema["type"]))
    }
}

fn check_values(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let allowed = schema.get("enum").and_then(Value::as_array);
    if allowed.is_some_and(|allowed| !allowed.contains(value)) {
        return Err(format!("{at}: {value} not in {allowed:?}"));
    }
    if schema
        .get("const")
        .is_some_and(|constant| constant != value)
    {
        return Err(format!("{at}: {value} is not {}", schema["const"]));
    }
    let number = value.as_f64();
    let bound = |name: &str| schema.get(name).and_then(Value::as_f64);
    if let (Some(minimum), Some(number)) = (bound("minimum"), number) {
        (number >= minimum)
            .then_some(())
            .ok_or_else(|| format!("{at}: {value} below {minimum}"))?;
    }
    if let (Some(maximum), Some(number)) = (bound("maximum"), number) {
        (number <= maximum)
            .then_some(())
            .ok_or_else(|| format!("{at}: {value} above {maximum}"))?;
    }
    Ok(())
}

fn check_object(document: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let object = value.as_object().unwrap();
    if let Some(Value::Array(required)) = schema.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                return Err(format!("{at}: missing {name} in {value}"));
            }
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    for (name, member) in object {
        let at = format!("{at}/{name}");
        match (
            properties.and_then(|p| p.get(name)),
            schema.get("additionalProperties"),
        ) {
            (Some(property), _) => check(document, property, member, &at)?,
            (None, Some(Value::Bool(false))) => return Err(format!("{at}: not allowed")),
            (None, Some(extra)) if extra.is_object() => check(document, extra, member, &at)?,
            (None, _) => {}
        }
    }
    Ok(())
}

/// Checks an answer against the document's 200 JSON schema of the route.
pub fn check_answer(document: &Value, path: &str, value: &Value) {
    let schema = &document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    assert!(
        schema.is_object(),
        "{path} has no JSON answer in the document"
    );
    if let Err(error) = check(document, schema, value, path) {
        panic!("the answer of {path} does not fit the document: {error}");
    }
}

/// Checks a request body against the document's schema of the route.
pub fn check_request(
    document: &Value,
    method: &str,
    path: &str,
    body: &Value,
) -> Result<(), String> {
    let schema =
        &document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
    check(document, schema, body, path)
}

/// The document's path template a concrete path belongs to, for `method`.
pub fn template_of(document: &Value, method: &str, path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    document["paths"]
        .as_object()?
        .iter()
        .filter(|(_, item)| item.get(method).is_some())
        .map(|(template, _)| template)
        .find(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(part, segment)| part.starts_with('{') || part == segment)
        })
        .cloned()
}

#[test]
fn the_checker_refuses_what_does_not_fit() {
    let document = efa_gateway::openapi_document();
    let money = serde_json::json!({"$ref": "#/components/schemas/Money"});
    let good = serde_json::json!({"cents": -5, "euros": "-0.05"});
    assert!(check(&document, &money, &good, "").is_ok());
    for bad in [
        serde_json::json!({"cents": "5", "euros": "0.05"}),
        serde_json::json!({"euros": "0.05"}),
        serde_json::json!([1]),
    ] {
        assert!(check(&document, &money, &bad, "").is_err(), "{bad}");
    }
    let model = serde_json::json!({"$ref": "#/components/schemas/CostModel"});
    assert!(
        check(
            &document,
            &model,
            &serde_json::json!({"kind": "population"}),
            ""
        )
        .is_ok()
    );
    let extra = serde_json::json!({"kind": "population", "year": 2016});
    assert!(check(&document, &model, &extra, "").is_err());
    let body = serde_json::json!({"year": 2023, "category": "operation", "amount": "1", "amount_cents": 1});
    let path = "/api/v1/services/{id}/costs";
    assert!(
        check_request(&document, "post", path, &body).is_err(),
        "exactly one amount"
    );
}

/// Request amounts are described as the API takes them, never negative;
/// answers may carry negative amounts (a supplement lowering a sum). The
/// checker knows no patterns: the euro text's pattern is read as such.
#[test]
fn request_amounts_are_not_negative_and_answers_may_be() {
    let document = efa_gateway::openapi_document();
    let report = "/api/v1/services/{id}/costs";
    let correction = "/api/v1/services/{id}/costs/{cost_no}/corrections";
    let report_with = |cents: i64| serde_json::json!({"year": 2023, "category": "operation", "amount_cents": cents});
    let correction_with =
        |cents: i64| serde_json::json!({"reason": "Tippfehler", "amount_cents": cents});
    assert!(check_request(&document, "post", report, &report_with(-5000)).is_err());
    assert!(check_request(&document, "post", correction, &correction_with(-5000)).is_err());
    assert!(check_request(&document, "post", report, &report_with(5000)).is_ok());
    assert!(check_request(&document, "post", correction, &correction_with(0)).is_ok());

    let euros = document["components"]["schemas"]["Euros"]["pattern"]
        .as_str()
        .unwrap();
    assert!(
        euros.starts_with("^[0-9]"),
        "a digit first, no sign: {euros}"
    );
    let described = document["components"]["schemas"]["Euros"]["description"].to_string();
    assert!(described.contains("nicht negativ"), "{described}");

    let money = serde_json::json!({"$ref": "#/components/schemas/Money"});
    let credit = serde_json::json!({"cents": -5, "euros": "-0.05"});
    assert!(check(&document, &money, &credit, "").is_ok());
}
