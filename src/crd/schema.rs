//! Schemas the derive cannot write: a spec member holding an enum that Graph may extend offers
//! the values this operator knows; the Rust type keeps any other (status, see `flow_crd`).

use graph::Evolvable;
use schemars::{Schema, SchemaGenerator, json_schema};

/// One of the values of `E` known here; Graph's `unknownFutureValue` sentinel is not one to ask for.
pub fn known<E: Evolvable>(_: &mut SchemaGenerator) -> Schema {
    let values: Vec<&str> = E::KNOWN
        .iter()
        .copied()
        .filter(|value| *value != "unknownFutureValue")
        .collect();
    json_schema!({"type": "string", "enum": values})
}

/// A list of distinct values of `E` known here.
pub fn known_list<E: Evolvable>(generator: &mut SchemaGenerator) -> Schema {
    let item = known::<E>(generator);
    json_schema!({"type": "array", "items": item, "x-kubernetes-list-type": "set"})
}
