//! Unit tests of client-assertion checking, with keys and certificates made on the spot.

use jsonwebtoken::{EncodingKey, encode};
use rcgen::{CertificateParams, KeyPair, PKCS_RSA_SHA256};
use serde_json::json;

use super::*;

const CLIENT: &str = "b5e7f8a3-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
const URL: &str = "http://127.0.0.1:1/tenant/oauth2/v2.0/token";
const NOW: i64 = 1_800_000_000;

struct Signer {
    key_pem: String,
    certificate_pem: String,
    der: Vec<u8>,
}

fn rsa_signer() -> Signer {
    let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
    let certificate = CertificateParams::new(vec!["sds-operator".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    Signer {
        key_pem: key.serialize_pem(),
        certificate_pem: certificate.pem(),
        der: certificate.der().to_vec(),
    }
}

fn thumbprint(algorithm: &'static digest::Algorithm, der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(algorithm, der))
}

fn certificate_assertion(
    signer: &Signer,
    algorithm: Algorithm,
    claims: serde_json::Value,
) -> String {
    let mut header = Header::new(algorithm);
    if algorithm == Algorithm::PS256 {
        header.x5t_s256 = Some(thumbprint(&digest::SHA256, &signer.der));
    } else {
        header.x5t = Some(thumbprint(&digest::SHA1_FOR_LEGACY_USE_ONLY, &signer.der));
    }
    let key = EncodingKey::from_rsa_pem(signer.key_pem.as_bytes()).unwrap();
    encode(&header, &claims, &key).unwrap()
}

fn claims(jti: &str) -> serde_json::Value {
    json!({ "aud": URL, "iss": CLIENT, "sub": CLIENT, "jti": jti,
            "nbf": NOW, "iat": NOW, "exp": NOW + 600 })
}

fn client_with(certificate_pem: &str) -> ClientRegistration {
    ClientRegistration::new("tenant", CLIENT, "").with_certificate(certificate_pem)
}

fn code(result: Result<(), AadError>) -> u32 {
    result.unwrap_err().code
}

#[test]
fn accepts_both_assertion_forms_once_each() {
    let signer = rsa_signer();
    let client = client_with(&signer.certificate_pem);
    let mut used = UsedAssertions::default();
    for (algorithm, jti) in [(Algorithm::RS256, "a"), (Algorithm::PS256, "b")] {
        let assertion = certificate_assertion(&signer, algorithm, claims(jti));
        verify(&client, &assertion, URL, NOW, &mut used).unwrap();
        assert_eq!(
            code(verify(&client, &assertion, URL, NOW, &mut used)),
            50012,
            "replay"
        );
    }
}

#[test]
fn refuses_foreign_certificates_and_forged_signatures() {
    let registered = rsa_signer();
    let other = rsa_signer();
    let client = client_with(&registered.certificate_pem);
    let mut used = UsedAssertions::default();
    let foreign = certificate_assertion(&other, Algorithm::RS256, claims("1"));
    let error = verify(&client, &foreign, URL, NOW, &mut used).unwrap_err();
    assert_eq!(error.code, 700027);
    assert!(
        error.text.contains("The key was not found"),
        "{}",
        error.text
    );
    // The registered certificate's thumbprint, but another key's signature.
    let mut header = Header::new(Algorithm::RS256);
    header.x5t = Some(thumbprint(
        &digest::SHA1_FOR_LEGACY_USE_ONLY,
        &registered.der,
    ));
    let key = EncodingKey::from_rsa_pem(other.key_pem.as_bytes()).unwrap();
    let forged = encode(&header, &claims("2"), &key).unwrap();
    let error = verify(&client, &forged, URL, NOW, &mut used).unwrap_err();
    assert_eq!(error.code, 700027);
    assert!(
        error.text.contains("signature value did not match"),
        "{}",
        error.text
    );
}

#[test]
fn checks_audience_issuer_and_time() {
    let signer = rsa_signer();
    let client = client_with(&signer.certificate_pem);
    let mut used = UsedAssertions::default();
    let mut check = |claims: serde_json::Value| {
        let assertion = certificate_assertion(&signer, Algorithm::PS256, claims);
        verify(&client, &assertion, URL, NOW, &mut used)
    };
    let mut wrong_aud = claims("1");
    wrong_aud["aud"] = json!("https://login.microsoftonline.com/x/oauth2/v2.0/token");
    assert_eq!(code(check(wrong_aud)), 50012);
    let mut wrong_sub = claims("2");
    wrong_sub["sub"] = json!("someone-else");
    assert_eq!(code(check(wrong_sub)), 50012);
    let mut expired = claims("3");
    expired["exp"] = json!(NOW - 600);
    expired["nbf"] = json!(NOW - 1200);
    assert_eq!(code(check(expired)), 700024);
    let mut early = claims("4");
    early["nbf"] = json!(NOW + 600);
    early["exp"] = json!(NOW + 1200);
    assert_eq!(code(check(early)), 700024);
    let mut no_jti = claims("5");
    no_jti.as_object_mut().unwrap().remove("jti");
    assert_eq!(code(check(no_jti)), 50012);
    assert_eq!(
        code(verify(
            &client_with(&signer.certificate_pem),
            "x.y",
            URL,
            NOW,
            &mut UsedAssertions::default()
        )),
        50027
    );
}

fn federated_token(key: &KeyPair, kid: &str, claims: serde_json::Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_ec_pem(key.serialize_pem().as_bytes()).unwrap();
    encode(&header, &claims, &key).unwrap()
}

const ISSUER: &str = "https://127.0.0.1:6443";
const SUBJECT: &str = "system:serviceaccount:ns:operator";

fn federated_claims(subject: &str, audience: &str) -> serde_json::Value {
    json!({ "iss": ISSUER, "sub": subject, "aud": [audience], "jti": "same",
            "nbf": NOW, "iat": NOW, "exp": NOW + 3600 })
}

#[test]
fn federated_tokens_match_issuer_subject_audience_and_key() {
    let issuer_key = KeyPair::generate().unwrap();
    let client = ClientRegistration::new("tenant", CLIENT, "").with_federated_credential(
        FederatedCredential::new(ISSUER, SUBJECT, &issuer_key.public_key_pem()),
    );
    let mut used = UsedAssertions::default();
    let good = federated_token(
        &issuer_key,
        "k",
        federated_claims(SUBJECT, "api://AzureADTokenExchange"),
    );
    verify(&client, &good, URL, NOW, &mut used).unwrap();
    // The same projected token is presented until Kubernetes rotates it.
    verify(&client, &good, URL, NOW, &mut used).unwrap();

    let other_subject = federated_token(
        &issuer_key,
        "k",
        federated_claims(
            "system:serviceaccount:ns:other",
            "api://AzureADTokenExchange",
        ),
    );
    let error = verify(&client, &other_subject, URL, NOW, &mut used).unwrap_err();
    assert_eq!(error.code, 70021);
    assert!(
        error.text.contains("system:serviceaccount:ns:other"),
        "{}",
        error.text
    );
    let other_audience = federated_token(
        &issuer_key,
        "k",
        federated_claims(SUBJECT, "https://kubernetes.default.svc"),
    );
    assert_eq!(
        code(verify(&client, &other_audience, URL, NOW, &mut used)),
        70021
    );
    let mut other_issuer = federated_claims(SUBJECT, "api://AzureADTokenExchange");
    other_issuer["iss"] = json!("https://elsewhere.example");
    let other_issuer = federated_token(&issuer_key, "k", other_issuer);
    assert_eq!(
        code(verify(&client, &other_issuer, URL, NOW, &mut used)),
        70021
    );

    let impostor = KeyPair::generate().unwrap();
    let forged = federated_token(
        &impostor,
        "k",
        federated_claims(SUBJECT, "api://AzureADTokenExchange"),
    );
    assert_eq!(code(verify(&client, &forged, URL, NOW, &mut used)), 700027);
    let mut expired = federated_claims(SUBJECT, "api://AzureADTokenExchange");
    expired["exp"] = json!(NOW - 300);
    let expired = federated_token(&issuer_key, "k", expired);
    assert_eq!(code(verify(&client, &expired, URL, NOW, &mut used)), 700024);
}

#[test]
fn federated_keys_may_come_from_a_jwk_set() {
    let issuer_key = KeyPair::generate().unwrap();
    let decoding = jsonwebtoken::jwk::Jwk::from_encoding_key(
        &EncodingKey::from_ec_pem(issuer_key.serialize_pem().as_bytes()).unwrap(),
        Algorithm::ES256,
    )
    .unwrap();
    let mut jwk = serde_json::to_value(decoding).unwrap();
    jwk["kid"] = json!("k1");
    let mut credential = FederatedCredential::new(ISSUER, SUBJECT, "");
    credential.issuer_keys.clear();
    credential.issuer_jwks = Some(json!({ "keys": [jwk] }));
    let client =
        ClientRegistration::new("tenant", CLIENT, "").with_federated_credential(credential);
    let token = federated_token(
        &issuer_key,
        "k1",
        federated_claims(SUBJECT, "api://AzureADTokenExchange"),
    );
    verify(&client, &token, URL, NOW, &mut UsedAssertions::default()).unwrap();
}
