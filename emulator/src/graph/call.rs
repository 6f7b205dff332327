//! What a Graph handler gets to know about the request it serves.

use jiff::Timestamp;

/// The parts of a Graph request that handlers use.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// `http(s)://host:port` of the emulator.
    pub base_url: &'a str,
    /// The request path as sent (used to build next links).
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub body: &'a [u8],
    pub now: Timestamp,
    /// The caller sent `Prefer: include-unknown-enum-members`.
    pub include_unknown_enum_members: bool,
}

impl Call<'_> {
    /// Absolute URL of the request without its query, the base of `@odata.nextLink`.
    pub fn url_without_query(&self) -> String {
        format!("{}{}", self.base_url, self.path)
    }
}
