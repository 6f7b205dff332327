//! Server-driven paging with `@odata.nextLink`, `$top` and optional `$`.

use graph_emulator::{SeedFlowSet, Settings};
use reqwest::Method;
use serde_json::Value;

use crate::support::*;

async fn seed_sets(h: &Harness, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..count {
        let seed = SeedFlowSet {
            display_name: Some(format!("set {n}")),
            ..SeedFlowSet::default()
        };
        ids.push(h.emu.admin().seed_flow_set(&seed).await.unwrap());
    }
    ids
}

async fn get_url(h: &Harness, url: &str) -> Value {
    let token = h.writer_token().await;
    let response = h.http.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn next_links_walk_every_page() {
    let h = Harness::start_with(Settings {
        page_size: 2,
        ..Settings::default()
    })
    .await;
    let ids = seed_sets(&h, 5).await;
    let mut url = format!("{}?$select=id,displayName", h.url(SETS));
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = get_url(&h, &url).await;
        pages += 1;
        let values = page["value"].as_array().unwrap();
        assert!(values.len() <= 2);
        seen.extend(values.iter().map(|v| v["id"].as_str().unwrap().to_owned()));
        match page["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&h.url(SETS)), "absolute: {next}");
                assert!(next.contains("skiptoken"));
                assert!(next.contains("select"), "keeps other options: {next}");
                url = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids);
}

#[tokio::test]
async fn top_limits_the_page_with_or_without_dollar() {
    let h = Harness::start().await;
    seed_sets(&h, 3).await;
    for option in ["$top=1", "top=1"] {
        let page = get_url(&h, &format!("{}?{option}", h.url(SETS))).await;
        assert_eq!(page["value"].as_array().unwrap().len(), 1);
        assert!(page["@odata.nextLink"].is_string());
    }
    let response = h
        .graph(Method::GET, &format!("{SETS}?$top=many"), None)
        .await;
    odata_error(response, 400, "BadRequest").await;
}
