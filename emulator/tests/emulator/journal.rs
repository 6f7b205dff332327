//! The journal records each Graph and token call, in order, without secrets.

use reqwest::Method;

use crate::support::*;

#[tokio::test]
async fn journal_records_exact_calls_without_secrets() {
    let h = Harness::start().await;
    let set = h.seed_set().await;
    let token = h.writer_token().await;
    let response = h
        .http
        .post(h.url(&flows_path(&set)))
        .bearer_auth(&token)
        .header("client-request-id", "11111111-2222-3333-4444-555555555555")
        .json(&sg_body(true, false))
        .send()
        .await
        .unwrap();
    let request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(response.status(), 201);
    h.graph_with(
        &token,
        Method::GET,
        &format!("{}?$top=5", flows_path(&set)),
        None,
    )
    .await;

    let entries = h.emu.admin().journal(0).await.unwrap();
    let summary: Vec<(String, String, u16)> = entries
        .iter()
        .map(|e| (e.method.clone(), e.path.clone(), e.status))
        .collect();
    let beta = |p: &str| format!("/beta{p}");
    assert_eq!(
        summary,
        [
            (
                "POST".to_owned(),
                format!("/{TENANT}/oauth2/v2.0/token"),
                200
            ),
            ("POST".to_owned(), beta(&flows_path(&set)), 201),
            ("GET".to_owned(), beta(&flows_path(&set)), 200),
        ]
    );
    assert_eq!(
        entries.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let token_call = &entries[0];
    assert_eq!(token_call.body["client_id"], WRITER);
    assert_eq!(token_call.body["client_secret"], "***");
    let create = &entries[1];
    assert!(create.authorization_present);
    assert_eq!(
        create.client_request_id.as_deref(),
        Some("11111111-2222-3333-4444-555555555555")
    );
    assert_eq!(create.request_id, request_id);
    assert_eq!(create.body, sg_body(true, false));
    assert!(!create.fault);
    assert_eq!(entries[2].query.as_deref(), Some("$top=5"));

    let everything = serde_json::to_string(&entries).unwrap();
    assert!(!everything.contains(WRITER_SECRET));
    assert!(!everything.contains(&token));

    // Admin calls are never journaled; `since` and clear work.
    assert_eq!(h.emu.admin().journal(2).await.unwrap().len(), 1);
    h.emu.admin().clear_journal().await.unwrap();
    assert!(h.emu.admin().journal(0).await.unwrap().is_empty());
    h.graph_with(&token, Method::GET, SETS, None).await;
    let after = h.emu.admin().journal(0).await.unwrap();
    assert_eq!(after[0].sequence, 4, "sequence numbers are never reused");
}
