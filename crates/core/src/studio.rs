//! The facade the CLI and the Tauri layer hold. Cheap to clone; thread-safe.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;
use secrecy::SecretString;
use tracing::info;

use crate::config::{self, endpoints as ep};
use crate::{AuthKind, CoreError, EndpointView, NewEndpoint, secrets, store};

#[derive(Clone)]
pub struct Studio {
    inner: Arc<Inner>,
}

struct Inner {
    data_dir: PathBuf,
    db: Mutex<Connection>,
}

impl Studio {
    /// Opens the data dir from `ANIMATRIX_DATA_DIR` or the OS convention.
    pub fn open_default() -> Result<Studio, CoreError> {
        Studio::open(config::resolve_data_dir()?)
    }

    pub fn open(data_dir: PathBuf) -> Result<Studio, CoreError> {
        std::fs::create_dir_all(&data_dir).map_err(|source| CoreError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let conn = store::open(&data_dir)?;
        Ok(Studio {
            inner: Arc::new(Inner {
                data_dir,
                db: Mutex::new(conn),
            }),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// The connection; a poisoned lock only means another thread panicked mid-call, and SQLite's
    /// own transactions keep the data consistent, so we keep going.
    pub fn db(&self) -> MutexGuard<'_, Connection> {
        self.inner.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn list_endpoints(&self) -> Result<Vec<EndpointView>, CoreError> {
        store::endpoints::list(&self.db())
    }

    pub fn endpoint(&self, name: &str) -> Result<EndpointView, CoreError> {
        store::endpoints::get(&self.db(), name)
    }

    /// The named endpoint, or the default one when `name` is `None`.
    pub fn endpoint_or_default(&self, name: Option<&str>) -> Result<EndpointView, CoreError> {
        match name {
            Some(n) => self.endpoint(n),
            None => store::endpoints::default(&self.db()),
        }
    }

    /// Validates everything before touching the keychain, stores the secret first, then the
    /// row; if the row fails the secret is removed again so nothing dangles.
    pub fn add_endpoint(
        &self,
        new: NewEndpoint,
        secret: Option<String>,
    ) -> Result<EndpointView, CoreError> {
        ep::validate_name(&new.name)?;
        let base_url = ep::normalize_base_url(&new.base_url)?;
        new.auth.validate()?;
        let secret = non_empty_secret(secret);
        if new.auth.needs_secret() && secret.is_none() {
            return Err(CoreError::SecretRequired {
                kind: new.auth.label(),
            });
        }
        if store::endpoints::exists(&self.db(), &new.name)? {
            return Err(CoreError::DuplicateEndpoint { name: new.name });
        }
        let has_secret = match (&new.auth, &secret) {
            (AuthKind::None, _) | (_, None) => false,
            (_, Some(s)) => {
                secrets::store(&new.name, s)?;
                true
            }
        };
        let inserted = store::endpoints::insert(
            &mut self.db(),
            &new.name,
            &base_url,
            &new.auth,
            has_secret,
            new.make_default,
        );
        if let Err(e) = inserted {
            if has_secret {
                let _ = secrets::delete(&new.name);
            }
            return Err(e);
        }
        info!(endpoint = %new.name, url = %base_url, auth = %new.auth.label(), "endpoint added");
        self.endpoint(&new.name)
    }

    /// Changes URL and auth; `secret: None` keeps the stored secret (the UI never reads it back).
    pub fn update_endpoint(
        &self,
        name: &str,
        base_url: &str,
        auth: AuthKind,
        secret: Option<String>,
    ) -> Result<EndpointView, CoreError> {
        let current = self.endpoint(name)?;
        let base_url = ep::normalize_base_url(base_url)?;
        auth.validate()?;
        let secret = non_empty_secret(secret);
        let has_secret = match (&auth, secret) {
            (AuthKind::None, _) => {
                if current.has_secret {
                    secrets::delete(name)?;
                }
                false
            }
            (_, Some(s)) => {
                secrets::store(name, &s)?;
                true
            }
            (kind, None) if !current.has_secret => {
                return Err(CoreError::SecretRequired { kind: kind.label() });
            }
            (_, None) => true,
        };
        store::endpoints::update(&self.db(), name, &base_url, &auth, has_secret)?;
        info!(endpoint = %name, url = %base_url, auth = %auth.label(), "endpoint updated");
        self.endpoint(name)
    }

    pub fn remove_endpoint(&self, name: &str) -> Result<(), CoreError> {
        let current = self.endpoint(name)?;
        store::endpoints::remove(&self.db(), name)?;
        if current.has_secret {
            // The row is gone either way; a keychain hiccup here only leaves an orphan secret
            // that the next add with this name overwrites.
            if let Err(e) = secrets::delete(name) {
                tracing::warn!(endpoint = %name, error = %e, "could not delete endpoint secret");
            }
        }
        info!(endpoint = %name, "endpoint removed");
        Ok(())
    }

    pub fn set_default_endpoint(&self, name: &str) -> Result<(), CoreError> {
        store::endpoints::set_default(&mut self.db(), name)
    }

    /// Imports a file into the asset store (see `assets::import`).
    pub fn import_asset(
        &self,
        path: &Path,
        role: crate::media::Role,
        options: &crate::media::ImportOptions,
    ) -> Result<(crate::assets::AssetRecord, Vec<String>), CoreError> {
        let options = role.import_options(options);
        let (name, kind) = (role.as_str(), role.kind());
        let result = crate::assets::import(&self.db(), self.data_dir(), path, name, kind, &options);
        match &result {
            Ok((a, _)) => {
                info!(asset = %a.id, role = %a.role, sha256 = %a.sha256, "asset imported")
            }
            Err(e) => tracing::warn!(file = %path.display(), error = %e, "import refused"),
        }
        result
    }

    /// The secret for an endpoint, for building an authenticated client. Never logged.
    pub fn endpoint_secret(
        &self,
        endpoint: &EndpointView,
    ) -> Result<Option<SecretString>, CoreError> {
        if !endpoint.has_secret {
            return Ok(None);
        }
        secrets::load(&endpoint.name)
    }
}

fn non_empty_secret(secret: Option<String>) -> Option<SecretString> {
    secret
        .map(|s| s.trim_end_matches(['\r', '\n']).to_string())
        .filter(|s| !s.is_empty())
        .map(SecretString::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn studio() -> (tempfile::TempDir, Studio) {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Studio::open(dir.path().to_path_buf()).expect("open");
        (dir, s)
    }

    fn new(name: &str, url: &str) -> NewEndpoint {
        NewEndpoint {
            name: name.into(),
            base_url: url.into(),
            auth: AuthKind::None,
            make_default: false,
        }
    }

    #[test]
    fn fresh_install_has_the_production_default() {
        let (_d, s) = studio();
        let list = s.list_endpoints().expect("list");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, ep::DEFAULT_ENDPOINT_NAME);
        assert_eq!(list[0].base_url, ep::DEFAULT_ENDPOINT_URL);
        assert!(list[0].is_default);
    }

    #[test]
    fn add_list_default_remove() {
        let (_d, s) = studio();
        let v = s
            .add_endpoint(new("lab", "http://gpu.lab.local:8188/"), None)
            .expect("add");
        assert_eq!(v.base_url, "http://gpu.lab.local:8188");
        assert!(!v.is_default);
        s.set_default_endpoint("lab").expect("default");
        assert_eq!(s.endpoint_or_default(None).expect("default").name, "lab");
        assert!(matches!(
            s.add_endpoint(new("lab", "http://other.local"), None),
            Err(CoreError::DuplicateEndpoint { .. })
        ));
        s.remove_endpoint("lab").expect("remove");
        assert!(matches!(
            s.endpoint_or_default(None),
            Err(CoreError::NoDefaultEndpoint)
        ));
        assert!(matches!(
            s.remove_endpoint("lab"),
            Err(CoreError::EndpointNotFound { .. })
        ));
    }

    #[test]
    fn secret_kinds_need_a_secret_and_bad_input_is_refused_before_storing() {
        let (_d, s) = studio();
        let mut e = new("tok", "https://x.example");
        e.auth = AuthKind::Bearer;
        assert!(matches!(
            s.add_endpoint(e, Some("\n".into())),
            Err(CoreError::SecretRequired { .. })
        ));
        assert!(matches!(
            s.add_endpoint(new("bad", "ftp://x"), None),
            Err(CoreError::InvalidUrl { .. })
        ));
        assert_eq!(s.list_endpoints().expect("list").len(), 1);
    }
}
