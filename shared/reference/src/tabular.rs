//! Imports of the registry's own CSV files: participants (Gemeinden and
//! Kreise), an allocation key year, and services. Semicolon-separated,
//! German headers, UTF-8 (a byte-order mark is fine). Every bad row is
//! reported with its line number; a file with any bad row yields nothing.
//! Labels carry a hash of the row, so re-running a file sends the same
//! command ids and writes nothing new.

use efa_proto::{
    Actor, Ags, AnnounceService, Channel, Command, CostModel, Date, KreisKey, LandCode, Population,
    PublishAllocationKey, RegisterGemeinde, RegisterKreis, Reifegrad, ServiceId, ServiceStatus,
};
use sha2::{Digest, Sha256};

use crate::csv::{self, CsvError, Record};
use crate::seed::Seed;
use efa_proto::participant::percent_to_key_units;

/// The header of a participants file.
pub const PARTICIPANT_COLUMNS: [&str; 4] = ["schluessel", "name", "einwohner", "stichtag"];
/// The header of an allocation key file.
pub const KEY_COLUMNS: [&str; 3] = ["jahr", "land", "prozent"];
/// The header of a services file.
pub const SERVICE_COLUMNS: [&str; 10] = [
    "kennung",
    "titel",
    "federfuehrend",
    "themenfeld",
    "anbieter",
    "kanal",
    "kostenmodell",
    "status",
    "reifegrad",
    "angekuendigt",
];

/// An identifier or date that does not read, said in German for the
/// person who wrote the file.
pub fn german(error: &efa_proto::IdError) -> String {
    let input = &error.input;
    match error.kind {
        "AGS" => format!(
            "Gemeindeschlüssel „{input}“ ungültig: 8 Ziffern, die ersten beiden ein Ländercode 01 bis 16"
        ),
        "Kreis key" => format!(
            "Kreisschlüssel „{input}“ ungültig: 5 Ziffern, die ersten beiden ein Ländercode 01 bis 16"
        ),
        "LandCode" => format!("Land „{input}“ ungültig: ein Ländercode 01 bis 16"),
        "Date" => format!(
            "Datum „{input}“ ungültig: JJJJ-MM-TT, ein Tag des Kalenders zwischen 1900 und 2200"
        ),
        "ServiceId" => {
            format!("Kennung „{input}“ ungültig: 3 bis 64 Zeichen aus a–z, 0–9 und Bindestrich")
        }
        other => format!("„{input}“ ist kein gültiger Wert ({other})"),
    }
}

fn row_label(kind: &str, key: &str, record: &Record) -> String {
    let digest = Sha256::digest(record.fields.join("\u{1f}"));
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("import/{kind}/{key}/{short}")
}

/// Runs `row` over every record of a file with the header `columns`,
/// collecting all errors; each seed knows its line.
fn each(
    text: &str,
    columns: &[&str],
    row: impl Fn(&Record) -> Result<Seed, String>,
) -> Result<Vec<Seed>, Vec<CsvError>> {
    let records = csv::parse_with_header(text, ';', columns).map_err(|e| vec![e])?;
    let mut seeds = Vec::new();
    let mut errors = Vec::new();
    for record in &records {
        // A row with more cells than the header names says something
        // the import would drop.
        if record.fields.len() > columns.len() {
            errors.push(record.error(format!(
                "{} Spalten, die Kopfzeile nennt {}",
                record.fields.len(),
                columns.len()
            )));
            continue;
        }
        match row(record) {
            Ok(seed) => seeds.push(seed.from_line(record.line)),
            Err(reason) => errors.push(record.error(reason)),
        }
    }
    if errors.is_empty() {
        Ok(seeds)
    } else {
        Err(errors)
    }
}

fn get<'a>(record: &'a Record, index: usize, column: &str) -> Result<&'a str, String> {
    record
        .field(index, column)
        .map(str::trim)
        .map_err(|e| e.reason)
}

/// A whole number as German spreadsheets write it: plain digits, or
/// with points between groups of three (`115.990`).
fn whole_number(text: &str) -> Option<u64> {
    let mut groups = text.split('.');
    let first = groups.next()?;
    let rest: Vec<&str> = groups.collect();
    let grouped = rest.is_empty()
        || ((1..=3).contains(&first.len()) && rest.iter().all(|group| group.len() == 3));
    let digits: String = std::iter::once(first).chain(rest).collect();
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    (grouped && all_digits)
        .then(|| digits.parse().ok())
        .flatten()
}

fn optional_population(
    record: &Record,
    count_at: usize,
    date_at: usize,
) -> Result<Option<Population>, String> {
    let count = record.fields.get(count_at).map(|s| s.trim()).unwrap_or("");
    let date = record.fields.get(date_at).map(|s| s.trim()).unwrap_or("");
    match (count.is_empty(), date.is_empty()) {
        (true, true) => Ok(None),
        (false, false) => Ok(Some(Population {
            count: whole_number(count)
                .ok_or_else(|| format!("Einwohnerzahl „{count}“ ist keine ganze Zahl"))?,
            reference_date: Date::parse(date).map_err(|e| german(&e))?,
        })),
        _ => Err("Einwohnerzahl und Stichtag gehören zusammen".to_owned()),
    }
}

/// `schluessel;name;einwohner;stichtag`: 8 digits register a Gemeinde,
/// 5 digits a Kreis.
pub fn participants(text: &str) -> Result<Vec<Seed>, Vec<CsvError>> {
    each(text, &PARTICIPANT_COLUMNS, |record| {
        let key = get(record, 0, "schluessel")?;
        let name = get(record, 1, "name")?.to_owned();
        let population = optional_population(record, 2, 3)?;
        let command = match key.len() {
            8 => Command::RegisterGemeinde(RegisterGemeinde {
                ags: Ags::parse(key).map_err(|e| german(&e))?,
                name,
                population,
            }),
            5 => Command::RegisterKreis(RegisterKreis {
                key: KreisKey::parse(key).map_err(|e| german(&e))?,
                name,
                population,
            }),
            _ => {
                return Err(format!(
                    "Schlüssel „{key}“ hat weder 8 (AGS) noch 5 Stellen (Kreis)"
                ));
            }
        };
        Ok(Seed::new(
            row_label("participant", key, record),
            Actor::Admin,
            None,
            command,
        ))
    })
}

/// `jahr;land;prozent` with five decimals (comma or point): one command
/// per year in the file, checked to add up by the ledger.
pub fn allocation_key(text: &str) -> Result<Vec<Seed>, Vec<CsvError>> {
    let records = csv::parse_with_header(text, ';', &KEY_COLUMNS).map_err(|e| vec![e])?;
    // Per year: the shares, the rows they came from (for the label) and
    // the line of its first.
    let mut years: Vec<(u16, crate::tables::KeyShares, Vec<String>)> = Vec::new();
    let mut first_lines: Vec<(u16, usize)> = Vec::new();
    let mut errors = Vec::new();
    for record in &records {
        let parsed = (|| -> Result<(u16, LandCode, u32), String> {
            let year = get(record, 0, "jahr")?;
            let year: u16 = year
                .parse()
                .map_err(|_| format!("Jahr „{year}“ ist keine Zahl"))?;
            let land = LandCode::parse(get(record, 1, "land")?).map_err(|e| german(&e))?;
            let percent = get(record, 2, "prozent")?;
            let units = percent_to_key_units(percent).ok_or(format!(
                "„{percent}“ ist kein Prozentwert mit höchstens fünf Nachkommastellen"
            ))?;
            Ok((year, land, units))
        })();
        match parsed {
            Ok((year, land, units)) => match years.iter_mut().find(|(y, _, _)| *y == year) {
                Some((_, shares, rows)) => {
                    shares.push((land, units));
                    rows.push(record.fields.join(";"));
                }
                None => {
                    years.push((year, vec![(land, units)], vec![record.fields.join(";")]));
                    first_lines.push((year, record.line));
                }
            },
            Err(reason) => errors.push(record.error(reason)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(years
        .into_iter()
        .map(|(year, shares, rows)| {
            let digest = Sha256::digest(rows.join("\n"));
            let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
            let command = Command::PublishAllocationKey(PublishAllocationKey { year, shares });
            let line = (first_lines.iter())
                .find(|(y, _)| *y == year)
                .map_or(0, |(_, line)| *line);
            Seed::new(
                format!("import/key/{year}/{short}"),
                Actor::Admin,
                Some(crate::seed::key_effective(year)),
                command,
            )
            .from_line(line)
        })
        .collect())
}

fn cost_model(text: &str) -> Result<CostModel, String> {
    match text {
        "koenigsteiner" | "königsteiner" | "ks" => {
            Ok(CostModel::KoenigsteinerSchluessel { year: None })
        }
        "einwohner" => Ok(CostModel::Population),
        "gleich" => Ok(CostModel::EqualShares),
        other => match other
            .strip_prefix("koenigsteiner-")
            .or_else(|| other.strip_prefix("königsteiner-"))
        {
            Some(year) => Ok(CostModel::KoenigsteinerSchluessel {
                year: Some(
                    year.parse()
                        .map_err(|_| format!("Jahr „{year}“ im Kostenmodell"))?,
                ),
            }),
            None => Err(format!(
                "Kostenmodell „{other}“: koenigsteiner, koenigsteiner-JJJJ, einwohner oder gleich"
            )),
        },
    }
}

/// `kennung;titel;federfuehrend;themenfeld;anbieter;kanal;kostenmodell;status;reifegrad;angekuendigt`:
/// each row announced by its lead Land, effective on `angekuendigt`.
pub fn services(text: &str) -> Result<Vec<Seed>, Vec<CsvError>> {
    each(text, &SERVICE_COLUMNS, |record| {
        let title = get(record, 1, "titel")?.to_owned();
        let id = match get(record, 0, "kennung")? {
            "" => ServiceId::slug_from_title(&title),
            id => ServiceId::parse(id),
        }
        .map_err(|e| german(&e))?;
        let lead = LandCode::parse(get(record, 2, "federfuehrend")?).map_err(|e| german(&e))?;
        let channel = get(record, 5, "kanal")?;
        let status = get(record, 7, "status")?;
        let level = get(record, 8, "reifegrad")?;
        let announced = get(record, 9, "angekuendigt")?;
        let command = Command::AnnounceService(AnnounceService {
            service: id.clone(),
            title,
            lead,
            ozg_id: None,
            leika: vec![],
            themenfeld: get(record, 3, "themenfeld")?.to_owned(),
            provider: get(record, 4, "anbieter")?.to_owned(),
            channel: Channel::from_key(channel).ok_or(format!(
                "Kanal „{channel}“: fit-store, efa-marktplatz oder verwaltungsabkommen"
            ))?,
            cost_model: cost_model(get(record, 6, "kostenmodell")?)?,
            status: ServiceStatus::from_key(status).ok_or_else(|| {
                let keys: Vec<&str> = ServiceStatus::ALL.iter().map(|s| s.key()).collect();
                format!("Status „{status}“ unbekannt: {}", keys.join(", "))
            })?,
            reifegrad: level
                .parse::<u8>()
                .ok()
                .and_then(|l| Reifegrad::new(l).ok())
                .ok_or(format!("Reifegrad „{level}“: 0 bis 4"))?,
        });
        let effective = if announced.is_empty() {
            None
        } else {
            Some(Date::parse(announced).map_err(|e| german(&e))?)
        };
        Ok(Seed::new(
            row_label("service", id.as_str(), record),
            Actor::Land(lead),
            effective,
            command,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inhabitants_may_carry_thousands_points() {
        assert_eq!(whole_number("115990"), Some(115_990));
        assert_eq!(whole_number("115.990"), Some(115_990));
        assert_eq!(whole_number("1.115.990"), Some(1_115_990));
        for refused in ["115.99", "1159.90", "11,5", "-5", "", ".990", "1..990"] {
            assert_eq!(whole_number(refused), None, "{refused}");
        }
    }

    #[test]
    fn a_bad_identifier_is_named_in_german_with_its_line() {
        let text =
            "schluessel;name;einwohner;stichtag\n17061001;Nirgendwo;;\n16061001;Ort;5;31.12.2023\n";
        let errors = participants(text).unwrap_err();
        let said: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 2, "{said:?}");
        assert_eq!((errors[0].line, errors[1].line), (2, 3));
        assert!(
            said[0].contains("Gemeindeschlüssel „17061001“ ungültig"),
            "{said:?}"
        );
        assert!(
            said[1].contains("Datum „31.12.2023“ ungültig: JJJJ-MM-TT"),
            "{said:?}"
        );
    }

    #[test]
    fn participants_and_services_parse_and_bad_rows_are_all_reported() {
        let good = "schluessel;name;einwohner;stichtag\n16068;Sömmerda;69655;2018-12-31\n16068901;Beispielgemeinde Nord;;\n";
        let seeds = participants(good).unwrap();
        assert_eq!(seeds.len(), 2);
        assert_eq!(
            participants(good).unwrap(),
            seeds,
            "a re-run gives the same ids"
        );
        let bad =
            "schluessel;name;einwohner;stichtag\n1606;Kurz;;\n16068901;Gut;;\n16068902;X;12;\n";
        let errors = participants(bad).unwrap_err();
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 4]);

        let services_csv = "kennung;titel;federfuehrend;themenfeld;anbieter;kanal;kostenmodell;status;reifegrad;angekuendigt\n\
            ;Elterngeld digital;04;Familie & Kind;Dataport;efa-marktplatz;koenigsteiner-2016;pilot;3;2020-05-01\n";
        let seeds = services(services_csv).unwrap();
        assert!(
            matches!(&seeds[0].command, Command::AnnounceService(a) if a.service.as_str() == "elterngeld-digital")
        );
        assert_eq!(seeds[0].actor, Actor::Land(LandCode::new(4).unwrap()));
        let broken = services_csv.replace("efa-marktplatz", "fax");
        assert_eq!(services(&broken).unwrap_err()[0].line, 2);
    }

    #[test]
    fn a_key_file_becomes_one_command_per_year() {
        let text = "jahr;land;prozent\n2017;01;3,38791\n2017;02;2,52738\n";
        let seeds = allocation_key(text).unwrap();
        assert_eq!(seeds.len(), 1);
        assert!(
            matches!(&seeds[0].command, Command::PublishAllocationKey(k) if k.shares[0].1 == 338_791)
        );
        assert_eq!(
            allocation_key("jahr;land;prozent\n2017;01;3,387911\n").unwrap_err()[0].line,
            2
        );
    }
}
