//! Certificate problems become a typed error naming the host; an operator-supplied CA works.

use std::sync::Arc;

use animatrix_comfy::{Auth, ClientOptions, ComfyClient, ComfyError, Endpoint, TlsProblem};
use animatrix_common::Explain;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, date_time_ymd};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;

struct Ca {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
}

fn ca() -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    Ca {
        issuer: Issuer::new(params, key),
        der: cert.der().clone(),
    }
}

/// A TLS server answering every request with `{}`; returns its port.
async fn tls_server(ca: &Ca, name: &str, expired: bool) -> u16 {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
    if expired {
        params.not_before = date_time_ymd(2000, 1, 1);
        params.not_after = date_time_ymd(2001, 1, 1);
    }
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone(), ca.der.clone()],
            PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 8192];
                let _ = tls.read(&mut buf).await;
                let reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

fn https_client(port: u16, extra_ca: Option<&Ca>) -> ComfyClient {
    let endpoint = Endpoint::parse(&format!("https://localhost:{port}/"), Auth::None).unwrap();
    let options = ClientOptions {
        extra_root_certificates: extra_ca.map(|c| c.der.to_vec()).into_iter().collect(),
        ..options()
    };
    ComfyClient::new(endpoint, options).unwrap()
}

fn assert_tls(e: &ComfyError, expected: TlsProblem) {
    let ComfyError::Tls { host, problem, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(problem, &expected, "{e:?}");
    assert!(host.starts_with("localhost:"));
    let user = e.explain();
    assert_eq!(user.code, "tls_certificate_invalid");
    assert!(user.message.contains("localhost"), "{}", user.message);
}

#[tokio::test]
async fn certificate_problems_name_the_host() {
    let trusted = ca();
    let port = tls_server(&trusted, "localhost", false).await;

    // Unknown authority: HTTP and WebSocket alike.
    let c = https_client(port, None);
    assert_tls(&c.features().await.unwrap_err(), TlsProblem::UnknownIssuer);
    assert_tls(
        &c.connect_events("x").await.unwrap_err(),
        TlsProblem::UnknownIssuer,
    );

    // The operator's CA makes it trusted.
    let c = https_client(port, Some(&trusted));
    assert_eq!(c.features().await.unwrap(), Default::default());

    let wrong_name = tls_server(&trusted, "other.example.test", false).await;
    let c = https_client(wrong_name, Some(&trusted));
    assert_tls(
        &c.features().await.unwrap_err(),
        TlsProblem::HostnameMismatch,
    );

    let expired = tls_server(&trusted, "localhost", true).await;
    let c = https_client(expired, Some(&trusted));
    assert_tls(&c.features().await.unwrap_err(), TlsProblem::Expired);
}

#[tokio::test]
async fn https_to_a_plain_http_server_says_so() {
    let fake = fake().await;
    let endpoint =
        Endpoint::parse(&format!("https://localhost:{}/", fake.port()), Auth::None).unwrap();
    let c = ComfyClient::new(endpoint, options()).unwrap();
    let e = c.queue().await.unwrap_err();
    assert_tls(&e, TlsProblem::NotHttps);
}
