//! Clients that go away mid-call, as a killed process does: before handling (during `latencyMs`)
//! the call is never carried out; after handling (during `delayAfterMs`) it is, and the client
//! never hears about it.

use std::time::{Duration, Instant};

use graph_emulator::{FaultRule, FaultTarget, JournalEntry};
use reqwest::Method;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::*;

const DEADLINE: Duration = Duration::from_secs(20);

/// Writes one complete HTTP/1.1 request on a fresh connection and returns the connection
/// without reading the answer; dropping it closes the socket, as the kernel does for a killed
/// process.
async fn send_without_waiting(h: &Harness, token: &str, path: &str, body: &str) -> TcpStream {
    let address = h.emu.base_url().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "POST /beta{path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    stream
}

/// Polls the journal until `wanted` holds for the POSTs to `path`, under a deadline.
async fn wait_for_posts(
    h: &Harness,
    path: &str,
    what: &str,
    wanted: impl Fn(&[JournalEntry]) -> bool,
) -> Vec<JournalEntry> {
    let started = Instant::now();
    loop {
        let posts: Vec<JournalEntry> = h
            .emu
            .admin()
            .journal(0)
            .await
            .unwrap()
            .into_iter()
            .filter(|entry| entry.method == "POST" && entry.path == format!("/beta{path}"))
            .collect();
        if wanted(&posts) {
            return posts;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "timed out waiting for {what}; POSTs so far: {posts:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn flow_count(h: &Harness, set: &str) -> usize {
    let state = h.emu.admin().state().await.unwrap();
    state.flow_set(set).map_or(0, |set| set.flows.len())
}

fn delayed_create(set: &str, rule: FaultRule) -> FaultRule {
    FaultRule {
        target: FaultTarget::Graph,
        method: Some("POST".to_owned()),
        path_contains: Some(format!("{set}/provisioningFlows")),
        times: Some(1),
        ..rule
    }
}

#[tokio::test]
async fn a_call_abandoned_during_latency_is_never_handled() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let token = h.writer_token().await;
    let rule = delayed_create(
        &set,
        FaultRule {
            latency_ms: Some(60_000),
            ..FaultRule::default()
        },
    );
    h.emu.admin().add_fault(&rule).await.unwrap();

    let body = sg_body(true, false).to_string();
    let connection = send_without_waiting(&h, &token, &flows_path(&set), &body).await;
    let started = Instant::now();
    while h.emu.admin().faults().await.unwrap()[0].fired == 0 {
        assert!(
            started.elapsed() < DEADLINE,
            "the POST never reached the emulator"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(connection);

    let posts = wait_for_posts(&h, &flows_path(&set), "the abandoned POST", |posts| {
        !posts.is_empty()
    })
    .await;
    assert_eq!(posts.len(), 1, "{posts:#?}");
    assert_eq!(posts[0].status, 499, "{posts:#?}");
    assert!(posts[0].fault, "{posts:#?}");
    assert_eq!(flow_count(&h, &set).await, 0, "nothing was created");

    // The abandoned call is gone for good: a new create is the first and only one.
    let response = h
        .graph_with(
            &token,
            Method::POST,
            &flows_path(&set),
            Some(sg_body(true, false)),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(flow_count(&h, &set).await, 1);
}

#[tokio::test]
async fn a_call_abandoned_after_handling_has_been_carried_out() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let token = h.writer_token().await;
    let rule = delayed_create(
        &set,
        FaultRule {
            delay_after_ms: Some(60_000),
            ..FaultRule::default()
        },
    );
    h.emu.admin().add_fault(&rule).await.unwrap();

    let body = sg_body(true, false).to_string();
    let connection = send_without_waiting(&h, &token, &flows_path(&set), &body).await;
    // Journaled and applied while the answer is still held back.
    let posts = wait_for_posts(&h, &flows_path(&set), "the handled POST", |posts| {
        !posts.is_empty()
    })
    .await;
    assert_eq!(posts[0].status, 201, "{posts:#?}");
    assert_eq!(flow_count(&h, &set).await, 1);
    drop(connection);

    // The journal keeps the one handled call, and a later call is not held back (times: 1).
    let response = h
        .graph_with(&token, Method::GET, &flows_path(&set), None)
        .await;
    assert_eq!(response.status(), 200);
    let posts = wait_for_posts(&h, &flows_path(&set), "the POSTs", |_| true).await;
    assert_eq!(
        posts.iter().map(|post| post.status).collect::<Vec<_>>(),
        [201]
    );
    assert_eq!(flow_count(&h, &set).await, 1);
}

#[tokio::test]
async fn delay_after_handling_holds_back_the_answer() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let token = h.writer_token().await;
    let rule = delayed_create(
        &set,
        FaultRule {
            delay_after_ms: Some(300),
            ..FaultRule::default()
        },
    );
    h.emu.admin().add_fault(&rule).await.unwrap();
    let started = Instant::now();
    let response = h
        .graph_with(
            &token,
            Method::POST,
            &flows_path(&set),
            Some(sg_body(true, false)),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let listed = h.emu.admin().faults().await.unwrap();
    assert_eq!(listed[0].rule.delay_after_ms, Some(300));
}
