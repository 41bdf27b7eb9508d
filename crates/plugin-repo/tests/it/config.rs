//! The provider config and source parsing, through the same YAML parser the
//! manager uses.

// Test helpers unwrap and cast freely; the library code stays pedantic-clean.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::path::Path;
use std::sync::Arc;

use plugin_repo::{
    ArchiveOption, Checksum, Location, ProviderConfig, ProviderContext, ProviderKind, ProviderSet,
    ProviderSettings, RepoError, SecretValue, Source,
};

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Wrapper {
    providers: Vec<ProviderConfig>,
}

fn parse(yaml: &str) -> Result<Vec<ProviderConfig>, String> {
    serde_saphyr::from_str::<Wrapper>(yaml)
        .map(|w| w.providers)
        .map_err(|e| e.to_string())
}

#[test]
fn every_type_parses() {
    let yaml = r#"
providers:
  - type: http
    name: web
    url: https://plugins.example.org/optimus/
    auth:
      bearer: {env: PLUGIN_TOKEN}
      headers:
        X-Api-Key: {file: secrets/key}
  - type: gcs
    name: g
    bucket: b
    prefix: plugins
    service_account: {env: GCS_SA}
  - type: s3
    name: s
    bucket: b
    region: eu-west-1
    endpoint: http://127.0.0.1:9000
    path_style: true
    access_key_id: {env: AK}
    secret_access_key: {env: SK}
  - type: azure
    name: a
    account: acct
    container: c
    sas_token: {env: SAS}
  - type: local
    name: l
    path: ../plugins
"#;
    let ps = parse(yaml).unwrap();
    let kinds: Vec<ProviderKind> = ps.iter().map(ProviderConfig::kind).collect();
    assert_eq!(
        kinds,
        [
            ProviderKind::Http,
            ProviderKind::Gcs,
            ProviderKind::S3,
            ProviderKind::Azure,
            ProviderKind::Local
        ]
    );
    let ProviderSettings::Http(h) = &ps[0].settings else {
        panic!("http settings expected")
    };
    assert!(matches!(h.auth.bearer, Some(SecretValue::Env(ref n)) if n == "PLUGIN_TOKEN"));
    assert!(h.netrc);
}

#[test]
fn unknown_key_is_reported_with_line_and_column() {
    let yaml = "providers:\n  - type: s3\n    name: s\n    bucket: b\n    regoin: eu\n";
    let err = parse(yaml).unwrap_err();
    assert!(err.contains("regoin"), "{err}");
    assert!(err.contains("5:5") || err.contains("line 5"), "{err}");
}

#[test]
fn key_of_another_type_is_refused_with_position() {
    let yaml = "providers:\n  - type: http\n    name: web\n    url: https://x/\n    bucket: b\n";
    let err = parse(yaml).unwrap_err();
    assert!(
        err.contains("`bucket` does not apply to type http"),
        "{err}"
    );
    assert!(err.contains("provider \"web\""), "{err}");
    assert!(err.contains("line 2") || err.contains("2:"), "{err}");
}

#[test]
fn unknown_key_inside_auth_and_secret() {
    let err = parse("providers:\n  - type: http\n    name: w\n    url: https://x/\n    auth:\n      bearer: {envv: X}\n").unwrap_err();
    assert!(err.contains("envv"), "{err}");
    assert!(err.contains("6:"), "{err}");
    let err = parse(
        "providers:\n  - type: http\n    name: w\n    url: https://x/\n    auth:\n      token: x\n",
    )
    .unwrap_err();
    assert!(err.contains("token"), "{err}");
}

#[test]
fn missing_required_keys_are_named() {
    let err = parse("providers:\n  - type: gcs\n    name: g\n").unwrap_err();
    assert!(err.contains("`bucket` is required"), "{err}");
    let err = parse("providers:\n  - type: ftp\n    name: g\n").unwrap_err();
    assert!(err.contains("ftp"), "{err}");
    let err = parse("providers:\n  - type: s3\n    name: s\n    bucket: b\n    access_key_id: x\n")
        .unwrap_err();
    assert!(err.contains("go together"), "{err}");
}

#[test]
fn duplicate_and_undefined_providers_are_named() {
    let ps = parse(
        "providers:\n  - {type: local, name: a, path: x}\n  - {type: local, name: a, path: y}\n",
    )
    .unwrap();
    let err = ProviderSet::new(ps).unwrap_err().to_string();
    assert!(err.contains("two providers are named \"a\""), "{err}");
    let ps = parse("providers:\n  - {type: local, name: a, path: x}\n").unwrap();
    let set = ProviderSet::new(ps).unwrap();
    let err = set.get("b").unwrap_err().to_string();
    assert_eq!(err, "provider \"b\" is not defined (defined: a)");
}

#[test]
fn sentinel_secret_never_in_debug() {
    let sentinel = "SENTINEL-9f3c-inline-secret";
    let yaml = format!(
        "providers:\n  - type: http\n    name: w\n    url: https://x/\n    auth:\n      basic: {{username: u, password: {sentinel}}}\n  - type: s3\n    name: s\n    bucket: b\n    access_key_id: AKIA\n    secret_access_key: {sentinel}\n"
    );
    let ps = parse(&yaml).unwrap();
    let dbg = format!("{ps:?}");
    assert!(!dbg.contains(sentinel), "{dbg}");
}

#[test]
fn missing_secret_env_is_a_clear_error() {
    let ps = parse("providers:\n  - type: http\n    name: w\n    url: https://x/\n    auth:\n      bearer: {env: NOPE_TOKEN}\n").unwrap();
    let ctx = ProviderContext::new("/").with_env(Arc::new(|_| None));
    let err = ps[0].build(&ctx).unwrap_err();
    assert!(matches!(err, RepoError::Config(_)));
    assert_eq!(
        err.to_string(),
        "provider \"w\": auth.bearer: environment variable NOPE_TOKEN is not set or empty"
    );
}

#[test]
fn sources_of_every_kind() {
    let base = Path::new("/etc/optimus");
    let hex = "0123456789abcdef".repeat(4);
    let s = Source::parse(
        &format!("https://h.example/a/b%20c.tar.gz?X-Amz-Signature=abc&checksum=sha256:{hex}&archive=false&filename=x.bin"),
        base,
    )
    .unwrap();
    assert_eq!(s.options.checksum, Some(Checksum::Sha256(hex.clone())));
    assert_eq!(s.options.archive, Some(ArchiveOption::Disabled));
    assert_eq!(s.options.filename.as_deref(), Some("x.bin"));
    let Location::Http { url } = &s.location else {
        panic!("http expected")
    };
    assert_eq!(url.query(), Some("X-Amz-Signature=abc"));
    assert_eq!(s.to_string(), "https://h.example/a/b%20c.tar.gz");
    assert_eq!(s.path(), "b%20c.tar.gz");

    let s = Source::parse("gs://bkt/plugins/neo.zip", base).unwrap();
    assert_eq!(
        s.location,
        Location::Gcs {
            bucket: "bkt".into(),
            key: "plugins/neo.zip".into()
        }
    );
    assert_eq!(s.path(), "plugins/neo.zip");
    assert_eq!(s.file_name(), "neo.zip");

    let s = Source::parse("az://cont@acct/p/x.tgz", base).unwrap();
    assert_eq!(
        s.location,
        Location::Azure {
            account: Some("acct".into()),
            container: "cont".into(),
            key: "p/x.tgz".into()
        }
    );
    let s = Source::parse("file:///opt/p/x.yaml", base).unwrap();
    assert_eq!(
        s.location,
        Location::Local {
            path: "/opt/p/x.yaml".into()
        }
    );
    let s = Source::parse("./dist/x.yaml?archive=false", base).unwrap();
    assert_eq!(
        s.location,
        Location::Local {
            path: "/etc/optimus/dist/x.yaml".into()
        }
    );
    assert_eq!(s.options.archive, Some(ArchiveOption::Disabled));
}

#[test]
fn bad_sources_are_named() {
    let base = Path::new("/");
    let e = Source::parse("ftp://h/x", base).unwrap_err().to_string();
    assert!(e.contains("unsupported scheme `ftp://`"), "{e}");
    let e = Source::parse("https://h/x?checksum=md5:abc", base)
        .unwrap_err()
        .to_string();
    assert!(e.contains("checksum type `md5` is not supported"), "{e}");
    let e = Source::parse("https://h/x?checksum=sha256:abc", base)
        .unwrap_err()
        .to_string();
    assert!(e.contains("64 hex digits"), "{e}");
    let e = Source::parse("s3://bucket", base).unwrap_err().to_string();
    assert!(e.contains("no object path"), "{e}");
    let e = Source::parse("https://u:SENTINELPW@h/x?filename=../x", base)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("plain file name") && !e.contains("SENTINELPW"),
        "{e}"
    );
}

#[test]
fn debug_of_a_provider_never_shows_url_credentials_or_signatures() {
    let ps = parse(
        "providers:\n  - type: http\n    name: web\n    url: https://svc:url-pass-SENTINEL@plugins.example.org/p/?sv=2024&sig=sas-SENTINEL\n    auth:\n      bearer: bearer-SENTINEL\n",
    )
    .unwrap();
    let shown = format!("{:?} {:#?}", ps[0], ps[0]);
    assert!(!shown.contains("SENTINEL"), "{shown}");
    assert!(shown.contains("plugins.example.org"), "{shown}");
}
