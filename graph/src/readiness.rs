//! Graph's `readinessStatus` of a provisioning flow in its wire form, read tolerantly: Graph may
//! add values to this enum at any time.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Graph's readinessStatus of a provisioning flow.
///
/// Graph's enum is evolvable: values it adds later arrive as `Other` with Graph's text, so reading
/// a flow never fails on them. The operator mirrors it into its resources' status as it is.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(from = "String", into = "String")]
pub enum ReadinessStatus {
    /// `notReady`: just created or being set up.
    NotReady,
    /// `ready`.
    Ready,
    /// `failed`.
    Failed,
    /// `disabled`.
    Disabled,
    /// `expired`.
    Expired,
    /// `unknownFutureValue`: Graph's placeholder for a value newer than the caller asked for.
    UnknownFutureValue,
    /// Any other value, kept as Graph sent it.
    Other(String),
}

impl ReadinessStatus {
    /// The value as Graph spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::NotReady => "notReady",
            Self::Ready => "ready",
            Self::Failed => "failed",
            Self::Disabled => "disabled",
            Self::Expired => "expired",
            Self::UnknownFutureValue => "unknownFutureValue",
            Self::Other(value) => value,
        }
    }
}

impl From<String> for ReadinessStatus {
    fn from(value: String) -> Self {
        match value.as_str() {
            "notReady" => Self::NotReady,
            "ready" => Self::Ready,
            "failed" => Self::Failed,
            "disabled" => Self::Disabled,
            "expired" => Self::Expired,
            "unknownFutureValue" => Self::UnknownFutureValue,
            _ => Self::Other(value),
        }
    }
}

impl From<ReadinessStatus> for String {
    fn from(value: ReadinessStatus) -> Self {
        match value {
            ReadinessStatus::Other(value) => value,
            known => known.as_str().to_owned(),
        }
    }
}

impl fmt::Display for ReadinessStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
