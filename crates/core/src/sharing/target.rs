//! The storage target in settings, its key pair in the OS keychain.
//!
//! The keychain account is derived from the target (`storage:<url>/<bucket>`), so two data dirs
//! pointing at the same bucket share one key pair and two buckets never overwrite each other's.
//! The pair is stored as one secret (`<access key id>\n<secret>`): both halves are needed
//! together, and the access key id alone already tells an attacker which account to attack.

use animatrix_storage::{Bucket, Credentials, StorageTarget};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::store::{Db, settings};
use crate::{CoreError, secrets};

const TARGET_KEY: &str = "storage_target";
const AUTO_PUBLISH_KEY: &str = "storage_auto_publish";

/// What Settings > Storage and `animatrix storage show` display. Never holds the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct StorageSettings {
    pub target: Option<StorageTarget>,
    /// The access key id (not secret on its own), for recognising which key is stored.
    pub access_key_id: Option<String>,
    /// Publish every run that completes on this machine.
    pub auto_publish: bool,
    /// Where runs are published: `<url>/<bucket>/<prefix>`, also recorded on imported runs.
    pub location: Option<String>,
}

pub(crate) fn account(target: &StorageTarget) -> String {
    format!("storage:{}/{}", target.endpoint_url, target.bucket)
}

/// `<url>/<bucket>[/<prefix>]`: identifies a library (where a run came from).
pub fn location(target: &StorageTarget) -> String {
    let mut s = format!("{}/{}", target.endpoint_url, target.bucket);
    if !target.prefix.is_empty() {
        s.push('/');
        s.push_str(&target.prefix);
    }
    s
}

pub(crate) fn get(db: &Db) -> Result<StorageSettings, CoreError> {
    let (target, auto) = db.read_blocking(|c| {
        Ok((
            settings::get::<StorageTarget>(c, TARGET_KEY)?,
            settings::get::<bool>(c, AUTO_PUBLISH_KEY)?.unwrap_or(false),
        ))
    })?;
    let access_key_id = match &target {
        Some(t) => load_credentials(t)?.map(|c| c.access_key_id),
        None => None,
    };
    Ok(StorageSettings {
        location: target.as_ref().map(location),
        target,
        access_key_id,
        auto_publish: auto,
    })
}

/// Validates and saves the target and the key pair (keychain first: a target saved without its
/// key would fail every publish with a confusing error).
pub(crate) fn set(
    db: &Db,
    target: StorageTarget,
    creds: &Credentials,
    auto_publish: bool,
) -> Result<StorageTarget, CoreError> {
    let target = target.validate()?;
    if creds.access_key_id.trim().is_empty()
        || creds.access_key_id.contains('\n')
        || creds.secret_access_key.expose_secret().trim().is_empty()
    {
        return Err(CoreError::InvalidSetting {
            key: "storage key".into(),
            reason: "give the access key id and the secret, one per line".into(),
        });
    }
    let pair = SecretString::from(format!(
        "{}\n{}",
        creds.access_key_id.trim(),
        creds.secret_access_key.expose_secret().trim()
    ));
    secrets::store(&account(&target), &pair)?;
    db.write_blocking(|c| {
        settings::set(c, TARGET_KEY, &target)?;
        settings::set(c, AUTO_PUBLISH_KEY, &auto_publish)
    })?;
    Ok(target)
}

pub(crate) fn set_auto_publish(db: &Db, on: bool) -> Result<(), CoreError> {
    db.write_blocking(|c| settings::set(c, AUTO_PUBLISH_KEY, &on))
}

/// Forgets the target and deletes its key pair. Published objects stay in the bucket.
pub(crate) fn clear(db: &Db) -> Result<(), CoreError> {
    let target = db.read_blocking(|c| settings::get::<StorageTarget>(c, TARGET_KEY))?;
    if let Some(t) = &target {
        secrets::delete(&account(t))?;
    }
    db.write_blocking(|c| {
        c.execute(
            "DELETE FROM settings WHERE key IN (?1, ?2)",
            [TARGET_KEY, AUTO_PUBLISH_KEY],
        )?;
        Ok(())
    })
}

fn load_credentials(target: &StorageTarget) -> Result<Option<Credentials>, CoreError> {
    let Some(pair) = secrets::load(&account(target))? else {
        return Ok(None);
    };
    let Some((id, secret)) = pair.expose_secret().split_once('\n') else {
        return Err(CoreError::Keychain {
            detail: "the stored storage key pair is not two lines".into(),
        });
    };
    Ok(Some(Credentials {
        access_key_id: id.to_string(),
        secret_access_key: SecretString::from(secret.to_string()),
    }))
}

/// The configured bucket, opened (no request sent yet).
pub(crate) fn open_bucket(db: &Db) -> Result<Bucket, CoreError> {
    let target = db
        .read_blocking(|c| settings::get::<StorageTarget>(c, TARGET_KEY))?
        .ok_or(CoreError::StorageNotConfigured)?;
    let creds = load_credentials(&target)?.ok_or(CoreError::StorageNotConfigured)?;
    Ok(Bucket::open(target, &creds)?)
}

pub(crate) fn auto_publish(db: &Db) -> Result<bool, CoreError> {
    db.read_blocking(|c| Ok(settings::get::<bool>(c, AUTO_PUBLISH_KEY)?.unwrap_or(false)))
}

/// The key pair of a Settings > Storage form whose secret may be left blank: blank means "the
/// one already in the keychain for this target", and only with the stored access key id (a new
/// id with the old secret would fail every request with a confusing bad-key error).
pub(crate) fn form_credentials(
    target: &StorageTarget,
    access_key_id: &str,
    secret: Option<SecretString>,
) -> Result<Credentials, CoreError> {
    let access_key_id = access_key_id.trim().to_string();
    if let Some(secret) = secret.filter(|s| !s.expose_secret().trim().is_empty()) {
        return Ok(Credentials {
            access_key_id,
            secret_access_key: secret,
        });
    }
    let target = target.clone().validate()?;
    match load_credentials(&target)? {
        Some(stored) if stored.access_key_id == access_key_id => Ok(stored),
        _ => Err(CoreError::InvalidSetting {
            key: "storage key".into(),
            reason: "type the secret access key: none is stored for this bucket and key id".into(),
        }),
    }
}
