//! The shipped reference tables, parsed into typed rows.

use efa_proto::participant::percent_to_key_units;
use efa_proto::{KreisKey, LandCode};

use crate::csv::{self, CsvError};

const LAENDER: &str = include_str!("../data/laender.csv");
const KEYS: &str = include_str!("../data/koenigsteiner_schluessel.csv");
const KREISE: &str = include_str!("../data/thueringen_kreise.csv");
const SERVICES: &str = include_str!("../data/efa_services.csv");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandRow {
    pub code: LandCode,
    pub name: String,
    pub population: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KreisRow {
    pub key: KreisKey,
    pub name: String,
    pub kreisfrei: bool,
    pub population: u64,
    /// Historic Kreise (merged since) carry a note and are not registered.
    pub historic: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    pub title: String,
    pub lead: LandCode,
    pub themenfeld: String,
    pub source: String,
}

fn number(record: &csv::Record, index: usize, column: &str) -> Result<u64, CsvError> {
    let text = record.field(index, column)?;
    text.parse()
        .map_err(|_| record.error(format!("„{text}“ in Spalte „{column}“ ist keine Zahl")))
}

fn land(record: &csv::Record, index: usize) -> Result<LandCode, CsvError> {
    LandCode::parse(record.field(index, "code")?).map_err(|e| record.error(e.to_string()))
}

pub fn laender() -> Result<Vec<LandRow>, CsvError> {
    csv::parse(LAENDER, ',')?
        .iter()
        .map(|r| {
            Ok(LandRow {
                code: land(r, 0)?,
                name: r.field(1, "name")?.to_owned(),
                population: number(r, 3, "population")?,
            })
        })
        .collect()
}

/// Key shares per year in units of 1/100,000 percent, parsed exactly from
/// the five-decimal percent strings.
/// The 16 shares of one year.
pub type KeyShares = Vec<(LandCode, u32)>;

pub fn koenigsteiner() -> Result<Vec<(u16, KeyShares)>, CsvError> {
    let mut years: Vec<(u16, KeyShares)> = Vec::new();
    for record in csv::parse(KEYS, ',')? {
        let year = number(&record, 0, "year")? as u16;
        let code = land(&record, 1)?;
        let units = percent_to_key_units(record.field(2, "percent")?).ok_or_else(|| {
            record.error("Prozentwert mit höchstens fünf Nachkommastellen erwartet")
        })?;
        match years.iter_mut().find(|(y, _)| *y == year) {
            Some((_, shares)) => shares.push((code, units)),
            None => years.push((year, vec![(code, units)])),
        }
    }
    Ok(years)
}

pub fn thueringen_kreise() -> Result<Vec<KreisRow>, CsvError> {
    csv::parse(KREISE, ',')?
        .iter()
        .map(|r| {
            Ok(KreisRow {
                key: KreisKey::parse(r.field(0, "kreis_key")?)
                    .map_err(|e| r.error(e.to_string()))?,
                name: r.field(1, "name")?.to_owned(),
                kreisfrei: r.field(2, "kind")? == "Kreisfreie Stadt",
                population: number(r, 4, "population")?,
                historic: r.field(5, "note")?.starts_with("historic"),
            })
        })
        .collect()
}

pub fn efa_services() -> Result<Vec<ServiceRow>, CsvError> {
    csv::parse(SERVICES, ',')?
        .iter()
        .map(|r| {
            Ok(ServiceRow {
                title: r.field(0, "title")?.to_owned(),
                lead: LandCode::parse(r.field(1, "lead")?).map_err(|e| r.error(e.to_string()))?,
                themenfeld: r.field(2, "themenfeld")?.to_owned(),
                source: r.field(5, "source")?.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_tables_parse_and_add_up() {
        let laender = laender().unwrap();
        assert_eq!(laender.len(), 16);
        assert_eq!(
            laender.iter().map(|l| l.population).sum::<u64>(),
            83_019_213
        );
        let keys = koenigsteiner().unwrap();
        assert_eq!(
            keys.iter().map(|(y, _)| *y).collect::<Vec<_>>(),
            [2014, 2015, 2016]
        );
        for (year, shares) in &keys {
            assert_eq!(shares.len(), 16, "{year}");
            assert_eq!(
                shares.iter().map(|(_, s)| s).sum::<u32>(),
                10_000_000,
                "{year} sums to exactly 100 %"
            );
        }
        let kreise = thueringen_kreise().unwrap();
        assert_eq!(kreise.iter().filter(|k| !k.historic).count(), 22);
        assert_eq!(
            kreise.iter().filter(|k| k.kreisfrei && !k.historic).count(),
            5
        );
        assert_eq!(efa_services().unwrap().len(), 9);
    }

    #[test]
    fn percents_become_exact_units() {
        assert_eq!(percent_to_key_units("3.38791"), Some(338_791));
        assert_eq!(percent_to_key_units("21,14424"), Some(2_114_424));
        assert_eq!(percent_to_key_units("100"), Some(10_000_000));
        assert_eq!(percent_to_key_units("0.5"), Some(50_000));
        assert_eq!(percent_to_key_units("1.123456"), None);
        assert_eq!(percent_to_key_units("x"), None);
    }
}
