//! A status condition as the operator keeps it: metav1.Condition's JSON and schema, in less
//! memory. Every cached resource carries four of them, and as metav1.Condition they were about a
//! third of a cached resource: five strings each, three of them one of a few fixed words, and the
//! same message on three of the four.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::{Deserialize, Deserializer, Serialize};

use super::{ConditionStatus, ConditionType, Reason};

/// One condition: metav1.Condition, field for field.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: Word,
    pub status: Word,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    pub last_transition_time: Time,
    pub reason: Word,
    pub message: Message,
}

/// A condition's type, status or reason: the operator's own spelling when it is one of its words,
/// so that it takes no memory of its own, else a copy of what the API server holds.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(transparent)]
pub struct Word(Cow<'static, str>);

impl Word {
    pub fn new(word: &str) -> Self {
        let own = ConditionType::ALL
            .iter()
            .map(|kind| kind.as_str())
            .chain(
                [
                    ConditionStatus::True,
                    ConditionStatus::False,
                    ConditionStatus::Unknown,
                ]
                .map(ConditionStatus::as_str),
            )
            .chain(Reason::ALL.iter().map(|reason| reason.as_str()))
            .find(|own| *own == word);
        Self(own.map_or_else(|| Cow::Owned(word.to_owned()), Cow::Borrowed))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&'static str> for Word {
    fn from(word: &'static str) -> Self {
        Self(Cow::Borrowed(word))
    }
}

impl Deref for Word {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl PartialEq<&str> for Word {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl<'de> Deserialize<'de> for Word {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let word = Cow::<'de, str>::deserialize(deserializer)?;
        Ok(Self::new(&word))
    }
}

/// A condition's message, shared by the conditions of one status that say the same.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(transparent)]
pub struct Message(Arc<str>);

impl Message {
    pub fn new(message: &str) -> Self {
        Self(message.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for Message {
    fn from(message: String) -> Self {
        Self(message.into())
    }
}

impl Deref for Message {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl PartialEq<&str> for Message {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

/// Reads a status's conditions, each message shared with an earlier condition that has the same.
pub fn deserialize_conditions<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Condition>, D::Error> {
    let mut conditions = Vec::<Condition>::deserialize(deserializer)?;
    for at in 1..conditions.len() {
        let (earlier, rest) = conditions.split_at_mut(at);
        if let Some(same) = earlier
            .iter()
            .find(|earlier| earlier.message == rest[0].message)
        {
            rest[0].message = same.message.clone();
        }
    }
    conditions.shrink_to_fit();
    Ok(conditions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conditions() -> serde_json::Value {
        let condition = |kind: &str, reason: &str, message: &str| {
            serde_json::json!({
                "type": kind, "status": "True", "observedGeneration": 3,
                "lastTransitionTime": "2026-12-06T10:00:00Z", "reason": reason, "message": message,
            })
        };
        serde_json::json!([
            condition("Ready", "FlowReady", "Graph reports the flow ready"),
            condition("Synced", "FlowReady", "in sync"),
            condition(
                "Reconciling",
                "SomeoneElsesReason",
                "Graph reports the flow ready"
            ),
            condition("Custom", "FlowReady", "Graph reports the flow ready"),
        ])
    }

    #[test]
    fn reads_and_writes_the_json_of_metav1_conditions() {
        let read = deserialize_conditions(conditions()).expect("conditions");
        assert_eq!(serde_json::to_value(&read).expect("json"), conditions());
    }

    #[test]
    fn the_operators_words_and_equal_messages_are_shared_not_copied() {
        let read = deserialize_conditions(conditions()).expect("conditions");
        assert!(matches!(read[0].type_.0, Cow::Borrowed(_)));
        assert!(matches!(read[0].reason.0, Cow::Borrowed(_)));
        assert!(
            matches!(read[3].type_.0, Cow::Owned(_)),
            "a type of another writer"
        );
        assert!(matches!(read[2].reason.0, Cow::Owned(_)));
        assert!(Arc::ptr_eq(&read[0].message.0, &read[2].message.0));
        assert!(Arc::ptr_eq(&read[0].message.0, &read[3].message.0));
        assert!(!Arc::ptr_eq(&read[0].message.0, &read[1].message.0));
    }
}
