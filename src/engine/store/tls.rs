//! TLS to PostgreSQL: the store URL's `sslmode` and `sslrootcert`, read as libpq reads them,
//! and the rustls connector they make. tokio-postgres knows only `disable`, `prefer` and
//! `require` and checks no certificate itself, so [`Target::parse`] takes both options out
//! of the URL before it reaches tokio-postgres, and the certificate checks are done here:
//!
//! | sslmode            | encrypted                  | certificate checked                |
//! |--------------------|----------------------------|------------------------------------|
//! | `disable`          | never                      | -                                  |
//! | `prefer` (default) | when the server offers TLS | no                                 |
//! | `require`          | always                     | no (the chain, with `sslrootcert`) |
//! | `verify-ca`        | always                     | the chain                          |
//! | `verify-full`      | always                     | the chain and the host name        |
//!
//! The chain is checked against the CAs in the PEM file `sslrootcert` names, or against the
//! system's roots (the machine's store, read by rustls-native-certs) without one or with
//! `sslrootcert=system`.

use std::borrow::Cow;
use std::sync::Arc;

use postgres::config::{Host, SslMode as Negotiate};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::verify_server_cert_signed_by_trust_anchor;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::{Error, Result};

/// The accepted values of `sslmode`, for messages.
const MODES: &str = "disable, prefer, require, verify-ca or verify-full";

/// How much TLS a connection asks for (libpq's `sslmode`, less `allow`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<SslMode> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(Error::argument(
                    "store",
                    format!("sslmode=`{other}` in the store URL is not one of {MODES}"),
                ));
            }
        })
    }

    fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// What the server's certificate is checked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// Nothing: encrypted, but anyone in the middle could answer.
    Nothing,
    /// Signed by a trusted CA.
    Chain,
    /// Signed by a trusted CA, for the host name connected to.
    ChainAndName,
}

/// A store URL taken apart: the part tokio-postgres reads, and the TLS options it does not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The URL less `sslmode` and `sslrootcert`, for tokio-postgres.
    pub url: String,
    /// `sslmode`; `prefer` when the URL gives none, as in libpq.
    pub mode: SslMode,
    /// `sslrootcert`: the PEM file of the CAs to trust, or `system`.
    pub root_cert: Option<String>,
}

impl Target {
    /// Take `sslmode` and `sslrootcert` out of a `postgres://` URL's query, percent-decoded.
    /// As in libpq, the credentials end at an `@` before the first `/` (so a password may
    /// hold a `?`, and a path in the query an `@`), and the query starts at the next `?`.
    pub fn parse(url: &str) -> Result<Target> {
        let start = url.find("://").map_or(0, |s| s + 3);
        let authority = &url[start..url[start..].find('/').map_or(url.len(), |slash| start + slash)];
        let creds = authority.find('@').map_or(start, |at| start + at + 1);
        let (base, query) = match url[creds..].find('?') {
            Some(q) => (&url[..creds + q], &url[creds + q + 1..]),
            None => (url, ""),
        };
        let mut target = Target { url: base.to_string(), mode: SslMode::Prefer, root_cert: None };
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match decode(key)?.as_ref() {
                "sslmode" => target.mode = SslMode::parse(&decode(value)?)?,
                "sslrootcert" => target.root_cert = Some(decode(value)?.into_owned()),
                _ => kept.push(pair),
            }
        }
        if !kept.is_empty() {
            target.url = format!("{base}?{}", kept.join("&"));
        }
        Ok(target)
    }

    /// What the certificate is checked for: `require` with a CA given checks the chain, as
    /// in libpq.
    fn check(&self) -> Check {
        match self.mode {
            SslMode::Disable | SslMode::Prefer => Check::Nothing,
            SslMode::Require if self.root_cert.is_none() => Check::Nothing,
            SslMode::Require | SslMode::VerifyCa => Check::Chain,
            SslMode::VerifyFull => Check::ChainAndName,
        }
    }

    /// tokio-postgres's settings for the URL, with its part of `sslmode` (it only negotiates:
    /// the checks are the connector's). A socket path is never encrypted, as in libpq.
    pub fn config(&self) -> std::result::Result<postgres::Config, postgres::Error> {
        let mut config: postgres::Config = self.url.parse()?;
        let on_sockets = config.get_hosts().iter().all(|h| matches!(h, Host::Unix(_)));
        config.ssl_mode(match self.mode {
            SslMode::Disable => Negotiate::Disable,
            _ if on_sockets => Negotiate::Disable,
            SslMode::Prefer => Negotiate::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Negotiate::Require,
        });
        Ok(config)
    }

    /// The connector, or None for `disable`. Reads `sslrootcert` (or the system's roots)
    /// when the certificate is to be checked.
    pub fn connector(&self) -> Result<Option<MakeRustlsConnect>> {
        if self.mode == SslMode::Disable {
            return Ok(None);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Database { backend: "postgres", message: format!("cannot set up TLS: {e}") })?;
        let check = self.check();
        let roots = if check == Check::Nothing { None } else { Some(self.roots()?) };
        let config = match (check, roots) {
            (Check::ChainAndName, Some(roots)) => builder.with_root_certificates(roots).with_no_client_auth(),
            (check, roots) => {
                let verifier = Verifier { roots: roots.filter(|_| check == Check::Chain), provider };
                builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier)).with_no_client_auth()
            }
        };
        Ok(Some(MakeRustlsConnect::new(config)))
    }

    /// The CAs to trust: `sslrootcert`'s, or the system's.
    fn roots(&self) -> Result<RootCertStore> {
        let mut roots = RootCertStore::empty();
        match self.root_cert.as_deref() {
            None | Some("system") => {
                let found = rustls_native_certs::load_native_certs();
                let (added, _) = roots.add_parsable_certificates(found.certs);
                if added == 0 {
                    let why = found.errors.iter().map(|e| format!("; {e}")).collect::<String>();
                    return Err(Error::Database {
                        backend: "postgres",
                        message: format!(
                            "sslmode={} checks the server's certificate, but this system has no root \
                             certificates{why}; name the server's CA with sslrootcert=/path/to/ca.pem",
                            self.mode.name()
                        ),
                    });
                }
            }
            Some(path) => {
                let bad = |why: String| Error::argument("store", format!("sslrootcert={path}: {why}"));
                let certs = CertificateDer::pem_file_iter(path)
                    .map_err(|e| bad(format!("cannot read it: {}", pem_error(e))))?
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| bad(format!("not a PEM file of certificates: {}", pem_error(e))))?;
                if certs.is_empty() {
                    return Err(bad("holds no certificate (a PEM file with BEGIN CERTIFICATE blocks)".into()));
                }
                for cert in certs {
                    roots.add(cert).map_err(|e| bad(format!("not a CA certificate: {e}")))?;
                }
            }
        }
        Ok(roots)
    }

    /// A failed connection's TLS cause in words, with what to do; None when it was not TLS.
    pub fn explain(&self, e: &postgres::Error) -> Option<String> {
        if let Some(db) =
            e.as_db_error().filter(|db| self.mode == SslMode::Disable && db.message().ends_with("no encryption"))
        {
            // pg_hba.conf has a `hostssl` line for this client, and no `host` line.
            return Some(format!(
                "{} ({}); the server takes only encrypted connections: use sslmode=require or verify-full",
                db.message(),
                db.code().code()
            ));
        }
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            if s.to_string().contains("server does not support TLS") {
                return Some(format!(
                    "the server does not offer TLS, which sslmode={} requires; turn ssl on in its \
                     postgresql.conf, or use sslmode=prefer",
                    self.mode.name()
                ));
            }
            let tls = s.downcast_ref::<rustls::Error>().or_else(|| {
                s.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).and_then(|i| i.downcast_ref())
            });
            if let Some(rustls::Error::InvalidCertificate(why)) = tls {
                return Some(self.certificate_failure(why));
            }
            source = s.source();
        }
        None
    }

    fn certificate_failure(&self, why: &CertificateError) -> String {
        let mode = self.mode.name();
        let unchecked = if self.mode == SslMode::Require {
            "leave sslrootcert out to encrypt without verifying"
        } else {
            "use sslmode=require to encrypt without verifying"
        };
        match (why, self.root_cert.as_deref()) {
            (CertificateError::UnknownIssuer, None | Some("system")) => format!(
                "the server's certificate is not signed by a CA this system trusts ({why}); name its CA \
                 with sslrootcert=/path/to/ca.pem, or {unchecked}"
            ),
            (CertificateError::UnknownIssuer, Some(path)) => format!(
                "the server's certificate is not signed by the CA in sslrootcert={path} ({why}); check \
                 sslrootcert, or {unchecked}"
            ),
            (CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }, _) => {
                format!(
                    "the server's certificate is not for the host name in the URL ({why}); connect by a \
                     name the certificate lists, or use sslmode=verify-ca to check the CA only"
                )
            }
            _ => format!("the server's certificate failed sslmode={mode}'s check ({why}); {unchecked}"),
        }
    }
}

/// A PEM reading error in words (pki-types' own Display is its Debug).
fn pem_error(e: rustls::pki_types::pem::Error) -> String {
    match e {
        rustls::pki_types::pem::Error::Io(e) => e.to_string(),
        other => format!("{other:?}"),
    }
}

/// Percent-decoding, as tokio-postgres decodes a URL.
fn decode(s: &str) -> Result<Cow<'_, str>> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map_err(|e| Error::argument("store", format!("the store URL's query is not UTF-8 once decoded: {e}")))
}

/// The certificate checks of `prefer`, `require` (no roots: none) and `verify-ca` (the chain,
/// not the host name). The handshake's signatures are always checked, so the server holds
/// the key of the certificate it shows.
#[derive(Debug)]
struct Verifier {
    roots: Option<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl Verifier {
    fn algorithms(&self) -> &WebPkiSupportedAlgorithms {
        &self.provider.signature_verification_algorithms
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let cert = ParsedCertificate::try_from(end_entity)?;
            verify_server_cert_signed_by_trust_anchor(&cert, roots, intermediates, now, self.algorithms().all)?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, self.algorithms())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, self.algorithms())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms().supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Target {
        Target::parse(url).unwrap()
    }

    #[test]
    fn each_sslmode_is_read_and_taken_out() {
        let base = "postgres://marble:secret@db.lab:5432/marble";
        for (name, mode, check) in [
            ("disable", SslMode::Disable, Check::Nothing),
            ("prefer", SslMode::Prefer, Check::Nothing),
            ("require", SslMode::Require, Check::Nothing),
            ("verify-ca", SslMode::VerifyCa, Check::Chain),
            ("verify-full", SslMode::VerifyFull, Check::ChainAndName),
        ] {
            let t = parse(&format!("{base}?sslmode={name}"));
            assert_eq!((t.url.as_str(), t.mode, t.check()), (base, mode, check), "{name}");
            assert_eq!(t.mode.name(), name);
        }
        // libpq's default.
        assert_eq!(parse(base).mode, SslMode::Prefer);
        assert_eq!(parse(base).url, base);
    }

    #[test]
    fn tokio_postgres_gets_the_other_options_and_its_mode() {
        let t = parse(
            "postgres://u:p@h/db?application_name=a%20b&sslrootcert=%2Fetc%2Fmy%20ca.pem&connect_timeout=3&sslmode=verify-full",
        );
        assert_eq!(t.url, "postgres://u:p@h/db?application_name=a%20b&connect_timeout=3");
        assert_eq!(t.root_cert.as_deref(), Some("/etc/my ca.pem"));
        let config = t.config().unwrap();
        assert_eq!(config.get_ssl_mode(), Negotiate::Require);
        assert_eq!(config.get_application_name(), Some("a b"));
        assert_eq!(parse("postgres://h/db?sslmode=prefer").config().unwrap().get_ssl_mode(), Negotiate::Prefer);
        assert_eq!(parse("postgres://h/db?sslmode=disable").config().unwrap().get_ssl_mode(), Negotiate::Disable);
        // A socket is never encrypted (libpq ignores sslmode there).
        let socket = parse("postgres://u@%2Fvar%2Frun%2Fpostgresql/db?sslmode=verify-full");
        assert_eq!(socket.config().unwrap().get_ssl_mode(), Negotiate::Disable);
        // A `?` in the password is the password's, an `@` in the query the query's.
        let t = parse("postgres://u:p?x@h/db?sslmode=require");
        assert_eq!((t.url.as_str(), t.mode), ("postgres://u:p?x@h/db", SslMode::Require));
        let t = parse("postgres://h/db?sslrootcert=/home/a@b/ca.pem&sslmode=verify-ca");
        assert_eq!((t.url.as_str(), t.root_cert.as_deref()), ("postgres://h/db", Some("/home/a@b/ca.pem")));
    }

    #[test]
    fn require_with_a_ca_checks_the_chain_as_libpq_does() {
        let t = parse("postgres://h/db?sslmode=require&sslrootcert=/ca.pem");
        assert_eq!(t.check(), Check::Chain);
    }

    #[test]
    fn an_unknown_sslmode_names_the_five_and_no_password() {
        for url in ["postgres://u:secret@h/db?sslmode=allow", "postgres://u:secret@h/db?sslmode=VERIFY-FULL"] {
            let e = Target::parse(url).unwrap_err();
            let text = e.to_string();
            assert!(matches!(e, Error::InvalidArgument { ref field, .. } if field == "store"), "{e:?}");
            assert!(text.contains("disable, prefer, require, verify-ca or verify-full"), "{text}");
            assert!(!text.contains("secret"), "{text}");
        }
    }

    #[test]
    fn a_bad_sslrootcert_says_which_file_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate\n").unwrap();
        for (path, says) in [(&missing, "cannot read it"), (&junk, "holds no certificate")] {
            let url = format!("postgres://u:secret@h/db?sslmode=verify-full&sslrootcert={}", path.display());
            let e = parse(&url).connector().err().expect("refused");
            let text = e.to_string();
            assert!(text.contains(&format!("sslrootcert={}", path.display())) && text.contains(says), "{text}");
            assert!(!text.contains("secret"), "{text}");
        }
        // Neither is read when nothing is checked.
        let url = format!("postgres://h/db?sslmode=prefer&sslrootcert={}", missing.display());
        assert!(parse(&url).connector().unwrap().is_some());
        assert!(parse("postgres://h/db?sslmode=disable").connector().unwrap().is_none());
    }

    #[test]
    fn certificate_failures_say_what_failed_and_what_to_do() {
        let with_ca = parse("postgres://h/db?sslmode=verify-full&sslrootcert=/etc/ca.pem");
        let text = with_ca.certificate_failure(&CertificateError::UnknownIssuer);
        assert!(text.contains("not signed by the CA in sslrootcert=/etc/ca.pem"), "{text}");
        assert!(text.contains("sslmode=require"), "{text}");
        let system = parse("postgres://h/db?sslmode=verify-ca");
        let text = system.certificate_failure(&CertificateError::UnknownIssuer);
        assert!(text.contains("not signed by a CA this system trusts"), "{text}");
        let text = with_ca.certificate_failure(&CertificateError::NotValidForName);
        assert!(text.contains("not for the host name") && text.contains("sslmode=verify-ca"), "{text}");
        let text = with_ca.certificate_failure(&CertificateError::Expired);
        assert!(text.contains("failed sslmode=verify-full's check") && text.contains("use sslmode=require"), "{text}");
        let require = parse("postgres://h/db?sslmode=require&sslrootcert=/etc/ca.pem");
        let text = require.certificate_failure(&CertificateError::UnknownIssuer);
        assert!(text.contains("leave sslrootcert out to encrypt without verifying"), "{text}");
    }
}
