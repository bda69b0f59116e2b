//! The OpenAPI 3.1 document of `/api/v1`. Each route of the router's
//! list (`routes::api`) carries its operation, made with `view`, `command`
//! or `document` and the methods of `Operation`, so a route cannot go
//! undocumented. The schemas of the bodies, the query parameters and the
//! answers are derived (utoipa) from the types the handlers read and
//! write; the single values among them are described in `values`. What is
//! written here and next to the routes is what no type says: summaries,
//! tags, headers, the problems an operation may answer, CSV and paging.

use efa_api::values;

use serde_json::{Map, Value, json};
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, ToSchema};

use crate::paging::{self, NextLink};
use crate::params::{FormatParam, MinSeq};
use crate::routes;
use efa_api::dto::AcceptedJson;

const PROBLEM: &str = crate::problem::PROBLEM_CONTENT_TYPE;

/// The whole document; `efa openapi` prints it.
pub fn openapi_document() -> Value {
    let mut derived: Vec<(String, RefOr<Schema>)> = Vec::new();
    let paths = paths(&mut derived);
    let problem = schema::<crate::problem::ProblemJson<'static>>(&mut derived);
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
            {"name": "Nachnutzung", "description": "Übernahme von Leistungen durch Kommunen"},
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

/// A utoipa value as JSON (its serialisation cannot fail).
fn json(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// Registers `T` and the schemas it refers to; answers its `$ref`.
fn schema<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) -> Value {
    T::schemas(schemas);
    schemas.push((T::name().into_owned(), T::schema()));
    json!({"$ref": format!("#/components/schemas/{}", T::name())})
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
    for endpoint in routes::api() {
        let mut op = (endpoint.operation)();
        let declared = path_parameter_names(endpoint.path).into_iter();
        op.parameters.splice(0..0, declared.map(path_parameter));
        op.value["parameters"] = Value::Array(op.parameters);
        schemas.append(&mut op.schemas);
        paths[endpoint.path][endpoint.method.as_str().to_ascii_lowercase()] = op.value;
    }
    paths
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

use efa_api::keys::FORMAT_DESCRIPTION;

/// The German description of a query parameter, by its name.
fn describe(name: &str) -> &'static str {
    match name {
        "min_seq" => {
            "Lesen der eigenen Schreibvorgänge: erst antworten, wenn die Ansicht diese \
             Sequenz kennt (eine Sequenz, die das Ledger noch nicht hat, wird mit 422 \
             abgelehnt)"
        }
        "as_of" => "Stichtag JJJJ-MM-TT",
        "known_at_seq" => {
            "So, wie es bis zu dieser Ledger-Sequenz erfasst war: später Erfasstes zählt \
             nicht, auch wenn es rückwirkend gilt (zweite Zeitachse; mit der Sequenz und dem \
             Stichtag einer früheren Aufstellung dieselbe Aufstellung wieder). Eine Sequenz, \
             die das Ledger noch nicht hat, wird mit 422 abgelehnt"
        }
        "since_seq" => {
            "Die Ledger-Sequenz der früheren Aufstellung (ihr `seq`); verglichen wird sie, wie \
             sie bis dahin erfasst war, mit derselben Aufstellung, wie sie heute erfasst ist, \
             zum selben Stichtag"
        }
        "effective" => "Wirksam ab JJJJ-MM-TT",
        "format" => FORMAT_DESCRIPTION,
        "table" => "Welche Tabelle als CSV",
        "land" => "Ländercode",
        "themenfeld" => "Themenfeld",
        "status" => "Status",
        "reifegrad" => "Reifegrad",
        "channel" => "Bezugsweg",
        "q" => "Suche in Titel, Kennung, OZG-ID, Anbieter",
        "sort" => "Sortierung",
        "offset" => "Überspringen",
        "limit" => "Höchstens so viele",
        "cursor" => "Die Seite beginnt nach dieser Kennung (`next_cursor` der vorigen Seite)",
        "from_seq" => "Ab dieser Sequenz",
        "gemeinde" => "Nur diese Gemeinde",
        "kreis" => "Nur dieser Kreis",
        "service" => "Nur diese Leistung",
        "days" => "Mindestens so viele Tage ohne Schritt",
        _ => "",
    }
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

/// One operation of the document, with the schemas it refers to; each
/// route of `routes::api` makes its own with `view`, `command` or
/// `document` and the methods below. Its parameters are kept apart until
/// `paths` puts the path's in front of them.
pub struct Operation {
    value: Value,
    parameters: Vec<Value>,
    schemas: Vec<(String, RefOr<Schema>)>,
}

impl Operation {
    /// The common members of every operation: a public one until told
    /// otherwise, its answer 200 `ok`.
    fn new(id: &str, tag: &str, summary: &str, ok: Value) -> Self {
        let value = json!({"operationId": id, "summary": summary, "tags": [tag],
            "security": [], "responses": {"200": ok}});
        Self {
            value,
            parameters: Vec::new(),
            schemas: Vec::new(),
        }
    }

    /// Answers may also be the problems of these statuses.
    pub fn problems(mut self, statuses: &[u16]) -> Self {
        for status in statuses {
            self.value["responses"][status.to_string()] =
                json!({"$ref": format!("#/components/responses/Problem{status}")});
        }
        self
    }

    pub fn describe(mut self, description: &str) -> Self {
        self.value["description"] = json!(description);
        self
    }

    /// The query parameters of `P`, each described by its name.
    pub fn query<P: IntoParams>(mut self) -> Self {
        for parameter in P::into_params(|| Some(ParameterIn::Query)) {
            let mut parameter = json(parameter);
            let name = parameter["name"].as_str().unwrap_or_default();
            parameter["description"] = json!(describe(name));
            self.parameters.push(parameter);
        }
        self
    }

    /// Changes the query parameter `name`.
    fn parameter(mut self, name: &str, change: impl FnMut(&mut Value)) -> Self {
        let named = self.parameters.iter_mut().filter(|p| p["name"] == name);
        named.for_each(change);
        self
    }

    pub fn default(self, name: &str, default: u32) -> Self {
        self.parameter(name, |parameter| {
            parameter["schema"]["default"] = json!(default);
        })
    }

    /// The JSON answer (200) is `T`.
    pub fn answer<T: ToSchema>(mut self) -> Self {
        *self.json_answer() = schema::<T>(&mut self.schemas);
        self
    }

    /// The schema of the JSON answer (200).
    fn json_answer(&mut self) -> &mut Value {
        &mut self.value["responses"]["200"]["content"]["application/json"]["schema"]
    }

    /// The answer is a list, also as CSV.
    pub fn csv(mut self) -> Self {
        let answer = &mut self.value["responses"]["200"];
        answer["content"]["text/csv"] = json!({
            "schema": {"type": "string"},
            "example": "\u{feff}Kennung;Titel\r\nwohngeld;Wohngeld\r\n",
        });
        answer["content"][crate::tabular::CONTENT_TYPE_XLSX] = json!({
            "schema": {"type": "string", "contentMediaType": crate::tabular::CONTENT_TYPE_XLSX},
        });
        answer["description"] = json!(
            "Die Ansicht; als CSV (UTF-8 mit BOM, Semikolon, CRLF, Dezimalkomma) bei \
             ?format=csv oder Accept: text/csv; als Excel-Datei (Schlüssel als Text, \
             Beträge und Zahlen als Zahlen, Daten als Datum) bei ?format=xlsx"
        );
        self.query::<FormatParam>()
    }

    /// A list read a page at a time by `offset` and `limit` (JSON and CSV
    /// alike): the answer is the view with the link to the next page.
    pub fn linked(mut self) -> Self {
        let view = self.json_answer().take();
        let link = schema::<NextLink>(&mut self.schemas);
        *self.json_answer() = json!({"allOf": [view, link]});
        self.describe(
            "Seitenweise: jede Seite nennt in `next` die Adresse der nächsten (auch als \
             Kopfzeile `Link: <…>; rel=\"next\"`, als CSV nur so), `null` auf der letzten.",
        )
    }

    /// A list that grows with the history, a page at a time (`offset`
    /// and `limit` as `P` reads them, or a `cursor`): the answer is the
    /// view with the page's totals `S` and the link to the next page. As
    /// CSV without these parameters the whole list, streamed.
    pub fn paged<S: ToSchema, P: IntoParams>(mut self) -> Self {
        let view = self.json_answer().take();
        let totals = schema::<S>(&mut self.schemas);
        let link = schema::<NextLink>(&mut self.schemas);
        *self.json_answer() = json!({"allOf": [view, totals, link]});
        self.describe(
            "Seitenweise: jede Seite nennt in `next` die Adresse der nächsten (auch als \
             Kopfzeile `Link: <…>; rel=\"next\"`, für eine CSV-Seite nur so), `null` auf \
             der letzten. Als CSV ohne \
             `offset`, `limit` und `cursor` die ganze Liste, die das Gateway Seite für Seite \
             überträgt; bricht sie unterwegs ab, endet die Übertragung unvollständig.",
        )
        .query::<P>()
        .default("limit", paging::LIMIT_DEFAULT)
        .parameter("offset", |parameter| {
            parameter["description"] =
                json!("Die Seite beginnt mit dieser Zeile (`next_offset` der vorigen Seite)");
        })
        .parameter("limit", |parameter| {
            parameter["description"] = json!(
                "Höchstens so viele Zeilen je Seite (der Dienst kann weniger liefern, wenn \
                 die Seite sonst zu groß wäre; `next` zeigt dann weiter)"
            );
        })
    }

    /// The 201 names the created thing's address.
    pub fn location(mut self) -> Self {
        self.value["responses"]["201"]["headers"]["Location"] =
            json!({"schema": {"type": "string"}, "description": "Wo das Erfasste zu lesen ist"});
        self
    }

    /// A write that replaces what exists (a `PUT`): it answers 200 with the
    /// new version, never 201, as it creates nothing.
    pub fn replaces(mut self) -> Self {
        let responses = &mut self.value["responses"];
        if let Some(recorded) = responses.as_object_mut().and_then(|r| r.remove("201")) {
            responses["200"] = json!({"description": "Ersetzt; bei einer Wiederholung die \
                gespeicherte Antwort (mit Idempotent-Replayed: true)",
                "content": recorded["content"],
                "headers": {"ETag": recorded["headers"]["ETag"],
                    "Idempotent-Replayed": responses["200"]["headers"]["Idempotent-Replayed"]}});
        }
        self
    }

    /// The body may be left out.
    pub fn optional_body(mut self) -> Self {
        self.value["requestBody"]["required"] = json!(false);
        self
    }
}

/// A public read answering `T` as JSON.
pub fn view<T: ToSchema>(id: &str, summary: &str) -> Operation {
    let ok = json!({"description": "Die Ansicht"});
    Operation::new(id, "Ansichten", summary, ok)
        .answer::<T>()
        .query::<MinSeq>()
        // 401: a token sent along that the gateway does not know; 422: a
        // `min_seq` beyond the ledger's head.
        .problems(&[400, 401, 422, 429, 500, 502, 503])
}

/// A public read of the document or the ledger's proof (no `min_seq`);
/// 401 for a token sent along that the gateway does not know.
pub fn document(id: &str, summary: &str, answer: Value) -> Operation {
    Operation::new(id, "Dokumentation", summary, answer).problems(&[401])
}

/// A write: token, `Idempotency-Key`, optional `If-Match`, a JSON body `B`.
pub fn command<B: ToSchema>(id: &str, tag: &str, summary: &str) -> Operation {
    let replayed = json!({"description": "Wiederholung: die gespeicherte Antwort",
        "headers": {"Idempotent-Replayed": {"schema": {"const": "true"}}}});
    let mut op = Operation::new(id, tag, summary, replayed);
    let body = schema::<B>(&mut op.schemas);
    let accepted = schema::<AcceptedJson>(&mut op.schemas);
    let accepted = json!({"application/json": {"schema": accepted}});
    op.value["responses"]["200"]["content"] = accepted.clone();
    op.value["responses"]["201"] = json!({"description": "Erfasst", "content": accepted,
        "headers": {"ETag": {"schema": {"type": "string"},
            "description": "Version nach dem Schreiben"}}});
    op.value["requestBody"] =
        json!({"required": true, "content": {"application/json": {"schema": body}}});
    op.value["security"] = json!([{"bearerAuth": []}]);
    op.parameters = vec![
        json!({"name": "Idempotency-Key", "in": "header", "required": true,
            "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
            "description": "Eindeutiger Schlüssel des Schreibvorgangs; eine Wiederholung wird \
                nicht doppelt ausgeführt"}),
        json!({"name": "If-Match", "in": "header", "required": false,
            "schema": {"type": "string", "pattern": "^(\\*|\"[0-9]{1,19}\"|[0-9]{1,19})$"},
            "description": "Erwartete Version (ETag), z. B. \"3\"; sonst 412. `*`: jede \
                vorhandene Version"}),
    ];
    op.problems(&[400, 401, 403, 404, 409, 412, 413, 422, 429, 502, 503])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_of_the_router_is_described() {
        let document = openapi_document();
        assert_eq!(document["openapi"], "3.1.0");
        let routes = routes::api();
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
