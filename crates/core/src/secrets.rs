//! Endpoint secrets in the OS keychain (service `animatrix-studio`, account = endpoint name):
//! Windows Credential Manager, macOS Keychain, Secret Service on Linux. There is deliberately no
//! plain-text fallback: when no keychain answers, callers get `KeychainUnavailable` with a fix.

use secrecy::{ExposeSecret, SecretString};

use crate::CoreError;

pub const KEYCHAIN_SERVICE: &str = "animatrix-studio";

fn entry(account: &str) -> Result<keyring::Entry, CoreError> {
    keyring::Entry::new(KEYCHAIN_SERVICE, account).map_err(map_err)
}

pub fn store(account: &str, secret: &SecretString) -> Result<(), CoreError> {
    entry(account)?
        .set_password(secret.expose_secret())
        .map_err(map_err)
}

/// `Ok(None)` when no secret is stored for the account.
pub fn load(account: &str) -> Result<Option<SecretString>, CoreError> {
    match entry(account)?.get_password() {
        Ok(s) => Ok(Some(SecretString::from(s))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(map_err(e)),
    }
}

/// Removing a secret that is not there is not an error.
pub fn delete(account: &str) -> Result<(), CoreError> {
    match entry(account)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(map_err(e)),
    }
}

/// Checks that a keychain answers at all, without touching any real secret.
pub fn probe() -> Result<(), CoreError> {
    match entry("__animatrix_probe__")?.get_password() {
        Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(map_err(e)),
    }
}

fn map_err(e: keyring::Error) -> CoreError {
    match e {
        keyring::Error::NoStorageAccess(inner) => CoreError::KeychainUnavailable {
            detail: inner.to_string(),
        },
        keyring::Error::PlatformFailure(inner) => CoreError::KeychainUnavailable {
            detail: inner.to_string(),
        },
        other => CoreError::Keychain {
            detail: other.to_string(),
        },
    }
}
