//! Servers (endpoints): add, edit, remove, default, test. Secrets go to the OS keychain only.

use animatrix_comfy::DoctorReport;
use secrecy::SecretString;
use tracing::info;

use super::Studio;
use crate::config::endpoints as ep;
use crate::store::off_thread;
use crate::{AuthKind, CoreError, EndpointView, NewEndpoint, secrets, store};

impl Studio {
    pub async fn list_endpoints(&self) -> Result<Vec<EndpointView>, CoreError> {
        self.db().read(store::endpoints::list).await
    }

    /// The named endpoint, or the default one when `name` is `None`.
    pub async fn endpoint(&self, name: Option<&str>) -> Result<EndpointView, CoreError> {
        self.engine().endpoint(name).await
    }

    /// Reachable, signed in, version, GPU, VRAM, queue: one server's health (the default when
    /// `name` is `None`). A server that does not answer is a report saying so.
    pub async fn test_endpoint(
        &self,
        name: Option<&str>,
    ) -> Result<(String, DoctorReport), CoreError> {
        let conn = self.engine().connection(name).await?;
        let report = animatrix_comfy::doctor(&conn.client).await;
        info!(endpoint = %conn.endpoint.name, reachable = report.reachable, usable = report.usable, "connection tested");
        Ok((conn.endpoint.name.clone(), report))
    }

    /// Every server's health, asked concurrently (`doctor --all`, the operator view), in the
    /// order of `list_endpoints`.
    pub async fn test_all_endpoints(&self) -> Result<Vec<(String, DoctorReport)>, CoreError> {
        let endpoints = self.list_endpoints().await?;
        let mut set = tokio::task::JoinSet::new();
        for (i, e) in endpoints.into_iter().enumerate() {
            let studio = self.clone();
            set.spawn(async move { (i, studio.test_endpoint(Some(&e.name)).await) });
        }
        let mut out: Vec<(usize, Tested)> = set.join_all().await;
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, r)| r).collect()
    }

    /// Validates everything before touching the keychain, stores the secret first, then the
    /// row; if the row fails the secret is removed again so nothing dangles.
    pub async fn add_endpoint(
        &self,
        new: NewEndpoint,
        secret: Option<String>,
    ) -> Result<EndpointView, CoreError> {
        let studio = self.clone();
        off_thread(move || studio.add_endpoint_blocking(new, secret)).await
    }

    fn add_endpoint_blocking(
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
        if self
            .db()
            .read_blocking(|c| store::endpoints::exists(c, &new.name))?
        {
            return Err(CoreError::DuplicateEndpoint { name: new.name });
        }
        // Servers and pools share one namespace (a target name is never ambiguous).
        if self
            .db()
            .read_blocking(|c| crate::pools::store::exists(c, &new.name))?
        {
            return Err(CoreError::NameTaken {
                name: new.name,
                used_by: "pool",
            });
        }
        let has_secret = match (&new.auth, &secret) {
            (AuthKind::None, _) | (_, None) => false,
            (_, Some(s)) => {
                secrets::store(&new.name, s)?;
                true
            }
        };
        let inserted = self.db().write_blocking(|c| {
            store::endpoints::insert(
                c,
                &new.name,
                &base_url,
                &new.auth,
                has_secret,
                new.make_default,
            )
        });
        if let Err(e) = inserted {
            if has_secret {
                let _ = secrets::delete(&new.name);
            }
            return Err(e);
        }
        info!(endpoint = %new.name, url = %base_url, auth = %new.auth.label(), "endpoint added");
        self.db()
            .read_blocking(|c| store::endpoints::get(c, &new.name))
    }

    /// Changes URL and auth; `secret: None` keeps the stored secret (the UI never reads it back).
    pub async fn update_endpoint(
        &self,
        name: &str,
        base_url: &str,
        auth: AuthKind,
        secret: Option<String>,
    ) -> Result<EndpointView, CoreError> {
        let (studio, name, base_url) = (self.clone(), name.to_string(), base_url.to_string());
        off_thread(move || studio.update_endpoint_blocking(&name, &base_url, auth, secret)).await
    }

    fn update_endpoint_blocking(
        &self,
        name: &str,
        base_url: &str,
        auth: AuthKind,
        secret: Option<String>,
    ) -> Result<EndpointView, CoreError> {
        let current = self
            .db()
            .read_blocking(|c| store::endpoints::get(c, name))?;
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
        self.db()
            .write_blocking(|c| store::endpoints::update(c, name, &base_url, &auth, has_secret))?;
        info!(endpoint = %name, url = %base_url, auth = %auth.label(), "endpoint updated");
        self.db().read_blocking(|c| store::endpoints::get(c, name))
    }

    pub async fn remove_endpoint(&self, name: &str) -> Result<(), CoreError> {
        let (studio, name) = (self.clone(), name.to_string());
        off_thread(move || studio.remove_endpoint_blocking(&name)).await
    }

    fn remove_endpoint_blocking(&self, name: &str) -> Result<(), CoreError> {
        let current = self
            .db()
            .read_blocking(|c| store::endpoints::get(c, name))?;
        self.db()
            .write_blocking(|c| store::endpoints::remove(c, name))?;
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

    pub async fn set_default_endpoint(&self, name: &str) -> Result<(), CoreError> {
        let name = name.to_string();
        self.db()
            .write(move |c| store::endpoints::set_default(c, &name))
            .await
    }
}

/// One server's name and health, or why it could not be asked.
type Tested = Result<(String, DoctorReport), CoreError>;

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

    #[tokio::test]
    async fn fresh_install_has_the_production_default() {
        let (_d, s) = studio();
        let list = s.list_endpoints().await.expect("list");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, ep::DEFAULT_ENDPOINT_NAME);
        assert_eq!(list[0].base_url, ep::DEFAULT_ENDPOINT_URL);
        assert!(list[0].is_default);
    }

    #[tokio::test]
    async fn add_list_default_remove() {
        let (_d, s) = studio();
        let v = s
            .add_endpoint(new("lab", "http://gpu.lab.local:8188/"), None)
            .await
            .expect("add");
        assert_eq!(v.base_url, "http://gpu.lab.local:8188");
        assert!(!v.is_default);
        s.set_default_endpoint("lab").await.expect("default");
        assert_eq!(s.endpoint(None).await.expect("default").name, "lab");
        assert!(matches!(
            s.add_endpoint(new("lab", "http://other.local"), None).await,
            Err(CoreError::DuplicateEndpoint { .. })
        ));
        s.remove_endpoint("lab").await.expect("remove");
        assert!(matches!(
            s.endpoint(None).await,
            Err(CoreError::NoDefaultEndpoint)
        ));
        assert!(matches!(
            s.remove_endpoint("lab").await,
            Err(CoreError::EndpointNotFound { .. })
        ));
    }

    #[tokio::test]
    async fn secret_kinds_need_a_secret_and_bad_input_is_refused_before_storing() {
        let (_d, s) = studio();
        let mut e = new("tok", "https://x.example");
        e.auth = AuthKind::Bearer;
        assert!(matches!(
            s.add_endpoint(e, Some("\n".into())).await,
            Err(CoreError::SecretRequired { .. })
        ));
        assert!(matches!(
            s.add_endpoint(new("bad", "ftp://x"), None).await,
            Err(CoreError::InvalidUrl { .. })
        ));
        assert_eq!(s.list_endpoints().await.expect("list").len(), 1);
    }
}
