//! CSV of the yearly cost views: a service's split that explains itself
//! (weight in percent, days, fraction and exact value per Land, the
//! unallocated rest and the total as rows of their own), and a Land's
//! statement (Kostenaufstellung) for its finance system, every row with the
//! ledger sequence and chain hash the statement rests on.

use efa_proto::statement::{
    CostYearView, StatementLine, StatementView, weight_percent, weights_sum,
};
use efa_proto::views::CostSplit;
use efa_proto::{Cents, ServiceId};

use crate::csv::{self, Table};
use crate::dto::exact;

/// A percent with a decimal comma, as German spreadsheets read it.
fn percent_de(percent: &str) -> String {
    percent.replace('.', ",")
}

const SPLIT_HEADER: &str = "Modell;Gewichte aus;Land;Landesname;Gewicht;Gewicht (Prozent);Tage;\
    Anteil (Bruch);Exakter Wert (Cent);Anteil (Euro);Stand;Ledger-Sequenz;Ledger-Hash";

/// The last cells of every row of a year's costs: the day, and the
/// ledger sequence and hash the figures rest on.
fn stand_of(view: &CostYearView) -> [String; 3] {
    [
        view.as_of.to_string(),
        view.seq.to_string(),
        hex::encode(view.chain_hash),
    ]
}

fn push_split(table: &mut Table, split: &CostSplit, stand: &[String; 3]) {
    let sum = weights_sum(&split.shares);
    // The model first, then the Land's fields, then the amount and stand.
    let row = |fields: [String; 7], amount: Cents| {
        let model = [split.model.label_de(), split.weights_source.clone()];
        let end = std::iter::once(csv::euros(amount)).chain(stand.iter().cloned());
        model.into_iter().chain(fields).chain(end).collect()
    };
    for share in &split.shares {
        let fields = [
            share.land.to_string(),
            share.land.name().to_owned(),
            share.weight.to_string(),
            percent_de(&weight_percent(&split.model, share.weight, sum)),
            share.days.to_string(),
            exact(&share.fraction),
            exact(&share.exact_cents),
        ];
        table.push(row(fields, share.cents));
    }
    for (name, amount) in [
        ("nicht verteilt", split.unallocated),
        ("Summe", split.total),
    ] {
        let mut fields = <[String; 7]>::default();
        fields[1] = name.to_owned();
        table.push(row(fields, amount));
    }
}

const CLOSING_HEADER: &str = "Land;Landesname;Abgerechnet (Euro);Jetzt (Euro);Nachtrag (Euro);\
    Abrechnung (Sequenz);Beruht auf Sequenz;Kettenhash (beruht auf);Stand;Ledger-Sequenz;Ledger-Hash";

/// `GET /api/v1/services/{id}/costs/{year}?table=closing` as CSV: per
/// Land settled or taking part, what the closing settled, its share now
/// and the difference (Nachtrag: positive owed, negative refunded), then
/// the sums; for a year not closed the settled and Nachtrag cells stay
/// empty. What the lead Land bills the others from.
pub fn closing(service: &ServiceId, view: &CostYearView) -> Table {
    let name = format!(
        "abrechnung-{service}-{}-stand-{}",
        view.sharing.year, view.as_of
    );
    let mut table = Table::new(name, CLOSING_HEADER);
    let closing = view.closing.as_ref();
    let settled_of = |land| {
        closing.map(|c| {
            (c.settlement.shares.iter())
                .find(|(l, _)| *l == land)
                .map_or(Cents(0), |(_, cents)| *cents)
        })
    };
    let now_of = |land| {
        (view.sharing.split.shares.iter())
            .find(|s| s.land == land)
            .map_or(Cents(0), |s| s.cents)
    };
    let mut lands: Vec<_> = (view.sharing.split.shares.iter().map(|s| s.land))
        .chain(
            closing
                .into_iter()
                .flat_map(|c| c.settlement.shares.iter().map(|(l, _)| *l)),
        )
        .collect();
    lands.sort();
    lands.dedup();
    let position = |c: &efa_proto::statement::ClosingView| {
        [
            c.seq.to_string(),
            c.settlement.based_on_seq.to_string(),
            hex::encode(c.settlement.based_on_hash),
        ]
    };
    let position = closing.map(position).unwrap_or_default();
    let stand = stand_of(view);
    let row = |land: String, name: String, settled: Option<Cents>, now: Cents| {
        let supplement = settled.map(|settled| Cents(now.0 - settled.0));
        [
            land,
            name,
            csv::optional(settled.map(csv::euros)),
            csv::euros(now),
        ]
        .into_iter()
        .chain([csv::optional(supplement.map(csv::euros))])
        .chain(position.iter().cloned())
        .chain(stand.iter().cloned())
        .collect()
    };
    for land in &lands {
        let (settled, now) = (settled_of(*land), now_of(*land));
        table.push(row(land.to_string(), land.name().to_owned(), settled, now));
    }
    let settled_unallocated = closing.map(|c| c.settlement.unallocated);
    let unallocated = view.sharing.split.unallocated;
    table.push(row(
        String::new(),
        "nicht verteilt".to_owned(),
        settled_unallocated,
        unallocated,
    ));
    let settled_total = closing.map(|c| c.settlement.total);
    table.push(row(
        String::new(),
        "Summe".to_owned(),
        settled_total,
        view.sharing.split.total,
    ));
    table.totals = 2;
    table
}

/// `GET /api/v1/services/{id}/costs/{year}` as CSV: the split under the
/// model in force, with `alternatives` under the other models too.
pub fn split(service: &ServiceId, view: &CostYearView, alternatives: bool) -> Table {
    let what = if alternatives {
        "kostenmodelle"
    } else {
        "kostenanteile"
    };
    let name = format!(
        "{what}-{service}-{}-stand-{}",
        view.sharing.year, view.as_of
    );
    let mut table = Table::new(name, SPLIT_HEADER);
    let stand = stand_of(view);
    push_split(&mut table, &view.sharing.split, &stand);
    if alternatives {
        for split in &view.sharing.alternatives {
            push_split(&mut table, split, &stand);
        }
    }
    // "nicht verteilt" and "Summe" of the last model.
    table.totals = 2;
    table
}

const COST_LINES_HEADER: &str = "Kostennummer;Jahr;Kategorie;Betrag (Euro);\
    Ursprünglich gemeldet (Euro);Korrekturen;Notiz;Stand;Ledger-Sequenz;Ledger-Hash";

/// `GET /api/v1/services/{id}/costs/{year}?table=costs`: the cost lines
/// in effect on the view's day, each with the day and the ledger position.
pub fn cost_lines(service: &ServiceId, view: &CostYearView) -> Table {
    let name = format!(
        "kosten-{service}-{}-stand-{}",
        view.sharing.year, view.as_of
    );
    let stand = stand_of(view);
    Table::of(name, COST_LINES_HEADER, &view.sharing.costs, |line| {
        let cells = [
            line.cost_no.to_string(),
            line.year.to_string(),
            line.category.label_de().to_owned(),
            csv::euros(line.amount),
            csv::euros(line.reported),
            line.corrections.to_string(),
            line.note.clone(),
        ];
        cells.into_iter().chain(stand.iter().cloned()).collect()
    })
}

const STATEMENT_HEADER: &str = "Leistung;Titel;Federführend;Modell;Modell gilt seit;\
    Schlüsseljahr;Gewichte aus;Gewicht (Prozent);Tage;Anteil (Bruch);Exakter Wert (Cent);\
    Anteil (Euro);Gesamtkosten der Leistung (Euro);Abgerechnet (Euro);Nachtrag (Euro);\
    Abrechnung (Sequenz);Berichtigungen;Stand;Ledger-Sequenz;Ledger-Hash";

/// `GET /api/v1/lands/{land}/statements/{year}` as CSV: one row per
/// service, then the total. The file is named with its Stand, so that
/// statements of different days do not overwrite each other.
pub fn statement(view: &StatementView) -> Table {
    let name = format!(
        "kostenaufstellung-{}-{}-stand-{}",
        view.land, view.year, view.as_of
    );
    let mut table = Table::new(name, STATEMENT_HEADER);
    let as_of = view.as_of.to_string();
    let seq = view.seq.to_string();
    let hash = hex::encode(view.chain_hash);
    for line in &view.lines {
        let corrections: Vec<String> = line
            .corrections
            .iter()
            .map(|c| format!("{} ({}): {}", c.what_de, c.seq, c.reason))
            .collect();
        table.push(vec![
            line.service.to_string(),
            line.title.clone(),
            line.lead.name().to_owned(),
            line.model.model.label_de(),
            csv::optional(line.model.since),
            csv::optional(line.model.key_year),
            line.weights_source.clone(),
            percent_de(&line.weight_percent),
            line.share.days.to_string(),
            exact(&line.share.fraction),
            exact(&line.share.exact_cents),
            csv::euros(line.share.cents),
            csv::euros(line.service_total),
            csv::optional(line.closed.as_ref().map(|c| csv::euros(c.settled))),
            csv::optional(line.closed.as_ref().map(|c| csv::euros(c.supplement))),
            csv::optional(line.closed.as_ref().map(|c| c.closed_seq)),
            corrections.join(" | "),
            as_of.clone(),
            seq.clone(),
            hash.clone(),
        ]);
    }
    // "Summe" sums each column, so that a spreadsheet summing a column
    // finds the same: the shares as they stand now, the settled amounts
    // of closed years, their supplements. The statement's totals (as on
    // the page) follow in rows of their own, under "Anteil (Euro)".
    let sum = |amount: fn(&StatementLine) -> Option<Cents>| {
        Cents(view.lines.iter().filter_map(amount).map(|c| c.0).sum())
    };
    let columns = table.header.len();
    let footer = |label: &str, cells: &[(usize, Cents)]| {
        let mut row = vec![String::new(); columns];
        row[1] = label.to_owned();
        for (column, amount) in cells {
            row[*column] = csv::euros(*amount);
        }
        row[17] = as_of.clone();
        row[18] = seq.clone();
        row[19] = hash.clone();
        row
    };
    // A year with no closed line has no settled sum, as its lines have
    // none: the cells stay empty rather than say 0,00.
    let now = (11, sum(|line| Some(line.share.cents)));
    let closed_sums = [
        (13, sum(|line| line.closed.as_ref().map(|c| c.settled))),
        (14, view.supplements),
    ];
    let any_closed = view.lines.iter().any(|line| line.closed.is_some());
    let sums: Vec<(usize, Cents)> = std::iter::once(now)
        .chain(closed_sums.into_iter().filter(|_| any_closed))
        .collect();
    table.push(footer("Summe", &sums));
    table.push(footer(
        "Summe (abgerechnet oder offen)",
        &[(11, view.total)],
    ));
    let with_supplements = crate::dto::statement::total_with_supplements(view);
    table.push(footer("Summe mit Nachträgen", &[(11, with_supplements)]));
    table.totals = 3;
    table
}

const CHANGES_HEADER: &str = "Leistung;Titel;Damals (Euro);Heute (Euro);Unterschied (Euro);\
    Stand;Seit Ledger-Sequenz;Ledger-Sequenz;Ledger-Hash";

/// `GET /api/v1/lands/{land}/statements/{year}/changes` as CSV: one row
/// per service whose amount changed, then the statement's sums.
pub fn statement_changes(then: &StatementView, now: &StatementView) -> Table {
    let name = format!(
        "aenderungen-{}-{}-stand-{}-seit-sequenz-{}",
        now.land, now.year, now.as_of, then.seq
    );
    let mut table = Table::new(name, CHANGES_HEADER);
    let stand = [
        now.as_of.to_string(),
        then.seq.to_string(),
        now.seq.to_string(),
        hex::encode(now.chain_hash),
    ];
    let euros = |cents: Option<Cents>| csv::optional(cents.map(csv::euros));
    let row = |service: String, title: String, then: Option<Cents>, now: Option<Cents>| {
        let difference = crate::dto::statement::difference(then, now);
        [
            service,
            title,
            euros(then),
            euros(now),
            csv::euros(difference),
        ]
        .into_iter()
        .chain(stand.iter().cloned())
        .collect()
    };
    for change in crate::dto::statement::changes(then, now) {
        let (service, title) = (change.service.to_string(), change.title.clone());
        table.push(row(service, title, change.then, change.now));
    }
    let sum = crate::dto::statement::total_with_supplements;
    table.push(row(
        String::new(),
        "Summe mit Nachträgen".to_owned(),
        Some(sum(then)),
        Some(sum(now)),
    ));
    table.totals = 1;
    table
}
