//! A rollout as a spreadsheet records it: per municipality and service the
//! stage reached and since when. Operators such as KIV Thüringen keep such
//! tables; the registry writes the same one (`AGS;Gemeinde;Leistung;Stufe;
//! Seit;Kreis;Vorgängergemeinde`, the rollout's and a Gemeinde's CSV). This
//! module reads such a file, as the registry wrote it or as a spreadsheet
//! saved it again, and plans, row by row, the adoption commands that bring
//! the registry to the file's stages. It plans only forward: the registry's
//! steps go forward, so a row behind the registry is reported, never
//! undone; a municipality or service the file leaves out is left as it is.
//!
//! A row may stand for a predecessor's adoption: a municipality merged
//! into the row's takes no steps any more, so its adoption is withdrawn
//! under its own AGS, and a stage beyond it is the successor's own
//! adoption, asked for anew (the more advanced of the two then counts).

mod plan;
mod read;

pub use plan::{
    Beneath, KINDS, Kind, Plan, Planned, Service, Standing, Standings, Unplanned, Write, as_of,
    plan, plan_all, service_refuses, standings_of, write_key,
};
pub use read::{FileError, Row, is_binary, is_xlsx, read, read_file, read_xlsx};
