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
    Anteil (Bruch);Exakter Wert (Cent);Anteil (Euro);Stand";

fn push_split(table: &mut Table, split: &CostSplit, as_of: &str) {
    let sum = weights_sum(&split.shares);
    // The model first, then the Land's fields, then the amount and date.
    let row = |fields: [String; 7], amount: Cents| {
        let model = [split.model.label_de(), split.weights_source.clone()];
        let end = [csv::euros(amount), as_of.to_owned()];
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

/// `GET /api/v1/services/{id}/costs/{year}` as CSV: the split under the
/// model in force, with `alternatives` under the other models too.
pub fn split(service: &ServiceId, view: &CostYearView, alternatives: bool) -> Table {
    let name = format!("kostenanteile-{service}-{}", view.sharing.year);
    let mut table = Table::new(name, SPLIT_HEADER);
    let as_of = view.as_of.to_string();
    push_split(&mut table, &view.sharing.split, &as_of);
    if alternatives {
        for split in &view.sharing.alternatives {
            push_split(&mut table, split, &as_of);
        }
    }
    table
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
    table.push(footer(
        "Summe",
        &[
            (11, sum(|line| Some(line.share.cents))),
            (13, sum(|line| line.closed.as_ref().map(|c| c.settled))),
            (14, view.supplements),
        ],
    ));
    table.push(footer(
        "Summe (abgerechnet oder offen)",
        &[(11, view.total)],
    ));
    let with_supplements = Cents(view.total.0 + view.supplements.0);
    table.push(footer("Summe mit Nachträgen", &[(11, with_supplements)]));
    table
}
