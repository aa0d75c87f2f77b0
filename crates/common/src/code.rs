//! Every stable machine code the product reports, with the exit class it maps to, in one table.
//! Each layer keeps its own error enum and its user words next to the facts they quote; what a
//! failure *is* (its code) and how scripts see it (its exit class) is decided here, once.
//!
//! Codes are serialized as their snake_case text and never reworded once shipped. A code this
//! build does not know (a newer app's demo pack) reads as [`ErrorCode::Unknown`].

use serde::{Deserialize, Serialize};

/// How a command that ends with this error exits (`animatrix`, README "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitClass {
    /// 1: storage, keychain, local files, a bug.
    Other,
    /// 2: the user's input was refused (a file, a setting, a name).
    InvalidInput,
    /// 3: the server could not be reached, read or trusted, or refused us.
    ServerUnreachable,
    /// 4: the server could not make the video (refused the job, failed, lost it).
    GenerationFailed,
    /// 5: the run was cancelled.
    Cancelled,
}

impl ExitClass {
    pub fn exit_code(self) -> u8 {
        match self {
            ExitClass::Other => 1,
            ExitClass::InvalidInput => 2,
            ExitClass::ServerUnreachable => 3,
            ExitClass::GenerationFailed => 4,
            ExitClass::Cancelled => 5,
        }
    }
}

macro_rules! error_codes {
    ($( $variant:ident = $text:literal => $class:ident ),* $(,)?) => {
        /// A stable machine code (see the module docs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, specta::Type)]
        pub enum ErrorCode {
            $( #[serde(rename = $text)] $variant, )*
            /// A code this build does not know.
            #[serde(other, rename = "unknown")]
            Unknown,
        }

        impl ErrorCode {
            /// Every known code, in table order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $text, )*
                    ErrorCode::Unknown => "unknown",
                }
            }

            pub fn exit_class(self) -> ExitClass {
                match self {
                    $( ErrorCode::$variant => ExitClass::$class, )*
                    ErrorCode::Unknown => ExitClass::Other,
                }
            }

            /// The code of `text`; [`ErrorCode::Unknown`] when it is none of ours.
            pub fn parse(text: &str) -> ErrorCode {
                match text {
                    $( $text => ErrorCode::$variant, )*
                    _ => ErrorCode::Unknown,
                }
            }
        }
    };
}

error_codes! {
    // The app itself, its data folder, its database, the keychain.
    Internal = "internal_error" => Other,
    AppInternal = "app_internal" => Other,
    NotInApp = "not_in_app" => Other,
    StorageError = "storage_error" => Other,
    IoError = "io_error" => Other,
    // A file the media layer could not read or write (named so by release 0.1).
    MediaIo = "io" => Other,
    LocalFileError = "local_file_error" => Other,
    DiskFull = "disk_full" => Other,
    DataDirUnusable = "data_dir_unusable" => Other,
    DataDirUnknown = "data_dir_unknown" => Other,
    KeychainUnavailable = "keychain_unavailable" => Other,
    KeychainError = "keychain_error" => Other,
    ClientSetupFailed = "client_setup_failed" => Other,
    ExportFailed = "export_failed" => Other,
    FolderOpenFailed = "folder_open_failed" => Other,
    OpenFailed = "open_failed" => Other,
    AppVersionInvalid = "app_version_invalid" => Other,
    // Templates as installed (a broken install or a bad dropped-in folder).
    TemplateIo = "template_io" => Other,
    TemplateParse = "template_parse" => Other,
    TemplateInvalid = "template_invalid" => Other,
    TemplateFolderMismatch = "template_folder_mismatch" => Other,
    TemplateBindInvariant = "template_bind_invariant" => Other,
    TemplateDuplicate = "template_duplicate" => Other,
    TemplateDuplicateStudio = "template_duplicate_studio" => Other,
    TemplateModeLabelConflict = "template_mode_label_conflict" => Other,
    TemplateSubModeMixed = "template_sub_mode_mixed" => Other,
    // What the user typed or chose.
    InvalidInput = "invalid_input" => InvalidInput,
    InvalidSetting = "invalid_setting" => InvalidInput,
    InvalidUrl = "invalid_url" => InvalidInput,
    InvalidServerAddress = "invalid_server_address" => InvalidInput,
    InvalidAuthHeader = "invalid_auth_header" => InvalidInput,
    InvalidEndpointName = "invalid_endpoint_name" => InvalidInput,
    UnknownAuthKind = "unknown_auth_kind" => InvalidInput,
    DuplicateEndpoint = "duplicate_endpoint" => InvalidInput,
    EndpointNotFound = "endpoint_not_found" => InvalidInput,
    NoDefaultEndpoint = "no_default_endpoint" => InvalidInput,
    SecretRequired = "secret_required" => InvalidInput,
    SecretUnreadable = "secret_unreadable" => InvalidInput,
    JobNotFound = "job_not_found" => InvalidInput,
    AssetNotFound = "asset_not_found" => InvalidInput,
    RunHasNoVideo = "run_has_no_video" => InvalidInput,
    InvalidOption = "invalid_option" => InvalidInput,
    // Server pools.
    DuplicatePool = "duplicate_pool" => InvalidInput,
    NameTaken = "name_taken" => InvalidInput,
    PoolNotFound = "pool_not_found" => InvalidInput,
    TargetNotFound = "target_not_found" => InvalidInput,
    PoolMemberExists = "pool_member_exists" => InvalidInput,
    PoolMemberNotFound = "pool_member_not_found" => InvalidInput,
    PoolNeedsMember = "pool_needs_member" => InvalidInput,
    // Files the user gave.
    FileEmpty = "file_empty" => InvalidInput,
    FileNotFound = "file_not_found" => InvalidInput,
    FileNotRegular = "file_not_regular" => InvalidInput,
    FileTooLarge = "file_too_large" => InvalidInput,
    FileTruncated = "file_truncated" => InvalidInput,
    FileCorrupt = "file_corrupt" => InvalidInput,
    UnsupportedType = "unsupported_type" => InvalidInput,
    TypeMismatch = "type_mismatch" => InvalidInput,
    ImageTooSmall = "image_too_small" => InvalidInput,
    ImageTooLarge = "image_too_large" => InvalidInput,
    AudioEmpty = "audio_empty" => InvalidInput,
    AudioSilent = "audio_silent" => InvalidInput,
    AudioHeaderInvalid = "audio_header_invalid" => InvalidInput,
    AudioTooLong = "audio_too_long" => InvalidInput,
    VideoNoVideoTrack = "video_no_video_track" => InvalidInput,
    VideoCodecUnsupported = "video_codec_unsupported" => InvalidInput,
    VideoTooLong = "video_too_long" => InvalidInput,
    VideoPreviewUnavailable = "video_preview_unavailable" => InvalidInput,
    // A request against a template (the plan's issues).
    TemplateNotFound = "template_not_found" => InvalidInput,
    TemplateMismatch = "template_mismatch" => InvalidInput,
    ModeNotFound = "mode_not_found" => InvalidInput,
    SubModeNotFound = "sub_mode_not_found" => InvalidInput,
    UnknownProfile = "unknown_profile" => InvalidInput,
    UnknownAspect = "unknown_aspect" => InvalidInput,
    UnknownFraming = "unknown_framing" => InvalidInput,
    UnknownParameter = "unknown_parameter" => InvalidInput,
    ParameterWrongType = "parameter_wrong_type" => InvalidInput,
    ParameterOutOfRange = "parameter_out_of_range" => InvalidInput,
    ParameterInvalidChoice = "parameter_invalid_choice" => InvalidInput,
    InvalidSeed = "invalid_seed" => InvalidInput,
    PromptEmpty = "prompt_empty" => InvalidInput,
    PromptTooLong = "prompt_too_long" => InvalidInput,
    MissingInput = "missing_input" => InvalidInput,
    UnexpectedInput = "unexpected_input" => InvalidInput,
    InputNotAccepted = "input_not_accepted" => InvalidInput,
    InputNotBound = "input_not_bound" => InvalidInput,
    TooManyFiles = "too_many_files" => InvalidInput,
    InvalidInputName = "invalid_input_name" => InvalidInput,
    InvalidJobId = "invalid_job_id" => InvalidInput,
    MissingMediaFact = "missing_media_fact" => InvalidInput,
    InvalidMediaFact = "invalid_media_fact" => InvalidInput,
    InvalidTargetDuration = "invalid_target_duration" => InvalidInput,
    PointsNotSupported = "points_not_supported" => InvalidInput,
    MissingPoints = "missing_points" => InvalidInput,
    TooManyPoints = "too_many_points" => InvalidInput,
    PointOutOfRange = "point_out_of_range" => InvalidInput,
    PointOutsideFrame = "point_outside_frame" => InvalidInput,
    SettingTooLarge = "setting_too_large" => InvalidInput,
    SettingTooSmall = "setting_too_small" => InvalidInput,
    SettingWrongKind = "setting_wrong_kind" => InvalidInput,
    // Demo packs (the user's file) and demo runs.
    DemoPackCorrupt = "demo_pack_corrupt" => InvalidInput,
    DemoPackTampered = "demo_pack_tampered" => InvalidInput,
    DemoPackUnsafePath = "demo_pack_unsafe_path" => InvalidInput,
    DemoPackUnsupportedVersion = "demo_pack_unsupported_version" => InvalidInput,
    DemoPackTooLarge = "demo_pack_too_large" => InvalidInput,
    DemoRunNotExportable = "demo_run_not_exportable" => InvalidInput,
    DemoRunNotPlayable = "demo_run_not_playable" => InvalidInput,
    DemoRunNotSendable = "demo_run_not_sendable" => InvalidInput,
    DemoExportEmpty = "demo_export_empty" => InvalidInput,
    // Object storage for published runs (Settings > Storage, `animatrix storage|publish|share`).
    StorageNotConfigured = "storage_not_configured" => InvalidInput,
    StorageInvalidTarget = "storage_invalid_target" => InvalidInput,
    StorageNoSuchBucket = "storage_no_such_bucket" => InvalidInput,
    StorageClockSkew = "storage_clock_skew" => Other,
    StorageBadKey = "storage_bad_key" => ServerUnreachable,
    StorageTls = "storage_tls" => ServerUnreachable,
    StorageUnreachable = "storage_unreachable" => ServerUnreachable,
    StorageObjectMissing = "storage_object_missing" => ServerUnreachable,
    StorageFailed = "storage_failed" => ServerUnreachable,
    RunNotPublished = "run_not_published" => InvalidInput,
    RunNotPublishable = "run_not_publishable" => InvalidInput,
    InvalidExpiry = "invalid_expiry" => InvalidInput,
    // The server could not be reached, read or trusted, or refused us.
    ServerNotFound = "server_not_found" => ServerUnreachable,
    ServerUnreachable = "server_unreachable" => ServerUnreachable,
    ServerTimeout = "server_timeout" => ServerUnreachable,
    TlsCertificateInvalid = "tls_certificate_invalid" => ServerUnreachable,
    AuthRejected = "auth_rejected" => ServerUnreachable,
    AuthForbidden = "auth_forbidden" => ServerUnreachable,
    NotFound = "not_found" => ServerUnreachable,
    NetworkError = "network_error" => ServerUnreachable,
    ServerError = "server_error" => ServerUnreachable,
    MalformedResponse = "malformed_response" => ServerUnreachable,
    ResponseTooLarge = "response_too_large" => ServerUnreachable,
    UnexpectedResponse = "unexpected_response" => ServerUnreachable,
    UnsafeServerFileName = "unsafe_server_file_name" => ServerUnreachable,
    ObjectInfoInvalid = "object_info_invalid" => ServerUnreachable,
    SystemStatsInvalid = "system_stats_invalid" => ServerUnreachable,
    LiveUpdatesUnavailable = "live_updates_unavailable" => ServerUnreachable,
    EventHubStopped = "event_hub_stopped" => ServerUnreachable,
    PromptAnswerLost = "prompt_answer_lost" => ServerUnreachable,
    UploadRefusedByProxy = "upload_refused_by_proxy" => ServerUnreachable,
    DownloadTooSlow = "download_too_slow" => ServerUnreachable,
    DownloadUnexpectedContent = "download_unexpected_content" => ServerUnreachable,
    ServerUnusable = "server_unusable" => ServerUnreachable,
    ServerVersionOld = "server_version_old" => ServerUnreachable,
    ServerVersionUnknown = "server_version_unknown" => ServerUnreachable,
    ServerHasNoGpu = "server_has_no_gpu" => ServerUnreachable,
    PoolUnreachable = "pool_unreachable" => ServerUnreachable,
    // The server cannot make this video, or failed to.
    ServerNotReady = "server_not_ready" => GenerationFailed,
    PoolNoReadyMember = "pool_no_ready_member" => GenerationFailed,
    NodesMissing = "nodes_missing" => GenerationFailed,
    DeviceRequired = "device_required" => GenerationFailed,
    ProfileUnavailable = "profile_unavailable" => GenerationFailed,
    TemplateIncompatible = "template_incompatible" => GenerationFailed,
    ServerMissingExtension = "server_missing_extension" => GenerationFailed,
    ServerMissingModel = "server_missing_model" => GenerationFailed,
    ServerInputUnreadable = "server_input_unreadable" => GenerationFailed,
    WorkflowInvalid = "workflow_invalid" => GenerationFailed,
    WorkflowIncompatible = "workflow_incompatible" => GenerationFailed,
    WorkflowMissing = "workflow_missing" => GenerationFailed,
    WorkflowNoOutputs = "workflow_no_outputs" => GenerationFailed,
    WorkflowSettingMissing = "workflow_setting_missing" => GenerationFailed,
    PromptRejected = "prompt_rejected" => GenerationFailed,
    UploadTooLarge = "upload_too_large" => GenerationFailed,
    ExecutionError = "execution_error" => GenerationFailed,
    GenerationFailed = "generation_failed" => GenerationFailed,
    GenerationInterrupted = "generation_interrupted" => GenerationFailed,
    ServerOutOfMemory = "server_out_of_memory" => GenerationFailed,
    ServerFileMissing = "server_file_missing" => GenerationFailed,
    ServerModelBroken = "server_model_broken" => GenerationFailed,
    ModelDownloadFailed = "model_download_failed" => GenerationFailed,
    LostOnServer = "lost_on_server" => GenerationFailed,
    ServerNoOutput = "server_no_output" => GenerationFailed,
    OutputNotMedia = "output_not_media" => GenerationFailed,
    DownloadMismatch = "download_mismatch" => GenerationFailed,
    DownloadIncomplete = "download_incomplete" => GenerationFailed,
    DownloadTooLarge = "download_too_large" => GenerationFailed,
    // The user stopped it.
    Cancelled = "cancelled" => Cancelled,
    DemoStopped = "demo_stopped" => Cancelled,
    // Warnings (plan issues that do not stop Generate).
    GuidanceOnly = "guidance_only" => Other,
    AudioTrimmed = "audio_trimmed" => Other,
    VideoTrimmed = "video_trimmed" => Other,
    DurationCapped = "duration_capped" => Other,
    DeviceUnknown = "device_unknown" => Other,
    PointsUnscaled = "points_unscaled" => Other,
    ProfileFallback = "profile_fallback" => Other,
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} listed twice");
            assert!(
                text.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{text}"
            );
            assert_eq!(ErrorCode::parse(text), *code);
            let json = serde_json::to_string(code).expect("json");
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(
                serde_json::from_str::<ErrorCode>(&json).expect("parse"),
                *code
            );
        }
        assert_eq!(
            serde_json::from_str::<ErrorCode>("\"from_a_newer_app\"").expect("parse"),
            ErrorCode::Unknown
        );
    }

    #[test]
    fn exit_classes_follow_the_readme() {
        assert_eq!(ErrorCode::ImageTooSmall.exit_class().exit_code(), 2);
        assert_eq!(ErrorCode::AuthRejected.exit_class().exit_code(), 3);
        assert_eq!(ErrorCode::ServerUnreachable.exit_class().exit_code(), 3);
        assert_eq!(ErrorCode::ServerNoOutput.exit_class().exit_code(), 4);
        assert_eq!(ErrorCode::Cancelled.exit_class().exit_code(), 5);
        assert_eq!(ErrorCode::StorageError.exit_class().exit_code(), 1);
        assert_eq!(ErrorCode::StorageBadKey.exit_class().exit_code(), 3);
        assert_eq!(ErrorCode::StorageNoSuchBucket.exit_class().exit_code(), 2);
        assert_eq!(ErrorCode::PoolNotFound.exit_class().exit_code(), 2);
        assert_eq!(ErrorCode::PoolUnreachable.exit_class().exit_code(), 3);
        assert_eq!(ErrorCode::PoolNoReadyMember.exit_class().exit_code(), 4);
    }
}
