//! The OpenAPI 3.1 document of `/api/v1`, built as JSON from small
//! helpers. Its paths come from the same list as the router
//! (`routes::api`), so a route cannot go undocumented: an operation
//! without a description here is a failing test, not a silent gap.

mod build;
mod requests;
mod schemas;
mod settlement;

use axum::http::Method;
use serde_json::{Map, Value, json};

use crate::paging;
use crate::params::COMMON;
use crate::routes::{self, HISTORY_LIMIT_MAX, PAGE_LIMIT_MAX, STALLED_DAYS_DEFAULT};
use build::{AGS_PATTERN, LAND_PATTERN, SLUG_PATTERN, schema};

const PROBLEM: &str = crate::problem::PROBLEM_CONTENT_TYPE;

/// The whole document; `efa openapi` prints it.
pub fn openapi_document() -> Value {
    let mut schemas = schemas::answers();
    schemas.extend(requests::bodies());
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "EfA-Register",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Register der „Einer für Alle“-Onlinedienste: Leistungen, \
                Beitritte, Nachnutzung durch Kommunen, Kosten und ihre Verteilung. \
                Schreiben braucht ein Zugangstoken, Lesen ist öffentlich. Jede Liste \
                gibt es auch als CSV (`?format=csv` oder `Accept: text/csv`). Fehler \
                sind RFC-9457-Problemdokumente.",
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "tags": tags(),
        "paths": paths(),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                    "description": "API-Token (efa_…), ausgegeben mit `efa token create`."},
            },
            "responses": problem_responses(),
        },
    })
}

fn tags() -> Value {
    json!([
        {"name": "Leistungen", "description": "Ankündigen und Pflegen der EfA-Leistungen"},
        {"name": "Kosten", "description": "Kostenmeldungen und ihre Verteilung auf die Länder"},
        {"name": "Beteiligte", "description": "Gemeinden, Kreise und Betreiber"},
        {"name": "Nachnutzung", "description": "Übernahme von Leistungen durch Kommunen"},
        {"name": "Referenzdaten", "description": "Verteilungsschlüssel und Einwohnerzahlen"},
        {"name": "Ansichten", "description": "Lesende Auswertungen, öffentlich"},
        {"name": "Dokumentation", "description": "Dieses Dokument"},
    ])
}

/// One path item per path of the router's list, one operation per method.
fn paths() -> Map<String, Value> {
    let mut paths = Map::new();
    for endpoint in routes::api() {
        let Some(mut operation) = operation(&endpoint.method, endpoint.path) else {
            continue;
        };
        add_path_parameters(&mut operation, endpoint.path);
        let item = paths
            .entry(endpoint.path.to_owned())
            .or_insert_with(|| json!({}));
        item[endpoint.method.as_str().to_ascii_lowercase()] = operation;
    }
    paths
}

/// The `{name}` segments of a path template.
pub fn path_parameter_names(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

fn add_path_parameters(operation: &mut Value, path: &str) {
    let declared: Vec<Value> = path_parameter_names(path)
        .into_iter()
        .map(path_parameter)
        .collect();
    let mut all = declared;
    if let Some(Value::Array(query)) = operation.get("parameters") {
        all.extend(query.iter().cloned());
    }
    operation["parameters"] = Value::Array(all);
}

fn path_parameter(name: &str) -> Value {
    let (schema, description) = match name {
        "id" | "service" => (
            json!({"type": "string", "pattern": SLUG_PATTERN}),
            "Kennung der Leistung",
        ),
        "land" => (
            json!({"type": "string", "pattern": LAND_PATTERN}),
            "Ländercode 01 bis 16",
        ),
        "ags" => (
            json!({"type": "string", "pattern": AGS_PATTERN}),
            "Amtlicher Gemeindeschlüssel",
        ),
        "year" => (
            json!({"type": "integer", "minimum": 1900, "maximum": 2200}),
            "Kalenderjahr",
        ),
        "cost_no" => (
            json!({"type": "integer", "minimum": 0}),
            "Nummer der Kostenmeldung",
        ),
        _ => (json!({"type": "string"}), ""),
    };
    json!({"name": name, "in": "path", "required": true, "schema": schema, "description": description})
}

/// The description of one route, or `None` for a route not described.
fn operation(method: &Method, path: &str) -> Option<Value> {
    match *method {
        Method::GET => read_operation(path),
        _ => write_operation(method, path),
    }
    .map(Op::into_value)
}

/// A query parameter by name, as the reads document it.
fn query_parameter(name: &str) -> Value {
    let (schema, description) = query_schema(name);
    json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
}

fn query_schema(name: &str) -> (Value, String) {
    let keys = |keys: &[&str]| json!({"type": "string", "enum": keys});
    let (schema, description): (Value, &str) = match name {
        "min_seq" => (
            json!({"type": "integer", "minimum": 0}),
            "Lesen der eigenen Schreibvorgänge: erst antworten, wenn die Ansicht diese Sequenz kennt \
             (eine Sequenz, die das Ledger noch nicht hat, wird mit 422 abgelehnt)",
        ),
        "as_of" | "effective" => (
            json!({"type": "string", "format": "date"}),
            "Stichtag JJJJ-MM-TT",
        ),
        "format" => (
            keys(&["json", "csv"]),
            "csv: CSV statt JSON (wie Accept: text/csv)",
        ),
        "land" => (
            json!({"type": "string", "pattern": LAND_PATTERN}),
            "Ländercode",
        ),
        "status" => (keys(&schemas::STATUS_KEYS), "Status"),
        "channel" => (
            keys(&["fit-store", "efa-marktplatz", "verwaltungsabkommen"]),
            "Bezugsweg",
        ),
        "reifegrad" => (
            json!({"type": "integer", "minimum": 0, "maximum": 4}),
            "Reifegrad",
        ),
        "q" => (
            json!({"type": "string", "maxLength": 200}),
            "Suche in Titel, Kennung, OZG-ID, Anbieter",
        ),
        "themenfeld" => (json!({"type": "string", "maxLength": 200}), "Themenfeld"),
        "sort" => (keys(&["title", "reuse", "live", "announced"]), "Sortierung"),
        "offset" => (
            json!({"type": "integer", "minimum": 0, "default": 0}),
            "Überspringen",
        ),
        "limit" => (
            json!({"type": "integer", "minimum": 1, "maximum": PAGE_LIMIT_MAX.max(HISTORY_LIMIT_MAX), "default": 100}),
            "Höchstens so viele",
        ),
        "from_seq" => (
            json!({"type": "integer", "minimum": 0}),
            "Ab dieser Sequenz",
        ),
        "gemeinde" => (
            json!({"type": "string", "pattern": AGS_PATTERN}),
            "Nur diese Gemeinde",
        ),
        "kreis" => (
            json!({"type": "string", "pattern": build::KREIS_PATTERN}),
            "Nur dieser Kreis",
        ),
        "service" => (
            json!({"type": "string", "pattern": SLUG_PATTERN}),
            "Nur diese Leistung",
        ),
        "days" => (
            json!({"type": "integer", "minimum": 0, "default": STALLED_DAYS_DEFAULT}),
            "Mindestens so viele Tage ohne Schritt",
        ),
        _ => (json!({"type": "string"}), ""),
    };
    (schema, description.to_owned())
}

/// The problem answers every operation may give, by status.
fn problem_responses() -> Map<String, Value> {
    [
        ("400", "Ungültige Anfrage (Parameter, Kopfzeilen oder JSON)"),
        ("401", "Kein gültiges Zugangstoken"),
        ("403", "Nicht erlaubt (Regel der Fachlichkeit)"),
        ("404", "Nicht gefunden"),
        (
            "409",
            "Konflikt: Version, bereits vorhanden oder im Zustand nicht möglich",
        ),
        ("412", "If-Match passt nicht zur aktuellen Version"),
        ("413", "Anfrage zu groß"),
        (
            "422",
            "Ungültiges Feld (benannt) oder wiederverwendeter Idempotency-Key",
        ),
        (
            "429",
            "Zu viele Anfragen von dieser Adresse (mit Retry-After)",
        ),
        (
            "500",
            "Die Antwort wäre größer als eine Nachricht sein darf (answer-too-large)",
        ),
        ("502", "Unverständliche Antwort eines Dienstes"),
        (
            "503",
            "Dienst nicht erreichbar, ausgelastet (busy, mit Retry-After), Zeit überschritten \
             (timeout) oder Ansicht noch nicht so weit",
        ),
    ]
    .into_iter()
    .map(|(status, description)| {
        let response = json!({"description": description,
            "content": {PROBLEM: {"schema": schema("Problem")}}});
        (format!("Problem{status}"), response)
    })
    .collect()
}

/// An operation under construction.
struct Op(Value);

impl Op {
    fn into_value(self) -> Value {
        self.0
    }

    fn problems(mut self, statuses: &[u16]) -> Self {
        for status in statuses {
            self.0["responses"][status.to_string()] =
                json!({"$ref": format!("#/components/responses/Problem{status}")});
        }
        self
    }

    fn query(mut self, names: &[&str]) -> Self {
        let parameters = self.0["parameters"].as_array_mut();
        if let Some(parameters) = parameters {
            parameters.extend(names.iter().map(|name| query_parameter(name)));
        }
        self
    }
}

/// A public read answering `schema_name` as JSON.
fn get(id: &str, summary: &str, schema_name: &str) -> Op {
    let parameters: Vec<Value> = COMMON.iter().map(|name| query_parameter(name)).collect();
    Op(json!({
        "operationId": id,
        "summary": summary,
        "tags": ["Ansichten"],
        "security": [],
        "parameters": parameters,
        "responses": {"200": {"description": "Die Ansicht",
            "content": {"application/json": {"schema": schema(schema_name)}}}},
    }))
    // 422: a `min_seq` beyond the ledger's head.
    .problems(&[400, 422, 429, 500, 502, 503])
}

impl Op {
    /// The answer is a list, also as CSV; `tables` names the `table=` choices.
    fn csv(mut self, tables: &[&str]) -> Self {
        self.0["responses"]["200"]["content"]["text/csv"] = json!({
            "schema": {"type": "string"},
            "example": "\u{feff}Kennung;Titel\r\nwohngeld;Wohngeld\r\n",
        });
        self.0["responses"]["200"]["description"] = json!(
            "Die Ansicht; als CSV (UTF-8 mit BOM, Semikolon, CRLF, Dezimalkomma) bei \
             ?format=csv oder Accept: text/csv"
        );
        self = self.query(&["format"]);
        if !tables.is_empty() {
            let parameter = json!({"name": "table", "in": "query", "required": false,
                "schema": {"type": "string", "enum": tables, "default": tables[0]},
                "description": "Welche Tabelle als CSV"});
            if let Some(parameters) = self.0["parameters"].as_array_mut() {
                parameters.push(parameter);
            }
        }
        self
    }

    fn maybe_absent(self) -> Self {
        self.problems(&[404])
    }

    /// A list that grows with the history, a page at a time: `offset` and
    /// `limit` (or, with `cursor`, the id after which the page starts);
    /// each page links to the next (`next`, header `Link: rel="next"`).
    /// As CSV without these parameters the whole list, streamed.
    fn paged(mut self, cursor: bool) -> Self {
        let limit = json!({"name": "limit", "in": "query", "required": false,
            "schema": {"type": "integer", "minimum": 1, "maximum": paging::LIMIT_MAX,
                "default": paging::LIMIT_DEFAULT},
            "description": "Höchstens so viele Zeilen je Seite (der Dienst kann weniger \
                liefern, wenn die Seite sonst zu groß wäre; `next` zeigt dann weiter)"});
        let start = if cursor {
            json!({"name": "cursor", "in": "query", "required": false,
                "schema": {"type": "string", "pattern": SLUG_PATTERN},
                "description": "Die Seite beginnt nach dieser Kennung (`next_cursor` der \
                    vorigen Seite)"})
        } else {
            json!({"name": "offset", "in": "query", "required": false,
                "schema": {"type": "integer", "minimum": 0, "default": 0},
                "description": "Die Seite beginnt mit dieser Zeile (`next_offset` der \
                    vorigen Seite)"})
        };
        if let Some(parameters) = self.0["parameters"].as_array_mut() {
            parameters.extend([start, limit]);
        }
        self.0["description"] = json!(
            "Seitenweise: jede Seite nennt in `next` die Adresse der nächsten (auch als \
             Kopfzeile `Link: <…>; rel=\"next\"`), `null` auf der letzten. Als CSV ohne \
             `offset`, `limit` und `cursor` die ganze Liste, die das Gateway Seite für Seite \
             überträgt; bricht sie unterwegs ab, endet die Übertragung unvollständig."
        );
        self
    }
}

fn read_operation(path: &str) -> Option<Op> {
    let op = match path {
        "/api/v1/services" => get(
            "listServices",
            "Alle Leistungen (ungefiltert), nach Kennung, seitenweise",
            "Catalogue",
        )
        .csv(&[])
        .paged(true),
        "/api/v1/catalogue" => get(
            "catalogue",
            "Katalog mit Filtern, Sortierung, Seiten und Nachnutzung",
            "CataloguePage",
        )
        .query(&[
            "land",
            "themenfeld",
            "status",
            "reifegrad",
            "channel",
            "q",
            "sort",
            "offset",
            "limit",
            "as_of",
        ])
        .csv(&[]),
        "/api/v1/services/{id}" => {
            get("getService", "Eine Leistung (Version als ETag)", "Service").maybe_absent()
        }
        "/api/v1/services/{id}/detail" => get(
            "serviceDetail",
            "Alles zu einer Leistung zum Stichtag",
            "ServiceDetail",
        )
        .query(&["as_of"])
        .maybe_absent(),
        "/api/v1/services/{id}/participations" => get(
            "listParticipations",
            "Beteiligte Länder einer Leistung",
            "Participations",
        )
        .query(&["as_of"])
        .csv(&[])
        .maybe_absent(),
        "/api/v1/services/{id}/costs/{year}" => get(
            "costSharing",
            "Kosten eines Jahres und ihre Verteilung nach dem Modell des Jahres, mit \
             Jahresabrechnung und Nachträgen",
            "CostYear",
        )
        .query(&["as_of"])
        .csv(&["shares", "alternatives", "costs"])
        .maybe_absent(),
        "/api/v1/services/{id}/funnel" => get(
            "funnel",
            "Trichter der Nachnutzung mit Durchlaufzeiten",
            "Funnel",
        )
        .query(&["land", "as_of"])
        .maybe_absent(),
        "/api/v1/services/{id}/history" => {
            get("serviceHistory", "Ereignisse einer Leistung", "History")
                .query(&["from_seq", "limit"])
                .csv(&[])
        }
        _ => return place_read_operation(path),
    };
    Some(op)
}

fn place_read_operation(path: &str) -> Option<Op> {
    let op = match path {
        "/api/v1/lands/{land}" => get("land", "Seite eines Landes", "LandView")
            .query(&["as_of"])
            .paged(false),
        "/api/v1/lands/{land}/costs/{year}" => get(
            "landCosts",
            "Kostenanteile eines Landes in einem Jahr",
            "LandCosts",
        )
        .query(&["as_of"])
        .csv(&[])
        .paged(false),
        "/api/v1/lands/{land}/statements/{year}" => get(
            "landStatement",
            "Kostenaufstellung eines Landes für ein Jahr",
            "Statement",
        )
        .query(&["as_of"])
        .csv(&[]),
        "/api/v1/lands/{land}/rollout" => {
            get("rollout", "Ausrollen nach Kreisen und Gemeinden", "Rollout")
                .query(&["kreis", "service", "as_of"])
                .csv(&["gemeinden", "kreise"])
                .paged(false)
        }
        "/api/v1/lands/{land}/stalled" => get("stalled", "Stockende Übernahmen", "Stalled")
            .query(&["days", "as_of"])
            .csv(&[])
            .paged(false),
        "/api/v1/reuse" => get("reuse", "Nachnutzung in Deutschland", "Reuse")
            .query(&["as_of"])
            .paged(false),
        "/api/v1/gemeinden/{ags}" => {
            get("gemeinde", "Eine Gemeinde und ihre Übernahmen", "Gemeinde")
                .query(&["as_of"])
                .csv(&[])
                .paged(false)
                .maybe_absent()
        }
        "/api/v1/history" => get(
            "history",
            "Alle Ereignisse, oder die einer Gemeinde",
            "History",
        )
        .query(&["from_seq", "limit", "gemeinde"])
        .csv(&[]),
        "/api/v1/openapi.json" => openapi_operation(),
        "/api/v1/ledger/checkpoint" => ledger_checkpoint_operation(),
        "/api/v1/ledger/export" => ledger_export_operation(),
        _ => return None,
    };
    Some(op)
}

fn ledger_checkpoint_operation() -> Op {
    Op(json!({
        "operationId": "ledgerCheckpoint",
        "summary": "Öffentlicher Schlüssel des Ledgers und sein zuletzt signierter Stand",
        "description": "Mit diesem Schlüssel prüft ein Land einen Export offline: \
            `efa verify --export DATEI --public-key \"<public_key_line>\"`.",
        "tags": ["Dokumentation"],
        "security": [],
        "parameters": [],
        "responses": {"200": {"description": "Schlüssel und Stand",
            "content": {"application/json": {"schema": {
                "type": "object",
                "required": ["key_id", "public_key", "public_key_line", "checkpoint"],
                "properties": {
                    "key_id": {"type": "string"},
                    "public_key": {"type": "string", "description": "Ed25519, hex"},
                    "public_key_line": {"type": "string"},
                    "checkpoint": {"type": ["object", "null"],
                        "required": ["seq", "hash", "key_id", "signature"],
                        "properties": {
                            "seq": {"type": "integer", "minimum": 1},
                            "hash": {"type": "string"},
                            "key_id": {"type": "string"},
                            "signature": {"type": "string"},
                        }},
                },
            }}}}},
    }))
    .problems(&[400, 429, 502, 503])
}

fn ledger_export_operation() -> Op {
    Op(json!({
        "operationId": "ledgerExport",
        "summary": "Ereignisse des Ledgers als offline prüfbarer Export",
        "description": "Die Ereignisse ab `from_seq` mit dem signierten Stand des letzten; \
            zu prüfen mit `efa verify --export DATEI --public-key SCHLÜSSEL`.",
        "tags": ["Dokumentation"],
        "security": [],
        "parameters": [
            {"name": "from_seq", "in": "query", "required": false,
                "schema": {"type": "integer", "minimum": 0}},
            {"name": "limit", "in": "query", "required": false,
                "schema": {"type": "integer", "minimum": 1, "maximum": routes::EXPORT_LIMIT_MAX}},
        ],
        "responses": {"200": {"description": "Der Export (Text, eine Zeile je Ereignis)",
            "content": {"text/plain": {"schema": {"type": "string"}}}}},
    }))
    .problems(&[400, 404, 429, 502, 503])
}

fn openapi_operation() -> Op {
    Op(json!({
        "operationId": "openapi",
        "summary": "Dieses OpenAPI-Dokument",
        "tags": ["Dokumentation"],
        "security": [],
        "parameters": [],
        "responses": {"200": {"description": "OpenAPI 3.1",
            "content": {"application/json": {"schema": {"type": "object"}}}}},
    }))
}

/// A write: token, `Idempotency-Key`, optional `If-Match`, a JSON body.
fn write(id: &str, tag: &str, summary: &str, body_schema: &str) -> Op {
    let headers = json!([
        {"name": "Idempotency-Key", "in": "header", "required": true,
         "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
         "description": "Eindeutiger Schlüssel des Schreibvorgangs; eine Wiederholung wird nicht doppelt ausgeführt"},
        {"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string", "pattern": "^(\"[0-9]{1,19}\"|[0-9]{1,19})$"},
         "description": "Erwartete Version (ETag), z. B. \"3\"; sonst 412"},
    ]);
    let created = json!({"description": "Erfasst",
        "headers": {"ETag": {"schema": {"type": "string"}, "description": "Version nach dem Schreiben"}},
        "content": {"application/json": {"schema": schema("Accepted")}}});
    let replayed = json!({"description": "Wiederholung: die gespeicherte Antwort",
        "headers": {"Idempotent-Replayed": {"schema": {"const": "true"}}},
        "content": {"application/json": {"schema": schema("Accepted")}}});
    Op(json!({
        "operationId": id,
        "summary": summary,
        "tags": [tag],
        "security": [{"bearerAuth": []}],
        "parameters": headers,
        "requestBody": {"required": true,
            "content": {"application/json": {"schema": schema(body_schema)}}},
        "responses": {"201": created, "200": replayed},
    }))
    .problems(&[400, 401, 403, 404, 409, 412, 413, 422, 429, 502, 503])
}

impl Op {
    /// The 201 names the created thing's address.
    fn location(mut self) -> Self {
        self.0["responses"]["201"]["headers"]["Location"] =
            json!({"schema": {"type": "string"}, "description": "Wo das Erfasste zu lesen ist"});
        self
    }

    /// The body may be left out.
    fn optional_body(mut self) -> Self {
        self.0["requestBody"]["required"] = json!(false);
        self
    }
}

fn write_operation(method: &Method, path: &str) -> Option<Op> {
    let op = match (method.as_str(), path) {
        ("POST", "/api/v1/services") => write(
            "announceService",
            "Leistungen",
            "Leistung ankündigen",
            "AnnounceService",
        )
        .location(),
        ("PUT", "/api/v1/services/{id}") => write(
            "updateServiceDetails",
            "Leistungen",
            "Angaben einer Leistung ersetzen",
            "UpdateServiceDetails",
        ),
        ("POST", "/api/v1/services/{id}/status") => write(
            "changeServiceStatus",
            "Leistungen",
            "Status ändern",
            "ChangeServiceStatus",
        ),
        ("POST", "/api/v1/services/{id}/reifegrad") => write(
            "assessReifegrad",
            "Leistungen",
            "Reifegrad festhalten",
            "AssessReifegrad",
        ),
        ("POST", "/api/v1/services/{id}/retirement") => write(
            "retireService",
            "Leistungen",
            "Leistung einstellen",
            "RetireService",
        ),
        ("POST", "/api/v1/services/{id}/participations") => write(
            "joinService",
            "Leistungen",
            "Beitritt eines Landes",
            "JoinService",
        )
        .location(),
        ("DELETE", "/api/v1/services/{id}/participations/{land}") => write(
            "leaveService",
            "Leistungen",
            "Austritt eines Landes",
            "LeaveService",
        )
        .optional_body()
        .query(&["effective"]),
        ("POST", "/api/v1/services/{id}/costs") => {
            write("reportCost", "Kosten", "Kosten melden", "ReportCost").location()
        }
        ("POST", "/api/v1/services/{id}/costs/{cost_no}/corrections") => write(
            "correctCost",
            "Kosten",
            "Kostenmeldung berichtigen",
            "CorrectCost",
        ),
        ("POST", "/api/v1/services/{id}/closings") => write(
            "closeYear",
            "Kosten",
            "Jahr abrechnen (Jahresabrechnung) mit der Verteilung, wie sie steht",
            "CloseYear",
        )
        .location(),
        ("POST", "/api/v1/services/{id}/participation-corrections") => write(
            "correctParticipation",
            "Kosten",
            "Beitritt oder Austritt berichtigen (federführendes Land oder Administration)",
            "CorrectParticipation",
        )
        .location(),
        _ => return participant_write_operation(method, path),
    };
    Some(op)
}

fn participant_write_operation(method: &Method, path: &str) -> Option<Op> {
    let op = match (method.as_str(), path) {
        ("POST", "/api/v1/gemeinden") => write(
            "registerGemeinde",
            "Beteiligte",
            "Gemeinde registrieren",
            "RegisterGemeinde",
        )
        .location(),
        ("PUT", "/api/v1/gemeinden/{ags}") => write(
            "renameGemeinde",
            "Beteiligte",
            "Gemeinde umbenennen",
            "RenameGemeinde",
        ),
        ("POST", "/api/v1/gemeinden/{ags}/merger") => write(
            "mergeGemeinde",
            "Beteiligte",
            "Gemeinde in eine Nachfolgerin eingliedern",
            "MergeGemeinde",
        ),
        ("POST", "/api/v1/gemeinden/{ags}/retirement") => write(
            "retireGemeinde",
            "Beteiligte",
            "Gemeinde auflösen",
            "RetireGemeinde",
        )
        .optional_body(),
        ("POST", "/api/v1/kreise") => write(
            "registerKreis",
            "Beteiligte",
            "Kreis registrieren",
            "RegisterKreis",
        ),
        ("POST", "/api/v1/operators") => write(
            "registerOperator",
            "Beteiligte",
            "Betreiber mit Region registrieren",
            "RegisterOperator",
        ),
        _ => return adoption_write_operation(method, path),
    };
    Some(op)
}

fn adoption_write_operation(method: &Method, path: &str) -> Option<Op> {
    let op = match (method.as_str(), path) {
        ("POST", "/api/v1/adoptions") => write(
            "requestAdoption",
            "Nachnutzung",
            "Übernahme beantragen",
            "RequestAdoption",
        )
        .location(),
        ("POST", "/api/v1/adoptions/{service}/{ags}/steps") => write(
            "recordAdoptionStep",
            "Nachnutzung",
            "Nächsten Schritt der Übernahme festhalten",
            "AdoptionStep",
        ),
        ("POST", "/api/v1/adoptions/{service}/{ags}/withdrawal") => write(
            "withdrawAdoption",
            "Nachnutzung",
            "Übernahme zurückziehen",
            "WithdrawAdoption",
        )
        .optional_body(),
        ("POST", "/api/v1/reference/allocation-keys") => write(
            "publishAllocationKey",
            "Referenzdaten",
            "Verteilungsschlüssel eines Jahres veröffentlichen",
            "PublishAllocationKey",
        ),
        ("POST", "/api/v1/reference/populations") => write(
            "publishPopulation",
            "Referenzdaten",
            "Einwohnerzahlen der Länder veröffentlichen",
            "PublishPopulation",
        ),
        _ => return None,
    };
    Some(op)
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
