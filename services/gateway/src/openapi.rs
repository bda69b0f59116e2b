//! The OpenAPI 3.1 document of `/api/v1`: one path item per route of
//! [`endpoints`] (the router's list and the document's own route), each
//! with the operation its route made (`operation`). The schemas of the
//! bodies, the query parameters and the answers are derived (utoipa) from
//! `efa-api`'s types; the single values among them are described in
//! `efa_api::values`. What is written here is what spans the document:
//! the rules across fields, the path parameters, the problem answers.

use efa_api::values;

use axum::http::Method;
use axum::routing::get;
use serde_json::{Map, Value, json};
use utoipa::openapi::{RefOr, Schema};

use crate::operation::{document, json, schema};
use crate::routes::{self, Endpoint};

const PROBLEM: &str = efa_api::problem::PROBLEM_CONTENT_TYPE;

/// The whole document; `efa openapi` prints it.
pub fn openapi_document() -> Value {
    let mut derived: Vec<(String, RefOr<Schema>)> = Vec::new();
    let paths = paths(&mut derived);
    let problem = schema::<efa_api::problem::ProblemJson<'static>>(&mut derived);
    let mut schemas: Map<String, Value> = derived
        .into_iter()
        .map(|(name, schema)| (name, json(schema)))
        .collect();
    schemas.values_mut().for_each(remove_descriptions);
    schemas.extend(values::all().into_iter().map(|(name, s)| (name, json(s))));
    add_rules(&mut schemas);
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "EfA-Register",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Register der „Einer für Alle“-Onlinedienste: Leistungen, \
                Beitritte, Nachnutzung durch Kommunen, Kosten und ihre Verteilung. \
                Schreiben braucht ein Zugangstoken, Lesen ist öffentlich. Jede Liste \
                gibt es auch als CSV (`?format=csv` oder `Accept: text/csv`) und als \
                Excel-Datei (`?format=xlsx`, bis 50.000 Zeilen). Fehler \
                sind RFC-9457-Problemdokumente.",
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "tags": [
            {"name": "Leistungen", "description": "Ankündigen und Pflegen der EfA-Leistungen"},
            {"name": "Kosten", "description": "Kostenmeldungen und ihre Verteilung auf die Länder"},
            {"name": "Beteiligte", "description": "Gemeinden, Kreise und Betreiber"},
            {"name": "Nachnutzung", "description": "Einführung von Leistungen durch Kommunen"},
            {"name": "Referenzdaten", "description": "Verteilungsschlüssel und Einwohnerzahlen"},
            {"name": "Ansichten", "description": "Lesende Auswertungen, öffentlich"},
            {"name": "Dokumentation", "description": "Dieses Dokument"},
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                    "description": "API-Token (efa_…), ausgegeben mit `efa token create`."},
            },
            "responses": problem_responses(&problem),
        },
    })
}

/// Takes out of a derived schema the descriptions the derive took from
/// the code's (English) doc comments; the values bring their own, in
/// German. A property named `description` is a schema, not a text.
fn remove_descriptions(schema: &mut Value) {
    match schema {
        Value::Object(members) => {
            if members.get("description").is_some_and(Value::is_string) {
                members.remove("description");
            }
            members.values_mut().for_each(remove_descriptions);
        }
        Value::Array(items) => items.iter_mut().for_each(remove_descriptions),
        _ => {}
    }
}

/// The rules across fields that the contract checks in code rather than
/// in its types.
fn add_rules(schemas: &mut Map<String, Value>) {
    let mut rule = |name: &str, key: &str, value: Value| {
        if let Some(schema) = schemas.get_mut(name) {
            schema[key] = value;
        }
    };
    let one_of = |first, second| json!([{"required": [first]}, {"required": [second]}]);
    rule("ReportCost", "oneOf", one_of("amount", "amount_cents"));
    rule("CorrectCost", "oneOf", one_of("amount", "amount_cents"));
    rule("PublishAllocationKey", "oneOf", one_of("shares", "units"));
    rule("Region", "oneOf", one_of("land", "kreise"));
    let both = json!({"population": ["population_date"], "population_date": ["population"]});
    rule("RegisterGemeinde", "dependentRequired", both.clone());
    rule("RegisterKreis", "dependentRequired", both);
    // Each kind of cost model takes only its own members.
    let kinds = schemas
        .get_mut("CostModel")
        .and_then(|s| s.get_mut("oneOf"));
    for kind in kinds.and_then(Value::as_array_mut).into_iter().flatten() {
        kind["additionalProperties"] = json!(false);
    }
}

/// One path item per path of the router's list, one operation per method.
fn paths(schemas: &mut Vec<(String, RefOr<Schema>)>) -> Value {
    let mut paths = json!({});
    for endpoint in endpoints() {
        let mut op = (endpoint.operation)();
        let declared = path_parameter_names(endpoint.path).into_iter();
        op.parameters.splice(0..0, declared.map(path_parameter));
        op.value["parameters"] = Value::Array(op.parameters);
        schemas.append(&mut op.schemas);
        paths[endpoint.path][endpoint.method.as_str().to_ascii_lowercase()] = op.value;
    }
    paths
}

/// Every route under `/api/v1`: the router's list, and the document's own.
pub fn endpoints() -> Vec<Endpoint> {
    let mut endpoints = routes::api();
    endpoints.push(Endpoint {
        method: Method::GET,
        path: "/api/v1/openapi.json",
        handler: get(|| async { axum::Json(openapi_document()) }),
        operation: || {
            document(
                "openapi",
                "Dieses OpenAPI-Dokument",
                json!({"description": "OpenAPI 3.1",
                "content": {"application/json": {"schema": {"type": "object"}}}}),
            )
        },
    });
    endpoints
}

/// The `{name}` segments of a path template.
pub fn path_parameter_names(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

fn path_parameter(name: &str) -> Value {
    let value = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    let (schema, description) = match name {
        "id" | "service" => (value("ServiceId"), "Kennung der Leistung"),
        "land" => (value("LandKey"), "Ländercode 01 bis 16"),
        "ags" => (value("Ags"), "Amtlicher Gemeindeschlüssel"),
        "year" => (value("RegisterYear"), "Kalenderjahr"),
        _ => (
            json!({"type": "integer", "minimum": 0, "maximum": u32::MAX}),
            "Nummer der Kostenmeldung",
        ),
    };
    json!({"name": name, "in": "path", "required": true, "schema": schema,
        "description": description})
}

/// The problem answers operations may give, by status.
const PROBLEM_STATUSES: [(u16, &str); 12] = [
    (400, "Ungültige Anfrage (Parameter, Kopfzeilen oder JSON)"),
    (401, "Kein gültiges Zugangstoken"),
    (403, "Nicht erlaubt (Regel der Fachlichkeit)"),
    (404, "Nicht gefunden"),
    (
        409,
        "Konflikt: Version, bereits vorhanden oder im Zustand nicht möglich",
    ),
    (412, "If-Match passt nicht zur aktuellen Version"),
    (413, "Anfrage zu groß"),
    (
        422,
        "Ungültiges Feld (benannt) oder wiederverwendeter Idempotency-Key",
    ),
    (
        429,
        "Zu viele Anfragen von dieser Adresse (mit Retry-After)",
    ),
    (
        500,
        "Die Antwort wäre größer als eine Nachricht sein darf (answer-too-large)",
    ),
    (502, "Unverständliche Antwort eines Dienstes"),
    (
        503,
        "Dienst nicht erreichbar, ausgelastet (busy, mit Retry-After), Zeit überschritten \
         (timeout) oder Ansicht noch nicht so weit",
    ),
];

/// One problem response a status, named `Problem{status}`.
fn problem_responses(problem: &Value) -> Map<String, Value> {
    let content = json!({PROBLEM: {"schema": problem}});
    PROBLEM_STATUSES
        .iter()
        .map(|(status, description)| {
            let response = json!({"description": description, "content": content});
            (format!("Problem{status}"), response)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_of_the_router_is_described() {
        let document = openapi_document();
        assert_eq!(document["openapi"], "3.1.0");
        let routes = endpoints();
        assert!(routes.len() >= 35, "{routes:?}");
        for endpoint in &routes {
            let method = endpoint.method.as_str().to_ascii_lowercase();
            let operation = &document["paths"][endpoint.path][&method];
            assert!(
                operation["operationId"].is_string() && operation["responses"].is_object(),
                "{endpoint:?} is not described"
            );
            let declared: Vec<&str> = operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(
                declared,
                path_parameter_names(endpoint.path),
                "{endpoint:?}"
            );
        }
        let described: usize = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|item| item.as_object().unwrap().len())
            .sum();
        assert_eq!(
            described,
            routes.len(),
            "the document describes more than the router"
        );
    }

    #[test]
    fn every_reference_resolves() {
        let document = openapi_document();
        let text = document.to_string();
        let mut rest = text.as_str();
        while let Some(start) = rest.find("\"$ref\":\"#/") {
            rest = &rest[start + 9..];
            let end = rest.find('"').unwrap();
            let pointer = &rest[..end];
            assert!(
                document.pointer(pointer).is_some(),
                "dangling $ref #/{pointer}"
            );
        }
    }

    #[test]
    fn no_description_is_taken_from_a_doc_comment() {
        let document = openapi_document();
        let values: Vec<String> = values::all().into_iter().map(|(name, _)| name).collect();
        for (name, schema) in document["components"]["schemas"].as_object().unwrap() {
            if !values.contains(name) {
                assert!(!schema.to_string().contains("\"description\""), "{name}");
            }
        }
    }

    #[test]
    fn every_parameter_is_described() {
        let document = openapi_document();
        for (path, item) in document["paths"].as_object().unwrap() {
            for operation in item.as_object().unwrap().values() {
                for parameter in operation["parameters"].as_array().unwrap() {
                    let description = parameter["description"].as_str().unwrap_or_default();
                    assert!(!description.is_empty(), "{path}: {parameter}");
                }
            }
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let document = openapi_document();
        let mut ids: Vec<&str> = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .map(|operation| operation["operationId"].as_str().unwrap())
            .collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count);
    }
}
