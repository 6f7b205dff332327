//! The connection: redirects never followed, oversized answers refused, transport failures
//! unavailable, plain HTTP only to loopback.

use crate::fixture::*;

fn redirect_target() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener
        .set_nonblocking(true)
        .expect("a non-blocking listener");
    let base = format!("http://{}", listener.local_addr().expect("its address"));
    (listener, base)
}

/// Whether anything connected to `listener`. Called after the client's call returned, so a
/// followed redirect would already wait in the listener's backlog.
fn reached(listener: &std::net::TcpListener) -> bool {
    match listener.accept() {
        Ok(_) => true,
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => false,
        Err(error) => panic!("the redirect target's listener failed: {error}"),
    }
}

#[tokio::test]
async fn a_redirect_is_never_followed_and_the_error_says_where_it_pointed() {
    let emu = emulator().await;
    let (listener, elsewhere) = redirect_target();
    add_fault(
        &emu,
        FaultRule {
            target: FaultTarget::Token,
            redirect_to: Some(format!("{elsewhere}/steal?client_secret=leak#frag")),
            times: Some(1),
            ..FaultRule::default()
        },
    )
    .await;
    let token = writer(&emu).get_flow_set(FLOW_SET).await.unwrap_err();
    assert_eq!(token.class(), ErrorClass::Redirected, "{token}");
    assert_eq!(token.status(), Some(307));
    assert!(!token.class().is_transient());
    let shown = token.to_string();
    assert!(
        shown.contains(&format!(
            "pointed to {elsewhere}/steal and was not followed"
        )),
        "{shown}"
    );
    assert!(shown.contains("--authority-host"), "{shown}");
    assert!(
        !shown.contains("leak") && !shown.contains(WRITER_SECRET),
        "{shown}"
    );
    assert!(
        !reached(&listener),
        "the token form went to the redirect target"
    );

    add_fault(
        &emu,
        FaultRule {
            redirect_to: Some(format!("{elsewhere}/beta/stolen")),
            status: Some(308),
            ..graph_fault("GET", 308)
        },
    )
    .await;
    let graph = writer(&emu).list_flows(FLOW_SET).await.unwrap_err();
    assert_eq!(graph.class(), ErrorClass::Redirected, "{graph}");
    assert_eq!(graph.status(), Some(308));
    let shown = graph.to_string();
    assert!(
        shown.contains(&format!("pointed to {elsewhere}/beta/stolen"))
            && shown.contains("--graph-endpoint"),
        "{shown}"
    );
    assert!(
        !reached(&listener),
        "the bearer token went to the redirect target"
    );

    let entries = journal(&emu).await;
    let statuses: Vec<_> = entries.iter().map(|e| (e.target, e.status)).collect();
    assert_eq!(
        statuses,
        [
            (FaultTarget::Token, 307),
            (FaultTarget::Token, 200),
            (FaultTarget::Graph, 308),
        ],
        "each redirect answered one request, none repeated"
    );
}

#[tokio::test]
async fn an_oversized_answer_is_refused_without_reading_it_all() {
    let emu = emulator().await;
    let client = writer(&emu);
    let body_of = |bytes: usize, rule: FaultRule| FaultRule {
        body_bytes: Some(bytes as u64),
        ..rule
    };
    add_fault(&emu, body_of(MAX_GRAPH_BODY + 1, graph_fault("GET", 200))).await;
    let graph = client.list_flows(FLOW_SET).await.unwrap_err();
    assert_eq!(graph.class(), ErrorClass::ResponseTooLarge, "{graph}");
    assert_eq!(graph.status(), Some(200));
    assert!(
        graph.to_string().contains("larger than 4096 KiB"),
        "{graph}"
    );

    // Exactly at the limit the body is read (and found not to be a flow set).
    add_fault(&emu, body_of(MAX_GRAPH_BODY, graph_fault("GET", 200))).await;
    let at_limit = client.get_flow_set(FLOW_SET).await.unwrap_err();
    assert_eq!(at_limit.class(), ErrorClass::Unexpected, "{at_limit}");

    let token_fault = FaultRule {
        target: FaultTarget::Token,
        times: Some(1),
        ..FaultRule::default()
    };
    add_fault(&emu, body_of(MAX_TOKEN_BODY + 1, token_fault)).await;
    let token = client_with(&emu, TENANT, READER, READER_SECRET)
        .get_flow_set(FLOW_SET)
        .await
        .unwrap_err();
    assert_eq!(token.class(), ErrorClass::ResponseTooLarge, "{token}");
    assert!(
        token
            .to_string()
            .contains("because no access token could be acquired"),
        "{token}"
    );
    assert!(token.to_string().contains("authority host"), "{token}");
}

#[tokio::test]
async fn transport_failures_are_unavailable() {
    let emu = emulator().await;
    add_fault(
        &emu,
        FaultRule {
            target: FaultTarget::Graph,
            latency_ms: Some(2_000),
            times: Some(1),
            ..FaultRule::default()
        },
    )
    .await;
    let endpoints = GraphEndpoints::new(emu.base_url(), emu.base_url()).unwrap();
    let credential =
        Credential::client_secret(TENANT, WRITER, SecretString::new(WRITER_SECRET)).unwrap();
    let options = GraphClientOptions {
        request_timeout: Duration::from_millis(200),
    };
    let slow = GraphClient::with_options(http(), endpoints, credential.clone(), options);
    let timeout = slow.get_flow_set(FLOW_SET).await.unwrap_err();
    assert_eq!(timeout.class(), ErrorClass::Unavailable, "{timeout}");
    assert_eq!(timeout.status(), None);
    assert!(
        timeout.to_string().contains("did not answer in time"),
        "{timeout}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let unreachable = GraphClient::new(
        http(),
        GraphEndpoints::new(&nowhere, &nowhere).unwrap(),
        credential,
    );
    let error = unreachable.get_flow_set(FLOW_SET).await.unwrap_err();
    assert_eq!(
        error.class(),
        ErrorClass::Token(TokenErrorKind::Unavailable),
        "{error}"
    );
}

#[test]
fn plain_http_is_refused_except_to_loopback() {
    let error = GraphEndpoints::new(
        "http://graph.example.com",
        "https://login.microsoftonline.com",
    )
    .unwrap_err();
    assert!(error.to_string().contains("loopback"), "{error}");
    assert!(GraphEndpoints::new("http://localhost:8080", "http://127.0.0.1:8080/").is_ok());
}
