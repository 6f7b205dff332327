//! Time formats used on the wire: Graph timestamps, OData `innerError.date`, HTTP-dates and the
//! identity platform's error timestamps.

use jiff::Timestamp;

/// Graph's `DateTimeOffset` form: UTC with seven fractional digits, e.g. `2024-03-22T23:55:06.3141592Z`.
pub fn graph_timestamp(at: Timestamp) -> String {
    // Graph emits 100-nanosecond ticks, so the last two digits of the nanoseconds are dropped.
    let ticks = at.subsec_nanosecond().rem_euclid(1_000_000_000) / 100;
    format!("{}.{ticks:07}Z", at.strftime("%Y-%m-%dT%H:%M:%S"))
}

/// `innerError.date`: seconds precision and no timezone suffix, e.g. `2025-02-13T10:17:05`.
pub fn inner_error_date(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// RFC 9110 IMF-fixdate, used by `Date` and by `Retry-After` in its date form.
pub fn http_date(at: Timestamp) -> String {
    at.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// The identity platform's error timestamp, e.g. `2016-01-09 02:02:12Z`.
pub fn aad_timestamp(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// Returns a timestamp strictly after `previous`, so that a modification time always moves even
/// when two writes land in the same 100 ns tick.
pub fn after(previous: Timestamp, now: Timestamp) -> Timestamp {
    let tick = jiff::SignedDuration::from_nanos(100);
    if now >= previous + tick {
        now
    } else {
        previous + tick
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_graph_examples() {
        let at: Timestamp = "2024-03-22T23:55:06.3141592Z".parse().unwrap();
        assert_eq!(graph_timestamp(at), "2024-03-22T23:55:06.3141592Z");
        assert_eq!(inner_error_date(at), "2024-03-22T23:55:06");
        assert_eq!(http_date(at), "Fri, 22 Mar 2024 23:55:06 GMT");
        assert_eq!(aad_timestamp(at), "2024-03-22 23:55:06Z");
        let whole: Timestamp = "2024-03-22T23:55:06Z".parse().unwrap();
        assert_eq!(graph_timestamp(whole), "2024-03-22T23:55:06.0000000Z");
    }

    #[test]
    fn after_always_moves_forward() {
        let at: Timestamp = "2024-03-22T23:55:06Z".parse().unwrap();
        assert!(after(at, at) > at);
    }
}
