//! `animatrix media probe|import`.

use animatrix_core::Studio;
use animatrix_core::media::{FitMode, Limits};

use crate::cli::MediaCmd;
use crate::exit::Failure;
use crate::output::print_json;

pub async fn run(studio: &Studio, cmd: MediaCmd, json: bool) -> Result<(), Failure> {
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
            template,
            aspect,
            pad,
        } => {
            let fit = if pad { FitMode::Pad } else { FitMode::Crop };
            let imported = studio
                .import_input(&file, template.as_deref(), &role, aspect.as_deref(), fit)
                .await?;
            for w in &imported.warnings {
                eprintln!("warning: {w}");
            }
            let asset = &imported.asset;
            if json {
                print_json(asset);
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
