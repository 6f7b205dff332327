//! Where Graph and the identity platform are reached. Both are configuration (the emulator is one
//! setting away), checked once here: HTTPS only, except plain HTTP to a loopback address.

use std::fmt;
use std::net::IpAddr;

use reqwest::Url;

/// The global cloud's Graph root; the client adds `/beta`.
pub const DEFAULT_GRAPH_ENDPOINT: &str = "https://graph.microsoft.com";
/// The global cloud's authority host.
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";

/// Hosts of national clouds, where the industryData API does not exist (graph-api.md §5.9).
const NATIONAL_CLOUD_HOSTS: [&str; 6] = [
    "graph.microsoft.us",
    "dod-graph.microsoft.us",
    "microsoftgraph.chinacloudapi.cn",
    "login.microsoftonline.us",
    "login.chinacloudapi.cn",
    "login.partner.microsoftonline.cn",
];

/// The Graph root and the authority host, validated and without trailing slashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphEndpoints {
    graph: Url,
    authority_host: Url,
}

impl Default for GraphEndpoints {
    fn default() -> Self {
        Self::new(DEFAULT_GRAPH_ENDPOINT, DEFAULT_AUTHORITY_HOST)
            .unwrap_or_else(|error| unreachable!("the default endpoints are valid: {error}"))
    }
}

impl GraphEndpoints {
    /// `graph` is the root without version (`https://graph.microsoft.com`); `authority_host` is
    /// the login host (`https://login.microsoftonline.com`, with or without the trailing slash
    /// that `AZURE_AUTHORITY_HOST` carries).
    pub fn new(graph: &str, authority_host: &str) -> Result<Self, EndpointError> {
        let graph = parse(EndpointRole::Graph, graph)?;
        let last_segment = graph.path().rsplit('/').next().unwrap_or_default();
        if ["beta", "v1.0"].contains(&last_segment.to_ascii_lowercase().as_str()) {
            return Err(EndpointError::new(
                EndpointRole::Graph,
                graph.as_str(),
                "give the Graph root without a version segment; the client adds /beta",
            ));
        }
        let authority_host = parse(EndpointRole::Authority, authority_host)?;
        Ok(Self {
            graph,
            authority_host,
        })
    }

    /// The Graph root as configured, e.g. `https://graph.microsoft.com`.
    pub fn graph(&self) -> &str {
        self.graph.as_str().trim_end_matches('/')
    }

    /// The authority host as configured, e.g. `https://login.microsoftonline.com`.
    pub fn authority_host(&self) -> &str {
        self.authority_host.as_str().trim_end_matches('/')
    }

    /// `{graph}/beta/{segments...}`, each segment percent-encoded as needed.
    pub(crate) fn beta_url(&self, segments: &[&str]) -> Url {
        with_segments(
            &self.graph,
            std::iter::once("beta").chain(segments.iter().copied()),
        )
    }

    /// `{authority_host}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self, tenant: &str) -> Url {
        with_segments(&self.authority_host, [tenant, "oauth2", "v2.0", "token"])
    }

    /// `{authority_host}/{tenant}/oauth2/v2.0/devicecode`: the device authorization endpoint.
    pub fn device_code_url(&self, tenant: &str) -> Url {
        with_segments(
            &self.authority_host,
            [tenant, "oauth2", "v2.0", "devicecode"],
        )
    }

    /// Whether `url` has the Graph root's scheme, host and port, so that a bearer token sent to
    /// it stays with Graph (used to vet `@odata.nextLink`).
    pub(crate) fn is_graph_origin(&self, url: &Url) -> bool {
        url.origin() == self.graph.origin()
    }
}

fn with_segments<'a>(base: &Url, segments: impl IntoIterator<Item = &'a str>) -> Url {
    let mut url = base.clone();
    // Only http(s) URLs get here, and those always have a path to extend.
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

fn parse(role: EndpointRole, text: &str) -> Result<Url, EndpointError> {
    let trimmed = text.trim().trim_end_matches('/');
    let fail = |why: &str| EndpointError::new(role, trimmed, why);
    let url = Url::parse(trimmed).map_err(|error| fail(&format!("not a URL ({error})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(fail("it must not carry credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(fail("it must not have a query or fragment"));
    }
    let host = url.host_str().ok_or_else(|| fail("it has no host"))?;
    if NATIONAL_CLOUD_HOSTS.contains(&host) {
        return Err(fail(
            "the School Data Sync industryData API exists only in the global cloud",
        ));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(fail(
            "plain http is only allowed to a loopback address (127.0.0.0/8, ::1 or localhost); use https",
        )),
        _ => Err(fail("the scheme must be https")),
    }
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let unbracketed = host.trim_start_matches('[').trim_end_matches(']');
    match unbracketed.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// Which endpoint a configuration error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointRole {
    Graph,
    Authority,
}

impl fmt::Display for EndpointRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Graph => "Graph endpoint",
            Self::Authority => "authority host",
        })
    }
}

/// A refused endpoint, with the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the {role} `{url}` is not usable: {reason}")]
pub struct EndpointError {
    pub role: EndpointRole,
    pub url: String,
    pub reason: String,
}

impl EndpointError {
    fn new(role: EndpointRole, url: &str, reason: &str) -> Self {
        Self {
            role,
            url: url.to_owned(),
            reason: reason.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_global_cloud() {
        let endpoints = GraphEndpoints::default();
        assert_eq!(endpoints.graph(), "https://graph.microsoft.com");
        assert_eq!(
            endpoints.token_url("contoso.onmicrosoft.com").as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(
            endpoints.beta_url(&["external", "industryData"]).as_str(),
            "https://graph.microsoft.com/beta/external/industryData"
        );
    }

    #[test]
    fn normalises_trailing_slashes_and_keeps_path_prefixes() {
        let endpoints = GraphEndpoints::new(
            "http://127.0.0.1:8080/graph/",
            "https://login.microsoftonline.com/",
        )
        .unwrap();
        assert_eq!(
            endpoints.authority_host(),
            "https://login.microsoftonline.com"
        );
        assert_eq!(
            endpoints.token_url("t").as_str(),
            "https://login.microsoftonline.com/t/oauth2/v2.0/token"
        );
        assert_eq!(
            endpoints.beta_url(&["a b", "c"]).as_str(),
            "http://127.0.0.1:8080/graph/beta/a%20b/c"
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:1",
            "http://127.8.9.10",
            "http://[::1]:3",
            "http://LOCALHOST:4",
        ] {
            assert!(GraphEndpoints::new(ok, ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://10.0.0.1",
            "http://graph.microsoft.com",
            "http://localhost.evil.com",
        ] {
            let error = GraphEndpoints::new(refused, DEFAULT_AUTHORITY_HOST).unwrap_err();
            assert_eq!(error.role, EndpointRole::Graph);
            assert!(error.to_string().contains("loopback"), "{error}");
        }
        let error =
            GraphEndpoints::new(DEFAULT_GRAPH_ENDPOINT, "http://login.example").unwrap_err();
        assert_eq!(error.role, EndpointRole::Authority);
    }

    #[test]
    fn refuses_versions_national_clouds_and_oddities() {
        let cases = [
            ("https://graph.microsoft.com/beta", "version"),
            ("https://graph.microsoft.us", "global cloud"),
            ("ftp://127.0.0.1", "scheme"),
            ("https://user:pw@graph.microsoft.com", "credentials"),
            ("https://graph.microsoft.com?x=1", "query"),
            ("not a url", "not a URL"),
        ];
        for (url, why) in cases {
            let error = GraphEndpoints::new(url, DEFAULT_AUTHORITY_HOST).unwrap_err();
            assert!(error.to_string().contains(why), "{url}: {error}");
        }
    }
}
