//! Endpoint address and credentials. Secrets live in `secrecy` types: they never show in
//! `Debug` output or logs, and the header values built from them are marked sensitive.

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::error::ComfyError;

/// How requests to a server are authenticated. The same header goes on every HTTP request
/// and on the WebSocket handshake.
#[derive(Debug, Clone, Default)]
pub enum Auth {
    #[default]
    None,
    /// `Authorization: Bearer <token>`
    Bearer(SecretString),
    /// `Authorization: Basic base64(user:password)`
    Basic {
        user: String,
        password: SecretString,
    },
    /// A custom header, e.g. `X-Api-Key: <value>` or a proxy's access token header.
    Header { name: String, value: SecretString },
}

impl Auth {
    /// A short label for logs and reports, never the secret.
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Bearer(_) => "bearer",
            Auth::Basic { .. } => "basic",
            Auth::Header { .. } => "header",
        }
    }

    /// The header this auth adds, with its value marked sensitive.
    pub(crate) fn header(&self) -> Result<Option<(HeaderName, HeaderValue)>, ComfyError> {
        let invalid = |reason: &str| ComfyError::InvalidAuthHeader {
            reason: reason.to_owned(),
        };
        let (name, value) = match self {
            Auth::None => return Ok(None),
            Auth::Bearer(token) => (
                AUTHORIZATION,
                format!("Bearer {}", token.expose_secret().trim()),
            ),
            Auth::Basic { user, password } => {
                let raw = format!("{user}:{}", password.expose_secret());
                (
                    AUTHORIZATION,
                    format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(raw)
                    ),
                )
            }
            Auth::Header { name, value } => (
                HeaderName::from_bytes(name.trim().as_bytes())
                    .map_err(|_| invalid("the header name has characters a header cannot have"))?,
                value.expose_secret().trim().to_owned(),
            ),
        };
        let mut value = HeaderValue::from_str(&value)
            .map_err(|_| invalid("the secret contains characters a header cannot carry"))?;
        value.set_sensitive(true);
        Ok(Some((name, value)))
    }
}

/// A ComfyUI server: base URL (may carry a path prefix behind a proxy) and its credentials.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub base_url: Url,
    pub auth: Auth,
}

impl Endpoint {
    /// Parse and check an address; see [`Endpoint::validated`].
    pub fn parse(base_url: &str, auth: Auth) -> Result<Endpoint, ComfyError> {
        let url = Url::parse(base_url.trim()).map_err(|e| ComfyError::InvalidBaseUrl {
            url: base_url.to_owned(),
            reason: e.to_string(),
        })?;
        Endpoint {
            base_url: url,
            auth,
        }
        .validated()
    }

    /// http(s) only, a host, no credentials in the URL (they would leak into logs), no query
    /// or fragment; the path gets a trailing `/` so relative joins keep any prefix.
    pub fn validated(mut self) -> Result<Endpoint, ComfyError> {
        let fail = |reason: &str| ComfyError::InvalidBaseUrl {
            url: redact_url(&self.base_url),
            reason: reason.to_owned(),
        };
        if !matches!(self.base_url.scheme(), "http" | "https") {
            return Err(fail("the address must start with http:// or https://"));
        }
        if self.base_url.host_str().is_none_or(str::is_empty) {
            return Err(fail("the address has no host name"));
        }
        if !self.base_url.username().is_empty() || self.base_url.password().is_some() {
            return Err(fail(
                "credentials must not be part of the address; use the endpoint's sign-in settings",
            ));
        }
        if self.base_url.query().is_some() || self.base_url.fragment().is_some() {
            return Err(fail(
                "the address must not have a query (?…) or fragment (#…)",
            ));
        }
        if !self.base_url.path().ends_with('/') {
            let path = format!("{}/", self.base_url.path());
            self.base_url.set_path(&path);
        }
        Ok(self)
    }

    /// `host[:port]` for messages.
    pub fn host(&self) -> String {
        host_label(&self.base_url)
    }
}

pub(crate) fn host_label(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => url.as_str().to_owned(),
    }
}

/// The URL without any userinfo, for error messages.
fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}
