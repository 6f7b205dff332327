//! The status schema: a new resource reads as not yet observed, conditions are a map list, and
//! status records what the design asks.

use crate::fixture::*;

#[test]
fn a_new_resource_reads_as_not_yet_observed() {
    // kstatus calls a resource without observedGeneration Current; generation 1 with
    // observedGeneration 0 is InProgress until the operator's first status write.
    assert_eq!(
        schema_at("/properties/status")["default"],
        json!({ "observedGeneration": 0 })
    );
    assert_eq!(status_property("observedGeneration")["type"], "integer");
}

#[test]
fn conditions_are_a_map_list_keyed_by_type() {
    let conditions = status_property("conditions");
    assert_eq!(conditions["type"], "array");
    assert_eq!(conditions["x-kubernetes-list-type"], "map");
    assert_eq!(conditions["x-kubernetes-list-map-keys"], json!(["type"]));
    assert_eq!(
        conditions["items"]["required"],
        json!(["lastTransitionTime", "message", "reason", "status", "type"])
    );
}

#[test]
fn status_records_what_the_design_asks() {
    let status = schema_at("/properties/status/properties");
    let mut names: Vec<&str> = status
        .as_object()
        .expect("status has properties")
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "conditions",
            "createIntent",
            "createdDateTime",
            "creationOptions",
            "flowId",
            "flowSetId",
            "lastModifiedDateTime",
            "lastSyncTime",
            "observedGeneration",
            "readinessStatus",
            "reset",
            // Fingerprints of write-only values sent (a user flow's passwords); empty here.
            "secretFingerprints",
        ]
    );
    let mut reset: Vec<String> = status["reset"]["properties"]
        .as_object()
        .expect("reset has properties")
        .keys()
        .cloned()
        .collect();
    reset.sort_unstable();
    assert_eq!(
        reset,
        [
            "handledTokens",
            "lastHandledToken",
            "message",
            "outcome",
            "pendingToken",
            "requestId",
            "sentTime",
            "waiting"
        ]
    );
}
