//! The OpenAPI 3.1 document of `/api/v1`. Its paths come from the same
//! list as the router (`routes::api`), so a route cannot go undocumented:
//! an operation without a description here is a failing test, not a
//! silent gap. The schemas of the bodies, the query parameters and the
//! answers are derived (utoipa) from the types the handlers read and
//! write; the single values among them are described in `values`. What is
//! written here is what no type says: summaries, tags, headers, the
//! problems an operation may answer, CSV and paging.

pub mod values;

use axum::http::Method;
use serde_json::{Map, Value, json};
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, ToSchema};

use crate::contract::{adoptions, participants, reference, services, settlement};
use crate::dto::{self, catalogue, costs, history, rollout, statement};
use crate::paging::{self, NextLink};
use crate::params::{AsOf, FormatParam, MinSeq};
use crate::routes;

const PROBLEM: &str = crate::problem::PROBLEM_CONTENT_TYPE;

/// The whole document; `efa openapi` prints it.
pub fn openapi_document() -> Value {
    let mut derived: Vec<(String, RefOr<Schema>)> = Vec::new();
    let paths = paths(&mut derived);
    let problem = schema::<crate::problem::ProblemJson<'static>>(&mut derived);
    let mut schemas: Map<String, Value> = derived
        .into_iter()
        .map(|(name, schema)| (name, without_descriptions(json(schema))))
        .collect();
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
                gibt es auch als CSV (`?format=csv` oder `Accept: text/csv`). Fehler \
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

/// A derived schema without the descriptions the derive took from the
/// code's (English) doc comments; the values bring their own, in German.
fn without_descriptions(mut schema: Value) -> Value {
    match &mut schema {
        Value::Object(members) => {
            members.remove("description");
            for (name, member) in members.iter_mut() {
                if name == "properties" {
                    if let Value::Object(properties) = member {
                        for property in properties.values_mut() {
                            *property = without_descriptions(property.take());
                        }
                    }
                } else {
                    *member = without_descriptions(member.take());
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                *item = without_descriptions(item.take());
            }
        }
        _ => {}
    }
    schema
}

/// The rules across fields that the contract checks in code rather than
/// in its types.
fn add_rules(schemas: &mut Map<String, Value>) {
    let one_of = [
        ("ReportCost", ["amount", "amount_cents"]),
        ("CorrectCost", ["amount", "amount_cents"]),
        ("PublishAllocationKey", ["shares", "units"]),
        ("Region", ["land", "kreise"]),
    ];
    for (name, [first, second]) in one_of {
        if let Some(schema) = schemas.get_mut(name) {
            schema["oneOf"] = json!([{"required": [first]}, {"required": [second]}]);
        }
    }
    for name in ["RegisterGemeinde", "RegisterKreis"] {
        if let Some(schema) = schemas.get_mut(name) {
            schema["dependentRequired"] =
                json!({"population": ["population_date"], "population_date": ["population"]});
        }
    }
    // Each kind of cost model takes only its own members.
    let kinds = schemas
        .get_mut("CostModel")
        .and_then(|s| s.get_mut("oneOf"));
    for kind in kinds.and_then(Value::as_array_mut).into_iter().flatten() {
        kind["additionalProperties"] = json!(false);
    }
}

/// One path item per path of the router's list, one operation per method.
fn paths(schemas: &mut Vec<(String, RefOr<Schema>)>) -> Map<String, Value> {
    let mut paths = Map::new();
    for endpoint in routes::api() {
        let Some(mut op) = operation(&endpoint.method, endpoint.path) else {
            continue;
        };
        let declared: Vec<Value> = path_parameter_names(endpoint.path)
            .into_iter()
            .map(path_parameter)
            .collect();
        if let Some(Value::Array(query)) = op.value.get_mut("parameters") {
            query.splice(0..0, declared);
        }
        schemas.append(&mut op.schemas);
        let item = paths
            .entry(endpoint.path.to_owned())
            .or_insert_with(|| json!({}));
        item[endpoint.method.as_str().to_ascii_lowercase()] = op.value;
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
    let schema = match name {
        "id" | "service" => value("ServiceId"),
        "land" => value("LandKey"),
        "ags" => value("Ags"),
        "year" => value("Year"),
        _ => json!({"type": "integer", "minimum": 0, "maximum": u32::MAX}),
    };
    json!({"name": name, "in": "path", "required": true, "schema": schema,
        "description": describe(ParameterIn::Path, name)})
}

/// The German description of a parameter, by where it is and its name.
fn describe(location: ParameterIn, name: &str) -> &'static str {
    match (location, name) {
        (ParameterIn::Path, "id" | "service") => "Kennung der Leistung",
        (ParameterIn::Path, "land") => "Ländercode 01 bis 16",
        (ParameterIn::Path, "ags") => "Amtlicher Gemeindeschlüssel",
        (ParameterIn::Path, "year") => "Kalenderjahr",
        (ParameterIn::Path, _) => "Nummer der Kostenmeldung",
        (_, "min_seq") => {
            "Lesen der eigenen Schreibvorgänge: erst antworten, wenn die Ansicht diese \
             Sequenz kennt (eine Sequenz, die das Ledger noch nicht hat, wird mit 422 \
             abgelehnt)"
        }
        (_, "as_of") => "Stichtag JJJJ-MM-TT",
        (_, "effective") => "Wirksam ab JJJJ-MM-TT",
        (_, "format") => "csv: CSV statt JSON (wie Accept: text/csv)",
        (_, "table") => "Welche Tabelle als CSV",
        (_, "land") => "Ländercode",
        (_, "themenfeld") => "Themenfeld",
        (_, "status") => "Status",
        (_, "reifegrad") => "Reifegrad",
        (_, "channel") => "Bezugsweg",
        (_, "q") => "Suche in Titel, Kennung, OZG-ID, Anbieter",
        (_, "sort") => "Sortierung",
        (_, "offset") => "Überspringen",
        (_, "limit") => "Höchstens so viele",
        (_, "cursor") => "Die Seite beginnt nach dieser Kennung (`next_cursor` der vorigen Seite)",
        (_, "from_seq") => "Ab dieser Sequenz",
        (_, "gemeinde") => "Nur diese Gemeinde",
        (_, "kreis") => "Nur dieser Kreis",
        (_, "service") => "Nur diese Leistung",
        (_, "days") => "Mindestens so viele Tage ohne Schritt",
        _ => "",
    }
}

/// The problem answers every operation may give, by status.
fn problem_responses(problem: &Value) -> Map<String, Value> {
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
        let response =
            json!({"description": description, "content": {PROBLEM: {"schema": problem}}});
        (format!("Problem{status}"), response)
    })
    .collect()
}

/// An operation under construction, with the schemas it refers to.
struct Op {
    value: Value,
    schemas: Vec<(String, RefOr<Schema>)>,
}

impl Op {
    fn new(value: Value) -> Self {
        Self {
            value,
            schemas: Vec::new(),
        }
    }

    fn problems(mut self, statuses: &[u16]) -> Self {
        for status in statuses {
            self.value["responses"][status.to_string()] =
                json!({"$ref": format!("#/components/responses/Problem{status}")});
        }
        self
    }

    /// The query parameters of `P`, each described by its name.
    fn query<P: IntoParams>(mut self) -> Self {
        let parameters = P::into_params(|| Some(ParameterIn::Query))
            .into_iter()
            .map(|parameter| {
                let mut parameter = json(parameter);
                let name = parameter["name"].as_str().unwrap_or_default();
                parameter["description"] = json!(describe(ParameterIn::Query, name));
                parameter
            });
        if let Some(Value::Array(all)) = self.value.get_mut("parameters") {
            all.extend(parameters);
        }
        self
    }

    /// Sets `member` of the query parameter `name` to `value`.
    fn parameter(mut self, name: &str, member: &str, value: Value) -> Self {
        let parameters = self.value["parameters"]
            .as_array_mut()
            .into_iter()
            .flatten();
        for parameter in parameters.filter(|parameter| parameter["name"] == name) {
            match member {
                "default" => parameter["schema"]["default"] = value.clone(),
                _ => parameter[member] = value.clone(),
            }
        }
        self
    }

    fn default(self, name: &str, default: u32) -> Self {
        self.parameter(name, "default", json!(default))
    }

    fn describe_parameter(self, name: &str, description: &str) -> Self {
        self.parameter(name, "description", json!(description))
    }

    /// The JSON answer (200) is `T`.
    fn answer<T: ToSchema>(mut self) -> Self {
        let answer = schema::<T>(&mut self.schemas);
        self.value["responses"]["200"]["content"]["application/json"]["schema"] = answer;
        self
    }
}

/// A public read answering `T` as JSON.
fn get<T: ToSchema>(id: &str, summary: &str) -> Op {
    Op::new(json!({
        "operationId": id,
        "summary": summary,
        "tags": ["Ansichten"],
        "security": [],
        "parameters": [],
        "responses": {"200": {"description": "Die Ansicht"}},
    }))
    .answer::<T>()
    .query::<MinSeq>()
    // 422: a `min_seq` beyond the ledger's head.
    .problems(&[400, 422, 429, 500, 502, 503])
}

impl Op {
    /// The answer is a list, also as CSV.
    fn csv(mut self) -> Self {
        let answer = &mut self.value["responses"]["200"];
        answer["content"]["text/csv"] = json!({
            "schema": {"type": "string"},
            "example": "\u{feff}Kennung;Titel\r\nwohngeld;Wohngeld\r\n",
        });
        answer["description"] = json!(
            "Die Ansicht; als CSV (UTF-8 mit BOM, Semikolon, CRLF, Dezimalkomma) bei \
             ?format=csv oder Accept: text/csv"
        );
        self.query::<FormatParam>()
    }

    fn maybe_absent(self) -> Self {
        self.problems(&[404])
    }

    /// A list that grows with the history, a page at a time (`offset`
    /// and `limit` as `P` reads them, or a `cursor`): the answer is `T`
    /// with the page's totals `S` and the link to the next page. As CSV
    /// without these parameters the whole list, streamed.
    fn paged<T: ToSchema, S: ToSchema, P: IntoParams>(mut self) -> Self {
        let parts = [
            schema::<T>(&mut self.schemas),
            schema::<S>(&mut self.schemas),
            schema::<NextLink>(&mut self.schemas),
        ];
        self.value["responses"]["200"]["content"]["application/json"]["schema"] =
            json!({"allOf": parts});
        self.value["description"] = json!(
            "Seitenweise: jede Seite nennt in `next` die Adresse der nächsten (auch als \
             Kopfzeile `Link: <…>; rel=\"next\"`), `null` auf der letzten. Als CSV ohne \
             `offset`, `limit` und `cursor` die ganze Liste, die das Gateway Seite für Seite \
             überträgt; bricht sie unterwegs ab, endet die Übertragung unvollständig."
        );
        self.query::<P>()
            .default("limit", paging::LIMIT_DEFAULT)
            .describe_parameter(
                "offset",
                "Die Seite beginnt mit dieser Zeile (`next_offset` der vorigen Seite)",
            )
            .describe_parameter(
                "limit",
                "Höchstens so viele Zeilen je Seite (der Dienst kann weniger liefern, wenn die \
                 Seite sonst zu groß wäre; `next` zeigt dann weiter)",
            )
    }
}

/// The description of one route, or `None` for a route not described.
fn operation(method: &Method, path: &str) -> Option<Op> {
    match *method {
        Method::GET => read_operation(path),
        _ => write_operation(method, path),
    }
}

fn read_operation(path: &str) -> Option<Op> {
    use paging::PageParams as Page;
    let op = match path {
        "/api/v1/services" => get::<dto::CatalogueJson>(
            "listServices",
            "Alle Leistungen (ungefiltert), nach Kennung, seitenweise",
        )
        .csv()
        .paged::<dto::CatalogueJson, dto::ServicesTotals, routes::ServicesPage>(),
        "/api/v1/catalogue" => get::<catalogue::CataloguePageJson>(
            "catalogue",
            "Katalog mit Filtern, Sortierung, Seiten und Nachnutzung",
        )
        .query::<routes::CatalogueQuery>()
        .default("limit", 100)
        .csv(),
        "/api/v1/services/{id}" => {
            get::<dto::ServiceJson>("getService", "Eine Leistung (Version als ETag)").maybe_absent()
        }
        "/api/v1/services/{id}/detail" => get::<catalogue::ServiceDetailJson>(
            "serviceDetail",
            "Alles zu einer Leistung zum Stichtag",
        )
        .query::<AsOf>()
        .maybe_absent(),
        "/api/v1/services/{id}/participations" => get::<catalogue::ParticipationsJson>(
            "listParticipations",
            "Beteiligte Länder einer Leistung",
        )
        .query::<AsOf>()
        .csv()
        .maybe_absent(),
        "/api/v1/services/{id}/costs/{year}" => get::<statement::CostYearJson>(
            "costSharing",
            "Kosten eines Jahres und ihre Verteilung nach dem Modell des Jahres, mit \
             Jahresabrechnung und Nachträgen",
        )
        .query::<AsOf>()
        .query::<routes::CostYearParams>()
        .csv()
        .maybe_absent(),
        "/api/v1/services/{id}/funnel" => {
            get::<rollout::FunnelJson>("funnel", "Trichter der Nachnutzung mit Durchlaufzeiten")
                .query::<routes::FunnelParams>()
                .query::<AsOf>()
                .maybe_absent()
        }
        "/api/v1/services/{id}/history" => {
            get::<history::HistoryJson>("serviceHistory", "Ereignisse einer Leistung")
                .query::<routes::HistoryParams>()
                .default("limit", 100)
                .csv()
        }
        "/api/v1/lands/{land}" => get::<rollout::LandViewJson>("land", "Seite eines Landes")
            .query::<AsOf>()
            .paged::<rollout::LandViewJson, dto::LandTotals, Page>(),
        "/api/v1/lands/{land}/costs/{year}" => {
            get::<costs::LandCostsJson>("landCosts", "Kostenanteile eines Landes in einem Jahr")
                .query::<AsOf>()
                .csv()
                .paged::<costs::LandCostsJson, dto::LandCostsTotals, Page>()
        }
        "/api/v1/lands/{land}/statements/{year}" => get::<statement::StatementJson>(
            "landStatement",
            "Kostenaufstellung eines Landes für ein Jahr",
        )
        .query::<AsOf>()
        .csv(),
        "/api/v1/lands/{land}/rollout" => {
            get::<rollout::RolloutJson>("rollout", "Ausrollen nach Kreisen und Gemeinden")
                .query::<routes::RolloutParams>()
                .query::<AsOf>()
                .csv()
                .paged::<rollout::RolloutJson, dto::RolloutTotals, Page>()
        }
        _ => return place_read_operation(path),
    };
    Some(op)
}

fn place_read_operation(path: &str) -> Option<Op> {
    use paging::PageParams as Page;
    let op = match path {
        "/api/v1/lands/{land}/stalled" => {
            get::<rollout::StalledJson>("stalled", "Stockende Übernahmen")
                .query::<routes::StalledParams>()
                .default("days", routes::STALLED_DAYS_DEFAULT)
                .query::<AsOf>()
                .csv()
                .paged::<rollout::StalledJson, dto::StalledTotals, Page>()
        }
        "/api/v1/reuse" => get::<rollout::ReuseJson>("reuse", "Nachnutzung in Deutschland")
            .query::<AsOf>()
            .paged::<rollout::ReuseJson, dto::ReuseTotals, Page>(),
        "/api/v1/gemeinden/{ags}" => {
            get::<rollout::GemeindeJson>("gemeinde", "Eine Gemeinde und ihre Übernahmen")
                .query::<AsOf>()
                .csv()
                .paged::<rollout::GemeindeJson, dto::GemeindeTotals, Page>()
                .maybe_absent()
        }
        "/api/v1/history" => {
            get::<history::HistoryJson>("history", "Alle Ereignisse, oder die einer Gemeinde")
                .query::<routes::HistoryParams>()
                .default("limit", 100)
                .query::<routes::GemeindeParam>()
                .csv()
        }
        "/api/v1/openapi.json" => document(
            "openapi",
            "Dieses OpenAPI-Dokument",
            json!({"description": "OpenAPI 3.1",
                "content": {"application/json": {"schema": {"type": "object"}}}}),
        ),
        "/api/v1/ledger/checkpoint" => document(
            "ledgerCheckpoint",
            "Öffentlicher Schlüssel des Ledgers und sein zuletzt signierter Stand",
            json!({"description": "Schlüssel und Stand"}),
        )
        .answer::<routes::LedgerKeyJson>()
        .describe(
            "Mit diesem Schlüssel prüft ein Land einen Export offline: \
             `efa verify --export DATEI --public-key \"<public_key_line>\"`.",
        )
        .problems(&[400, 429, 502, 503]),
        "/api/v1/ledger/export" => document(
            "ledgerExport",
            "Ereignisse des Ledgers als offline prüfbarer Export",
            json!({"description": "Der Export (Text, eine Zeile je Ereignis)",
                "content": {"text/plain": {"schema": {"type": "string"}}}}),
        )
        .describe(
            "Die Ereignisse ab `from_seq` mit dem signierten Stand des letzten; \
             zu prüfen mit `efa verify --export DATEI --public-key SCHLÜSSEL`.",
        )
        .query::<routes::ExportParams>()
        .default("limit", 1000)
        .problems(&[400, 404, 429, 502, 503]),
        _ => return None,
    };
    Some(op)
}

/// A public read of the document or the ledger's proof (no `min_seq`).
fn document(id: &str, summary: &str, answer: Value) -> Op {
    Op::new(json!({
        "operationId": id,
        "summary": summary,
        "tags": ["Dokumentation"],
        "security": [],
        "parameters": [],
        "responses": {"200": answer},
    }))
}

impl Op {
    fn describe(mut self, description: &str) -> Self {
        self.value["description"] = json!(description);
        self
    }
}

/// A write: token, `Idempotency-Key`, optional `If-Match`, a JSON body `B`.
fn write<B: ToSchema>(id: &str, tag: &str, summary: &str) -> Op {
    let headers = json!([
        {"name": "Idempotency-Key", "in": "header", "required": true,
         "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
         "description": "Eindeutiger Schlüssel des Schreibvorgangs; eine Wiederholung wird nicht doppelt ausgeführt"},
        {"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string", "pattern": "^(\"[0-9]{1,19}\"|[0-9]{1,19})$"},
         "description": "Erwartete Version (ETag), z. B. \"3\"; sonst 412"},
    ]);
    let mut op = Op::new(Value::Null);
    let body = schema::<B>(&mut op.schemas);
    let accepted = schema::<dto::AcceptedJson>(&mut op.schemas);
    let created = json!({"description": "Erfasst",
        "headers": {"ETag": {"schema": {"type": "string"}, "description": "Version nach dem Schreiben"}},
        "content": {"application/json": {"schema": accepted}}});
    let replayed = json!({"description": "Wiederholung: die gespeicherte Antwort",
        "headers": {"Idempotent-Replayed": {"schema": {"const": "true"}}},
        "content": {"application/json": {"schema": accepted}}});
    op.value = json!({
        "operationId": id,
        "summary": summary,
        "tags": [tag],
        "security": [{"bearerAuth": []}],
        "parameters": headers,
        "requestBody": {"required": true,
            "content": {"application/json": {"schema": body}}},
        "responses": {"201": created, "200": replayed},
    });
    op.problems(&[400, 401, 403, 404, 409, 412, 413, 422, 429, 502, 503])
}

impl Op {
    /// The 201 names the created thing's address.
    fn location(mut self) -> Self {
        self.value["responses"]["201"]["headers"]["Location"] =
            json!({"schema": {"type": "string"}, "description": "Wo das Erfasste zu lesen ist"});
        self
    }

    /// The body may be left out.
    fn optional_body(mut self) -> Self {
        self.value["requestBody"]["required"] = json!(false);
        self
    }
}

fn write_operation(method: &Method, path: &str) -> Option<Op> {
    const S: &str = "Leistungen";
    const K: &str = "Kosten";
    let op = match (method.as_str(), path) {
        ("POST", "/api/v1/services") => {
            write::<services::Announce>("announceService", S, "Leistung ankündigen").location()
        }
        ("PUT", "/api/v1/services/{id}") => {
            write::<services::Details>("updateServiceDetails", S, "Angaben einer Leistung ersetzen")
        }
        ("POST", "/api/v1/services/{id}/status") => {
            write::<services::Status>("changeServiceStatus", S, "Status ändern")
        }
        ("POST", "/api/v1/services/{id}/reifegrad") => {
            write::<services::Assessment>("assessReifegrad", S, "Reifegrad festhalten")
        }
        ("POST", "/api/v1/services/{id}/retirement") => {
            write::<services::Retirement>("retireService", S, "Leistung einstellen")
        }
        ("POST", "/api/v1/services/{id}/participations") => {
            write::<services::Join>("joinService", S, "Beitritt eines Landes").location()
        }
        ("DELETE", "/api/v1/services/{id}/participations/{land}") => {
            write::<services::Leave>("leaveService", S, "Austritt eines Landes")
                .optional_body()
                .query::<services::Leave>()
        }
        ("POST", "/api/v1/services/{id}/costs") => {
            write::<services::CostReport>("reportCost", K, "Kosten melden").location()
        }
        ("POST", "/api/v1/services/{id}/costs/{cost_no}/corrections") => {
            write::<services::CostCorrection>("correctCost", K, "Kostenmeldung berichtigen")
        }
        ("POST", "/api/v1/services/{id}/closings") => write::<settlement::Closing>(
            "closeYear",
            K,
            "Jahr abrechnen (Jahresabrechnung) mit der Verteilung, wie sie steht",
        )
        .location(),
        ("POST", "/api/v1/services/{id}/participation-corrections") => {
            write::<settlement::ParticipationCorrection>(
                "correctParticipation",
                K,
                "Beitritt oder Austritt berichtigen (federführendes Land oder Administration)",
            )
            .location()
        }
        _ => return participant_write_operation(method, path),
    };
    Some(op)
}

fn participant_write_operation(method: &Method, path: &str) -> Option<Op> {
    const B: &str = "Beteiligte";
    const N: &str = "Nachnutzung";
    const R: &str = "Referenzdaten";
    let op = match (method.as_str(), path) {
        ("POST", "/api/v1/gemeinden") => {
            write::<participants::Gemeinde>("registerGemeinde", B, "Gemeinde registrieren")
                .location()
        }
        ("PUT", "/api/v1/gemeinden/{ags}") => {
            write::<participants::Rename>("renameGemeinde", B, "Gemeinde umbenennen")
        }
        ("POST", "/api/v1/gemeinden/{ags}/merger") => write::<participants::Merger>(
            "mergeGemeinde",
            B,
            "Gemeinde in eine Nachfolgerin eingliedern",
        ),
        ("POST", "/api/v1/gemeinden/{ags}/retirement") => {
            write::<participants::Retirement>("retireGemeinde", B, "Gemeinde auflösen")
                .optional_body()
        }
        ("POST", "/api/v1/kreise") => {
            write::<participants::Kreis>("registerKreis", B, "Kreis registrieren")
        }
        ("POST", "/api/v1/operators") => write::<participants::Operator>(
            "registerOperator",
            B,
            "Betreiber mit Region registrieren",
        ),
        ("POST", "/api/v1/adoptions") => {
            write::<adoptions::Request>("requestAdoption", N, "Übernahme beantragen").location()
        }
        ("POST", "/api/v1/adoptions/{service}/{ags}/steps") => write::<adoptions::Step>(
            "recordAdoptionStep",
            N,
            "Nächsten Schritt der Übernahme festhalten",
        ),
        ("POST", "/api/v1/adoptions/{service}/{ags}/withdrawal") => {
            write::<adoptions::Withdrawal>("withdrawAdoption", N, "Übernahme zurückziehen")
                .optional_body()
        }
        ("POST", "/api/v1/reference/allocation-keys") => write::<reference::AllocationKey>(
            "publishAllocationKey",
            R,
            "Verteilungsschlüssel eines Jahres veröffentlichen",
        ),
        ("POST", "/api/v1/reference/populations") => write::<reference::Populations>(
            "publishPopulation",
            R,
            "Einwohnerzahlen der Länder veröffentlichen",
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
