//! Token failures classified without showing the secret, and the roles a token grants.

use crate::fixture::*;

#[tokio::test]
async fn token_failures_are_classified_and_never_show_the_secret() {
    let emu = emulator().await;
    let wrong_secret = "wrong~Secret.value_9";
    let cases = [
        (
            TENANT,
            WRITER,
            wrong_secret,
            TokenErrorKind::InvalidClientSecret,
        ),
        (
            TENANT,
            "00000000-1111-2222-3333-444444444444",
            wrong_secret,
            TokenErrorKind::ApplicationNotFound,
        ),
        (
            TENANT,
            EXPIRED,
            EXPIRED_SECRET,
            TokenErrorKind::ExpiredClientSecret,
        ),
        (
            "contoso.onmicrosoft.com",
            WRITER,
            WRITER_SECRET,
            TokenErrorKind::TenantNotFound,
        ),
    ];
    for (tenant, client_id, secret, kind) in cases {
        let error = client_with(&emu, tenant, client_id, secret)
            .list_flows(FLOW_SET)
            .await
            .unwrap_err();
        assert_eq!(error.class(), ErrorClass::Token(kind), "{error}");
        assert!(error.status().is_some() && error.code().is_some() && error.request_id().is_some());
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(secret), "the secret leaked: {shown}");
        assert!(
            shown.contains(
                "listing the flow set's provisioning flows failed because no access token"
            )
        );
    }
    add_fault(
        &emu,
        FaultRule {
            target: FaultTarget::Token,
            status: Some(503),
            times: Some(1),
            ..FaultRule::default()
        },
    )
    .await;
    let down = writer(&emu).token_claims().await.unwrap_err();
    assert_eq!(down.class(), ErrorClass::Token(TokenErrorKind::Unavailable));
    assert!(down.class().is_transient());
    let entries = journal(&emu).await;
    assert!(
        of(&entries, FaultTarget::Graph).is_empty(),
        "no Graph call without a token"
    );
}

#[tokio::test]
async fn token_claims_show_the_granted_roles() {
    let emu = emulator().await;
    let claims = writer(&emu).token_claims().await.unwrap();
    assert_eq!(claims.tid.as_deref(), Some(TENANT));
    assert_eq!(claims.appid.as_deref(), Some(WRITER));
    assert!(claims.grants("IndustryData-OutboundFlow.ReadWrite.All"));
    assert!(claims.exp.is_some());
    let reader = client_with(&emu, TENANT, READER, READER_SECRET)
        .token_claims()
        .await
        .unwrap();
    assert!(!reader.grants("IndustryData-OutboundFlow.ReadWrite.All"));
}
