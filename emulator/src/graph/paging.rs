//! Server-driven paging: `$top` and `$skiptoken` (the `$` is optional on beta), with
//! `@odata.nextLink` carrying every other query option unchanged.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::odata::GraphError;

/// The paging-related query of one collection request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    top: Option<usize>,
    offset: usize,
    /// Query options other than `$top`/`$skiptoken`, in their original order and spelling.
    others: Vec<(String, String)>,
}

impl PageQuery {
    pub fn parse(query: Option<&str>) -> Result<Self, GraphError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|_| GraphError::bad_request("The query string is malformed."))?;
        let mut page = PageQuery {
            top: None,
            offset: 0,
            others: Vec::new(),
        };
        for (name, value) in pairs {
            match option_name(&name).as_str() {
                "top" => {
                    let top = value.parse::<usize>().map_err(|_| {
                        GraphError::bad_request(format!(
                            "Invalid value '{value}' for $top query option found."
                        ))
                    })?;
                    page.top = Some(top);
                }
                "skiptoken" => page.offset = decode_token(&value)?,
                _ => page.others.push((name, value)),
            }
        }
        Ok(page)
    }

    /// The query options other than paging ones, as sent.
    pub fn others(&self) -> &[(String, String)] {
        &self.others
    }

    /// Slices `items` into this page and builds the next link (absolute, from `url_base` =
    /// scheme, host and path of the request) when more items follow.
    pub fn page<'a, T>(
        &self,
        items: &'a [T],
        page_size: usize,
        url_base: &str,
    ) -> (&'a [T], Option<String>) {
        let size = self.top.map_or(page_size, |top| top.min(page_size)).max(1);
        let start = self.offset.min(items.len());
        let end = start.saturating_add(size).min(items.len());
        let next = (end < items.len()).then(|| self.next_link(url_base, end));
        (&items[start..end], next)
    }

    fn next_link(&self, url_base: &str, offset: usize) -> String {
        let mut pairs = self.others.clone();
        if let Some(top) = self.top {
            pairs.push(("$top".to_owned(), top.to_string()));
        }
        pairs.push(("$skiptoken".to_owned(), encode_token(offset)));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("{url_base}?{query}")
    }
}

fn option_name(name: &str) -> String {
    name.strip_prefix('$').unwrap_or(name).to_ascii_lowercase()
}

fn encode_token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn decode_token(token: &str) -> Result<usize, GraphError> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("offset:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| GraphError::bad_request("The $skiptoken value is invalid."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_next_links() {
        let items: Vec<u32> = (0..5).collect();
        let first = PageQuery::parse(Some("$select=id")).unwrap();
        let (page, next) = first.page(&items, 2, "http://h/p");
        assert_eq!(page, [0, 1]);
        let next = next.unwrap();
        assert!(next.starts_with("http://h/p?%24select=id&%24skiptoken="));
        let query = next.split_once('?').unwrap().1;
        let (page, next) = PageQuery::parse(Some(query))
            .unwrap()
            .page(&items, 2, "http://h/p");
        assert_eq!(page, [2, 3]);
        let query = next.unwrap().split_once('?').unwrap().1.to_owned();
        let (page, next) = PageQuery::parse(Some(&query))
            .unwrap()
            .page(&items, 2, "http://h/p");
        assert_eq!(page, [4]);
        assert!(next.is_none());
    }

    #[test]
    fn top_without_dollar_limits_the_page() {
        let items: Vec<u32> = (0..5).collect();
        let (page, next) = PageQuery::parse(Some("top=1"))
            .unwrap()
            .page(&items, 100, "u");
        assert_eq!(page, [0]);
        assert!(next.unwrap().contains("%24top=1"));
        assert!(PageQuery::parse(Some("$top=x")).is_err());
    }
}
