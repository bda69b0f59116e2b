//! The Destatis Gemeindeverzeichnis in its GV100AD fixed-width format, and
//! the plan that brings the registry in line with it. One record per line;
//! positions are 1-based and count characters:
//!
//! | field | positions | records |
//! |---|---|---|
//! | Satzart (10 Land, 20 Regierungsbezirk, 30 Region, 40 Kreis, 50 Gemeindeverband, 60 Gemeinde) | 1-2 | all |
//! | Gebietsstand, YYYYMMDD | 3-10 | all |
//! | Kreis key | 11-15 | 40 |
//! | AGS (Land, Regierungsbezirk, Kreis, Gemeinde) | 11-18 | 60 |
//! | Gemeindeverband | 19-22 | 50, 60 |
//! | name | 23-72 | all |
//! | population, 11 digits | 140-150 | 60 |
//!
//! The official file is encoded in Windows-1252 (Latin-1); UTF-8 is
//! accepted too. Every problem is reported with its line number, and a file
//! with any problem yields no plan at all.

use std::collections::BTreeMap;

use efa_proto::{
    Actor, Ags, Command, Date, KreisKey, MergeGemeinde, Population, RegisterGemeinde,
    RegisterKreis, RenameGemeinde, RetireGemeinde,
};

use crate::csv::CsvError;
use crate::seed::Seed;

/// What the file says, keyed for comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verzeichnis {
    pub gebietsstand: Option<Date>,
    pub kreise: BTreeMap<KreisKey, String>,
    pub gemeinden: BTreeMap<Ags, (String, u64)>,
}

/// Decodes the file as every import does (`crate::encoding`): UTF-8 if
/// it is valid UTF-8, else Windows-1252, as Destatis ships it.
pub fn decode_text(bytes: &[u8]) -> String {
    crate::encoding::decode(bytes).0
}

/// Characters `from..=to` (1-based) of a line, trimmed; `None` when the
/// line ends before `from` (trailing blanks are often cut off).
fn field(chars: &[char], from: usize, to: usize) -> Option<String> {
    (chars.len() >= from).then(|| {
        chars[from - 1..to.min(chars.len())]
            .iter()
            .collect::<String>()
            .trim()
            .to_owned()
    })
}

/// Parses the whole file; all problems, or the Verzeichnis.
pub fn parse(text: &str) -> Result<Verzeichnis, Vec<CsvError>> {
    let mut verzeichnis = Verzeichnis::default();
    let mut errors = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if let Err(reason) = parse_line(line, &mut verzeichnis) {
            errors.push(CsvError {
                line: index + 1,
                reason,
            });
        }
    }
    if errors.is_empty() {
        Ok(verzeichnis)
    } else {
        Err(errors)
    }
}

fn parse_line(line: &str, verzeichnis: &mut Verzeichnis) -> Result<(), String> {
    let chars: Vec<char> = line.chars().collect();
    let satzart = field(&chars, 1, 2).ok_or("Zeile zu kurz")?;
    let stand = field(&chars, 3, 10).ok_or("Zeile zu kurz")?;
    let stand = parse_stand(&stand)?;
    if *verzeichnis.gebietsstand.get_or_insert(stand) != stand {
        return Err(format!("Gebietsstand {stand} weicht vom Rest der Datei ab"));
    }
    match satzart.as_str() {
        "10" | "20" | "30" | "50" => Ok(()),
        "40" => {
            let key = field(&chars, 11, 15).ok_or("Zeile zu kurz für einen Kreis")?;
            let key = KreisKey::parse(&key).map_err(|e| crate::tabular::german(&e))?;
            let name = field(&chars, 23, 72).ok_or("Zeile zu kurz für einen Kreisnamen")?;
            verzeichnis.kreise.insert(key, name);
            Ok(())
        }
        "60" => {
            let ags = field(&chars, 11, 18).ok_or("Zeile zu kurz für eine Gemeinde")?;
            let ags = Ags::parse(&ags).map_err(|e| crate::tabular::german(&e))?;
            let name = field(&chars, 23, 72).ok_or("Zeile zu kurz für einen Gemeindenamen")?;
            if name.is_empty() {
                return Err(format!("Gemeinde {ags} ohne Namen"));
            }
            let population = field(&chars, 140, 150)
                .filter(|p| !p.is_empty())
                .ok_or("Einwohnerzahl fehlt (Stellen 140-150)")?;
            let population: u64 = population
                .parse()
                .map_err(|_| format!("Einwohnerzahl „{population}“ ist keine Zahl"))?;
            if verzeichnis
                .gemeinden
                .insert(ags, (name, population))
                .is_some()
            {
                return Err(format!("Gemeinde {ags} steht doppelt in der Datei"));
            }
            Ok(())
        }
        other => Err(format!("unbekannte Satzart „{other}“")),
    }
}

fn parse_stand(text: &str) -> Result<Date, String> {
    let bad = || format!("Gebietsstand „{text}“ ist kein Datum JJJJMMTT");
    if text.len() != 8 {
        return Err(bad());
    }
    Date::parse(&format!("{}-{}-{}", &text[0..4], &text[4..6], &text[6..8])).map_err(|_| bad())
}

/// A municipality as the registry knows it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub name: String,
    pub active: bool,
}

/// The commands that bring the registry in line with the file: new
/// Kreise and municipalities are registered, changed names renamed, and
/// active municipalities missing from the file merged (when `mergers`
/// names a successor) or retired, but only in the Länder the file has
/// municipalities of: a file of one Land says nothing about the others.
/// Labels derive from the Gebietsstand, so running the same file twice
/// sends the same command ids.
pub fn plan(
    file: &Verzeichnis,
    known_kreise: &[KreisKey],
    known: &BTreeMap<Ags, Known>,
    mergers: &BTreeMap<Ags, Ags>,
) -> Vec<Seed> {
    let stand = file.gebietsstand.map(|d| d.to_string()).unwrap_or_default();
    let label = |what: &str, key: &dyn std::fmt::Display| format!("gv100ad/{stand}/{what}/{key}");
    let mut seeds = Vec::new();
    for (key, name) in file
        .kreise
        .iter()
        .filter(|(key, _)| !known_kreise.contains(key))
    {
        let command = Command::RegisterKreis(RegisterKreis {
            key: *key,
            name: name.clone(),
            population: None,
        });
        seeds.push(Seed::new(
            label("kreis", key),
            Actor::Admin,
            file.gebietsstand,
            command,
        ));
    }
    for (ags, (name, count)) in &file.gemeinden {
        let population = file.gebietsstand.map(|reference_date| Population {
            count: *count,
            reference_date,
        });
        match known.get(ags) {
            None => {
                let command = Command::RegisterGemeinde(RegisterGemeinde {
                    ags: *ags,
                    name: name.clone(),
                    population,
                });
                seeds.push(Seed::new(
                    label("register", ags),
                    Actor::Admin,
                    file.gebietsstand,
                    command,
                ));
            }
            Some(current) if current.active && current.name != *name => {
                let command = Command::RenameGemeinde(RenameGemeinde {
                    ags: *ags,
                    name: name.clone(),
                });
                seeds.push(Seed::new(
                    label("rename", ags),
                    Actor::Admin,
                    file.gebietsstand,
                    command,
                ));
            }
            Some(_) => {}
        }
    }
    let lands: std::collections::BTreeSet<_> =
        file.gemeinden.keys().map(|ags| ags.land()).collect();
    for (ags, _) in known.iter().filter(|(ags, k)| {
        k.active && lands.contains(&ags.land()) && !file.gemeinden.contains_key(ags)
    }) {
        let command = match mergers.get(ags) {
            Some(successor) => Command::MergeGemeinde(MergeGemeinde {
                ags: *ags,
                successor: *successor,
            }),
            None => Command::RetireGemeinde(RetireGemeinde { ags: *ags }),
        };
        seeds.push(Seed::new(
            label("remove", ags),
            Actor::Admin,
            file.gebietsstand,
            command,
        ));
    }
    seeds
}
