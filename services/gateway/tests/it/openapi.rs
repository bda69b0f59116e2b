//! The OpenAPI document over HTTP: it is OpenAPI 3.1, and every path and
//! method it names is a route of the gateway (requested with sample
//! parameters: never the fallback 404 or a 405).

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::harness::Harness;

/// A path template with sample values for its parameters.
fn concrete(template: &str) -> String {
    template
        .replace("{id}", "wohngeld")
        .replace("{service}", "wohngeld")
        .replace("{land}", "16")
        .replace("{ags}", "16051000")
        .replace("{year}", "2023")
        .replace("{cost_no}", "1")
}

#[tokio::test]
async fn the_document_is_openapi_3_1() {
    let harness = Harness::start().await;
    let document = harness.get_json("/api/v1/openapi.json").await;
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document, efa_gateway::openapi_document());
    assert_eq!(
        document["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    // Without a ledger and a projector: reads are unavailable (503),
    // writes without a token unauthorized (401); neither is "no such
    // address" (404) or "no such method" (405).
    let harness = Harness::start().await;
    let document = efa_gateway::openapi_document();
    let mut operations = 0;
    for (template, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            // A required query parameter (a statement's changes need the
            // sequence they are since) given, so the request gets past it.
            let required: Vec<String> = (operation["parameters"].as_array().into_iter())
                .flatten()
                .filter(|p| p["in"] == "query" && p["required"] == true)
                .map(|p| format!("{}=1", p["name"].as_str().unwrap()))
                .collect();
            let path = match required.is_empty() {
                true => concrete(template),
                false => format!("{}?{}", concrete(template), required.join("&")),
            };
            let response = harness
                .http
                .request(method.clone(), harness.url(&path))
                .send()
                .await
                .unwrap();
            let expected = match (&method, template.as_str()) {
                (&Method::GET, "/api/v1/openapi.json") => StatusCode::OK,
                (&Method::GET, _) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNAUTHORIZED,
            };
            assert_eq!(response.status(), expected, "{method} {template}");
            let is_public = operation["security"] == Value::Array(vec![]);
            assert_eq!(is_public, method == Method::GET, "{method} {template}");
            operations += 1;
        }
    }
    assert!(operations >= 36, "{operations}");
}
