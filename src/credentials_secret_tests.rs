//! Unit tests of reading credentials from a Secret's data.

use std::path::Path;

use rcgen::{CertificateParams, KeyPair, PKCS_RSA_SHA256};

use super::*;

const SECRET: &str = "sup3r~s3cret.value";

fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, ByteString> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), ByteString(v.as_bytes().to_vec())))
        .collect()
}

fn complete() -> BTreeMap<String, ByteString> {
    data(&[
        ("tenantId", "8c33d025-5e64-4550-2aa3-08dc4ac66fca\n"),
        ("clientId", " 6f0b5e43-1c6a-4f0e-9a43-0a1b2c3d4e5f"),
        ("clientSecret", SECRET),
    ])
}

#[test]
fn reads_a_secret_and_never_shows_the_value() {
    let credential = credential_from_secret_data(&complete()).unwrap();
    assert_eq!(
        credential.tenant_id(),
        "8c33d025-5e64-4550-2aa3-08dc4ac66fca"
    );
    assert_eq!(
        credential.client_id(),
        "6f0b5e43-1c6a-4f0e-9a43-0a1b2c3d4e5f"
    );
    let shown = format!("{credential} {credential:?} {}", credential.fingerprint());
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("***"));
}

#[test]
fn a_missing_key_is_named_with_the_expected_keys() {
    let mut partial = complete();
    partial.remove("clientSecret");
    let error = credential_from_secret_data(&partial).unwrap_err();
    assert_eq!(
        error,
        SecretCredentialError::MissingKey {
            key: "clientSecret"
        }
    );
    let text = error.to_string();
    assert!(text.contains("`clientSecret`") && text.contains("tenantId, clientId"));
}

#[test]
fn refuses_bad_values_without_echoing_secrets() {
    let mut empty = complete();
    empty.insert("clientSecret".to_owned(), ByteString(b"  \n".to_vec()));
    assert_eq!(
        credential_from_secret_data(&empty).unwrap_err(),
        SecretCredentialError::Credential(CredentialError::Empty {
            key: "clientSecret"
        })
    );
    let mut binary = complete();
    binary.insert("clientSecret".to_owned(), ByteString(vec![0xff, 0xfe]));
    assert_eq!(
        credential_from_secret_data(&binary).unwrap_err(),
        SecretCredentialError::NotUtf8 {
            key: "clientSecret"
        }
    );
    let mut path = complete();
    path.insert("tenantId".to_owned(), ByteString(b"x/../y".to_vec()));
    assert_eq!(
        credential_from_secret_data(&path).unwrap_err(),
        SecretCredentialError::Credential(CredentialError::InvalidTenant)
    );
    let mut common = complete();
    common.insert("tenantId".to_owned(), ByteString(b"Common".to_vec()));
    assert!(matches!(
        credential_from_secret_data(&common).unwrap_err(),
        SecretCredentialError::Credential(CredentialError::MultiTenantAlias { .. })
    ));
}

#[test]
fn fingerprint_is_stable_and_follows_rotation() {
    let one = credential_from_secret_data(&complete()).unwrap();
    let same = credential_from_secret_data(&complete()).unwrap();
    assert_eq!(one.fingerprint(), same.fingerprint());
    let mut rotated = complete();
    rotated.insert("clientSecret".to_owned(), ByteString(b"another".to_vec()));
    let rotated = credential_from_secret_data(&rotated).unwrap();
    assert_ne!(one.fingerprint(), rotated.fingerprint());
    assert_eq!(one.fingerprint().to_string().len(), 64);
}

/// An RSA key (PKCS#8 PEM) and its self-signed certificate (PEM).
fn rsa_certificate() -> (String, String) {
    let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
    let certificate = CertificateParams::new(vec!["sds-operator".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (key.serialize_pem(), certificate.pem())
}

fn certificate_secret(algorithm: Option<&str>) -> (BTreeMap<String, ByteString>, String) {
    let (key, certificate) = rsa_certificate();
    let mut pairs = vec![
        ("tenantId", "8c33d025-5e64-4550-2aa3-08dc4ac66fca"),
        ("clientId", "6f0b5e43-1c6a-4f0e-9a43-0a1b2c3d4e5f"),
        ("tls.crt", certificate.as_str()),
        ("tls.key", key.as_str()),
    ];
    if let Some(algorithm) = algorithm {
        pairs.push(("assertionAlgorithm", algorithm));
    }
    (data(&pairs), key)
}

#[test]
fn reads_a_certificate_secret_and_never_shows_the_key() {
    for (value, expected) in [
        (None, AssertionAlgorithm::Rs256),
        (Some("PS256"), AssertionAlgorithm::Ps256),
        (Some("rs256"), AssertionAlgorithm::Rs256),
    ] {
        let (secret, key) = certificate_secret(value);
        let credential = credential_from_secret_data(&secret).unwrap();
        let Credential::ClientCertificate { certificate, .. } = &credential else {
            panic!("not a certificate credential: {credential}");
        };
        assert_eq!(certificate.algorithm(), expected);
        let shown = format!("{credential} {credential:?}");
        assert!(shown.contains(certificate.thumbprint()), "{shown}");
        let key_body = key.lines().nth(2).unwrap();
        assert!(
            !shown.contains(key_body) && !shown.contains("PRIVATE"),
            "{shown}"
        );
    }
}

#[test]
fn certificate_secrets_name_what_is_missing_or_wrong() {
    let (complete, _) = certificate_secret(None);
    let mut no_key = complete.clone();
    no_key.remove("tls.key");
    assert_eq!(
        credential_from_secret_data(&no_key).unwrap_err(),
        SecretCredentialError::MissingKey { key: "tls.key" }
    );
    let mut no_certificate = complete.clone();
    no_certificate.remove("tls.crt");
    assert_eq!(
        credential_from_secret_data(&no_certificate).unwrap_err(),
        SecretCredentialError::MissingKey { key: "tls.crt" }
    );
    let mut both = complete.clone();
    both.insert("clientSecret".to_owned(), ByteString(b"x".to_vec()));
    assert_eq!(
        credential_from_secret_data(&both).unwrap_err(),
        SecretCredentialError::AmbiguousSecret
    );
    let mut bad_algorithm = complete.clone();
    bad_algorithm.insert(
        "assertionAlgorithm".to_owned(),
        ByteString(b"HS256".to_vec()),
    );
    let error = credential_from_secret_data(&bad_algorithm).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("`assertionAlgorithm` must be RS256 or PS256")
    );
    let (other, _) = certificate_secret(None);
    let mut mismatched = complete.clone();
    mismatched.insert("tls.key".to_owned(), other["tls.key"].clone());
    let error = credential_from_secret_data(&mismatched).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the credentials Secret's `tls.key` holds a private key that does not belong to the certificate"
    );
    let mut nothing = complete;
    nothing.remove("tls.key");
    nothing.remove("tls.crt");
    let text = credential_from_secret_data(&nothing)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("`clientSecret`") && text.contains("tls.crt and tls.key"),
        "{text}"
    );
}

#[test]
fn fingerprints_differ_by_kind_algorithm_and_key() {
    let (secret, _) = certificate_secret(None);
    let rs256 = credential_from_secret_data(&secret).unwrap();
    let mut ps = secret.clone();
    ps.insert(
        "assertionAlgorithm".to_owned(),
        ByteString(b"PS256".to_vec()),
    );
    let ps256 = credential_from_secret_data(&ps).unwrap();
    assert_ne!(rs256.fingerprint(), ps256.fingerprint());
    assert_eq!(
        rs256.fingerprint(),
        credential_from_secret_data(&secret).unwrap().fingerprint()
    );
    let (renewed, _) = certificate_secret(None);
    assert_ne!(
        rs256.fingerprint(),
        credential_from_secret_data(&renewed).unwrap().fingerprint()
    );
    let tenant = "8c33d025-5e64-4550-2aa3-08dc4ac66fca";
    let client = "6f0b5e43-1c6a-4f0e-9a43-0a1b2c3d4e5f";
    let federated =
        Credential::workload_identity(tenant, client, Path::new("/var/run/token")).unwrap();
    assert_ne!(federated.fingerprint(), rs256.fingerprint());
    assert!(federated.to_string().contains("/var/run/token"));
}

#[test]
fn reads_a_delegated_secret_and_refuses_one_with_a_certificate_too() {
    let tenant = "8c33d025-5e64-4550-2aa3-08dc4ac66fca";
    let client = "1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5";
    let delegated = data(&[
        ("tenantId", tenant),
        ("clientId", client),
        ("refreshToken", "rt-one"),
    ]);
    let credential = credential_from_secret_data(&delegated).unwrap();
    let expected =
        Credential::delegated(tenant, client, None, SecretString::new("rt-one")).unwrap();
    assert_eq!(credential, expected);
    assert_eq!(
        credential.refresh_token().map(SecretString::expose_secret),
        Some("rt-one")
    );
    let mut both = delegated;
    both.insert("tls.crt".to_owned(), ByteString(b"x".to_vec()));
    assert_eq!(
        credential_from_secret_data(&both),
        Err(SecretCredentialError::AmbiguousSecret)
    );
}
