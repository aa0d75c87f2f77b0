//! `animatrix media probe|import`.

use std::str::FromStr;

use animatrix_core::Studio;
use animatrix_core::media::{FitMode, ImportOptions, Limits, Role};

use crate::cli::MediaCmd;
use crate::exit::Failure;
use crate::output::print_json;

pub fn run(studio: &Studio, cmd: MediaCmd, json: bool) -> Result<(), Failure> {
    match cmd {
        MediaCmd::Probe { file } => {
            let facts = animatrix_core::media::probe(&file, &Limits::default())?;
            if json {
                print_json(&facts);
            } else {
                let v = serde_json::to_value(&facts).unwrap_or_default();
                if let Some(map) = v.as_object() {
                    for (k, v) in map.iter().filter(|(_, v)| !v.is_null()) {
                        println!("{k:<17} {v}");
                    }
                }
            }
            Ok(())
        }
        MediaCmd::Import {
            file,
            role,
            aspect,
            pad,
        } => {
            let role = Role::from_str(&role)?;
            let options = ImportOptions {
                target: aspect
                    .as_deref()
                    .map(animatrix_core::media_targets::default_target)
                    .transpose()?,
                fit: if pad { FitMode::Pad } else { FitMode::Crop },
                ..ImportOptions::default()
            };
            let (asset, warnings) = studio.import_asset(&file, role, &options)?;
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            if json {
                print_json(&asset);
            } else {
                println!(
                    "imported {} as {} ({}, {} bytes) -> asset {}",
                    asset.original_name, asset.role, asset.mime, asset.size_bytes, asset.id
                );
            }
            Ok(())
        }
    }
}
