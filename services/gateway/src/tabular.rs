//! The tables of the contract (`efa_api::csv::Table`) answered over
//! HTTP: as a CSV attachment, or as a workbook where XLSX is asked for.

use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use efa_api::csv::Table;

use crate::params::Format;
use crate::problem::ApiError;

/// The media type of every CSV answer.
pub const CONTENT_TYPE_CSV: &str = "text/csv; charset=utf-8";

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
            Format::Xlsx => crate::xlsx::response(&self),
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
