//! The keys some query parameters take, in one place for the readers of
//! the parameters and for the OpenAPI schemas that list them.

/// `?sort=` of the catalogue.
pub const SORT_KEYS: [&str; 4] = ["title", "reuse", "live", "announced"];

/// `?format=` of every list and view with a table form.
pub const FORMATS: [&str; 3] = ["json", "csv", "xlsx"];

/// What `?format=` chooses.
pub const FORMAT_DESCRIPTION: &str = "csv: CSV statt JSON (wie Accept: text/csv); xlsx: \
    dieselbe Tabelle als Excel-Datei (wie Accept mit dem XLSX-Medientyp)";

/// `?table=` of a service's costs of a year.
pub const COST_TABLES: [&str; 4] = ["shares", "alternatives", "costs", "closing"];

/// `?table=` of a Land's rollout.
pub const ROLLOUT_TABLES: [&str; 2] = ["gemeinden", "kreise"];

/// `?order=` of a Land's funnels.
pub const FUNNEL_ORDERS: [&str; 4] = ["service", "fewest-live", "most-live", "slowest-to-live"];

/// The largest request body accepted: 64 KiB.
pub const BODY_BYTES_MAX: usize = 64 * 1024;
