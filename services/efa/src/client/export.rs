//! `efa export <view>`: a view of the registry as CSV (as the API writes
//! it: BOM, `;`, decimal comma) or JSON, to stdout or `--out FILE`. Long
//! lists (catalogue, history; rollout and stalled as JSON) are fetched
//! page by page and put together, so an export is complete however long
//! the list is. As CSV, the API itself streams the whole rollout and
//! stalled list.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::{Value, json};

use super::pages::{CsvJoin, CsvPage, JsonJoin};
use super::sink::Sink;
use super::{Client, Failure};

/// The most items the API gives in one page of a long list.
const PAGE_LIMIT: u64 = 1000;

#[derive(Debug, Subcommand)]
pub enum ExportCmd {
    /// Der Katalog mit Nachnutzung; Filter wie /api/v1/catalogue.
    #[command(after_help = super::EXIT_CODES)]
    Catalogue(CatalogueArgs),
    /// Kosten einer Leistung in einem Jahr und ihre Verteilung auf die Länder.
    #[command(after_help = super::EXIT_CODES)]
    Costs(CostsArgs),
    /// Was ein Land in einem Jahr für alle Leistungen trägt.
    #[command(after_help = super::EXIT_CODES)]
    LandCosts(LandCostsArgs),
    /// Die Kostenaufstellung eines Landes für ein Jahr; mit --known-at-seq
    /// so, wie sie bis zu dieser Ledger-Sequenz erfasst war.
    #[command(after_help = super::EXIT_CODES)]
    Statement(LandCostsArgs),
    /// Was sich an der Kostenaufstellung eines Landes seit einer früheren
    /// Ledger-Sequenz geändert hat, je Leistung damals, heute, Unterschied.
    #[command(after_help = super::EXIT_CODES)]
    StatementChanges(StatementChangesArgs),
    /// Das Ausrollen in einem Land nach Gemeinden (oder --table kreise).
    #[command(after_help = super::EXIT_CODES)]
    Rollout(RolloutArgs),
    /// Einführungen eines Landes ohne Schritt seit --days Tagen.
    #[command(after_help = super::EXIT_CODES)]
    Stalled(StalledArgs),
    /// Die in einem Land registrierten Gemeinden mit Kreis, Einwohnern und Stand.
    #[command(after_help = super::EXIT_CODES)]
    Gemeinden(GemeindenArgs),
    /// Die Gemeinden eines Landes, die eine Leistung nicht anbieten (nie beantragt oder
    /// zurückgezogen), die mit den meisten Einwohnern zuerst.
    #[command(name = "not-adopted", after_help = super::EXIT_CODES)]
    NotAdopted(NotAdoptedArgs),
    /// Die Einführungstrichter der Leistungen mit Einführungen in einem Land, eine Zeile je
    /// Leistung, in der gewählten Reihenfolge.
    #[command(after_help = super::EXIT_CODES)]
    Funnels(FunnelsArgs),
    /// Alle Ereignisse (alle Seiten), oder die einer Leistung oder Gemeinde.
    #[command(after_help = super::EXIT_CODES)]
    History(HistoryArgs),
}

#[derive(Debug, clap::Args)]
pub struct CatalogueArgs {
    /// Nur Leistungen, an denen dieses Land teilnimmt (01 bis 16).
    #[arg(long)]
    land: Option<String>,
    /// Nur Leistungen dieses Themenfelds.
    #[arg(long)]
    themenfeld: Option<String>,
    /// Nur Leistungen mit diesem Status (planned, in-development, pilot, available, retired).
    #[arg(long)]
    status: Option<String>,
    /// Nur Leistungen mit diesem Reifegrad (0 bis 4).
    #[arg(long)]
    reifegrad: Option<u8>,
    /// Nur Leistungen dieses Kanals (fit-store, efa-marktplatz, verwaltungsabkommen).
    #[arg(long)]
    channel: Option<String>,
    /// Suchtext in Titel, Kennung, OZG-ID, Anbieter.
    #[arg(long)]
    q: Option<String>,
    /// title, reuse, live oder announced.
    #[arg(long)]
    sort: Option<String>,
    /// Stichtag JJJJ-MM-TT (sonst heute).
    #[arg(long)]
    as_of: Option<String>,
    #[command(flatten)]
    output: Output,
}

#[derive(Debug, clap::Args)]
pub struct CostsArgs {
    /// Kennung der Leistung.
    #[arg(long)]
    service: String,
    /// Das Kostenjahr.
    #[arg(long)]
    year: u16,
    /// Als CSV: shares (Anteile), alternatives (mit anderen Modellen),
    /// costs (Meldungen) oder closing (Jahresabrechnung und Nachträge).
    #[arg(long)]
    table: Option<String>,
    #[command(flatten)]
    reading: Reading,
    #[command(flatten)]
    output: Output,
}

/// When the cost figures are read: which day's facts count, and up to
/// which ledger sequence they were recorded.
#[derive(Debug, clap::Args)]
pub struct Reading {
    /// Stichtag JJJJ-MM-TT (sonst heute).
    #[arg(long)]
    as_of: Option<String>,
    /// So, wie es bis zu dieser Ledger-Sequenz erfasst war (mit der Sequenz
    /// und dem Stand einer früheren Aufstellung dieselbe Aufstellung wieder).
    #[arg(long)]
    known_at_seq: Option<u64>,
}

#[derive(Debug, clap::Args)]
pub struct LandCostsArgs {
    /// Ländercode 01 bis 16.
    #[arg(long)]
    land: String,
    /// Das Kostenjahr.
    #[arg(long)]
    year: u16,
    #[command(flatten)]
    reading: Reading,
    #[command(flatten)]
    output: Output,
}

#[derive(Debug, clap::Args)]
pub struct StatementChangesArgs {
    /// Ländercode 01 bis 16.
    #[arg(long)]
    land: String,
    /// Das Kostenjahr.
    #[arg(long)]
    year: u16,
    /// Die Ledger-Sequenz der früheren Aufstellung.
    #[arg(long)]
    since_seq: u64,
    /// Stichtag JJJJ-MM-TT (sonst heute).
    #[arg(long)]
    as_of: Option<String>,
    #[command(flatten)]
    output: Output,
}

#[derive(Debug, clap::Args)]
pub struct RolloutArgs {
    /// Ländercode 01 bis 16.
    #[arg(long)]
    land: String,
    /// Nur die Gemeinden dieses Kreises (Kreisschlüssel, 5 Ziffern).
    #[arg(long)]
    kreis: Option<String>,
    /// Nur diese Leistung (Kennung).
    #[arg(long)]
    service: Option<String>,
    /// Stichtag JJJJ-MM-TT (sonst heute).
    #[arg(long)]
    as_of: Option<String>,
    /// Als CSV: gemeinden oder kreise.
    #[arg(long)]
    table: Option<String>,
    #[command(flatten)]
    output: Output,
}

#[derive(Debug, clap::Args)]
pub struct StalledArgs {
    /// Ländercode 01 bis 16.
    #[arg(long)]
    land: String,
    /// Mindestens so viele Tage ohne Schritt (sonst 90).
    #[arg(long)]
    days: Option<u32>,
    /// Stichtag JJJJ-MM-TT (sonst heute).
    #[arg(long)]
    as_of: Option<String>,
    #[command(flatten)]
    output: Output,
}

#[derive(Debug, clap::Args)]
pub struct GemeindenArgs {
    /// Ländercode 01 bis 16.
    #[arg(long)]
    land: String,
    /// Stichtag JJJJ-MM-TT (sonst heute).
    #[arg(long)]
    as_of: Option<String>,
    #[command(flatten)]
    output: Output,
}

#[derive(Debug, clap::Args)]
pub struct NotAdoptedArgs {
    /// Ländercode 01 bis 16.
    #[arg(long)]
    land: String,
    /// Kennung der Leistung.
    #[arg(long)]
    service: String,
    /// Stichtag JJJJ-MM-TT (sonst heute).
    #[arg(long)]
    as_of: Option<String>,
    #[command(flatten)]
    output: Output,
}

#[derive(Debug, clap::Args)]
pub struct FunnelsArgs {
    /// Ländercode 01 bis 16.
    #[arg(long)]
    land: String,
    /// Reihenfolge: service (nach Kennung), fewest-live, most-live, slowest-to-live.
    #[arg(long, default_value = "service")]
    order: String,
    /// Stichtag JJJJ-MM-TT (sonst heute).
    #[arg(long)]
    as_of: Option<String>,
    #[command(flatten)]
    output: Output,
}

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// Nur die Ereignisse dieser Leistung (Kennung).
    #[arg(long, conflicts_with = "gemeinde")]
    service: Option<String>,
    /// Nur die Ereignisse dieser Gemeinde (AGS).
    #[arg(long)]
    gemeinde: Option<String>,
    /// Erst ab dieser Sequenz.
    #[arg(long)]
    from_seq: Option<u64>,
    #[command(flatten)]
    output: Output,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

/// Where and how an export is written.
#[derive(Debug, Clone, clap::Args)]
pub struct Output {
    /// csv (Voreinstellung, mit --json: json) oder json.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// In diese Datei schreiben statt auf die Standardausgabe.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Erst antworten, wenn die Ansicht diese Sequenz kennt (eigene Schreibvorgänge lesen).
    #[arg(long)]
    min_seq: Option<u64>,
}

/// How a view's pages follow each other.
#[derive(Debug, Clone, Copy)]
enum Paging {
    /// One answer holds it all.
    Single,
    /// `offset` and `limit`, items under `services`, `total` in JSON.
    Offset,
    /// `from_seq` and `limit`, items under `entries`, `more` in JSON.
    FromSeq(u64),
    /// As CSV one answer (the API streams it whole); as JSON `offset`
    /// pages, each naming `next_offset`, items under these fields (the
    /// last of them written as it arrives, the others at the end).
    NextOffset(&'static [&'static str]),
}

/// One export: the view's address and parameters, and its paging.
#[derive(Debug)]
struct View {
    name: &'static str,
    segments: Vec<String>,
    query: Vec<(&'static str, String)>,
    paging: Paging,
}

impl View {
    fn new(name: &'static str, segments: &[&str], paging: Paging) -> Self {
        Self {
            name,
            segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            query: Vec::new(),
            paging,
        }
    }

    /// Adds `name=value` when there is a value.
    fn with(mut self, name: &'static str, value: Option<impl ToString>) -> Self {
        if let Some(value) = value {
            self.query.push((name, value.to_string()));
        }
        self
    }

    /// Adds `as_of` and `known_at_seq` when given.
    fn read(self, reading: Reading) -> Self {
        self.with("as_of", reading.as_of)
            .with("known_at_seq", reading.known_at_seq)
    }
}

pub async fn run(client: &Client, command: ExportCmd) -> Result<(), Failure> {
    let (view, output) = view(command);
    let format = output.format.unwrap_or(if client.json {
        Format::Json
    } else {
        Format::Csv
    });
    let view = view.with("min_seq", output.min_seq);
    let mut sink = Sink::open(output.out.as_deref())?;
    export(client, &view, format, &mut sink).await?;
    if let Some(path) = sink.finish()?
        && !client.json
    {
        crate::out::say(&format!(
            "Exportiert: {} nach {}",
            view.name,
            path.display()
        ));
    }
    Ok(())
}

/// The view a command asks for, and where it goes.
fn view(command: ExportCmd) -> (View, Output) {
    match command {
        ExportCmd::Catalogue(args) => {
            let view = View::new("Katalog", &["catalogue"], Paging::Offset)
                .with("land", args.land)
                .with("themenfeld", args.themenfeld)
                .with("status", args.status)
                .with("reifegrad", args.reifegrad)
                .with("channel", args.channel)
                .with("q", args.q)
                .with("sort", args.sort)
                .with("as_of", args.as_of);
            (view, args.output)
        }
        ExportCmd::Costs(args) => {
            let segments = ["services", &args.service, "costs", &args.year.to_string()];
            let view = View::new("Kosten", &segments, Paging::Single)
                .with("table", args.table)
                .read(args.reading);
            (view, args.output)
        }
        ExportCmd::LandCosts(args) => {
            let segments = ["lands", &args.land, "costs", &args.year.to_string()];
            let paging = Paging::NextOffset(&["lines"]);
            let view = View::new("Kostenanteile", &segments, paging).read(args.reading);
            (view, args.output)
        }
        ExportCmd::Statement(args) => {
            let segments = ["lands", &args.land, "statements", &args.year.to_string()];
            let view = View::new("Kostenaufstellung", &segments, Paging::Single);
            (view.read(args.reading), args.output)
        }
        ExportCmd::StatementChanges(args) => {
            let year = args.year.to_string();
            let segments = ["lands", &args.land, "statements", &year, "changes"];
            let view = View::new(
                "Änderungen der Kostenaufstellung",
                &segments,
                Paging::Single,
            )
            .with("since_seq", Some(args.since_seq))
            .with("as_of", args.as_of);
            (view, args.output)
        }
        ExportCmd::Rollout(args) => {
            let view = View::new(
                "Ausrollen",
                &["lands", &args.land, "rollout"],
                Paging::NextOffset(&["kreise", "municipalities"]),
            )
            .with("kreis", args.kreis)
            .with("service", args.service)
            .with("as_of", args.as_of)
            .with("table", args.table);
            (view, args.output)
        }
        ExportCmd::Stalled(args) => {
            let segments = ["lands", &args.land, "stalled"];
            let view = View::new(
                "Stockende Einführungen",
                &segments,
                Paging::NextOffset(&["stalled"]),
            )
            .with("days", args.days)
            .with("as_of", args.as_of);
            (view, args.output)
        }
        ExportCmd::Gemeinden(args) => {
            let segments = ["lands", &args.land, "gemeinden"];
            let paging = Paging::NextOffset(&["gemeinden"]);
            let view = View::new("Gemeinden", &segments, paging).with("as_of", args.as_of);
            (view, args.output)
        }
        ExportCmd::NotAdopted(args) => {
            let segments = ["lands", &args.land, "not-adopted", &args.service];
            let paging = Paging::NextOffset(&["gemeinden"]);
            let view = View::new("Gemeinden ohne die Leistung", &segments, paging)
                .with("as_of", args.as_of);
            (view, args.output)
        }
        ExportCmd::Funnels(args) => {
            let segments = ["lands", &args.land, "funnels"];
            let paging = Paging::NextOffset(&["funnels"]);
            let view = View::new("Einführungstrichter", &segments, paging)
                .with("order", Some(args.order))
                .with("as_of", args.as_of);
            (view, args.output)
        }
        ExportCmd::History(args) => (history_view(&args), args.output),
    }
}

fn history_view(args: &HistoryArgs) -> View {
    let paging = Paging::FromSeq(args.from_seq.unwrap_or(0));
    match &args.service {
        Some(service) => View::new("Historie", &["services", service, "history"], paging),
        None => {
            View::new("Historie", &["history"], paging).with("gemeinde", args.gemeinde.as_ref())
        }
    }
}

impl Format {
    fn key(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }
}

impl Paging {
    /// The parameter naming where a page starts.
    fn cursor(self) -> &'static str {
        match self {
            Self::Offset | Self::NextOffset(_) => "offset",
            _ => "from_seq",
        }
    }

    /// The lists in a JSON page: the one written as it arrives, and those
    /// kept until the end (see [`JsonJoin`]).
    fn lists(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Self::Offset => ("services", &[]),
            Self::NextOffset([kept @ .., streamed]) => (streamed, kept),
            _ => ("entries", &[]),
        }
    }

    /// The paging members of the whole list in JSON: no page follows it.
    fn whole(self, members: &mut serde_json::Map<String, Value>) {
        match self {
            Self::NextOffset(_) => {
                members.insert("next_offset".to_owned(), Value::Null);
                members.insert("next".to_owned(), Value::Null);
            }
            _ if members.contains_key("more") => {
                members.insert("more".to_owned(), json!(false));
                members.insert("next_from_seq".to_owned(), Value::Null);
                members.insert("next".to_owned(), Value::Null);
            }
            _ => {}
        }
    }

    /// Where the next page starts after a CSV page: only a full page may
    /// have one after it.
    fn after_csv(self, cursor: u64, page: &CsvPage) -> Option<u64> {
        if u64::try_from(page.rows).ok() != Some(PAGE_LIMIT) {
            return None;
        }
        match self {
            Self::Offset => Some(cursor + PAGE_LIMIT),
            Self::FromSeq(_) => page
                .last_key
                .as_deref()?
                .parse::<u64>()
                .ok()
                .map(|seq| seq + 1),
            Self::Single | Self::NextOffset(_) => None,
        }
    }

    /// Where the next page starts after a JSON page, as the page says.
    fn after_json(self, cursor: u64, page: &Value) -> Option<u64> {
        match self {
            Self::Offset => {
                let count = page["services"].as_array().map_or(0, Vec::len);
                let next = cursor + u64::try_from(count).ok()?;
                (count > 0 && next < page["total"].as_u64()?).then_some(next)
            }
            Self::FromSeq(_) if page["more"] == json!(true) => page["next_from_seq"].as_u64(),
            Self::NextOffset(_) => page["next_offset"].as_u64(),
            _ => None,
        }
    }
}

/// Writes the view to `sink` as it arrives: one answer, or every page.
async fn export(
    client: &Client,
    view: &View,
    format: Format,
    sink: &mut Sink,
) -> Result<(), Failure> {
    let segments: Vec<&str> = view.segments.iter().map(String::as_str).collect();
    let mut query = view.query.clone();
    query.push(("format", format.key().to_owned()));
    let start = match (view.paging, format) {
        (Paging::Single, _) | (Paging::NextOffset(_), Format::Csv) => {
            let url = client.url(&segments, &query);
            return client
                .api
                .get_streamed(url, |chunk| sink.write(chunk))
                .await;
        }
        (Paging::Offset | Paging::NextOffset(_), _) => 0,
        (Paging::FromSeq(from), _) => from,
    };
    let pages = Pages {
        paging: view.paging,
        segments: &segments,
        query,
    };
    pages.write(client, format, start, sink).await
}

/// A long list's pages, from a cursor on.
struct Pages<'a> {
    paging: Paging,
    segments: &'a [&'a str],
    query: Vec<(&'static str, String)>,
}

impl Pages<'_> {
    /// Fetches page after page from `cursor` on and writes each to `sink`
    /// as it arrives, joined into one table or one document.
    async fn write(
        &self,
        client: &Client,
        format: Format,
        mut cursor: u64,
        sink: &mut Sink,
    ) -> Result<(), Failure> {
        let (streamed, kept) = self.paging.lists();
        let (mut csv, mut json) = (CsvJoin::default(), JsonJoin::new(streamed, kept));
        loop {
            let mut page_query = self.query.clone();
            page_query.push(("limit", PAGE_LIMIT.to_string()));
            page_query.push((self.paging.cursor(), cursor.to_string()));
            let answer = client
                .api
                .get(client.url(self.segments, &page_query))
                .await?;
            let (bytes, next) = match format {
                Format::Csv => {
                    let (bytes, page) = csv.add(&answer.body);
                    (bytes, self.paging.after_csv(cursor, &page))
                }
                Format::Json => {
                    let page = answer.json()?;
                    let next = self.paging.after_json(cursor, &page);
                    let whole = |members: &mut _| self.paging.whole(members);
                    let (bytes, _) = json.add(page, whole).map_err(json_failure)?;
                    (bytes, next)
                }
            };
            if !sink.write(&bytes)? {
                return Ok(());
            }
            match next {
                Some(next) if next > cursor => cursor = next,
                _ => break,
            }
        }
        if format == Format::Json {
            sink.write(&json.end().map_err(json_failure)?)?;
        }
        Ok(())
    }
}

fn json_failure(error: serde_json::Error) -> Failure {
    Failure::Other(format!("JSON schreiben: {error}"))
}
