use super::*;

fn meta(status: u16) -> ResponseMeta {
    ResponseMeta {
        status,
        request_id: Some("req-1".to_owned()),
        date: Some("Fri, 22 Mar 2024 23:55:06 GMT".to_owned()),
        retry_after: None,
    }
}

fn graph_error(status: u16, body: &str) -> GraphError {
    GraphError::from_status(
        Operation::GetFlow,
        "crid-1".to_owned(),
        meta(status),
        body.as_bytes(),
    )
}

const NOT_FOUND: &str = r#"{"error":{"code":"notFound","message":"The provisioningFlow with id 'x' was not found.","innerError":{"date":"2024-03-22T23:55:06","request-id":"body-req","client-request-id":"crid-1"}}}"#;

#[test]
fn classifies_graph_statuses() {
    let cases = [
        (429, ErrorClass::Throttled),
        (500, ErrorClass::Unavailable),
        (502, ErrorClass::Unavailable),
        (503, ErrorClass::Unavailable),
        (504, ErrorClass::Unavailable),
        (404, ErrorClass::NotFound),
        (400, ErrorClass::BadRequest),
        (422, ErrorClass::BadRequest),
        (401, ErrorClass::Unauthorized),
        (403, ErrorClass::Forbidden),
        (409, ErrorClass::Conflict),
        (405, ErrorClass::Unexpected),
        (507, ErrorClass::Unexpected),
    ];
    for (status, class) in cases {
        assert_eq!(graph_error(status, NOT_FOUND).class(), class, "{status}");
    }
    assert!(ErrorClass::Throttled.is_transient());
    assert!(ErrorClass::Token(TokenErrorKind::Unavailable).is_transient());
    assert!(!ErrorClass::Forbidden.is_transient());
}

#[test]
fn reads_the_odata_error_and_prefers_header_ids() {
    let error = graph_error(404, NOT_FOUND);
    assert_eq!(error.code(), Some("notFound"));
    assert_eq!(
        error.message(),
        Some("The provisioningFlow with id 'x' was not found.")
    );
    assert_eq!(error.request_id(), Some("req-1"));
    assert_eq!(error.client_request_id(), "crid-1");
    assert_eq!(error.date(), Some("Fri, 22 Mar 2024 23:55:06 GMT"));
    let text = error.to_string();
    assert!(text.starts_with("reading the provisioning flow failed (HTTP 404, notFound)"));
    assert!(text.contains("was not found"));
    assert!(text.contains("request-id req-1") && text.contains("client-request-id crid-1"));
}

#[test]
fn walks_inner_errors_in_either_spelling() {
    let body = r#"{"error":{"code":"BadRequest","message":"","innererror":{"code":"invalidProperty","message":"createBasedOnroleGroup does not exist","innerError":{"code":"propertyNotFound","request-id":"deep-req","date":"2025-02-13T10:17:05"}}}}"#;
    let mut meta = meta(400);
    meta.request_id = None;
    meta.date = None;
    let error =
        GraphError::from_status(Operation::UpdateFlow, "c".to_owned(), meta, body.as_bytes());
    assert_eq!(error.code(), Some("BadRequest"));
    assert_eq!(error.inner_code(), Some("propertyNotFound"));
    assert_eq!(
        error.message(),
        Some("createBasedOnroleGroup does not exist")
    );
    assert_eq!(error.request_id(), Some("deep-req"));
    assert_eq!(error.date(), Some("2025-02-13T10:17:05"));
}

#[test]
fn an_undecodable_error_body_keeps_status_and_ids() {
    let error = graph_error(503, "<html>Service Unavailable</html>");
    assert_eq!(error.class(), ErrorClass::Unavailable);
    assert_eq!(error.code(), None);
    assert_eq!(error.message(), None);
    assert_eq!(error.request_id(), Some("req-1"));
    assert!(error.to_string().contains("temporarily unavailable"));
}

#[test]
fn throttling_sentence_names_the_wait() {
    let mut meta = meta(429);
    meta.retry_after = Some(Duration::from_secs(3));
    let error = GraphError::from_status(
        Operation::ListFlows,
        "c".to_owned(),
        meta,
        br#"{"error":{"code":"TooManyRequests","message":"Too many requests."}}"#,
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));
    assert!(error.to_string().contains("retry in 3 s"), "{error}");
}

#[test]
fn token_failure_during_a_graph_call_says_so() {
    let error = GraphError::token(
        TokenErrorKind::ExpiredClientSecret,
        "c".to_owned(),
        Some(meta(401)),
        Some("invalid_client".to_owned()),
        Some("AADSTS7000222: The provided client secret keys are expired.".to_owned()),
        None,
    )
    .during(Operation::CreateFlow);
    assert_eq!(
        error.class(),
        ErrorClass::Token(TokenErrorKind::ExpiredClientSecret)
    );
    assert_eq!(error.operation(), Operation::CreateFlow);
    let text = error.to_string();
    assert!(
        text.starts_with("creating the provisioning flow failed because no access token could be acquired (HTTP 401, invalid_client)"),
        "{text}"
    );
    assert!(text.contains("create a new secret"));
}

#[test]
fn unreadable_success_is_unexpected() {
    let error = GraphError::unreadable(
        Operation::GetFlowSet,
        "c".to_owned(),
        Some(meta(200)),
        "the flow set in Graph's answer could not be read",
        None,
    );
    assert_eq!(error.class(), ErrorClass::Unexpected);
    assert_eq!(error.status(), Some(200));
}

#[test]
fn a_refused_or_unsent_create_changed_nothing() {
    for status in [400, 401, 403, 404, 422, 429] {
        assert!(graph_error(status, NOT_FOUND).changed_nothing(), "{status}");
    }
    // A late answer to an earlier create, a timeout at the gateway, or a server error may each
    // follow a flow that was made.
    for status in [408, 409, 500, 503, 504] {
        assert!(
            !graph_error(status, NOT_FOUND).changed_nothing(),
            "{status}"
        );
    }
    let held = GraphError::held_back(
        Operation::CreateFlow,
        "c".to_owned(),
        Duration::from_secs(2),
    );
    assert!(held.changed_nothing() && held.had_no_effect());
    let unreadable = GraphError::unreadable(
        Operation::CreateFlow,
        "c".to_owned(),
        Some(meta(201)),
        "the created flow in Graph's answer could not be read",
        None,
    );
    assert!(!unreadable.changed_nothing() && !unreadable.had_no_effect());
}

#[test]
fn only_a_transient_answer_is_worth_resending_as_is() {
    assert!(graph_error(429, NOT_FOUND).had_no_effect());
    assert!(graph_error(503, NOT_FOUND).had_no_effect());
    assert!(!graph_error(400, NOT_FOUND).had_no_effect());
    assert!(!graph_error(409, NOT_FOUND).had_no_effect());
}
