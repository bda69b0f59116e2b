//! The API: which path goes to which handler, and how the OpenAPI
//! document describes it. The state the handlers share is `crate::state`,
//! below both the API and the web pages; the router with its layers is
//! `crate::router`, above both. The API's routes are one list, [`api`],
//! from which both the router and the OpenAPI document are made, so
//! neither can miss a route.

pub(crate) mod exports;
pub(crate) mod health;
mod ledger;
mod places;
pub(crate) mod read;
mod services;
pub(crate) mod settlement;
mod views;
mod write;

use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use serde_json::json;

use crate::operation::{Operation, command, document, view};
use efa_api::contract::services as service;
use efa_api::contract::{adoptions, participants, reference, settlement as closing};
use efa_api::dto::catalogue::{CataloguePageJson, ParticipationsJson, ServiceDetailJson};
use efa_api::dto::ledger::LedgerKeyJson;
use efa_api::dto::rollout::{
    FunnelJson, GemeindeJson, GemeindenJson, LandFunnelsJson, LandViewJson, NotAdoptedJson,
    ReuseJson, RolloutJson, StalledJson,
};
use efa_api::dto::statement::{CostYearJson, StatementChangesJson, StatementJson};
use efa_api::dto::{self, CatalogueJson, ServiceJson, costs::LandCostsJson, history::HistoryJson};
use efa_api::query::{
    AsOf, CatalogueQuery, CostYearParams, ExportParams, FunnelParams, FunnelsParams, GemeindeParam,
    HistoryParams, KnownAt, PageParams as Page, RolloutParams, STALLED_DAYS_DEFAULT, ServicesPage,
    SinceSeq, StalledParams,
};
use write::write;

/// How a history comes as CSV.
const WHOLE_HISTORY: &str = "Als CSV ohne `from_seq` und `limit` die ganze Geschichte, die das \
     Gateway Seite für Seite überträgt; bricht sie unterwegs ab, endet die Übertragung \
     unvollständig.";

pub use crate::state::AppState;

/// One route of the API: method, path template, handler, and how the
/// OpenAPI document describes it (made only for the document).
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    pub(crate) handler: MethodRouter<AppState>,
    pub(crate) operation: fn() -> Operation,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Each entry is one route: `METHOD "path" => handler, operation;`.
macro_rules! routes {
    ($($method:ident $path:literal => $handler:expr, $operation:expr;)*) => {
        vec![$(Endpoint {
            method: Method::$method,
            path: $path,
            handler: on(MethodFilter::$method, $handler),
            operation: || $operation,
        }),*]
    };
}

/// Every route under `/api/v1` with its operation, grouped by tag: the
/// writes name theirs, a `view` is one of the "Ansichten", a `document`
/// of the "Dokumentation".
pub fn api() -> Vec<Endpoint> {
    const S: &str = "Leistungen";
    const K: &str = "Kosten";
    const B: &str = "Beteiligte";
    const N: &str = "Nachnutzung";
    const R: &str = "Referenzdaten";
    routes![
        POST "/api/v1/services" => write::<service::Announce>,
            command::<service::Announce>("announceService", S, "Leistung ankündigen").location();
        PUT "/api/v1/services/{id}" => write::<service::Details>,
            command::<service::Details>("updateServiceDetails", S, "Angaben einer Leistung ersetzen")
                .replaces();
        POST "/api/v1/services/{id}/status" => write::<service::Status>,
            command::<service::Status>("changeServiceStatus", S, "Status ändern");
        POST "/api/v1/services/{id}/reifegrad" => write::<service::Assessment>,
            command::<service::Assessment>("assessReifegrad", S, "Reifegrad festhalten");
        POST "/api/v1/services/{id}/retirement" => write::<service::Retirement>,
            command::<service::Retirement>("retireService", S, "Leistung einstellen");
        POST "/api/v1/services/{id}/participations" => write::<service::Join>,
            command::<service::Join>("joinService", S, "Beitritt eines Landes").location();
        DELETE "/api/v1/services/{id}/participations/{land}" => services::leave,
            command::<service::Leave>("leaveService", S, "Austritt eines Landes")
                .optional_body()
                .query::<service::Leave>();

        POST "/api/v1/services/{id}/costs" => write::<service::CostReport>,
            command::<service::CostReport>("reportCost", K, "Kosten melden").location();
        POST "/api/v1/services/{id}/costs/{cost_no}/corrections" => write::<service::CostCorrection>,
            command::<service::CostCorrection>("correctCost", K, "Kostenmeldung berichtigen");
        POST "/api/v1/services/{id}/closings" => settlement::close_year,
            command::<closing::Closing>("closeYear", K,
                "Jahr abrechnen (Jahresabrechnung) mit der Verteilung, wie sie steht")
            .location();
        POST "/api/v1/services/{id}/participation-corrections" => write::<closing::ParticipationCorrection>,
            command::<closing::ParticipationCorrection>("correctParticipation", K,
                "Beitritt oder Austritt berichtigen (federführendes Land oder Administration)")
            .location();

        POST "/api/v1/gemeinden" => write::<participants::Gemeinde>,
            command::<participants::Gemeinde>("registerGemeinde", B, "Gemeinde registrieren")
                .location();
        PUT "/api/v1/gemeinden/{ags}" => write::<participants::Rename>,
            command::<participants::Rename>("renameGemeinde", B, "Gemeinde umbenennen")
                .replaces();
        POST "/api/v1/gemeinden/{ags}/merger" => write::<participants::Merger>,
            command::<participants::Merger>("mergeGemeinde", B,
                "Gemeinde in eine Nachfolgerin eingliedern");
        POST "/api/v1/gemeinden/{ags}/retirement" => write::<participants::Retirement>,
            command::<participants::Retirement>("retireGemeinde", B, "Gemeinde auflösen")
                .optional_body();
        POST "/api/v1/kreise" => write::<participants::Kreis>,
            command::<participants::Kreis>("registerKreis", B, "Kreis registrieren");
        POST "/api/v1/operators" => write::<participants::Operator>,
            command::<participants::Operator>("registerOperator", B,
                "Betreiber mit Region registrieren");

        POST "/api/v1/adoptions" => write::<adoptions::Request>,
            command::<adoptions::Request>("requestAdoption", N, "Einführung beantragen").location();
        POST "/api/v1/adoptions/{service}/{ags}/steps" => write::<adoptions::Step>,
            command::<adoptions::Step>("recordAdoptionStep", N,
                "Nächsten Schritt der Einführung festhalten");
        POST "/api/v1/adoptions/{service}/{ags}/withdrawal" => write::<adoptions::Withdrawal>,
            command::<adoptions::Withdrawal>("withdrawAdoption", N, "Einführung zurückziehen")
                .optional_body();

        POST "/api/v1/reference/allocation-keys" => write::<reference::AllocationKey>,
            command::<reference::AllocationKey>("publishAllocationKey", R,
                "Verteilungsschlüssel eines Jahres veröffentlichen");
        POST "/api/v1/reference/populations" => write::<reference::Populations>,
            command::<reference::Populations>("publishPopulation", R,
                "Einwohnerzahlen der Länder veröffentlichen");

        GET "/api/v1/services" => services::list,
            view::<CatalogueJson>("listServices", "Alle Leistungen (ungefiltert), nach Kennung, seitenweise")
                .csv().paged::<dto::ServicesTotals, ServicesPage>();
        GET "/api/v1/services/{id}" => services::get_one,
            view::<ServiceJson>("getService", "Eine Leistung (Version als ETag)").problems(&[404]);
        GET "/api/v1/services/{id}/participations" => views::participations,
            view::<ParticipationsJson>("listParticipations", "Beteiligte Länder einer Leistung")
                .query::<AsOf>().csv().problems(&[404]);
        GET "/api/v1/catalogue" => views::catalogue,
            view::<CataloguePageJson>("catalogue", "Katalog mit Filtern, Sortierung, Seiten und Nachnutzung")
                .query::<CatalogueQuery>().default("limit", 100).csv().linked();
        GET "/api/v1/services/{id}/detail" => views::service_detail,
            view::<ServiceDetailJson>("serviceDetail", "Alles zu einer Leistung zum Stichtag")
                .query::<AsOf>().problems(&[404]);
        GET "/api/v1/services/{id}/costs/{year}" => settlement::cost_year,
            view::<CostYearJson>("costSharing", "Kosten eines Jahres und ihre Verteilung nach dem \
                Modell des Jahres, mit Jahresabrechnung und Nachträgen")
                .query::<AsOf>().query::<KnownAt>().query::<CostYearParams>().csv()
                .problems(&[404]);
        GET "/api/v1/services/{id}/funnel" => views::funnel,
            view::<FunnelJson>("funnel", "Trichter der Nachnutzung mit Durchlaufzeiten")
                .query::<FunnelParams>().query::<AsOf>().problems(&[404]);
        GET "/api/v1/services/{id}/history" => views::service_history,
            view::<HistoryJson>("serviceHistory", "Ereignisse einer Leistung")
                .query::<HistoryParams>().default("limit", 100).csv().linked()
                .describe(WHOLE_HISTORY).problems(&[404]);
        GET "/api/v1/lands/{land}" => places::land,
            view::<LandViewJson>("land", "Seite eines Landes")
                .query::<AsOf>().paged::<dto::LandTotals, Page>();
        GET "/api/v1/lands/{land}/costs/{year}" => places::land_costs,
            view::<LandCostsJson>("landCosts", "Kostenanteile eines Landes in einem Jahr")
                .query::<AsOf>().query::<KnownAt>().csv().paged::<dto::LandCostsTotals, Page>();
        GET "/api/v1/lands/{land}/statements/{year}" => settlement::statement,
            view::<StatementJson>("landStatement", "Kostenaufstellung eines Landes für ein Jahr")
                .query::<AsOf>().query::<KnownAt>().csv();
        GET "/api/v1/lands/{land}/statements/{year}/changes" => settlement::statement_changes,
            view::<StatementChangesJson>("landStatementChanges", "Was sich an einer Kostenaufstellung \
                seit einer früheren Ledger-Sequenz geändert hat, je Leistung")
                .query::<SinceSeq>().query::<AsOf>().csv();
        GET "/api/v1/lands/{land}/rollout" => places::rollout,
            view::<RolloutJson>("rollout", "Ausrollen nach Kreisen und Gemeinden")
                .query::<RolloutParams>().query::<AsOf>()
                .csv().paged::<dto::RolloutTotals, Page>().problems(&[404]);
        GET "/api/v1/lands/{land}/stalled" => places::stalled,
            view::<StalledJson>("stalled", "Stockende Einführungen")
                .query::<StalledParams>().default("days", STALLED_DAYS_DEFAULT)
                .query::<AsOf>().csv().paged::<dto::StalledTotals, Page>().problems(&[404]);
        GET "/api/v1/lands/{land}/gemeinden" => places::gemeinden,
            view::<GemeindenJson>("gemeinden", "Die in einem Land registrierten Gemeinden")
                .query::<AsOf>().csv().paged::<dto::GemeindenTotals, Page>();
        GET "/api/v1/lands/{land}/funnels" => places::land_funnels,
            view::<LandFunnelsJson>("land-funnels", "Die Einführungstrichter der Leistungen mit \
                Einführungen in einem Land, in der gewählten Reihenfolge")
                .query::<FunnelsParams>()
                .query::<AsOf>().csv().paged::<dto::LandFunnelsTotals, Page>();
        GET "/api/v1/lands/{land}/not-adopted/{service}" => places::not_adopted,
            view::<NotAdoptedJson>("not-adopted", "Gemeinden eines Landes, die eine Leistung \
                nicht anbieten: nie eingeführt oder zurückgezogen, die mit den meisten Einwohnern zuerst")
                .query::<AsOf>().csv().paged::<dto::NotAdoptedTotals, Page>().problems(&[404]);
        GET "/api/v1/reuse" => places::reuse,
            view::<ReuseJson>("reuse", "Nachnutzung in Deutschland")
                .query::<AsOf>().paged::<dto::ReuseTotals, Page>();
        GET "/api/v1/gemeinden/{ags}" => places::gemeinde,
            view::<GemeindeJson>("gemeinde", "Eine Gemeinde und ihre Einführungen")
                .query::<AsOf>().csv().paged::<dto::GemeindeTotals, Page>().problems(&[404]);
        GET "/api/v1/history" => views::all_history,
            view::<HistoryJson>("history", "Alle Ereignisse, oder die einer Gemeinde")
                .query::<HistoryParams>().default("limit", 100)
                .query::<GemeindeParam>().csv().linked().describe(WHOLE_HISTORY);

        GET "/api/v1/ledger/checkpoint" => ledger::checkpoint,
            document("ledgerCheckpoint",
                "Öffentlicher Schlüssel des Ledgers und sein zuletzt signierter Stand",
                json!({"description": "Schlüssel und Stand"}))
            .answer::<LedgerKeyJson>()
            .describe("Mit diesem Schlüssel prüft ein Land einen Export offline: \
                `efa verify --export DATEI --public-key \"<public_key_line>\"`.")
            .problems(&[400, 429, 502, 503]);
        GET "/api/v1/ledger/export" => ledger::export,
            document("ledgerExport", "Ereignisse des Ledgers als offline prüfbarer Export",
                json!({"description": "Der Export (Text, eine Zeile je Ereignis)",
                    "content": {"text/plain": {"schema": {"type": "string"}}}}))
            .describe("Die Ereignisse ab `from_seq` mit dem signierten Stand des letzten; \
                zu prüfen mit `efa verify --export DATEI --public-key SCHLÜSSEL`.")
            .query::<ExportParams>().default("limit", 1000)
            .problems(&[400, 404, 429, 502, 503]);
    ]
}
