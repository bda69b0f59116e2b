//! `efa cost ...`: reporting the costs of a service for a year and
//! correcting a report, writes to `/api/v1/services/{id}/costs`. Amounts
//! are passed on as text (`1234,56`): the API reads them exactly.

use clap::Subcommand;
use serde_json::json;

use super::{Client, Failure, Write, WriteArgs, object, text};

#[derive(Debug, Subcommand)]
pub enum CostCmd {
    /// Kosten einer Leistung für ein Jahr melden.
    #[command(after_help = super::EXIT_CODES)]
    Report {
        /// Kennung der Leistung.
        #[arg(long)]
        service: String,
        /// Das Kostenjahr.
        #[arg(long)]
        year: u16,
        /// development oder operation.
        #[arg(long)]
        category: String,
        /// Euro, z. B. 1234,56 oder 12.500,00.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// Eine Notiz zur Meldung.
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Eine Kostenmeldung berichtigen (neuer Betrag, mit Begründung).
    #[command(after_help = super::EXIT_CODES)]
    Correct {
        /// Kennung der Leistung.
        #[arg(long)]
        service: String,
        /// Nummer der Kostenmeldung.
        #[arg(long)]
        cost_no: u32,
        /// Der richtige Betrag in Euro, z. B. 1200,00 oder 1.200,00.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// Warum die Meldung berichtigt wird.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        write: WriteArgs,
    },
}

pub async fn run(client: &Client, command: CostCmd) -> Result<(), Failure> {
    match command {
        CostCmd::Report {
            service,
            year,
            category,
            amount,
            note,
            write,
        } => {
            let url = client.url(&["services", &service, "costs"], &[]);
            let body = object([
                ("year", Some(json!(year))),
                ("category", text(&category)),
                ("amount", text(&euros(&amount))),
                ("note", note.as_deref().and_then(text)),
            ]);
            let line = format!("Kosten gemeldet: {amount} Euro für {service} im Jahr {year}");
            client.write(Write::post(url, body, write), |_| line).await
        }
        CostCmd::Correct {
            service,
            cost_no,
            amount,
            reason,
            write,
        } => {
            let number = cost_no.to_string();
            let url = client.url(
                &["services", &service, "costs", &number, "corrections"],
                &[],
            );
            let body = object([("amount", text(&euros(&amount))), ("reason", text(&reason))]);
            let line = format!("Kostenmeldung {cost_no} von {service} berichtigt: {amount} Euro");
            client.write(Write::post(url, body, write), |_| line).await
        }
    }
}

/// A German euro amount as the API reads it: blanks and the euro sign
/// go, and with a decimal comma the points are thousands separators
/// (`12.500,00 €` is `12500,00`), as the web forms read it.
fn euros(text: &str) -> String {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '€')
        .collect();
    if compact.contains(',') {
        compact.replace('.', "")
    } else {
        compact
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn german_amounts_are_read_as_the_web_forms_read_them() {
        assert_eq!(super::euros("12.500,00"), "12500,00");
        assert_eq!(super::euros("1 234,56 €"), "1234,56");
        assert_eq!(super::euros("1234.56"), "1234.56");
        assert_eq!(super::euros("-0,50"), "-0,50");
    }
}
