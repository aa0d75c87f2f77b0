//! Endpoints: named ComfyUI servers. The row holds no secret; the secret lives in the keychain
//! under (service `animatrix-studio`, account = endpoint name).

use serde::{Deserialize, Serialize};

use crate::CoreError;

/// The production ingress, seeded on a fresh install (editable, removable). A hostname, never an IP.
pub const DEFAULT_ENDPOINT_NAME: &str = "production";
pub const DEFAULT_ENDPOINT_URL: &str = "https://comfy.desineuron.in";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuthKind {
    None,
    Bearer,
    /// Secret is `user:password`.
    Basic,
    /// A custom header (e.g. `X-Api-Key`) whose value is the secret.
    Header {
        name: String,
    },
}

impl AuthKind {
    /// Parses the CLI spelling: `none`, `bearer`, `basic`, `header:<Name>`.
    pub fn parse(s: &str) -> Result<AuthKind, CoreError> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.as_str() {
            "none" => Ok(AuthKind::None),
            "bearer" => Ok(AuthKind::Bearer),
            "basic" => Ok(AuthKind::Basic),
            _ => match s.trim().split_once(':') {
                Some((kind, name)) if kind.eq_ignore_ascii_case("header") => {
                    let auth = AuthKind::Header {
                        name: name.trim().to_string(),
                    };
                    auth.validate()?;
                    Ok(auth)
                }
                _ => Err(CoreError::UnknownAuthKind {
                    kind: s.to_string(),
                }),
            },
        }
    }

    pub fn needs_secret(&self) -> bool {
        !matches!(self, AuthKind::None)
    }

    pub fn label(&self) -> String {
        match self {
            AuthKind::None => "none".into(),
            AuthKind::Bearer => "bearer".into(),
            AuthKind::Basic => "basic".into(),
            AuthKind::Header { name } => format!("header:{name}"),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), CoreError> {
        if let AuthKind::Header { name } = self {
            // RFC 7230 token characters only, so the header can never smuggle a line break.
            let ok = !name.is_empty()
                && name.len() <= 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !ok {
                return Err(CoreError::UnknownAuthKind {
                    kind: format!("header:{name}"),
                });
            }
        }
        Ok(())
    }

    pub(crate) fn to_columns(&self) -> (&'static str, Option<&str>) {
        match self {
            AuthKind::None => ("none", None),
            AuthKind::Bearer => ("bearer", None),
            AuthKind::Basic => ("basic", None),
            AuthKind::Header { name } => ("header", Some(name.as_str())),
        }
    }

    pub(crate) fn from_columns(kind: &str, header: Option<String>) -> Result<AuthKind, CoreError> {
        match (kind, header) {
            ("none", _) => Ok(AuthKind::None),
            ("bearer", _) => Ok(AuthKind::Bearer),
            ("basic", _) => Ok(AuthKind::Basic),
            ("header", Some(name)) => Ok(AuthKind::Header { name }),
            (other, _) => Err(CoreError::Corrupt(format!("endpoint auth kind {other:?}"))),
        }
    }
}

/// What the UI/CLI sends to create an endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewEndpoint {
    pub name: String,
    pub base_url: String,
    pub auth: AuthKind,
    #[serde(default)]
    pub make_default: bool,
}

/// What the UI/CLI shows. `has_secret` says a secret was stored; the secret itself never leaves
/// the keychain except to authenticate a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct EndpointView {
    pub name: String,
    pub base_url: String,
    pub auth: AuthKind,
    pub is_default: bool,
    pub has_secret: bool,
}

pub fn validate_name(name: &str) -> Result<(), CoreError> {
    let ok = !name.trim().is_empty()
        && name.len() <= 64
        && name == name.trim()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(CoreError::InvalidEndpointName {
            name: name.to_string(),
        })
    }
}

/// `raw` with anything that may be credentials (`user:password@` before the host) replaced by
/// `***`, for error messages and logs. Works on text that is not a valid URL too, and rather
/// hides too much than too little: everything from the scheme to the last `@` goes.
pub fn redact_url_credentials(raw: &str) -> String {
    let start = raw.find("://").map_or(0, |i| i + 3);
    match raw[start..].rfind('@') {
        Some(at) => format!("{}***{}", &raw[..start], &raw[start + at..]),
        None => raw.to_string(),
    }
}

/// Normalizes a base URL: http(s) only, a host, no credentials, query or fragment; no trailing
/// slash. The URL in an error never carries the credentials it was refused for.
pub fn normalize_base_url(raw: &str) -> Result<String, CoreError> {
    let bad = |reason: &str| CoreError::InvalidUrl {
        url: redact_url_credentials(raw.trim()),
        reason: reason.to_string(),
    };
    let url = url::Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("only http and https are supported"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host name"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "it contains credentials; use the sign-in method instead so they go to the keychain",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must not contain ? or #"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_auth_kinds() {
        assert_eq!(AuthKind::parse("none").ok(), Some(AuthKind::None));
        assert_eq!(AuthKind::parse("Bearer").ok(), Some(AuthKind::Bearer));
        assert_eq!(
            AuthKind::parse("header:X-Api-Key").ok(),
            Some(AuthKind::Header {
                name: "X-Api-Key".into()
            })
        );
        assert!(matches!(
            AuthKind::parse("oauth"),
            Err(CoreError::UnknownAuthKind { .. })
        ));
        assert!(AuthKind::parse("header:").is_err());
        assert!(AuthKind::parse("header:X\r\nEvil: 1").is_err());
    }

    #[test]
    fn normalizes_urls() {
        assert_eq!(
            normalize_base_url("https://comfy.example.com/")
                .ok()
                .as_deref(),
            Some("https://comfy.example.com")
        );
        assert_eq!(
            normalize_base_url("http://gpu.local:8188/comfy/")
                .ok()
                .as_deref(),
            Some("http://gpu.local:8188/comfy")
        );
        for bad in [
            "ftp://x.com",
            "not a url",
            "https://user:pw@x.com",
            "https://x.com/?a=1",
            "file:///etc/passwd",
            "",
        ] {
            assert!(normalize_base_url(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn credentials_in_a_refused_url_are_never_echoed() {
        use animatrix_common::Explain;
        for raw in [
            "https://alice:s3cr3t-pw@comfy.example.com",
            "https://alice:s3cr3t-pw@comfy.example.com:8188/prefix/",
            "http://s3cr3t-pw@host",
            "https://alice:s3cr3t-pw@bad host.example",
            "ftp://alice:s3cr3t-pw@x.com",
            "alice:s3cr3t-pw@comfy.example.com",
            "https://alice:p@ss/s3cr3t-pw@comfy.example.com",
        ] {
            let err = normalize_base_url(raw).expect_err(raw);
            let user = err.explain();
            for text in [
                err.to_string(),
                user.message,
                user.detail,
                format!("{err:?}"),
            ] {
                assert!(!text.contains("s3cr3t-pw"), "{raw}: {text}");
            }
        }
        assert_eq!(
            redact_url_credentials("https://u:p@h.example/x"),
            "https://***@h.example/x"
        );
        assert_eq!(
            redact_url_credentials("https://h.example"),
            "https://h.example"
        );
        let err = normalize_base_url("https://u:pw@h.example").expect_err("refused");
        assert!(
            err.to_string().contains("h.example"),
            "the host is still named: {err}"
        );
    }

    #[test]
    fn validates_names() {
        assert!(validate_name("studio-gpu 2").is_ok());
        for bad in ["", " x", "x ", "a/b", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }
}
