//! Unit tests of client certificates and the assertions they sign.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{DecodingKey, Validation};
use rcgen::{CertificateParams, KeyPair, PKCS_RSA_SHA256};
use serde_json::Value;

use super::*;

const CLIENT: &str = "6f0b5e43-1c6a-4f0e-9a43-0a1b2c3d4e5f";
const TOKEN_URL: &str = "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token";
const NOW: i64 = 1_700_000_000;

/// An RSA key (PKCS#8 PEM), its self-signed certificate (PEM) and the certificate's DER.
pub(crate) fn rsa_certificate() -> (String, String, Vec<u8>) {
    let key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
    let certificate = CertificateParams::new(vec!["sds-operator".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (
        key.serialize_pem(),
        certificate.pem(),
        certificate.der().to_vec(),
    )
}

fn decode_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[test]
fn signs_both_documented_forms_with_thumbprints_of_the_der() {
    let (key, certificate, der) = rsa_certificate();
    let sha1 = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &der));
    let sha256 = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, &der));
    let cases = [
        (AssertionAlgorithm::Rs256, "RS256", "x5t", &sha1, "x5t#S256"),
        (
            AssertionAlgorithm::Ps256,
            "PS256",
            "x5t#S256",
            &sha256,
            "x5t",
        ),
    ];
    for (algorithm, alg, present, thumbprint, absent) in cases {
        let signer =
            ClientCertificate::from_pem(certificate.as_bytes(), key.as_bytes(), algorithm).unwrap();
        let assertion = signer
            .assertion_at(CLIENT, TOKEN_URL, NOW, "jti-1")
            .unwrap();
        let header = decode_part(assertion.expose_secret(), 0);
        assert_eq!(header["alg"], alg);
        assert_eq!(header["typ"], "JWT");
        assert_eq!(header[present], thumbprint.as_str(), "{header}");
        assert!(header.get(absent).is_none(), "{header}");

        let claims = decode_part(assertion.expose_secret(), 1);
        assert_eq!(claims["aud"], TOKEN_URL);
        assert_eq!(claims["iss"], CLIENT);
        assert_eq!(claims["sub"], CLIENT);
        assert_eq!(claims["jti"], "jti-1");
        assert_eq!(claims["nbf"], NOW);
        assert_eq!(claims["iat"], NOW);
        assert_eq!(claims["exp"], NOW + 600);

        // The signature verifies under the certificate's own public key.
        let public = DecodingKey::from_rsa_der(&rsa_public_key(&der).unwrap());
        let mut validation = Validation::new(algorithm.jwt_algorithm());
        validation.validate_exp = false;
        validation.set_audience(&[TOKEN_URL]);
        jsonwebtoken::decode::<Value>(assertion.expose_secret(), &public, &validation).unwrap();
    }
}

#[test]
fn each_assertion_is_new_and_short_lived() {
    let (key, certificate, _) = rsa_certificate();
    let signer = ClientCertificate::from_pem(
        certificate.as_bytes(),
        key.as_bytes(),
        AssertionAlgorithm::Ps256,
    )
    .unwrap();
    let one = decode_part(
        signer.assertion(CLIENT, TOKEN_URL).unwrap().expose_secret(),
        1,
    );
    let two = decode_part(
        signer.assertion(CLIENT, TOKEN_URL).unwrap().expose_secret(),
        1,
    );
    assert_ne!(one["jti"], two["jti"]);
    let now = jiff::Timestamp::now().as_second();
    let nbf = one["nbf"].as_i64().unwrap();
    assert!((now - 5..=now).contains(&nbf), "nbf {nbf}, now {now}");
    assert_eq!(one["exp"].as_i64().unwrap() - nbf, ASSERTION_LIFETIME_SECS);
}

#[test]
fn thumbprint_is_the_hex_of_x5t() {
    // The example from the identity platform's documentation (graph-api.md §6.2).
    let documented = URL_SAFE_NO_PAD
        .decode("hOBcHZi846VCHSJbFAs26Go9VTQ")
        .unwrap();
    assert!(hex(&documented).starts_with("84E05C1D") && hex(&documented).ends_with("5534"));

    let (key, certificate, der) = rsa_certificate();
    let signer = ClientCertificate::from_pem(
        certificate.as_bytes(),
        key.as_bytes(),
        AssertionAlgorithm::Rs256,
    )
    .unwrap();
    let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
    assert_eq!(signer.thumbprint(), hex(sha1.as_ref()));
    let shown = format!("{signer:?}");
    assert!(
        shown.contains(signer.thumbprint()) && !shown.contains("PRIVATE"),
        "{shown}"
    );
}

#[test]
fn combined_pem_and_chains_are_read() {
    let (key, certificate, _) = rsa_certificate();
    let (_, intermediate, _) = rsa_certificate();
    // Key first, then the leaf and another certificate, as in a combined file with a chain.
    let combined = format!("{key}{certificate}{intermediate}");
    let from_file = ClientCertificate::from_pem(
        combined.as_bytes(),
        combined.as_bytes(),
        AssertionAlgorithm::Rs256,
    )
    .unwrap();
    let separate = ClientCertificate::from_pem(
        certificate.as_bytes(),
        key.as_bytes(),
        AssertionAlgorithm::Rs256,
    )
    .unwrap();
    assert_eq!(from_file, separate);
}

#[test]
fn refuses_what_cannot_sign_for_the_certificate() {
    let (key, certificate, _) = rsa_certificate();
    let (other_key, _, _) = rsa_certificate();
    let rs256 = AssertionAlgorithm::Rs256;
    let error = |certificate: &str, key: &str| {
        ClientCertificate::from_pem(certificate.as_bytes(), key.as_bytes(), rs256).unwrap_err()
    };
    assert_eq!(
        error(&certificate, &other_key),
        (PemPart::Key, CertificateError::KeyMismatch)
    );
    assert_eq!(
        error(&key, &key),
        (PemPart::Certificate, CertificateError::NoCertificate)
    );
    assert_eq!(
        error(&certificate, &certificate),
        (PemPart::Key, CertificateError::NoPrivateKey)
    );
    let ec_key = KeyPair::generate().unwrap();
    let ec_certificate = CertificateParams::new(vec!["ec".to_owned()])
        .unwrap()
        .self_signed(&ec_key)
        .unwrap();
    assert_eq!(
        error(&ec_certificate.pem(), &ec_key.serialize_pem()),
        (PemPart::Certificate, CertificateError::NotRsa)
    );
    assert_eq!(
        error(&certificate, &ec_key.serialize_pem()),
        (PemPart::Key, CertificateError::UnusableKey)
    );
    let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert_eq!(
        error(garbage, &key),
        (
            PemPart::Certificate,
            CertificateError::UnreadableCertificate
        )
    );
}

#[test]
fn algorithm_names_parse_either_case() {
    assert_eq!("RS256".parse(), Ok(AssertionAlgorithm::Rs256));
    assert_eq!(" ps256\n".parse(), Ok(AssertionAlgorithm::Ps256));
    assert_eq!("ES256".parse::<AssertionAlgorithm>(), Err(UnknownAlgorithm));
    assert_eq!(AssertionAlgorithm::default(), AssertionAlgorithm::Rs256);
}
