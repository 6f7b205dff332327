//! Graph's OData error body (graph-api.md §5.1), reduced to what an error report needs.

use serde::Deserialize;

/// What the error body says, with the `innerError` chain walked.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ODataErrorSummary {
    pub code: Option<String>,
    /// The innermost non-empty `code` below the top level.
    pub inner_code: Option<String>,
    /// The top-level message, or the first non-empty inner one when that is empty.
    pub message: Option<String>,
    /// The first `request-id` and `date` found in the chain.
    pub request_id: Option<String>,
    pub date: Option<String>,
}

impl ODataErrorSummary {
    /// `None` when the body is not an OData error (an HTML page from a proxy, for example).
    pub fn parse(body: &[u8]) -> Option<Self> {
        let envelope: ErrorEnvelope = serde_json::from_slice(body).ok()?;
        let error = envelope.error;
        let mut summary = Self {
            code: non_empty(error.code),
            message: non_empty(error.message),
            ..Self::default()
        };
        let mut level = error.inner.as_deref();
        while let Some(inner) = level {
            if let Some(code) = non_empty(inner.code.clone()) {
                summary.inner_code = Some(code);
            }
            summary.message = summary.message.or_else(|| non_empty(inner.message.clone()));
            summary.request_id = summary.request_id.or_else(|| inner.request_id.clone());
            summary.date = summary.date.or_else(|| inner.date.clone());
            level = inner.inner.as_deref();
        }
        Some(summary)
    }
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|text| !text.is_empty())
}

/// `{"error": {...}}`, the OData v4 error envelope.
#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ODataError,
}

#[derive(Deserialize)]
struct ODataError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    // Graph writes `innerError`; the OData guideline writes `innererror`.
    #[serde(default, rename = "innerError", alias = "innererror")]
    inner: Option<Box<InnerError>>,
}

#[derive(Deserialize)]
struct InnerError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "request-id")]
    request_id: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default, rename = "innerError", alias = "innererror")]
    inner: Option<Box<InnerError>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_error() {
        let body = br#"{"error":{"code":"BadRequest","message":"Resource not found for the segment 'mef'.","innerError":{"date":"2021-07-02T01:40:19","request-id":"1a0ffbc0-086f-4e8f-93f9-bf99881c65f6","client-request-id":"225aed2b-cf4a-d456-b313-16ab196c2364"}}}"#;
        let summary = ODataErrorSummary::parse(body).unwrap();
        assert_eq!(summary.code.as_deref(), Some("BadRequest"));
        assert_eq!(summary.inner_code, None);
        assert_eq!(
            summary.message.as_deref(),
            Some("Resource not found for the segment 'mef'.")
        );
        assert_eq!(
            summary.request_id.as_deref(),
            Some("1a0ffbc0-086f-4e8f-93f9-bf99881c65f6")
        );
        assert_eq!(summary.date.as_deref(), Some("2021-07-02T01:40:19"));
    }

    #[test]
    fn tolerates_empty_codes_and_non_odata_bodies() {
        let summary = ODataErrorSummary::parse(br#"{"error":{"code":"","message":"m"}}"#).unwrap();
        assert_eq!(summary.code, None);
        assert_eq!(summary.message.as_deref(), Some("m"));
        assert_eq!(ODataErrorSummary::parse(b"<html/>"), None);
        assert_eq!(ODataErrorSummary::parse(b""), None);
    }
}
