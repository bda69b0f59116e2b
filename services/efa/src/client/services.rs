//! `efa service ...`: announcing a service, Länder joining and leaving,
//! status, Reifegrad, retirement, closing a year and correcting a
//! participation, each one write to `/api/v1/services`.

use clap::Subcommand;
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::{Client, Failure, Write, WriteArgs, object, text};

#[derive(Debug, Subcommand)]
pub enum ServiceCmd {
    /// Eine Leistung ankündigen (als federführendes Land).
    #[command(after_help = super::EXIT_CODES)]
    Announce(AnnounceArgs),
    /// Ein Land tritt einer Leistung bei.
    #[command(after_help = super::EXIT_CODES)]
    Join(Membership),
    /// Ein Land tritt aus einer Leistung aus.
    #[command(after_help = super::EXIT_CODES)]
    Leave(Membership),
    /// Den Status einer Leistung ändern.
    #[command(after_help = super::EXIT_CODES)]
    Status {
        /// Kennung der Leistung.
        #[arg(long)]
        service: String,
        /// planned, in-development, pilot, available oder retired.
        #[arg(long)]
        status: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Den Reifegrad (0 bis 4) einer Leistung festhalten.
    #[command(after_help = super::EXIT_CODES)]
    Reifegrad {
        /// Kennung der Leistung.
        #[arg(long)]
        service: String,
        /// Der Reifegrad, 0 bis 4.
        #[arg(long)]
        reifegrad: u8,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Ein abgelaufenes Jahr abrechnen (Jahresabrechnung; federführendes
    /// Land oder Administration): die Aufteilung der Kosten, wie sie steht,
    /// wird mit der Ledger-Sequenz festgehalten, auf der sie beruht.
    #[command(after_help = super::EXIT_CODES)]
    CloseYear {
        /// Kennung der Leistung.
        #[arg(long)]
        service: String,
        /// Das abzurechnende Jahr.
        #[arg(long)]
        year: u16,
        /// Schlüssel des Schreibvorgangs (sonst zufällig): derselbe Schlüssel
        /// wiederholt den Vorgang nicht, sondern liefert die gespeicherte Antwort.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Einen Beitritt oder Austritt berichtigen (federführendes Land oder
    /// Administration), auch in abgerechneten Jahren. Nimmt das Land schon
    /// teil, verlegt `beitritt` seinen Beitritt auf den Tag; ist es
    /// ausgetreten, verlegt `austritt` seinen letzten Austritt.
    #[command(after_help = super::EXIT_CODES)]
    CorrectParticipation {
        /// Kennung der Leistung.
        #[arg(long)]
        service: String,
        /// Ländercode 01 bis 16.
        #[arg(long)]
        land: String,
        /// beitritt oder austritt.
        #[arg(long)]
        change: String,
        /// Der Tag, an dem der Beitritt oder Austritt gilt (JJJJ-MM-TT).
        #[arg(long)]
        effective: String,
        /// Begründung, z. B. der Vertrag.
        #[arg(long)]
        reason: String,
        /// Schlüssel des Schreibvorgangs (sonst zufällig).
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Eine Leistung einstellen.
    #[command(after_help = super::EXIT_CODES)]
    Retire {
        /// Kennung der Leistung.
        #[arg(long)]
        service: String,
        /// Warum die Leistung eingestellt wird.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        write: WriteArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct AnnounceArgs {
    /// Titel der Leistung.
    #[arg(long)]
    title: String,
    /// Federführendes Land, 01 bis 16.
    #[arg(long)]
    lead: String,
    /// Themenfeld des OZG, z. B. „Familie & Kind“.
    #[arg(long)]
    themenfeld: String,
    /// Anbieter (z. B. Dataport).
    #[arg(long)]
    provider: String,
    /// fit-store, efa-marktplatz oder verwaltungsabkommen.
    #[arg(long)]
    channel: String,
    /// koenigsteiner (Schlüssel des Kostenjahres), koenigsteiner-JJJJ,
    /// einwohner, gleich oder fest:04=3,16=1.
    #[arg(long)]
    cost_model: String,
    /// Kennung (sonst aus dem Titel abgeleitet).
    #[arg(long)]
    id: Option<String>,
    /// Anfangsstatus (sonst planned).
    #[arg(long)]
    status: Option<String>,
    /// Anfangsreifegrad 0 bis 4 (sonst 0).
    #[arg(long)]
    reifegrad: Option<u8>,
    /// OZG-ID der Leistung.
    #[arg(long)]
    ozg_id: Option<String>,
    /// LeiKa-Schlüssel; mehrfach angeben für mehrere.
    #[arg(long)]
    leika: Vec<String>,
    #[command(flatten)]
    write: WriteArgs,
}

/// A Land and a service, for joining and leaving.
#[derive(Debug, clap::Args)]
pub struct Membership {
    /// Kennung der Leistung.
    #[arg(long)]
    service: String,
    /// Ländercode 01 bis 16.
    #[arg(long)]
    land: String,
    #[command(flatten)]
    write: WriteArgs,
}

pub async fn run(client: &Client, command: ServiceCmd) -> Result<(), Failure> {
    match command {
        ServiceCmd::Announce(args) => announce(client, args).await,
        ServiceCmd::Join(args) => {
            let url = client.url(&["services", &args.service, "participations"], &[]);
            let body = object([("land", text(&args.land))]);
            let line = format!("Beigetreten: Land {} zu {}", args.land, args.service);
            client
                .write(Write::post(url, body, args.write), |_| line)
                .await
        }
        ServiceCmd::Leave(args) => leave(client, args).await,
        ServiceCmd::Status {
            service,
            status,
            write,
        } => {
            let url = client.url(&["services", &service, "status"], &[]);
            let body = object([("status", text(&status))]);
            let line = format!("Status von {service}: {status}");
            client.write(Write::post(url, body, write), |_| line).await
        }
        ServiceCmd::Reifegrad {
            service,
            reifegrad,
            write,
        } => {
            let url = client.url(&["services", &service, "reifegrad"], &[]);
            let body = object([("reifegrad", Some(json!(reifegrad)))]);
            let line = format!("Reifegrad von {service}: {reifegrad}");
            client.write(Write::post(url, body, write), |_| line).await
        }
        ServiceCmd::CloseYear {
            service,
            year,
            idempotency_key,
        } => {
            let url = client.url(&["services", &service, "closings"], &[]);
            let body = object([("year", Some(json!(year)))]);
            let write = WriteArgs {
                idempotency_key,
                effective: None,
            };
            let line = format!("Abgerechnet: {service}, Jahr {year}");
            client.write(Write::post(url, body, write), |_| line).await
        }
        ServiceCmd::CorrectParticipation {
            service,
            land,
            change,
            effective,
            reason,
            idempotency_key,
        } => {
            let url = client.url(&["services", &service, "participation-corrections"], &[]);
            let body = object([
                ("land", text(&land)),
                ("change", text(&change)),
                ("reason", text(&reason)),
            ]);
            let write = WriteArgs {
                idempotency_key,
                effective: Some(effective.clone()),
            };
            let line = format!(
                "Berichtigt: {change} von Land {land} zu {service}, wirksam ab {effective}"
            );
            client.write(Write::post(url, body, write), |_| line).await
        }
        ServiceCmd::Retire {
            service,
            reason,
            write,
        } => {
            let url = client.url(&["services", &service, "retirement"], &[]);
            let body = object([("reason", text(&reason))]);
            let line = format!("Eingestellt: {service}");
            client.write(Write::post(url, body, write), |_| line).await
        }
    }
}

async fn announce(client: &Client, args: AnnounceArgs) -> Result<(), Failure> {
    let cost_model = cost_model(&args.cost_model)?;
    let leika = (!args.leika.is_empty()).then(|| json!(args.leika));
    let body = object([
        ("id", args.id.as_deref().and_then(text)),
        ("title", text(&args.title)),
        ("lead", text(&args.lead)),
        ("themenfeld", text(&args.themenfeld)),
        ("provider", text(&args.provider)),
        ("channel", text(&args.channel)),
        ("cost_model", Some(cost_model)),
        ("status", args.status.as_deref().and_then(text)),
        ("reifegrad", args.reifegrad.map(|level| json!(level))),
        ("ozg_id", args.ozg_id.as_deref().and_then(text)),
        ("leika", leika),
    ]);
    let url = client.url(&["services"], &[]);
    client
        .write(Write::post(url, body, args.write), |answer| {
            let id = answer.get("id").and_then(Value::as_str).unwrap_or("?");
            format!("Angekündigt: {id}")
        })
        .await
}

/// `DELETE .../participations/{land}`, the date in the query.
async fn leave(client: &Client, args: Membership) -> Result<(), Failure> {
    let query: Vec<(&str, String)> = args
        .write
        .effective
        .iter()
        .map(|date| ("effective", date.clone()))
        .collect();
    let url = client.url(
        &["services", &args.service, "participations", &args.land],
        &query,
    );
    let line = format!("Ausgetreten: Land {} aus {}", args.land, args.service);
    let request = Write {
        method: Method::DELETE,
        url,
        body: None,
        args: args.write,
    };
    client.write(request, |_| line).await
}

/// `--cost-model` as the API's object: `koenigsteiner[-JJJJ]`,
/// `einwohner`, `gleich`, `fest:04=3,16=1`, or the API's own kind names.
pub fn cost_model(text: &str) -> Result<Value, Failure> {
    let text = text.trim().to_lowercase();
    let invalid = || {
        Failure::Invalid(format!(
            "--cost-model „{text}“: erwartet koenigsteiner, koenigsteiner-JJJJ, einwohner, \
             gleich oder fest:04=3,16=1."
        ))
    };
    let key = |year: Option<u16>| {
        let mut model = json!({"kind": "koenigsteiner-schluessel"});
        if let Some(year) = year {
            model["year"] = json!(year);
        }
        model
    };
    if let Some(weights) = text
        .strip_prefix("fest:")
        .or_else(|| text.strip_prefix("fixed-shares:"))
    {
        return fixed_shares(weights).ok_or_else(invalid);
    }
    match text.as_str() {
        "koenigsteiner" | "koenigsteiner-schluessel" => Ok(key(None)),
        "einwohner" | "population" => Ok(json!({"kind": "population"})),
        "gleich" | "equal-shares" => Ok(json!({"kind": "equal-shares"})),
        _ => {
            let year = text
                .strip_prefix("koenigsteiner-schluessel-")
                .or_else(|| text.strip_prefix("koenigsteiner-"))
                .filter(|year| year.len() == 4)
                .and_then(|year| year.parse::<u16>().ok())
                .ok_or_else(invalid)?;
            Ok(key(Some(year)))
        }
    }
}

/// `04=3,16=1` as `{"kind": "fixed-shares", "weights": {"04": 3, "16": 1}}`.
fn fixed_shares(text: &str) -> Option<Value> {
    let mut weights = Map::new();
    for pair in text.split(',') {
        let (land, weight) = pair.split_once('=')?;
        let weight: u32 = weight.trim().parse().ok()?;
        weights.insert(land.trim().to_owned(), json!(weight));
    }
    Some(json!({"kind": "fixed-shares", "weights": weights}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_models_are_read_in_german_and_in_the_apis_words() {
        let cases = [
            ("koenigsteiner", json!({"kind": "koenigsteiner-schluessel"})),
            (
                "Koenigsteiner-2016",
                json!({"kind": "koenigsteiner-schluessel", "year": 2016}),
            ),
            (
                "koenigsteiner-schluessel-2017",
                json!({"kind": "koenigsteiner-schluessel", "year": 2017}),
            ),
            ("einwohner", json!({"kind": "population"})),
            ("gleich", json!({"kind": "equal-shares"})),
            ("equal-shares", json!({"kind": "equal-shares"})),
            (
                "fest:04=3, 16=1",
                json!({"kind": "fixed-shares", "weights": {"04": 3, "16": 1}}),
            ),
        ];
        for (text, model) in cases {
            assert_eq!(cost_model(text).unwrap(), model, "{text}");
        }
        for bad in ["", "koenigsteiner-16", "lotterie", "fest:04", "fest:04=-1"] {
            assert_eq!(cost_model(bad).unwrap_err().exit_code(), 2, "{bad}");
        }
    }
}
