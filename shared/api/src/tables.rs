//! The lists of the API as CSV tables with German headers, one function
//! per list. Labels are the German ones (`in Betrieb`, `Pilotbetrieb`),
//! euro amounts have a decimal comma, dates are ISO 8601. Exact fractions
//! stay in the JSON: a spreadsheet would read `1/3` as a date; the weight
//! and the days of each share are here to recompute them.

use efa_proto::pages::ServicesPage;
use efa_proto::views::{
    CataloguePage, GemeindenView, HistoryView, KreisCoverage, LandFunnelsView, MunicipalityRollout,
    NotAdoptedView, ServiceDetail, StalledView,
};
use efa_proto::{Ags, LandCode, ServiceId, ServiceView};

use crate::csv::{self, Table};
use crate::dto::history;
use crate::dto::statement::LandCosts;

const SERVICE_HEADER: &str = "Kennung;Titel;Federführendes Land;OZG-ID;LeiKa-Schlüssel;\
    Themenfeld;Anbieter;Bezugsweg;Status;Reifegrad;Kostenmodell;Angekündigt am;Version";

const STAGE_HEADER: &str = "beantragt;vereinbart;Anbindung;in Betrieb;zurückgezogen";

fn service_row(view: &ServiceView) -> Vec<String> {
    vec![
        view.id.to_string(),
        view.title.clone(),
        view.lead.name().to_owned(),
        csv::optional(view.ozg_id.as_ref()),
        view.leika.join(" "),
        view.themenfeld.clone(),
        view.provider.clone(),
        view.channel.label_de().to_owned(),
        view.status.label_de().to_owned(),
        view.reifegrad.get().to_string(),
        view.cost_model.label_de(),
        view.announced_on.to_string(),
        view.version.to_string(),
    ]
}

fn counts(stages: &[u32; 5]) -> impl Iterator<Item = String> + '_ {
    stages.iter().map(u32::to_string)
}

/// `GET /api/v1/services`.
pub fn services(page: &ServicesPage) -> Table {
    Table::of("leistungen", SERVICE_HEADER, &page.services, service_row)
}

/// `GET /api/v1/catalogue`.
pub fn catalogue(page: &CataloguePage) -> Table {
    let header = format!("{SERVICE_HEADER};Beteiligte Länder;{STAGE_HEADER}");
    let name = format!("katalog-{}", page.as_of);
    Table::of(name, &header, &page.services, |summary| {
        let mut row = service_row(&summary.service);
        let lands: Vec<String> = summary.lands.iter().map(LandCode::to_string).collect();
        row.push(lands.join(" "));
        row.extend(counts(&summary.adoptions));
        row
    })
}

/// `GET /api/v1/services/{id}/participations`.
pub fn participations(service: &ServiceId, detail: &ServiceDetail) -> Table {
    let name = format!("beteiligungen-{service}");
    let header = "Land;Landesname;Beigetreten am;Ausgetreten am;Federführend";
    Table::of(name, header, &detail.participations, |p| {
        let (left, lead) = (csv::optional(p.left), csv::yes_no(p.is_lead));
        csv::cells(&[&p.land, &p.land.name(), &p.joined, &left, &lead])
    })
}

/// `GET /api/v1/lands/{land}/costs/{year}`: per service the share now
/// and, for a closed year, the settled share and the Nachtrag (empty for
/// an open year), each row with the day and the ledger position the
/// figures rest on, then the sum of the shares.
pub fn land_costs(view: &LandCosts) -> Table {
    let statement = &view.statement;
    let name = format!(
        "landeskosten-{}-{}-stand-{}",
        statement.land, statement.year, statement.as_of
    );
    let header = "Leistung;Titel;Gesamtkosten (Euro);Gewicht;Tage;Anteil (Euro);\
        Abgerechnet (Euro);Nachtrag (Euro);Stand;Ledger-Sequenz;Ledger-Hash";
    let position = [
        statement.as_of.to_string(),
        statement.seq.to_string(),
        hex::encode(statement.chain_hash),
    ];
    let mut table = Table::of(name, header, &statement.lines, |line| {
        let (total, share) = (csv::euros(line.service_total), csv::euros(line.share.cents));
        let (weight, days) = (line.share.weight, line.share.days);
        let settled = csv::optional(line.closed.as_ref().map(|c| csv::euros(c.settled)));
        let supplement = csv::optional(line.closed.as_ref().map(|c| csv::euros(c.supplement)));
        let cells: [&dyn std::fmt::Display; 8] = [
            &line.service,
            &line.title,
            &total,
            &weight,
            &days,
            &share,
            &settled,
            &supplement,
        ];
        let mut cells = csv::cells(&cells);
        cells.extend(position.iter().cloned());
        cells
    });
    let mut sum = vec![String::new(), "Summe aller Leistungen".to_owned()];
    sum.extend(["", "", ""].map(str::to_owned));
    sum.push(csv::euros(view.total));
    sum.extend(["", ""].map(str::to_owned));
    sum.extend(position);
    table.push(sum);
    table.totals = 1;
    table
}

/// Municipalities with their adoptions (rollout, a Gemeinde's page), with
/// the Kreis each lies in (the first five digits of its AGS), so that a
/// spreadsheet can sum them per Kreis, and the predecessor whose adoption
/// counts for the municipality (empty for its own); these columns come
/// last, so that files read by position keep their columns.
pub fn municipalities(name: String, rows: &[MunicipalityRollout]) -> Table {
    let header = "AGS;Gemeinde;Leistung;Stufe;Seit;Kreis;Vorgängergemeinde";
    Table::of(name, header, rows, |r| {
        let (stage, kreis) = (r.stage.label_de(), r.ags.kreis());
        let predecessor = predecessor(r.ags, r.adopter);
        csv::cells(&[
            &r.ags,
            &r.name,
            &r.service,
            &stage,
            &r.since,
            &kreis,
            &predecessor,
        ])
    })
}

/// `GET /api/v1/lands/{land}/rollout?table=kreise`.
pub fn kreise(name: String, rows: &[KreisCoverage]) -> Table {
    let header =
        format!("Kreis;Kreisname;Leistung;Gemeinden;{STAGE_HEADER};Einwohner;Einwohner in Betrieb");
    Table::of(name, &header, rows, |r| {
        let mut fields = csv::cells(&[&r.kreis, &r.kreis_name, &r.service, &r.municipalities]);
        fields.extend(counts(&r.stages));
        fields.extend(csv::cells(&[&r.population, &r.population_live]));
        fields
    })
}

/// `GET /api/v1/lands/{land}/stalled`, with the predecessor whose
/// adoption it is last (empty for the municipality's own), as in
/// [`municipalities`].
pub fn stalled(view: &StalledView) -> Table {
    let name = format!("stockend-{}-{}", view.land, view.as_of);
    let header = "AGS;Gemeinde;Leistung;Stufe;Letzter Schritt;Tage;Vorgängergemeinde";
    Table::of(name, header, &view.stalled, |r| {
        let (stage, predecessor) = (r.stage.label_de(), predecessor(r.ags, r.adopter));
        csv::cells(&[
            &r.ags,
            &r.name,
            &r.service,
            &stage,
            &r.last_step,
            &r.days,
            &predecessor,
        ])
    })
}

/// `GET /api/v1/lands/{land}/gemeinden`.
pub fn gemeinden(view: &GemeindenView) -> Table {
    let name = format!("gemeinden-{}-{}", view.land, view.as_of);
    let header = "AGS;Gemeinde;Kreis;Einwohner;Status";
    Table::of(name, header, &view.gemeinden, |g| {
        let population = csv::optional(g.population);
        csv::cells(&[&g.ags, &g.name, &g.ags.kreis(), &population, &g.status_de])
    })
}

/// `GET /api/v1/lands/{land}/not-adopted/{service}`.
pub fn not_adopted(view: &NotAdoptedView) -> Table {
    let name = format!(
        "ohne-einfuehrung-{}-{}-{}",
        view.service, view.land, view.as_of
    );
    let header = "AGS;Gemeinde;Kreis;Kreisname;Einwohner;Zurückgezogen am";
    Table::of(name, header, &view.gemeinden, |g| {
        let (population, withdrawn) = (csv::optional(g.population), csv::optional(g.withdrawn_on));
        let kreis = (g.ags.kreis(), &g.kreis_name);
        csv::cells(&[&g.ags, &g.name, &kreis.0, kreis.1, &population, &withdrawn])
    })
}

/// `GET /api/v1/lands/{land}/funnels`: one row per service.
pub fn land_funnels(view: &LandFunnelsView) -> Table {
    let name = format!("trichter-{}-{}", view.land, view.as_of);
    let header = "Leistung;beantragt;vereinbart;Anbindung;in Betrieb;zurückgezogen;\
                  Tage bis in Betrieb (Median);Tage bis in Betrieb (90 %)";
    Table::of(name, header, &view.funnels, |f| {
        let [requested, agreed, onboarding, live, withdrawn] = f.reached;
        let median = csv::optional(f.days_to_live_median);
        let p90 = csv::optional(f.days_to_live_p90);
        csv::cells(&[
            &f.service,
            &requested,
            &agreed,
            &onboarding,
            &live,
            &withdrawn,
            &median,
            &p90,
        ])
    })
}

/// The predecessor's AGS where the adoption is one merged in, else "".
fn predecessor(ags: Ags, adopter: Ags) -> String {
    if adopter == ags {
        String::new()
    } else {
        adopter.to_string()
    }
}

/// `GET /api/v1/history`, `GET /api/v1/services/{id}/history`.
pub fn history(view: &HistoryView) -> Table {
    let name = format!("historie-{}", history::subject(&view.subject));
    let header = "Sequenz;Erfasst am;Wirksam ab;Akteur;Ereignis;Beschreibung;Hash";
    Table::of(name, header, &view.entries, |e| {
        let mut row = csv::cells(&[&e.seq, &e.recorded_at, &e.effective, &e.actor]);
        row.extend([
            e.event_name.clone(),
            e.summary_de.clone(),
            e.hash_hex.clone(),
        ]);
        row
    })
}
