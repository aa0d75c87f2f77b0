//! Where published runs go: an S3-compatible bucket, and the key pair that opens it.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::StorageError;

/// The bucket settings the user typed (Settings > Storage, `animatrix storage set`). Holds no
/// secret: the key pair lives in the OS keychain and is passed separately as [`Credentials`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct StorageTarget {
    /// `https://s3.eu-west-1.amazonaws.com`, `https://<account>.r2.cloudflarestorage.com`,
    /// `http://127.0.0.1:3900` (plain HTTP only for loopback, see [`StorageTarget::validate`]).
    pub endpoint_url: String,
    /// `us-east-1` when the service does not care (MinIO, R2 `auto`, Garage `garage`).
    pub region: String,
    pub bucket: String,
    /// Folder inside the bucket, without leading or trailing `/` (may be empty).
    pub prefix: String,
    /// `https://host/bucket/key` instead of `https://bucket.host/key`: MinIO, Garage and most
    /// self-hosted servers need it; AWS and R2 accept virtual-host style.
    pub path_style: bool,
}

/// An access key pair. The secret never leaves this type except into request signing.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl StorageTarget {
    /// Normalizes (trims, strips slashes from the prefix) and checks the settings, so a bad value
    /// is refused when it is saved rather than on the first publish.
    pub fn validate(mut self) -> Result<StorageTarget, StorageError> {
        self.endpoint_url = self.endpoint_url.trim().trim_end_matches('/').to_string();
        self.region = self.region.trim().to_string();
        self.bucket = self.bucket.trim().to_string();
        self.prefix = self.prefix.trim().trim_matches('/').to_string();
        if self.region.is_empty() {
            self.region = "us-east-1".into();
        }
        let url = Url::parse(&self.endpoint_url).map_err(|e| StorageError::InvalidTarget {
            field: "url",
            reason: format!("{}: {e}", self.endpoint_url),
        })?;
        match url.scheme() {
            "https" => {}
            // Plain HTTP would send signed requests and share links in the clear: only a server
            // on this machine (tests, a local MinIO/Garage) may use it.
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(StorageError::InvalidTarget {
                    field: "url",
                    reason: "plain http is only allowed for a server on this machine; use https"
                        .into(),
                });
            }
            other => {
                return Err(StorageError::InvalidTarget {
                    field: "url",
                    reason: format!("scheme {other} is not http or https"),
                });
            }
        }
        if url.host_str().is_none() || url.query().is_some() || !url.username().is_empty() {
            return Err(StorageError::InvalidTarget {
                field: "url",
                reason: "give only the server address, e.g. https://s3.example.com".into(),
            });
        }
        if !valid_bucket(&self.bucket) {
            return Err(StorageError::InvalidTarget {
                field: "bucket",
                reason: format!(
                    "{:?}: 3 to 63 lowercase letters, digits, dots or dashes",
                    self.bucket
                ),
            });
        }
        if self
            .prefix
            .split('/')
            .any(|p| p == "." || p == ".." || (p.is_empty() && !self.prefix.is_empty()))
        {
            return Err(StorageError::InvalidTarget {
                field: "prefix",
                reason: format!("{:?} has an empty, . or .. folder", self.prefix),
            });
        }
        Ok(self)
    }

    /// The object key of `rest` under the prefix (`<prefix>/<rest>`).
    pub fn key(&self, rest: &str) -> String {
        if self.prefix.is_empty() {
            rest.to_string()
        } else {
            format!("{}/{rest}", self.prefix)
        }
    }

    pub(crate) fn allows_http(&self) -> bool {
        self.endpoint_url.starts_with("http://")
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

fn valid_bucket(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str, bucket: &str, prefix: &str) -> StorageTarget {
        StorageTarget {
            endpoint_url: url.into(),
            region: String::new(),
            bucket: bucket.into(),
            prefix: prefix.into(),
            path_style: true,
        }
    }

    #[test]
    fn normalizes_and_defaults_the_region() {
        let t = target(" https://s3.example.com/ ", "runs", "/team/a/")
            .validate()
            .expect("valid");
        assert_eq!(t.endpoint_url, "https://s3.example.com");
        assert_eq!(t.region, "us-east-1");
        assert_eq!(t.prefix, "team/a");
        assert_eq!(t.key("runs/x/a.mp4"), "team/a/runs/x/a.mp4");
        assert_eq!(
            target("https://h", "runs", "")
                .validate()
                .expect("ok")
                .key("k"),
            "k"
        );
    }

    #[test]
    fn refuses_plain_http_off_this_machine_and_bad_names() {
        assert!(
            target("http://127.0.0.1:3900", "runs", "")
                .validate()
                .is_ok()
        );
        assert!(
            target("http://localhost:9000", "runs", "")
                .validate()
                .is_ok()
        );
        for (url, bucket, prefix) in [
            ("http://s3.example.com", "runs", ""),
            ("ftp://s3.example.com", "runs", ""),
            ("not a url", "runs", ""),
            ("https://user@s3.example.com", "runs", ""),
            ("https://s3.example.com", "Runs", ""),
            ("https://s3.example.com", "ab", ""),
            ("https://s3.example.com", "runs", "a/../b"),
            ("https://s3.example.com", "runs", "a//b"),
        ] {
            let err = target(url, bucket, prefix).validate().expect_err(url);
            assert!(matches!(err, StorageError::InvalidTarget { .. }), "{err:?}");
        }
    }

    #[test]
    fn credentials_debug_hides_the_secret() {
        let c = Credentials {
            access_key_id: "GK123".into(),
            secret_access_key: SecretString::from("s3cr3t".to_string()),
        };
        let text = format!("{c:?}");
        assert!(text.contains("GK123") && !text.contains("s3cr3t"), "{text}");
    }
}
