//! The schemas of single values: the proto's identifiers, codes, dates and
//! amounts as the API writes them as text or numbers, and the contract's
//! field readers. The wire contract knows nothing of OpenAPI, so its types
//! are described here and named in the derives with `value_type`. Each
//! value is one component of the document, with its German description;
//! the keys of enumerations come from the same constants the readers use.

use std::borrow::Cow;

use efa_proto::{self as proto, CostCategory as Cost};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::contract::field::{self, Text, Whole};

const LAND: &str = "(0[1-9]|1[0-6])";
const SLUG: &str = "[a-z](-?[a-z0-9])+";
/// A Land code as the readers take it: one or two digits.
const LAND_TEXT: &str = "^(0?[1-9]|1[0-6])$";

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

fn pattern(pattern: &str, description: &str) -> ObjectBuilder {
    string(description).pattern(Some(pattern))
}

fn slug(description: &str) -> ObjectBuilder {
    pattern(&format!("^{SLUG}$"), description)
        .min_length(Some(3))
        .max_length(Some(64))
}

fn date(format: KnownFormat, description: &str) -> ObjectBuilder {
    string(description).format(Some(SchemaFormat::KnownFormat(format)))
}

fn integer(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .description(Some(description))
}

fn whole(minimum: i64, maximum: i64, description: &str) -> ObjectBuilder {
    integer(description)
        .minimum(Some(minimum))
        .maximum(Some(maximum))
}

fn keys<'a>(keys: impl IntoIterator<Item = &'a str>, description: &str) -> ObjectBuilder {
    string(description).enum_values(Some(keys))
}

macro_rules! values {
    ($($(#[$doc:meta])* $name:ident => $schema:expr;)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug)]
            pub struct $name;

            impl PartialSchema for $name {
                fn schema() -> RefOr<Schema> {
                    $schema.into()
                }
            }

            impl ToSchema for $name {}
        )*

        /// Every value schema, by name.
        pub fn all() -> Vec<(String, RefOr<Schema>)> {
            vec![$(($name::name().into_owned(), $name::schema())),*]
        }
    };
}

values! {
    /// An AGS: eight digits, the first two a Land code.
    Ags => pattern(&format!("^{LAND}[0-9]{{6}}$"), "Amtlicher Gemeindeschlüssel (8 Ziffern)");
    /// A Kreis key: five digits, the first two a Land code.
    KreisKey => pattern(&format!("^{LAND}[0-9]{{3}}$"), "Kreisschlüssel (5 Ziffern)");
    /// A Land code as answers write it.
    LandCode => pattern(&format!("^{LAND}$"), "Ländercode 01 bis 16");
    /// A Land code in a path, a query or as an object's key.
    LandKey => pattern(LAND_TEXT, "Ländercode 01 bis 16 (auch ohne führende Null)");
    /// A Land code in a request body: text or number.
    LandCodeIn => OneOfBuilder::new()
        .item(pattern(LAND_TEXT, "Ländercode als Text"))
        .item(whole(1, 16, "Ländercode als Zahl"))
        .description(Some("Ländercode 01 bis 16, als Text oder Zahl"));
    ServiceId => slug("Kennung der Leistung (3 bis 64 Kleinbuchstaben, Ziffern und einzelne Bindestriche)");
    OperatorId => slug("Kennung des Betreibers");
    /// Who did something (`Actor` as text).
    Principal => pattern(
        &format!("^(admin|land:{LAND}|gemeinde:{LAND}[0-9]{{6}}|operator:{SLUG})$"),
        "land:NN, gemeinde:AGS, operator:ID oder admin",
    );
    /// Whose history a list is.
    Subject => pattern(&format!("^(all|service:{SLUG}|gemeinde:{LAND}[0-9]{{6}})$"),
        "service:ID, gemeinde:AGS oder all");
    ChainHash => pattern("^[0-9a-f]{64}$", "SHA-256-Kettenhash, hexadezimal");
    Date => date(KnownFormat::Date, "Datum JJJJ-MM-TT");
    Effective =>
        date(KnownFormat::Date, "Wirksam ab (JJJJ-MM-TT); ohne Angabe der Tag der Erfassung");
    Timestamp => date(KnownFormat::DateTime, "Zeitpunkt der Erfassung (UTC)");
    Channel => keys(proto::Channel::ALL.map(proto::Channel::key), "Bezugsweg");
    ServiceStatus => keys(proto::ServiceStatus::ALL.map(proto::ServiceStatus::key), "Status der Leistung");
    CostCategory => keys([Cost::Development, Cost::Operation].map(Cost::key), "Art der Kosten");
    AdoptionStage => keys(proto::AdoptionStage::ALL.map(proto::AdoptionStage::key), "Stufe der Einführung");
    /// The stages a step of an adoption may reach.
    StepStage => keys(crate::contract::adoptions::STEP_STAGES.map(proto::AdoptionStage::key),
        "Nächste Stufe der Einführung");
    ParticipationChange => keys(
        crate::contract::settlement::CHANGES,
        "beitritt: das Land tritt zum Datum bei; nimmt es schon teil, wird sein Beitritt \
         auf das Datum verlegt. austritt: das Land tritt zum Datum aus; ist es schon \
         ausgetreten, wird sein letzter Austritt auf das Datum verlegt.",
    );
    CatalogueSort => keys(crate::keys::SORT_KEYS, "Sortierung");
    Format => keys(crate::keys::FORMATS, crate::keys::FORMAT_DESCRIPTION);
    CostTable => keys(crate::keys::COST_TABLES, "Welche Tabelle als CSV")
        .default(Some("shares".into()));
    RolloutTable => keys(crate::keys::ROLLOUT_TABLES, "Welche Tabelle als CSV")
        .default(Some("gemeinden".into()));
    FunnelOrder => keys(
        crate::keys::FUNNEL_ORDERS,
        "Reihenfolge: nach Kennung, die wenigsten oder meisten in Betrieb zuerst, \
         die längste Zeit bis in Betrieb (Median) zuerst",
    )
    .default(Some("service".into()));
    Reifegrad => whole(0, 4, "Reifegrad 0 bis 4");
    /// The years the registry keeps costs, keys and figures for: in a body
    /// the domain refuses others (422), in a path the gateway (400).
    RegisterYear => whole(
        (*proto::REGISTER_YEARS.start()).into(),
        (*proto::REGISTER_YEARS.end()).into(),
        &format!(
            "Jahr der Kosten, Schlüssel und Zahlen ({} bis {})",
            proto::REGISTER_YEARS.start(),
            proto::REGISTER_YEARS.end()
        ),
    );
    /// Cents as the answers write them: a supplement may lower a sum.
    Cents => integer("Cent, negativ für eine Gutschrift");
    /// Cents as the requests take them: what was spent, never below zero.
    CentsIn => integer("Cent als ganze Zahl, nicht negativ").minimum(Some(0));
    /// Key units: 1/100,000 percent, at most the whole.
    KeyUnits => whole(0, proto::KEY_UNITS_TOTAL.into(), "1/100.000 Prozent");
    /// Euros as the requests take them: never below zero.
    Euros => pattern("^[0-9]+([.,][0-9]{0,2})?$",
        "Euro als Text mit höchstens zwei Nachkommastellen, nicht negativ, z. B. \"1234,56\"");
    /// Euros as the answers write them.
    EurosText => pattern("^-?[0-9]+\\.[0-9]{2}$", "Euro mit Punkt, z. B. 1234.56");
    Exact => pattern("^-?[0-9]+/[0-9]+$", "Exakter Bruch „Zähler/Nenner“");
    Percent => pattern("^[0-9]{1,3}([.,][0-9]{1,5})?$",
        "Prozent mit höchstens 5 Nachkommastellen, z. B. \"3,39074\"");
    WeightPercent => pattern("^[0-9]+\\.[0-9]{5}$", "Gewicht in Prozent");
    Note => string("Freitext").max_length(Some(field::NOTE_CHARS_MAX));
    LeikaKey => pattern("^[0-9]{14}$", "LeiKa-Schlüssel: 14 Ziffern");
    OzgId => string("OZG-ID; leer oder null: keine")
        .max_length(Some(crate::contract::services::OZG_ID_CHARS_MAX));
    NextPage => string("Adresse der nächsten Seite (auch als Link-Kopfzeile)");
}

/// The contract's own readers of a value, described as that value.
macro_rules! same {
    ($($reader:ty => $value:ty),*) => {
        $(
            impl PartialSchema for $reader {
                fn schema() -> RefOr<Schema> {
                    <$value>::schema()
                }
            }

            impl ToSchema for $reader {
                fn name() -> Cow<'static, str> {
                    <$value>::name()
                }
            }
        )*
    };
}

same!(field::Note => Note, field::Year => RegisterYear, field::Euros => Euros);

impl<const MAX: usize> PartialSchema for Text<MAX> {
    fn schema() -> RefOr<Schema> {
        string(&format!("Text von 1 bis {MAX} Zeichen"))
            .min_length(Some(1))
            .max_length(Some(MAX))
            .pattern(Some("\\S"))
            .into()
    }
}

impl<const MAX: usize> ToSchema for Text<MAX> {
    fn name() -> Cow<'static, str> {
        format!("Text{MAX}").into()
    }
}

impl<const MIN: u32, const MAX: u32> PartialSchema for Whole<MIN, MAX> {
    fn schema() -> RefOr<Schema> {
        let description = format!("Ganze Zahl von {MIN} bis {MAX}");
        whole(MIN.into(), MAX.into(), &description).into()
    }
}

impl<const MIN: u32, const MAX: u32> ToSchema for Whole<MIN, MAX> {
    fn name() -> Cow<'static, str> {
        format!("Whole{MIN}To{MAX}").into()
    }
}
