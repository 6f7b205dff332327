//! Unit tests of building credentials from plain values.

use super::*;

const SECRET: &str = "sup3r~s3cret.value";

fn client_secret(tenant: &str, secret: &str) -> Result<Credential, CredentialError> {
    Credential::client_secret(tenant, " app\n", SecretString::new(secret))
}

#[test]
fn trims_values_refuses_empty_ones_and_never_shows_the_secret() {
    let credential = client_secret("contoso.example\n", SECRET).unwrap();
    assert_eq!(credential.tenant_id(), "contoso.example");
    assert_eq!(credential.client_id(), "app");
    let shown = format!("{credential} {credential:?} {}", credential.fingerprint());
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("***"));
    assert_eq!(
        client_secret("contoso.example", "  \n").unwrap_err(),
        CredentialError::Empty {
            key: "clientSecret"
        }
    );
}

#[test]
fn a_tenant_must_be_a_guid_or_domain_not_a_path_or_alias() {
    assert_eq!(
        client_secret("x/../y", SECRET).unwrap_err(),
        CredentialError::InvalidTenant
    );
    assert_eq!(
        client_secret("Common", SECRET).unwrap_err(),
        CredentialError::MultiTenantAlias {
            tenant: "common".to_owned()
        }
    );
}

#[test]
fn fingerprint_is_stable_and_follows_rotation() {
    let one = client_secret("contoso.example", SECRET).unwrap();
    let same = client_secret("contoso.example", SECRET).unwrap();
    assert_eq!(one.fingerprint(), same.fingerprint());
    let rotated = client_secret("contoso.example", "another").unwrap();
    assert_ne!(one.fingerprint(), rotated.fingerprint());
    assert_eq!(one.fingerprint().to_string().len(), 64);
}

#[test]
fn reads_a_combined_certificate_file() {
    let (key, certificate, _) = crate::identity::certificate::tests::rsa_certificate();
    let dir = std::env::temp_dir().join(format!("sds-credential-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("client.pem");
    std::fs::write(&path, format!("{key}{certificate}")).unwrap();
    let tenant = "contoso.example";
    let credential =
        Credential::client_certificate_file(tenant, "app", &path, AssertionAlgorithm::Ps256)
            .unwrap();
    assert!(matches!(credential, Credential::ClientCertificate { .. }));
    std::fs::write(&path, &certificate).unwrap();
    let error =
        Credential::client_certificate_file(tenant, "app", &path, AssertionAlgorithm::Ps256)
            .unwrap_err();
    assert!(error.to_string().starts_with(&format!(
        "the client certificate file {} holds no PEM private key",
        path.display()
    )));
    let missing = dir.join("missing.pem");
    let error =
        Credential::client_certificate_file(tenant, "app", &missing, AssertionAlgorithm::Rs256)
            .unwrap_err();
    assert!(
        matches!(error, CredentialError::CertificateFile { .. }),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
