//! kube-apiserver's audit log, kept for the writes of ServiceAccounts only: which identity wrote
//! what. Tests that run several operator processes ask it who made each write (its request
//! counts cannot tell one client from another).

use std::path::Path;

use serde::Deserialize;

use crate::Error;

/// The audit policy: metadata of every write by a ServiceAccount, nothing else (the admin's
/// writes, and every read, would only grow the file).
pub(crate) const POLICY: &str = "\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  userGroups: [\"system:serviceaccounts\"]
  verbs: [create, update, patch, delete, deletecollection]
- level: None
";

/// One write the API server answered, as its audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditedWrite {
    /// The verb: create, update, patch, delete or deletecollection.
    pub verb: String,
    /// The resource, with `/subresource` when there is one (`securitygroupprovisioningflows/status`).
    pub resource: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// The HTTP status of the answer.
    pub code: u16,
}

#[derive(Deserialize)]
struct Entry {
    verb: String,
    user: User,
    #[serde(rename = "objectRef")]
    object: Option<ObjectReference>,
    #[serde(rename = "responseStatus")]
    response: Option<ResponseStatus>,
}

#[derive(Deserialize)]
struct User {
    username: String,
}

#[derive(Deserialize)]
struct ObjectReference {
    resource: Option<String>,
    subresource: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct ResponseStatus {
    code: Option<u16>,
}

/// The writes `username` made, in the order the log holds them.
pub(crate) fn writes_by(log: &Path, username: &str) -> Result<Vec<AuditedWrite>, Error> {
    let text = match std::fs::read_to_string(log) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(Error::io("read", log)(error)),
    };
    Ok(text
        .lines()
        .filter_map(|line| serde_json::from_str::<Entry>(line).ok())
        .filter(|entry| entry.user.username == username)
        .map(|entry| {
            let object = entry.object.unwrap_or(ObjectReference {
                resource: None,
                subresource: None,
                namespace: None,
                name: None,
            });
            let resource = object.resource.unwrap_or_default();
            AuditedWrite {
                verb: entry.verb,
                resource: match object.subresource {
                    Some(subresource) => format!("{resource}/{subresource}"),
                    None => resource,
                },
                namespace: object.namespace,
                name: object.name,
                code: entry.response.and_then(|status| status.code).unwrap_or(0),
            }
        })
        .collect())
}
