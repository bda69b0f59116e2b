//! `efa adoption ...`: a municipality asks to adopt a service, records the
//! steps that follow, or withdraws; writes to `/api/v1/adoptions`.

use clap::Subcommand;

use super::{Client, Failure, Write, WriteArgs, object, text};

#[derive(Debug, Subcommand)]
pub enum AdoptionCmd {
    /// Die Einführung einer Leistung beantragen.
    #[command(after_help = super::EXIT_CODES)]
    Request(Adoption),
    /// Den nächsten Schritt einer Einführung festhalten.
    #[command(after_help = super::EXIT_CODES)]
    Step {
        #[command(flatten)]
        adoption: Adoption,
        /// agreed, onboarding oder live.
        #[arg(long)]
        stage: String,
    },
    /// Eine Einführung zurückziehen.
    #[command(after_help = super::EXIT_CODES)]
    Withdraw(Adoption),
    /// Den Stand des Ausrollens aus einer Tabelle übernehmen (CSV oder
    /// Excel; AGS, Leistung, Stufe, Seit): fehlende Einführungen beantragen,
    /// Schritte vorwärts festhalten, „zurückgezogen“ zurückziehen. Zeigt
    /// ohne --ausfuehren nur den Plan; ein zweiter Lauf mit derselben Datei
    /// schreibt nichts neu.
    #[command(after_help = super::rollout_import::EXIT_CODES)]
    Import(super::rollout_import::ImportArgs),
}

/// Which service, which municipality, and a note.
#[derive(Debug, clap::Args)]
pub struct Adoption {
    /// Kennung der Leistung.
    #[arg(long)]
    service: String,
    /// Amtlicher Gemeindeschlüssel, 8 Ziffern.
    #[arg(long)]
    ags: String,
    /// Eine Notiz zur Einführung.
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

pub async fn run(client: &Client, command: AdoptionCmd) -> Result<(), Failure> {
    match command {
        AdoptionCmd::Import(args) => super::rollout_import::run(client, args).await,
        AdoptionCmd::Request(adoption) => {
            let url = client.url(&["adoptions"], &[]);
            let body = object([
                ("service", text(&adoption.service)),
                ("ags", text(&adoption.ags)),
                ("note", adoption.note.as_deref().and_then(text)),
            ]);
            let line = format!(
                "Einführung beantragt: {} in {}",
                adoption.service, adoption.ags
            );
            client
                .write(Write::post(url, body, adoption.write), |_| line)
                .await
        }
        AdoptionCmd::Step { adoption, stage } => {
            let url = client.url(
                &["adoptions", &adoption.service, &adoption.ags, "steps"],
                &[],
            );
            let body = object([
                ("stage", text(&stage)),
                ("note", adoption.note.as_deref().and_then(text)),
            ]);
            let line = format!(
                "Einführung {} in {}: {stage}",
                adoption.service, adoption.ags
            );
            client
                .write(Write::post(url, body, adoption.write), |_| line)
                .await
        }
        AdoptionCmd::Withdraw(adoption) => {
            let segments = ["adoptions", &adoption.service, &adoption.ags, "withdrawal"];
            let url = client.url(&segments, &[]);
            let body = object([("note", adoption.note.as_deref().and_then(text))]);
            let line = format!(
                "Einführung zurückgezogen: {} in {}",
                adoption.service, adoption.ags
            );
            client
                .write(Write::post(url, body, adoption.write), |_| line)
                .await
        }
    }
}
