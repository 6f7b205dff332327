//! What every answer carries besides its body: the correlation headers Graph support asks for
//! (`request-id`, `client-request-id`, `Date`) and `Retry-After` in either of its two forms.

use std::time::Duration;

use jiff::Timestamp;
use reqwest::header::{DATE, HeaderMap, RETRY_AFTER};

/// A successful Graph answer with the ids that identify the call in Graph's logs.
#[derive(Clone, Debug, PartialEq)]
pub struct Response<T> {
    pub value: T,
    /// Graph's `request-id` response header, when it sent one.
    pub request_id: Option<String>,
    /// The `client-request-id` this client sent (Graph echoes it back).
    pub client_request_id: String,
}

/// Correlation data of one HTTP exchange, read from the response headers.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ResponseMeta {
    pub status: u16,
    pub request_id: Option<String>,
    pub date: Option<String>,
    pub retry_after: Option<Duration>,
}

impl ResponseMeta {
    pub fn from_headers(status: u16, headers: &HeaderMap) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            status,
            // The identity platform sends `x-ms-request-id` where Graph sends `request-id`.
            request_id: text("request-id").or_else(|| text("x-ms-request-id")),
            date: text(DATE.as_str()),
            retry_after: text(RETRY_AFTER.as_str())
                .and_then(|value| parse_retry_after(&value, Timestamp::now())),
        }
    }
}

/// The longest wait a `Retry-After` can impose: a longer one is read as this (DESIGN §5), so that
/// no answer can hold a credential's resources back for days or overflow a deadline.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

/// Reads `Retry-After` as delay-seconds or as an HTTP-date (RFC 9110 §10.2.3), capped at
/// [`MAX_RETRY_AFTER`]. A date in the past means "now"; a number of seconds too large for any
/// integer type still means "a long time", so it is the cap. Values that are neither form
/// (negative, fractional, text) are ignored rather than guessed at.
pub(crate) fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        value
            .parse::<u64>()
            .map_or(MAX_RETRY_AFTER, Duration::from_secs)
    } else {
        let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
        // Both ends lie within jiff's ±10,000 years, so the difference cannot overflow; a
        // negative one (a date in the past) does not convert and means "now".
        Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn now() -> Timestamp {
        "2024-03-22T23:55:06Z".parse().unwrap()
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(parse_retry_after("3", now()), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(" 120 ", now()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after("0", now()), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_as_http_date() {
        assert_eq!(
            parse_retry_after("Fri, 22 Mar 2024 23:55:36 GMT", now()),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Fri, 22 Mar 2024 23:55:00 GMT", now()),
            Some(Duration::ZERO),
            "a date in the past means retry now"
        );
    }

    #[test]
    fn retry_after_garbage_is_ignored() {
        for value in [
            "",
            "-1",
            "-18446744073709551616",
            "+5",
            "soon",
            "1.5",
            "1e9",
            "0x10",
            "3 s",
            "Fri, 32 Mar 2024 23:55:36 GMT",
            "Fri, 22 Mar 99999 23:55:36 GMT",
        ] {
            assert_eq!(parse_retry_after(value, now()), None, "{value:?}");
        }
    }

    #[test]
    fn huge_delay_seconds_are_capped_at_an_hour() {
        for value in [
            "3601",
            "86400",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999999999999999999999999",
        ] {
            assert_eq!(
                parse_retry_after(value, now()),
                Some(MAX_RETRY_AFTER),
                "{value:?}"
            );
        }
        assert_eq!(
            parse_retry_after("3600", now()),
            Some(Duration::from_secs(3600))
        );
    }

    #[test]
    fn http_dates_far_away_are_capped_or_mean_now() {
        for (value, wait) in [
            ("Thu, 30 Dec 9999 00:00:00 GMT", MAX_RETRY_AFTER),
            ("Sat, 23 Mar 2024 01:55:06 GMT", MAX_RETRY_AFTER),
            ("Mon, 01 Jan 0001 00:00:00 GMT", Duration::ZERO),
            ("Thu, 01 Jan 1970 00:00:00 GMT", Duration::ZERO),
        ] {
            assert_eq!(parse_retry_after(value, now()), Some(wait), "{value:?}");
        }
        // Past the last instant jiff represents: not a date this client can read, so ignored.
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now()),
            None
        );
        // The same extremes seen from the ends of time do not overflow either.
        for now in [Timestamp::MIN, Timestamp::MAX] {
            for value in [
                "Thu, 30 Dec 9999 00:00:00 GMT",
                "Mon, 01 Jan 0001 00:00:00 GMT",
            ] {
                let wait = parse_retry_after(value, now).expect("a date is read");
                assert!(wait <= MAX_RETRY_AFTER, "{value:?} from {now}: {wait:?}");
            }
        }
    }

    #[test]
    fn reads_correlation_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("request-id", HeaderValue::from_static("r-1"));
        headers.insert(
            "date",
            HeaderValue::from_static("Fri, 22 Mar 2024 23:55:06 GMT"),
        );
        headers.insert("retry-after", HeaderValue::from_static("7"));
        let meta = ResponseMeta::from_headers(429, &headers);
        assert_eq!(meta.request_id.as_deref(), Some("r-1"));
        assert_eq!(meta.date.as_deref(), Some("Fri, 22 Mar 2024 23:55:06 GMT"));
        assert_eq!(meta.retry_after, Some(Duration::from_secs(7)));

        let mut identity = HeaderMap::new();
        identity.insert("x-ms-request-id", HeaderValue::from_static("aad-1"));
        let meta = ResponseMeta::from_headers(400, &identity);
        assert_eq!(meta.request_id.as_deref(), Some("aad-1"));
        assert_eq!(meta.retry_after, None);
    }
}
