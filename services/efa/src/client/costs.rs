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
                ("amount", text(&efa_proto::plain_euros(&amount))),
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
            let body = object([
                ("amount", text(&efa_proto::plain_euros(&amount))),
                ("reason", text(&reason)),
            ]);
            let line = format!("Kostenmeldung {cost_no} von {service} berichtigt: {amount} Euro");
            client.write(Write::post(url, body, write), |_| line).await
        }
    }
}
