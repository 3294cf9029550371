//! TLS to PostgreSQL, against a private server (tests/pg.rs) with a certificate for
//! 127.0.0.1 and localhost from a CA the test makes: each `sslmode`, a CA that did not sign
//! the certificate, a host name the certificate does not list, a server that requires TLS and
//! one that offers none. Whether a connection is encrypted is read from the server's side
//! (`pg_stat_ssl`). The URL always holds a password, which no message may show.

use std::path::{Path, PathBuf};

use marble::Error;
use marble::internals::engine::store::{PostgresStore, Store};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};

use crate::pg::{Postgres, TlsServer};

const PASSWORD: &str = "s3cret-pw";

/// A CA: its certificate in PEM, and the issuer to sign with.
fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A server certificate for 127.0.0.1 and localhost signed by `ca`, and its key, in PEM.
fn server_cert(ca: &CertifiedIssuer<'_, KeyPair>) -> (String, String) {
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, ca).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// The server's URL with the password and `query`, on `host` (connecting to 127.0.0.1).
fn url(pg: &Postgres, host: &str, query: &str) -> String {
    let hostaddr = if host == "127.0.0.1" { String::new() } else { "&hostaddr=127.0.0.1".into() };
    format!("postgres://marble:{PASSWORD}@{host}:{}/postgres?{query}{hostaddr}", pg.port())
}

/// Open the store at `url` under `name` (its `application_name`), check it works, and say
/// whether the server sees that connection encrypted.
fn open_and_use(pg: &Postgres, url: &str, name: &str) -> bool {
    let url = format!("{url}&application_name={name}");
    let store = PostgresStore::open(&url).unwrap_or_else(|e| panic!("{name}: {e}"));
    store.insert_embedding(&format!("emb_{name}"), "job_1", "ds_1").unwrap();
    assert_eq!(store.embedding(&format!("emb_{name}")).unwrap(), ("job_1".to_string(), "ds_1".to_string()));
    let rows = pg
        .admin()
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1",
            &[&name],
        )
        .unwrap();
    assert!(!rows.is_empty(), "{name}: the store holds no connection");
    let encrypted: Vec<bool> = rows.iter().map(|r| r.get(0)).collect();
    assert!(encrypted.iter().all(|&e| e == encrypted[0]), "{name}: {encrypted:?}");
    encrypted[0]
}

/// The message of a refused connection, a Database error that shows no password.
#[track_caller]
fn refused(url: &str) -> String {
    let e = PostgresStore::open(url).err().expect("refused");
    let text = e.to_string();
    assert!(matches!(e, Error::Database { backend: "postgres", .. }), "{e:?}");
    assert!(!text.contains(PASSWORD), "the password shows: {text}");
    text
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn postgres_over_tls_honours_sslmode() {
    let ca_right = ca("marble test CA");
    let (cert, key) = server_cert(&ca_right);
    let Some(pg) = Postgres::start_tls(&TlsServer { cert: &cert, key: &key, password: PASSWORD }) else { return };
    let dir = tempfile::tempdir().unwrap();
    let right = write(dir.path(), "right.pem", &ca_right.pem());
    let wrong = write(dir.path(), "wrong.pem", &ca("another CA").pem());
    let (right, wrong) = (right.display(), wrong.display());

    // verify-full: the right CA connects, on either name the certificate lists.
    for host in ["127.0.0.1", "localhost"] {
        let u = url(&pg, host, &format!("sslmode=verify-full&sslrootcert={right}"));
        assert!(open_and_use(&pg, &u, &format!("full_{}", host.replace('.', "_"))), "{host}: not encrypted");
    }
    // ... a CA that did not sign it is refused, saying so.
    let text = refused(&url(&pg, "127.0.0.1", &format!("sslmode=verify-full&sslrootcert={wrong}")));
    assert!(
        text.contains(&format!("the server's certificate is not signed by the CA in sslrootcert={wrong}")),
        "{text}"
    );
    assert!(text.contains("sslmode=require to encrypt without verifying"), "{text}");
    assert!(text.contains("postgres://marble@127.0.0.1"), "names the server: {text}");
    // ... as is a name the certificate does not list, which verify-ca does not check.
    let text = refused(&url(&pg, "db.example", &format!("sslmode=verify-full&sslrootcert={right}")));
    assert!(text.contains("the server's certificate is not for the host name in the URL"), "{text}");
    assert!(text.contains("db.example"), "{text}");
    assert!(open_and_use(&pg, &url(&pg, "db.example", &format!("sslmode=verify-ca&sslrootcert={right}")), "ca"));
    let text = refused(&url(&pg, "db.example", &format!("sslmode=verify-ca&sslrootcert={wrong}")));
    assert!(text.contains("not signed by the CA"), "{text}");
    // verify-ca without sslrootcert checks against the system's roots, which lack this CA.
    let text = refused(&url(&pg, "127.0.0.1", "sslmode=verify-ca"));
    assert!(text.contains("not signed by a CA this system trusts") || text.contains("no root certificates"), "{text}");

    // require encrypts without any CA; prefer (the default) too, when the server offers TLS.
    assert!(open_and_use(&pg, &url(&pg, "127.0.0.1", "sslmode=require"), "require"));
    assert!(open_and_use(&pg, &url(&pg, "127.0.0.1", "sslmode=prefer"), "prefer"));
    assert!(open_and_use(&pg, &url(&pg, "localhost", "connect_timeout=10"), "default"));
    // require with a CA checks it, as libpq does.
    let text = refused(&url(&pg, "127.0.0.1", &format!("sslmode=require&sslrootcert={wrong}")));
    assert!(text.contains("not signed by the CA") && text.contains("leave sslrootcert out"), "{text}");
    // disable connects in clear.
    assert!(!open_and_use(&pg, &url(&pg, "127.0.0.1", "sslmode=disable"), "disable"));

    // A wrong password is refused without showing it (nor the right one).
    let bad = url(&pg, "127.0.0.1", "sslmode=require").replace(PASSWORD, "not-the-pw");
    let text = PostgresStore::open(&bad).err().expect("refused").to_string();
    assert!(text.contains("password authentication failed") && !text.contains("not-the-pw"), "{text}");

    // A server that accepts only TLS (hostssl) refuses sslmode=disable.
    pg.set_hba("local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n");
    let clear = url(&pg, "127.0.0.1", "sslmode=disable");
    pg.reload(|| PostgresStore::open(&clear).is_err());
    let text = refused(&clear);
    assert!(text.contains("no pg_hba.conf entry") && text.contains("no encryption"), "{text}");
    assert!(text.contains("the server takes only encrypted connections: use sslmode=require"), "{text}");
    assert!(open_and_use(&pg, &url(&pg, "127.0.0.1", &format!("sslmode=verify-full&sslrootcert={right}")), "hostssl"));

    // A server that offers no TLS: require is refused, saying so; prefer falls back to clear.
    pg.set_hba("local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n");
    pg.admin().batch_execute("ALTER SYSTEM SET ssl = off").unwrap();
    let ssl_off = || pg.admin().query_one("SHOW ssl", &[]).unwrap().get::<_, String>(0) == "off";
    pg.reload(ssl_off);
    let text = refused(&url(&pg, "127.0.0.1", "sslmode=require"));
    assert!(text.contains("the server does not offer TLS, which sslmode=require requires"), "{text}");
    assert!(!open_and_use(&pg, &url(&pg, "127.0.0.1", "sslmode=prefer"), "fallback"));
}

#[test]
fn a_bad_tls_option_in_the_store_url_is_an_argument_error_without_the_password() {
    // No server needed: these are refused before connecting.
    let dir = std::env::temp_dir();
    for (url, says) in [
        (
            format!("postgres://marble:{PASSWORD}@127.0.0.1:1/db?sslmode=allow"),
            "is not one of disable, prefer, require, verify-ca or verify-full",
        ),
        (
            format!(
                "postgres://marble:{PASSWORD}@127.0.0.1:1/db?sslmode=verify-full&sslrootcert={}/marble-no-such-ca.pem",
                dir.display()
            ),
            "marble-no-such-ca.pem: cannot read it",
        ),
    ] {
        let e = marble::internals::engine::store::open(Some(&url), &dir).err().expect("refused");
        let text = e.to_string();
        assert!(matches!(&e, Error::InvalidArgument { field, .. } if field == "store"), "{e:?}");
        assert!(text.contains(says) && !text.contains(PASSWORD), "{text}");
    }
}
