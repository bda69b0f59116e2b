//! The operations of the OpenAPI document, one per route: each route of
//! `routes::api` makes its own with `view`, `command` or `document` and
//! the methods of `Operation`, so that a route cannot go undocumented;
//! `openapi` puts them into the document. What is written here is what no
//! type says: summaries, tags, headers, the problems an operation may
//! answer, CSV and paging.

use serde_json::{Value, json};
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, ToSchema};

use crate::paging::NextLink;
use efa_api::dto::AcceptedJson;
use efa_api::keys::FORMAT_DESCRIPTION;
use efa_api::query::{FormatParam, LIMIT_DEFAULT, MinSeq};

/// A utoipa value as JSON (its serialisation cannot fail).
pub fn json(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// Registers `T` and the schemas it refers to; answers its `$ref`.
pub fn schema<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) -> Value {
    T::schemas(schemas);
    schemas.push((T::name().into_owned(), T::schema()));
    json!({"$ref": format!("#/components/schemas/{}", T::name())})
}

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
        "order" => "Reihenfolge der Leistungen",
        _ => "",
    }
}

/// One operation of the document, with the schemas it refers to; each
/// route of `routes::api` makes its own with `view`, `command` or
/// `document` and the methods below. Its parameters are kept apart until
/// `paths` puts the path's in front of them.
pub struct Operation {
    pub(crate) value: Value,
    pub(crate) parameters: Vec<Value>,
    pub(crate) schemas: Vec<(String, RefOr<Schema>)>,
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
        .default("limit", LIMIT_DEFAULT)
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
