//! Media ingestion: sniff the real type, probe facts, normalize (image -> PNG fitted to an
//! aspect, audio -> 16 kHz mono WAV, video validated as-is) into a content-addressed store.
//!
//! Entry points: [`sniff`], [`probe`], [`AssetStore::import`]. Every failure is a
//! [`MediaError`] with a stable code (see [`MediaError::code`]) and implements
//! [`animatrix_common::Explain`].

mod audio;
mod error;
mod facts;
mod guard;
mod image_ops;
mod input;
mod kind;
mod limits;
mod probe;
mod roles;
mod sniff;
mod store;
mod store_temp;
mod video;

pub use audio::{
    MAX_KEPT_SAMPLE_RATE, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, NormalizedAudio, WAVEFORM_POINTS,
};
pub use error::MediaError;
pub use facts::MediaFacts;
pub use image_ops::{
    AspectTarget, FitMode, THUMBNAIL_SIDE, fit_to_target, thumbnail, write_jpeg, write_png,
};
pub use kind::{ACCEPTED_AUDIO, ACCEPTED_IMAGES, ACCEPTED_VIDEO, MediaKind};
pub use limits::Limits;
pub use probe::{probe, probe_bytes};
pub use roles::Role;
pub use sniff::{Container, SNIFF_LEN, Sniffed, sniff, sniff_bytes};
pub use store::{AssetStore, ImportOptions, ImportedMedia};
pub use video::{VideoProbe, decode_first_frame};

/// Lower-level steps, public for the benchmark and fuzz targets.
pub mod pipeline {
    pub use crate::image_ops::load_image_file;
    pub use crate::store::normalize_audio_file;
    pub use crate::video::probe_video_file;
}
