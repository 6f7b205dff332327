//! The rules every request to Graph and the identity platform follows, whoever sends it: no
//! redirect is followed, so a client secret, assertion or bearer token is never re-sent to
//! another origin (DESIGN §5), and no answer is read past a size limit.

use reqwest::header::LOCATION;
use reqwest::redirect::Policy;
use reqwest::{Response, Url};

/// Most bytes read of a Graph answer; a page of flows is a few KiB.
pub const MAX_GRAPH_BODY: usize = 4 * 1024 * 1024;
/// Most bytes read of an identity-platform answer; a token answer is a few KiB.
pub const MAX_TOKEN_BODY: usize = 256 * 1024;

/// A `reqwest` builder for clients that talk to Graph or the identity platform: it follows no
/// redirects. Add what the deployment needs (proxy settings, trusted roots), then build.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().redirect(Policy::none())
}

/// The operator's HTTP client for Graph and the identity platform, following no redirects.
///
/// # Panics
///
/// Like `reqwest::Client::new`, when the TLS backend cannot be initialised.
pub fn http_client() -> reqwest::Client {
    http_client_builder()
        .build()
        .expect("the TLS backend initialises")
}

/// Why an answer's body was not read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the answer's body is larger than {limit} bytes, the most this client reads")]
    TooLarge { limit: usize },
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
}

/// Reads the body of `response`, refusing it as soon as it is known to exceed `limit` bytes: by
/// its `Content-Length`, or while it streams in, so no more than `limit` bytes are ever held.
pub async fn read_body(mut response: Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    let declared = response.content_length().unwrap_or(0);
    if usize::try_from(declared).map_or(true, |declared| declared > limit) {
        return Err(BodyError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if chunk.len() > limit - body.len() {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Whether `status` is a redirect that this client, following none, must refuse.
pub fn is_redirect(status: u16) -> bool {
    (300..400).contains(&status)
}

/// Where a redirect answer pointed, to be shown in an error: its `Location` resolved against the
/// request's URL, reduced to scheme, host, port and path. User info, query and fragment are
/// dropped, since they may carry a code or a token. `None` when there is no readable Location.
pub fn redirect_target(request: &Url, response: &Response) -> Option<String> {
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    let mut target = request.join(location.trim()).ok()?;
    target.set_query(None);
    target.set_fragment(None);
    // Fails only for URLs without a host, which have no user info to drop.
    let _ = target.set_username("");
    let _ = target.set_password(None);
    Some(target.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, location: Option<&str>) -> Response {
        let mut response = axum::http::Response::builder().status(status);
        if let Some(location) = location {
            response = response.header(LOCATION, location);
        }
        Response::from(response.body(Vec::new()).expect("a response"))
    }

    #[test]
    fn redirect_targets_keep_no_query_fragment_or_user_info() {
        let request = Url::parse("https://login.example/tenant/oauth2/v2.0/token").unwrap();
        for (location, shown) in [
            (
                "https://evil.example:8443/steal?client_secret=s#frag",
                "https://evil.example:8443/steal",
            ),
            ("http://user:pass@evil.example/x", "http://evil.example/x"),
            ("/elsewhere?code=1", "https://login.example/elsewhere"),
            ("other", "https://login.example/tenant/oauth2/v2.0/other"),
        ] {
            assert_eq!(
                redirect_target(&request, &answer(307, Some(location))).as_deref(),
                Some(shown),
                "{location}"
            );
        }
        assert_eq!(redirect_target(&request, &answer(302, None)), None);
    }

    #[test]
    fn only_3xx_is_a_redirect() {
        assert!(is_redirect(301) && is_redirect(307) && is_redirect(308));
        assert!(!is_redirect(200) && !is_redirect(204) && !is_redirect(400));
    }
}
