//! TLS between the services and nats-server, with a throwaway CA made for
//! the test: a client that trusts the CA gets in with its credential; one
//! that does not, or (when the server asks for one) has no client
//! certificate, is refused.

use std::path::{Path, PathBuf};
use std::time::Duration;

use efa_runtime::auth::{Role, ServerTls};
use efa_runtime::{ClientTls, NatsAccess};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

use crate::server::{AuthServer, credentials};

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as
/// PEM files in `dir`.
struct Pki {
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

fn make_pki(dir: &Path, name: &str) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("efa test CA {name}"));
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let write = |file: &str, text: String| {
        let path = dir.join(format!("{name}-{file}"));
        std::fs::write(&path, text).unwrap();
        path
    };
    let leaf = |names: Vec<String>, file: &str| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        (
            write(&format!("{file}.pem"), cert.pem()),
            write(&format!("{file}-key.pem"), key.serialize_pem()),
        )
    };
    let (server_cert, server_key) = leaf(vec!["127.0.0.1".into(), "localhost".into()], "server");
    let (client_cert, client_key) = leaf(vec!["efa-gateway".into()], "client");
    Pki {
        ca: write("ca.pem", ca.pem()),
        server_cert,
        server_key,
        client_cert,
        client_key,
    }
}

/// Whether `access` gets a working connection within a few seconds.
async fn gets_in(url: &str, access: &NatsAccess) -> bool {
    let Ok(client) = efa_runtime::connect_with(url, "tls-test", access).await else {
        return false;
    };
    tokio::time::timeout(Duration::from_secs(3), client.flush())
        .await
        .is_ok_and(|flushed| flushed.is_ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_must_trust_the_servers_ca() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path(), "one");
    let other = make_pki(dir.path(), "other");
    let server = AuthServer::start_with_tls(Some(&ServerTls {
        cert_file: pki.server_cert.clone(),
        key_file: pki.server_key.clone(),
        client_ca_file: None,
    }));
    let url = server.nats.url();
    let gateway = credentials(server.data.path())[&Role::Gateway].clone();
    let trusted = NatsAccess {
        credential: Some(gateway.clone()),
        tls: Some(ClientTls::new(pki.ca.clone(), None).unwrap()),
    };
    assert!(gets_in(&url, &trusted).await, "{}", server.nats.log());
    let strange_ca = NatsAccess {
        credential: Some(gateway.clone()),
        tls: Some(ClientTls::new(other.ca.clone(), None).unwrap()),
    };
    assert!(
        !gets_in(&url, &strange_ca).await,
        "a server the client cannot verify"
    );
    let plain = async_nats::ConnectOptions::with_nkey(server.seed(Role::Gateway))
        .connect(&url)
        .await;
    assert!(plain.is_err(), "the system's roots do not know the test CA");
    let no_key = NatsAccess {
        credential: None,
        tls: trusted.tls.clone(),
    };
    assert!(
        !gets_in(&url, &no_key).await,
        "TLS does not replace the nkey"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_client_verification_a_client_needs_a_certificate_of_the_ca() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path(), "one");
    let other = make_pki(dir.path(), "other");
    let server = AuthServer::start_with_tls(Some(&ServerTls {
        cert_file: pki.server_cert.clone(),
        key_file: pki.server_key.clone(),
        client_ca_file: Some(pki.ca.clone()),
    }));
    let url = server.nats.url();
    let gateway = credentials(server.data.path())[&Role::Gateway].clone();
    let with_cert = |cert: &Path, key: &Path| NatsAccess {
        credential: Some(gateway.clone()),
        tls: Some(ClientTls::new(pki.ca.clone(), Some((cert.to_owned(), key.to_owned()))).unwrap()),
    };
    assert!(
        gets_in(&url, &with_cert(&pki.client_cert, &pki.client_key)).await,
        "{}",
        server.nats.log()
    );
    assert!(!gets_in(&url, &with_cert(&other.client_cert, &other.client_key)).await);
    let without_cert = NatsAccess {
        credential: Some(gateway.clone()),
        tls: Some(ClientTls::new(pki.ca.clone(), None).unwrap()),
    };
    assert!(!gets_in(&url, &without_cert).await);
}
