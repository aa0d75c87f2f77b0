//! From the command line to a `JobRequest`: the friendly forms (`audio`, `animate`) name a
//! studio and sub-mode; the generic form names a template and its inputs by role. The template
//! for a friendly form is found in the catalog by its manifest's mode, never by name here.

use std::collections::BTreeMap;
use std::path::PathBuf;

use animatrix_core::Studio;
use animatrix_core::jobs::{JobInput, JobRequest};
use animatrix_core::media::FitMode;
use animatrix_workflow::{JobSettings, Point};

use crate::cli::{CommonJobArgs, SubmitKind};
use crate::exit::Failure;

pub fn build(
    studio: &Studio,
    kind: SubmitKind,
    endpoint: Option<String>,
) -> Result<JobRequest, Failure> {
    let (template, inputs, points, common) = match kind {
        SubmitKind::Audio {
            image,
            audio,
            common,
        } => (
            studio.template_for_mode("audio", None)?,
            vec![
                JobInput::file("ground_truth", image),
                JobInput::file("audio", audio),
            ],
            Vec::new(),
            common,
        ),
        SubmitKind::Animate {
            mode,
            image,
            video,
            points,
            common,
        } => (
            studio.template_for_mode("animate", Some(&mode))?,
            vec![
                JobInput::file("ground_truth", image),
                JobInput::file("motion_video", video),
            ],
            points,
            common,
        ),
        SubmitKind::Template {
            name,
            inputs,
            points,
            common,
        } => (
            name,
            inputs
                .iter()
                .map(|i| parse_input(i))
                .collect::<Result<Vec<_>, _>>()?,
            points,
            common,
        ),
    };
    let CommonJobArgs {
        prompt,
        negative,
        profile,
        aspect,
        framing,
        seed,
        seconds,
        references,
        pose_sheet,
        params,
        pad,
    } = common;
    let mut settings = JobSettings::new(template, prompt);
    settings.negative_prompt = negative;
    settings.profile = profile;
    settings.aspect = aspect;
    settings.framing = framing;
    settings.seed = seed.unwrap_or(-1);
    settings.target_duration_secs = seconds;
    settings.points = points
        .iter()
        .map(|p| parse_point(p))
        .collect::<Result<_, _>>()?;
    settings.params = parse_params(&params)?;
    let mut req = JobRequest::new(settings);
    req.inputs = inputs;
    req.inputs.extend(
        references
            .into_iter()
            .map(|r| JobInput::file("reference", r)),
    );
    req.inputs
        .extend(pose_sheet.map(|p| JobInput::file("pose_sheet", p)));
    req.target = endpoint;
    req.fit = if pad { FitMode::Pad } else { FitMode::Crop };
    Ok(req)
}

fn parse_input(s: &str) -> Result<JobInput, Failure> {
    let (role, file) = s.split_once('=').ok_or_else(|| {
        Failure::invalid(
            format!("\"{s}\" is not ROLE=FILE."),
            "Write inputs as --input ground_truth=hero.png (roles: see `animatrix templates`).",
        )
    })?;
    Ok(JobInput::file(role.trim(), PathBuf::from(file)))
}

fn parse_point(s: &str) -> Result<Point, Failure> {
    let bad = || {
        Failure::invalid(
            format!("\"{s}\" is not a point."),
            "Write points as x,y with both between 0 and 1, e.g. 0.5,0.4.",
        )
    };
    let (x, y) = s.split_once(',').ok_or_else(bad)?;
    let x: f64 = x.trim().parse().map_err(|_| bad())?;
    let y: f64 = y.trim().parse().map_err(|_| bad())?;
    if !(0.0..=1.0).contains(&x) || !(0.0..=1.0).contains(&y) {
        return Err(bad());
    }
    Ok(Point { x, y })
}

fn parse_params(raw: &[String]) -> Result<BTreeMap<String, serde_json::Value>, Failure> {
    raw.iter()
        .map(|p| {
            let (k, v) = p.split_once('=').ok_or_else(|| {
                Failure::invalid(
                    format!("\"{p}\" is not NAME=VALUE."),
                    "Write parameters as --param name=value.",
                )
            })?;
            let value = serde_json::from_str(v)
                .unwrap_or_else(|_| serde_json::Value::String(v.to_string()));
            Ok((k.trim().to_string(), value))
        })
        .collect()
}
