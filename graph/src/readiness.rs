//! Graph's `readinessStatus` of a provisioning flow in its wire form, read tolerantly: Graph may
//! add values to this enum at any time.

use crate::evolvable::evolvable;

evolvable! {
    /// Graph's readinessStatus of a provisioning flow.
    ///
    /// Graph's enum is evolvable: values it adds later arrive as `Other` with Graph's text, so
    /// reading a flow never fails on them. The operator mirrors it into its resources' status as
    /// it is.
    ReadinessStatus {
        /// `notReady`: just created or being set up.
        NotReady = "notReady",
        Ready = "ready",
        Failed = "failed",
        Disabled = "disabled",
        Expired = "expired",
        /// Graph's placeholder for a value newer than the caller asked for.
        UnknownFutureValue = "unknownFutureValue",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_status_round_trips_known_and_unknown_values() {
        for text in [
            "notReady",
            "ready",
            "failed",
            "disabled",
            "expired",
            "unknownFutureValue",
        ] {
            let status: ReadinessStatus = serde_json::from_value(serde_json::json!(text)).unwrap();
            assert!(
                !matches!(status, ReadinessStatus::Other(_)),
                "{text} is known"
            );
            assert_eq!(
                serde_json::to_value(&status).unwrap(),
                serde_json::json!(text)
            );
        }
        let future: ReadinessStatus = serde_json::from_str(r#""paused""#).unwrap();
        assert_eq!(future, ReadinessStatus::Other("paused".into()));
        assert_eq!(serde_json::to_string(&future).unwrap(), r#""paused""#);
    }
}
