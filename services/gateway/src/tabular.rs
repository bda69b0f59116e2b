//! The tables of the contract (`efa_api::csv::Table`) answered over
//! HTTP: as a CSV attachment, or as a workbook (`efa_api::xlsx`) where
//! XLSX is asked for.

use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use efa_api::csv::Table;
use efa_api::xlsx;

use crate::problem::ApiError;
use efa_api::query::Format;

/// The media type of every CSV answer.
pub const CONTENT_TYPE_CSV: &str = "text/csv; charset=utf-8";
/// The media type of every XLSX answer.
pub const CONTENT_TYPE_XLSX: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A table as an answer.
pub trait Answer {
    /// In the format asked for: a workbook for XLSX, CSV else.
    fn answer(self, format: Format) -> Result<Response, ApiError>;
    /// As a CSV attachment.
    fn csv(self) -> Response;
    /// `Content-Disposition`: an attachment named after the table.
    fn disposition_as(&self, extension: &str) -> HeaderValue;
}

impl Answer for Table {
    fn answer(self, format: Format) -> Result<Response, ApiError> {
        match format {
            Format::Xlsx => workbook(&self),
            Format::Csv | Format::Json => Ok(self.csv()),
        }
    }

    fn csv(self) -> Response {
        let disposition = self.disposition_as("csv");
        (
            [
                (CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_CSV)),
                (CONTENT_DISPOSITION, disposition),
            ],
            self.render(),
        )
            .into_response()
    }

    fn disposition_as(&self, extension: &str) -> HeaderValue {
        let file = self.file_name(extension);
        HeaderValue::from_str(&format!("attachment; filename=\"{file}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
    }
}

/// The answer with the workbook of `table`, named like its CSV.
fn workbook(table: &Table) -> Result<Response, ApiError> {
    if table.rows.len() > xlsx::ROWS_MAX {
        return Err(too_many_rows());
    }
    let bytes = xlsx::render(table).map_err(|error| {
        tracing::error!(%error, table = %table.name, "an XLSX file could not be written");
        ApiError::Internal("the XLSX writer")
    })?;
    let disposition = table.disposition_as("xlsx");
    Ok((
        [
            (CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_XLSX)),
            (CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// A list longer than a workbook is made of.
pub fn too_many_rows() -> ApiError {
    ApiError::BadRequest(format!(
        "Als XLSX gibt es höchstens {} Zeilen; diese Liste hat mehr. Bitte als CSV \
         (format=csv) laden, enger filtern oder seitenweise abrufen (limit, dazu offset, \
         cursor oder from_seq, wie die Liste sie nimmt).",
        efa_api::de::thousands(xlsx::ROWS_MAX as u64)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_answer_is_an_attachment() {
        let response = Table::new("kosten 2023/ü", "A").csv();
        assert_eq!(response.headers()[CONTENT_TYPE], CONTENT_TYPE_CSV);
        assert_eq!(
            response.headers()[CONTENT_DISPOSITION],
            "attachment; filename=\"kosten-2023--.csv\""
        );
    }
}
