//! Graph's errors classified with their ids and message, and throttling: Retry-After in both
//! forms, never retried by the client, capped, and honoured per credential.

use crate::fixture::*;

#[tokio::test]
async fn graph_errors_are_classified_with_graph_ids_and_message() {
    let emu = emulator().await;
    let client = writer(&emu);
    let missing = client
        .get_flow(FLOW_SET, "00000000-0000-0000-0000-000000000000")
        .await;
    let missing = missing.unwrap_err();
    let missing_set = client
        .get_flow_set("11111111-1111-1111-1111-111111111111")
        .await
        .unwrap_err();
    client
        .create_flow(FLOW_SET, &ROLE_ONLY, Uuid::new_v4())
        .await
        .unwrap();
    let conflict = client
        .create_flow(FLOW_SET, &BOTH, Uuid::new_v4())
        .await
        .unwrap_err();
    add_fault(
        &emu,
        FaultRule {
            error_code: Some("BadRequest".to_owned()),
            message: Some("Invalid request body.".to_owned()),
            ..graph_fault("GET", 400)
        },
    )
    .await;
    let bad = client.list_flows(FLOW_SET).await.unwrap_err();
    add_fault(&emu, graph_fault("GET", 503)).await;
    let unavailable = client.list_flows(FLOW_SET).await.unwrap_err();
    let forbidden = client_with(&emu, TENANT, READER, READER_SECRET)
        .create_flow(FLOW_SET, &ROLE_ONLY, Uuid::new_v4())
        .await
        .unwrap_err();

    let entries = journal(&emu).await;
    let cases = [
        (&missing, ErrorClass::NotFound, 404, "notFound"),
        (&missing_set, ErrorClass::NotFound, 404, "notFound"),
        (&conflict, ErrorClass::Conflict, 409, "conflict"),
        (&bad, ErrorClass::BadRequest, 400, "BadRequest"),
        (
            &unavailable,
            ErrorClass::Unavailable,
            503,
            "ServiceUnavailable",
        ),
        (
            &forbidden,
            ErrorClass::Forbidden,
            403,
            "Authorization_RequestDenied",
        ),
    ];
    for (error, class, status, code) in cases {
        assert_eq!(error.class(), class, "{error}");
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.code(), Some(code));
        let entry = entry_for(&entries, error);
        assert_eq!(entry.status, status);
        assert_eq!(error.request_id(), Some(entry.request_id.as_str()));
        assert!(error.date().is_some());
        let text = error.to_string();
        assert!(text.contains(error.message().unwrap()), "{text}");
        assert!(text.contains(&entry.request_id) && text.contains(error.client_request_id()));
    }
    assert!(
        missing
            .message()
            .unwrap()
            .contains("00000000-0000-0000-0000-000000000000")
    );
    assert!(
        forbidden
            .to_string()
            .contains("IndustryData-OutboundFlow.ReadWrite.All")
    );
}

#[tokio::test]
async fn throttling_reports_retry_after_in_both_forms_and_is_not_retried() {
    let emu = emulator().await;
    let client = writer(&emu);
    add_fault(
        &emu,
        FaultRule {
            retry_after_seconds: Some(7),
            ..graph_fault("POST", 429)
        },
    )
    .await;
    let seconds = client
        .create_flow(FLOW_SET, &ROLE_ONLY, Uuid::new_v4())
        .await
        .unwrap_err();
    assert_eq!(seconds.class(), ErrorClass::Throttled);
    assert_eq!(seconds.code(), Some("TooManyRequests"));
    assert_eq!(seconds.retry_after(), Some(Duration::from_secs(7)));

    add_fault(
        &emu,
        FaultRule {
            retry_after_seconds: Some(120),
            retry_after_format: RetryAfterFormat::HttpDate,
            ..graph_fault("GET", 429)
        },
    )
    .await;
    // Another application: the writer's own calls are held back for its 7 s (see below).
    let reader = client_with(&emu, TENANT, READER, READER_SECRET);
    let date = reader.list_flows(FLOW_SET).await.unwrap_err();
    assert_eq!(date.class(), ErrorClass::Throttled);
    let wait = date
        .retry_after()
        .expect("an HTTP-date Retry-After is read");
    // Whole seconds on the wire: the wait lies within two seconds of the 120 asked for.
    assert!(
        (Duration::from_secs(118)..=Duration::from_secs(120)).contains(&wait),
        "{wait:?}"
    );

    let entries = journal(&emu).await;
    let posts = entries
        .iter()
        .filter(|e| e.method == "POST" && e.target == FaultTarget::Graph);
    assert_eq!(posts.count(), 1, "a throttled create is not repeated");
    assert!(
        emu.admin()
            .state()
            .await
            .unwrap()
            .flow_set(FLOW_SET)
            .unwrap()
            .flows
            .is_empty()
    );
}

#[tokio::test]
async fn after_a_429_no_call_of_that_credential_is_sent_until_retry_after_passes() {
    let emu = emulator().await;
    let throttled = writer(&emu);
    let same_credential = throttled.clone();
    let other_application = client_with(&emu, TENANT, READER, READER_SECRET);
    add_fault(
        &emu,
        FaultRule {
            retry_after_seconds: Some(30),
            ..graph_fault("GET", 429)
        },
    )
    .await;
    let first = throttled.list_flows(FLOW_SET).await.unwrap_err();
    assert_eq!(first.retry_after(), Some(Duration::from_secs(30)));
    let graph_calls = |entries: Vec<JournalEntry>| of(&entries, FaultTarget::Graph).len();
    assert_eq!(graph_calls(journal(&emu).await), 1);

    let held = same_credential
        .create_flow(FLOW_SET, &ROLE_ONLY, Uuid::new_v4())
        .await
        .unwrap_err();
    assert_eq!(held.class(), ErrorClass::Throttled);
    assert_eq!(held.status(), None, "held back, never sent");
    let wait = held.retry_after().expect("the remaining wait");
    assert!(
        wait <= Duration::from_secs(30) && wait > Duration::from_secs(25),
        "{wait:?}"
    );
    assert!(held.to_string().contains("not sent"), "{held}");
    assert_eq!(graph_calls(journal(&emu).await), 1, "nothing reached Graph");

    other_application
        .list_flows(FLOW_SET)
        .await
        .expect("another application is not held back");
    assert_eq!(graph_calls(journal(&emu).await), 2);
}

#[tokio::test]
async fn a_huge_retry_after_is_a_throttling_error_capped_at_an_hour() {
    let emu = emulator().await;
    let client = writer(&emu);
    add_fault(
        &emu,
        FaultRule {
            retry_after_seconds: Some(u64::MAX),
            ..graph_fault("GET", 429)
        },
    )
    .await;
    let seconds = client.list_flows(FLOW_SET).await.unwrap_err();
    assert_eq!(seconds.class(), ErrorClass::Throttled, "{seconds}");
    assert_eq!(seconds.retry_after(), Some(MAX_RETRY_AFTER));
    let held = client.get_flow_set(FLOW_SET).await.unwrap_err();
    assert_eq!(held.class(), ErrorClass::Throttled);
    assert!(
        held.retry_after()
            .is_some_and(|wait| wait <= MAX_RETRY_AFTER)
    );

    // The latest HTTP-date the emulator can write: the end of time.
    add_fault(
        &emu,
        FaultRule {
            retry_after_seconds: Some(u64::MAX),
            retry_after_format: RetryAfterFormat::HttpDate,
            ..graph_fault("GET", 429)
        },
    )
    .await;
    let reader = client_with(&emu, TENANT, READER, READER_SECRET);
    let date = reader.list_flows(FLOW_SET).await.unwrap_err();
    assert_eq!(date.class(), ErrorClass::Throttled, "{date}");
    assert_eq!(date.retry_after(), Some(MAX_RETRY_AFTER));

    add_fault(
        &emu,
        FaultRule {
            target: FaultTarget::Token,
            status: Some(429),
            retry_after_seconds: Some(u64::MAX),
            times: Some(1),
            ..FaultRule::default()
        },
    )
    .await;
    let token = client_with(&emu, TENANT, EXPIRED, EXPIRED_SECRET)
        .get_flow_set(FLOW_SET)
        .await
        .unwrap_err();
    assert_eq!(
        token.class(),
        ErrorClass::Token(TokenErrorKind::Unavailable),
        "{token}"
    );
    assert_eq!(token.retry_after(), Some(MAX_RETRY_AFTER));
}
