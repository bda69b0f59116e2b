//! `efa key publish`: the allocation key (Königsteiner Schlüssel) of a
//! year, from a CSV file or from `--share 01=3,38791` pairs, written to
//! `/api/v1/reference/allocation-keys`. The percentages stay text: the API
//! reads them exactly, without floating point.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::{Map, Value, json};

use super::{Client, Failure, Write, WriteArgs, object};

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Den Verteilungsschlüssel eines Jahres veröffentlichen (nur Administration),
    /// z. B. `efa key publish --year 2017 --file schluessel.csv`.
    #[command(after_help = super::EXIT_CODES)]
    Publish {
        /// Das Jahr, für das der Schlüssel gilt.
        #[arg(long)]
        year: u16,
        /// CSV mit Kopfzeile: `land;prozent` oder `jahr;land;prozent`
        /// (dann zählen nur die Zeilen von --year); Trenner `;` oder `,`.
        #[arg(long, conflicts_with = "share", required_unless_present = "share")]
        file: Option<PathBuf>,
        /// Anteile als LAND=PROZENT, z. B. --share 01=3,38791 02=2,52738.
        #[arg(long, num_args = 1..)]
        share: Vec<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
}

pub async fn run(client: &Client, command: KeyCmd) -> Result<(), Failure> {
    let KeyCmd::Publish {
        year,
        file,
        share,
        write,
    } = command;
    let shares = match &file {
        Some(path) => shares_from_file(path, year)?,
        None => shares_from_pairs(&share)?,
    };
    let count = shares.len();
    let body = object([
        ("year", Some(json!(year))),
        ("shares", Some(Value::Object(shares))),
    ]);
    let url = client.url(&["reference", "allocation-keys"], &[]);
    let line = format!("Verteilungsschlüssel {year} veröffentlicht: {count} Länder");
    client.write(Write::post(url, body, write), |_| line).await
}

/// `01=3,38791` pairs.
fn shares_from_pairs(pairs: &[String]) -> Result<Map<String, Value>, Failure> {
    let mut shares = Map::new();
    for pair in pairs {
        let (land, percent) = pair.split_once('=').ok_or_else(|| {
            Failure::Invalid(format!(
                "--share „{pair}“: erwartet LAND=PROZENT, z. B. 01=3,38791."
            ))
        })?;
        insert(&mut shares, land, percent, &format!("--share {pair}"))?;
    }
    Ok(shares)
}

fn shares_from_file(path: &Path, year: u16) -> Result<Map<String, Value>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| Failure::Invalid(format!("{} lesen: {error}", path.display())))?;
    shares_from_csv(&text, year)
        .map_err(|reason| Failure::Invalid(format!("{}: {reason}", path.display())))
}

/// The shares of `year` in a CSV text with a header line.
fn shares_from_csv(text: &str, year: u16) -> Result<Map<String, Value>, String> {
    let header = text.lines().next().unwrap_or_default();
    let separator = if header.contains(';') { ';' } else { ',' };
    let records = efa_reference::csv::parse(text, separator).map_err(|e| e.to_string())?;
    let mut shares = Map::new();
    for record in &records {
        let fields: Vec<&str> = record.fields.iter().map(|f| f.trim()).collect();
        let (land, percent) = match fields.as_slice() {
            [land, percent] => (*land, *percent),
            [row_year, land, percent] if row_year.parse() == Ok(year) => (*land, *percent),
            [_, _, _] => continue,
            _ => {
                return Err(format!(
                    "Zeile {}: erwartet land;prozent oder jahr;land;prozent",
                    record.line
                ));
            }
        };
        insert(
            &mut shares,
            land,
            percent,
            &format!("Zeile {}", record.line),
        )
        .map_err(|failure| failure.to_string())?;
    }
    if shares.is_empty() {
        return Err(format!("keine Anteile für {year}"));
    }
    Ok(shares)
}

fn insert(
    shares: &mut Map<String, Value>,
    land: &str,
    percent: &str,
    place: &str,
) -> Result<(), Failure> {
    let land = land.trim();
    if shares
        .insert(land.to_owned(), Value::String(percent.trim().to_owned()))
        .is_some()
    {
        return Err(Failure::Invalid(format!(
            "{place}: Land {land} kommt doppelt vor."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_gives_the_rows_of_its_year() {
        let text = "year,code,percent\n2016,01,3.39074\n2017,01,3.38791\n2017,16,2.69\n";
        let shares = shares_from_csv(text, 2017).unwrap();
        assert_eq!(
            Value::Object(shares),
            json!({"01": "3.38791", "16": "2.69"})
        );
        let text = "\u{feff}land;prozent\r\n01;3,38791\r\n02;2,52738\r\n";
        let shares = shares_from_csv(text, 2017).unwrap();
        assert_eq!(
            Value::Object(shares),
            json!({"01": "3,38791", "02": "2,52738"})
        );
        assert!(shares_from_csv("jahr;land;prozent\n2016;01;3\n", 2017).is_err());
        assert!(shares_from_csv("land;prozent\n01;3\n01;4\n", 2017).is_err());
        assert!(shares_from_csv("land;prozent\n01\n", 2017).is_err());
    }

    #[test]
    fn share_pairs_name_land_and_percent() {
        let pairs = ["01=3,38791".to_owned(), "16=2,7".to_owned()];
        assert_eq!(
            Value::Object(shares_from_pairs(&pairs).unwrap()),
            json!({"01": "3,38791", "16": "2,7"})
        );
        assert_eq!(
            shares_from_pairs(&["01:3".to_owned()])
                .unwrap_err()
                .exit_code(),
            2
        );
    }
}
