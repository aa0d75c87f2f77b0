//! The core's error type. Each variant renders to a `UserError` at the edge; `detail` keeps the
//! exact cause for the log and the operator view.

use animatrix_common::{ErrorCode, Explain, UserError};

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no data directory could be determined for this OS user")]
    NoDataDir,
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("invalid endpoint URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("invalid endpoint name {name:?}")]
    InvalidEndpointName { name: String },
    #[error("unknown auth kind {kind:?}")]
    UnknownAuthKind { kind: String },
    #[error("an endpoint named {name:?} already exists")]
    DuplicateEndpoint { name: String },
    #[error("no endpoint named {name:?}")]
    EndpointNotFound { name: String },
    #[error("no default endpoint is configured")]
    NoDefaultEndpoint,
    #[error("auth kind {kind} needs a secret")]
    SecretRequired { kind: String },
    #[error("the OS keychain is not reachable: {detail}")]
    KeychainUnavailable { detail: String },
    #[error("keychain error: {detail}")]
    Keychain { detail: String },
    #[error("invalid setting {key}: {reason}")]
    InvalidSetting { key: String, reason: String },
    #[error(transparent)]
    Media(#[from] animatrix_media::MediaError),
    #[error(transparent)]
    Comfy(#[from] animatrix_comfy::ComfyError),
    #[error(transparent)]
    Workflow(#[from] animatrix_workflow::WorkflowError),
    #[error("no asset {id:?}")]
    AssetNotFound { id: String },
    #[error("no job {id:?}")]
    JobNotFound { id: String },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("demo pack is damaged or not a demo pack: {detail}")]
    DemoPackCorrupt { detail: String },
    #[error("demo pack member {member:?} failed its integrity check: {detail}")]
    DemoPackTampered { member: String, detail: String },
    #[error("demo pack member name {member:?} is unsafe")]
    DemoPackUnsafePath { member: String },
    #[error("demo pack format {format:?} version {version} is not supported")]
    DemoPackUnsupportedVersion { format: String, version: String },
    #[error("demo pack exceeds a size limit: {detail}")]
    DemoPackTooLarge { detail: String },
    #[error("run {id} cannot be exported: {reason}")]
    DemoRunNotExportable { id: String, reason: String },
    #[error("run {id} cannot be performed: {reason}")]
    DemoRunNotPlayable { id: String, reason: String },
    #[error("internal error: {0}")]
    Internal(String),
    #[error("this template takes no input of role {role}")]
    InputNotAccepted { role: String, accepted: Vec<String> },
    #[error("not ready to generate: {}", issue.message)]
    NotReady {
        issue: Box<animatrix_workflow::PlanIssue>,
    },
    #[error("server not ready: {verdict}: {detail}")]
    /// `needs_device`: the server lacks a device the template needs (not an install).
    ServerNotReady {
        verdict: String,
        needs_device: bool,
        detail: String,
    },
    #[error("the server does not accept the bound graph: {detail}")]
    TemplateIncompatible { detail: String },
    #[error("the server reported success but produced no video: {detail}")]
    ServerNoOutput { detail: String },
    #[error("download of {file} does not match what the server sent: {detail}")]
    DownloadMismatch { file: String, detail: String },
    #[error("output {file} is not the media it claims to be: {detail}")]
    OutputNotMedia { file: String, detail: String },
    #[error("run {id} is a demo run and is never sent to a server")]
    DemoRunNotSendable { id: String },
    #[error("a pool named {name:?} already exists")]
    DuplicatePool { name: String },
    #[error("the name {name:?} is already used by a {used_by}")]
    NameTaken { name: String, used_by: &'static str },
    #[error("no pool named {name:?}")]
    PoolNotFound { name: String },
    #[error("no server or pool named {name:?}")]
    TargetNotFound { name: String },
    #[error("{endpoint:?} is already a member of pool {pool:?}")]
    PoolMemberExists { pool: String, endpoint: String },
    #[error("{endpoint:?} is not a member of pool {pool:?}")]
    PoolMemberNotFound { pool: String, endpoint: String },
    #[error("pool {pool:?} needs at least one server")]
    PoolNeedsMember { pool: String },
    #[error("no member of pool {pool:?} answered: {}", reasons.join("; "))]
    PoolUnreachable { pool: String, reasons: Vec<String> },
    #[error("no member of pool {pool:?} can run this: {}", reasons.join("; "))]
    PoolNoReadyMember { pool: String, reasons: Vec<String> },
    #[error("I/O error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Storage(#[from] animatrix_storage::StorageError),
    #[error("no storage target is set")]
    StorageNotConfigured,
    #[error("run {id} is not published")]
    RunNotPublished { id: String },
    #[error("run {id} cannot be published: {reason}")]
    RunNotPublishable { id: String, reason: String },
}

impl CoreError {
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        CoreError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

impl Explain for CoreError {
    fn explain(&self) -> UserError {
        // Errors of lower layers explain themselves; the core adds nothing to them.
        match self {
            CoreError::Media(e) => return e.explain(),
            CoreError::Comfy(e) => return e.explain(),
            CoreError::Workflow(e) => return e.explain(),
            CoreError::Storage(e) => return e.explain(),
            _ => {}
        }
        let detail = self.to_string();
        let (code, message, suggestion): (ErrorCode, String, String) = match self {
            CoreError::DataDir { path, .. } => (
                ErrorCode::DataDirUnusable,
                format!("Animatrix Studio cannot write to its data folder ({path})."),
                "Check the folder's permissions and free disk space, or set ANIMATRIX_DATA_DIR to a writable folder.".into(),
            ),
            CoreError::NoDataDir => (
                ErrorCode::DataDirUnknown,
                "Animatrix Studio could not find a data folder for your user account.".into(),
                "Set the ANIMATRIX_DATA_DIR environment variable to a writable folder.".into(),
            ),
            CoreError::Database(_) | CoreError::Migration(_) | CoreError::Corrupt(_) => (
                ErrorCode::StorageError,
                "The run history database could not be read or written.".into(),
                "Close other copies of Animatrix Studio and try again; if it persists, see the log folder.".into(),
            ),
            CoreError::InvalidUrl { url, reason } => (
                ErrorCode::InvalidUrl,
                format!("\"{url}\" is not a usable server address: {reason}."),
                "Enter a full address such as https://comfy.example.com (http or https).".into(),
            ),
            CoreError::InvalidEndpointName { .. } => (
                ErrorCode::InvalidEndpointName,
                "Server names must be 1 to 64 characters: letters, digits, spaces, '-', '_' or '.'.".into(),
                "Pick a short name such as \"studio-gpu\".".into(),
            ),
            CoreError::UnknownAuthKind { kind } => (
                ErrorCode::UnknownAuthKind,
                format!("\"{kind}\" is not a supported sign-in method."),
                "Use one of: none, bearer, basic, header:<Header-Name>.".into(),
            ),
            CoreError::DuplicateEndpoint { name } => (
                ErrorCode::DuplicateEndpoint,
                format!("A server named \"{name}\" already exists."),
                "Choose another name, or remove the existing server first.".into(),
            ),
            CoreError::EndpointNotFound { name } => (
                ErrorCode::EndpointNotFound,
                format!("There is no server named \"{name}\"."),
                "List servers with `animatrix endpoint list` or open Settings.".into(),
            ),
            CoreError::NoDefaultEndpoint => (
                ErrorCode::NoDefaultEndpoint,
                "No server is selected for generating.".into(),
                "Add a server in Settings and mark it as default.".into(),
            ),
            CoreError::SecretRequired { kind } => (
                ErrorCode::SecretRequired,
                format!("The sign-in method \"{kind}\" needs a token or password."),
                "Enter the secret when adding the server; it is stored in your OS keychain.".into(),
            ),
            CoreError::KeychainUnavailable { .. } => (
                ErrorCode::KeychainUnavailable,
                "Your system keychain is not reachable, so the server secret cannot be stored safely.".into(),
                keychain_fix_hint().into(),
            ),
            CoreError::Keychain { .. } => (
                ErrorCode::KeychainError,
                "The system keychain refused the request.".into(),
                "Unlock your keychain and try again.".into(),
            ),
            CoreError::Media(_)
            | CoreError::Comfy(_)
            | CoreError::Workflow(_)
            | CoreError::Storage(_) => {
                unreachable_explained()
            }
            CoreError::AssetNotFound { id } => (
                ErrorCode::AssetNotFound,
                format!("The stored input \"{id}\" is missing."),
                "Attach the file again.".into(),
            ),
            CoreError::JobNotFound { id } => (
                ErrorCode::JobNotFound,
                format!("There is no run with the id \"{id}\"."),
                "List runs with `animatrix jobs` and use the id (or a unique prefix of 6+ characters).".into(),
            ),
            CoreError::InvalidSetting { key, reason } => (
                ErrorCode::InvalidSetting,
                format!("The setting \"{key}\" is not valid: {reason}."),
                "Correct the value and try again.".into(),
            ),
            CoreError::DemoPackCorrupt { .. } => (
                ErrorCode::DemoPackCorrupt,
                "This file is not a readable demo pack: it is damaged, incomplete or of another kind.".into(),
                "Copy the .animatrix-demo file again from its source (the copy may have been cut short) and import it again.".into(),
            ),
            CoreError::DemoPackTampered { member, .. } => (
                ErrorCode::DemoPackTampered,
                format!("The demo pack was changed after it was made (\"{member}\" does not match its checksum), so nothing was imported."),
                "Ask for a fresh export of the pack from the machine that made it.".into(),
            ),
            CoreError::DemoPackUnsafePath { member } => (
                ErrorCode::DemoPackUnsafePath,
                format!("The demo pack contains a file name that could write outside the app's folder (\"{member}\"), so nothing was imported."),
                "Only import demo packs exported by Animatrix Studio from a source you trust.".into(),
            ),
            CoreError::DemoPackUnsupportedVersion { version, .. } => (
                ErrorCode::DemoPackUnsupportedVersion,
                format!("This demo pack uses a format this version of Animatrix Studio does not know (version {version})."),
                "Update Animatrix Studio, or export the pack again with this version.".into(),
            ),
            CoreError::DemoPackTooLarge { .. } => (
                ErrorCode::DemoPackTooLarge,
                "The demo pack is larger than allowed or expands to far more data than it claims, so nothing was imported.".into(),
                "Export fewer runs per pack, and only import packs made by Animatrix Studio.".into(),
            ),
            CoreError::DemoRunNotExportable { id, reason } => (
                ErrorCode::DemoRunNotExportable,
                format!("The run \"{id}\" cannot go into a demo pack: {reason}."),
                "Pick completed runs whose video is still on this computer (see `animatrix jobs --status completed`).".into(),
            ),
            CoreError::DemoRunNotPlayable { id, reason } => (
                ErrorCode::DemoRunNotPlayable,
                format!("The run \"{id}\" cannot be performed: {reason}."),
                "Pick a completed run, for example one marked Demo in the gallery.".into(),
            ),
            CoreError::Internal(_) => (
                ErrorCode::Internal,
                "Animatrix Studio could not complete this action.".into(),
                "Try again. If it keeps happening, send the log folder to support.".into(),
            ),
            CoreError::InputNotAccepted { role, accepted } => (
                ErrorCode::InputNotAccepted,
                format!("This studio takes no \"{role}\" input."),
                format!("Attach only what it takes: {}.", accepted.join(", ")),
            ),
            CoreError::NotReady { issue } => {
                return UserError::new(
                    issue.code,
                    issue.message.clone(),
                    issue.suggestion.clone(),
                )
                .with_detail(detail);
            }
            CoreError::ServerNotReady {
                verdict,
                needs_device,
                ..
            } => (
                ErrorCode::ServerNotReady,
                format!("This server cannot run it: {}.", verdict.trim_end_matches('.')),
                if *needs_device {
                    "Send it to a server that has this hardware (pick it in Settings > Servers, or --endpoint), or use another studio.".into()
                } else {
                    "Ask your operator to install what is missing (animatrix templates lists it), or pick another quality profile.".into()
                },
            ),
            CoreError::TemplateIncompatible { .. } => (
                ErrorCode::TemplateIncompatible,
                "This server's version does not accept the generation recipe.".into(),
                "Update the server's ComfyUI and custom nodes, or ask your operator.".into(),
            ),
            CoreError::ServerNoOutput { .. } => (
                ErrorCode::ServerNoOutput,
                "The server finished the run but produced no video.".into(),
                "Generate again; if it happens again, send the run's details to the server operator.".into(),
            ),
            CoreError::DownloadMismatch { .. } => (
                ErrorCode::DownloadMismatch,
                "The finished video did not arrive complete from the server.".into(),
                "Check the connection and Retry the run; the server usually still has the file.".into(),
            ),
            CoreError::OutputNotMedia { .. } => (
                ErrorCode::OutputNotMedia,
                "The server sent something that is not a playable video.".into(),
                "A proxy in front of the server may have answered instead of it: ask your operator, then Retry.".into(),
            ),
            CoreError::DemoRunNotSendable { .. } => (
                ErrorCode::DemoRunNotSendable,
                "This is a demo run: it is performed from its recording, never sent to a server.".into(),
                "Use Perform to show it, or copy its settings to the composer and Generate with your own server.".into(),
            ),
            CoreError::DuplicatePool { name } => (
                ErrorCode::DuplicatePool,
                format!("A pool named \"{name}\" already exists."),
                "Choose another name, or add servers to the existing pool with `animatrix pool add`.".into(),
            ),
            CoreError::NameTaken { name, used_by } => (
                ErrorCode::NameTaken,
                format!("The name \"{name}\" is already used by a {used_by}; servers and pools share one list of names."),
                "Choose another name.".into(),
            ),
            CoreError::PoolNotFound { name } => (
                ErrorCode::PoolNotFound,
                format!("There is no pool named \"{name}\"."),
                "List pools with `animatrix pool list` or open Settings > Servers.".into(),
            ),
            CoreError::TargetNotFound { name } => (
                ErrorCode::TargetNotFound,
                format!("There is no server or pool named \"{name}\"."),
                "List them with `animatrix endpoint list` and `animatrix pool list`, or open Settings > Servers.".into(),
            ),
            CoreError::PoolMemberExists { pool, endpoint } => (
                ErrorCode::PoolMemberExists,
                format!("\"{endpoint}\" is already in the pool \"{pool}\"."),
                "Nothing to do; `animatrix pool show` lists the members.".into(),
            ),
            CoreError::PoolMemberNotFound { pool, endpoint } => (
                ErrorCode::PoolMemberNotFound,
                format!("\"{endpoint}\" is not in the pool \"{pool}\"."),
                "`animatrix pool show` lists the members.".into(),
            ),
            CoreError::PoolNeedsMember { pool } => (
                ErrorCode::PoolNeedsMember,
                format!("The pool \"{pool}\" needs at least one server."),
                "Name at least one server when creating a pool; to remove the last one, delete the pool instead.".into(),
            ),
            CoreError::PoolUnreachable { pool, .. } => (
                ErrorCode::PoolUnreachable,
                format!("No server of the pool \"{pool}\" could be reached."),
                "Check the connection and the servers (`animatrix doctor --all`), then Retry.".into(),
            ),
            CoreError::PoolNoReadyMember { pool, reasons } => (
                ErrorCode::PoolNoReadyMember,
                format!(
                    "No server of the pool \"{pool}\" can run this ({}).",
                    reasons.join("; ")
                ),
                "Pick another quality profile, or ask your operator to install what is missing (`animatrix templates --endpoint SERVER` lists it).".into(),
            ),
            CoreError::Io { path, .. } => (
                ErrorCode::IoError,
                format!("A file could not be read or written ({path})."),
                "Check that the file exists and that the disk is not full.".into(),
            ),
            CoreError::StorageNotConfigured => (
                ErrorCode::StorageNotConfigured,
                "No storage bucket is set up for publishing runs.".into(),
                "Set one in Settings > Storage (or `animatrix storage set`).".into(),
            ),
            CoreError::RunNotPublished { .. } => (
                ErrorCode::RunNotPublished,
                "This run is not published.".into(),
                "Publish it first; a share link needs the published video.".into(),
            ),
            CoreError::RunNotPublishable { reason, .. } => (
                ErrorCode::RunNotPublishable,
                format!("This run cannot be published: {reason}."),
                "Publish a completed run made on this machine.".into(),
            ),
        };
        UserError::new(code, message, suggestion).with_detail(detail)
    }
}

/// What to do when no keychain answers, per OS. Never a plain-text fallback.
pub fn keychain_fix_hint() -> &'static str {
    if cfg!(target_os = "linux") {
        "Install and unlock a Secret Service keyring (GNOME Keyring or KWallet), e.g. `sudo apt install gnome-keyring`, then sign in to your desktop session again."
    } else if cfg!(target_os = "macos") {
        "Unlock the login keychain in Keychain Access and try again."
    } else {
        "Make sure Windows Credential Manager is available for your account and try again."
    }
}

/// Placeholder arm for variants explained by their own layer before the match.
fn unreachable_explained() -> (ErrorCode, String, String) {
    (
        ErrorCode::Internal,
        "Something went wrong.".into(),
        "See the log.".into(),
    )
}
