//! Marked points: checked against the template's limit and mapped to working-frame pixels.

use animatrix_common::ErrorCode;
use serde_json::{Value, json};

use super::{IssueField, PlanIssue};
use crate::WorkflowError;
use crate::manifest::Manifest;
use crate::settings::{JobSettings, Point};

/// Maps normalized points on the source frame to pixels of the working frame, which ComfyUI's
/// ImageScale makes by center-cropping the source to the target aspect and resizing.
pub(super) fn points(
    m: &Manifest,
    s: &JobSettings,
    aspect: &str,
    width: u32,
    height: u32,
) -> Result<Option<(String, String)>, WorkflowError> {
    let max = m.limits.max_points;
    if max == 0 {
        if s.points.is_empty() {
            return Ok(None);
        }
        return Err(WorkflowError::PointsNotSupported {
            template: m.name.clone(),
        });
    }
    if s.points.is_empty() {
        return Err(WorkflowError::MissingPoints {
            template: m.name.clone(),
        });
    }
    if s.points.len() > max as usize {
        return Err(WorkflowError::TooManyPoints {
            count: s.points.len(),
            max,
        });
    }
    let (w, h) = (f64::from(width), f64::from(height));
    let (sw, sh) = match (s.media.video_width, s.media.video_height) {
        (Some(a), Some(b)) if a > 0 && b > 0 => (f64::from(a), f64::from(b)),
        _ => (w, h),
    };
    let scale = (w / sw).max(h / sh);
    let (off_x, off_y) = ((sw * scale - w) / 2.0, (sh * scale - h) / 2.0);
    let mut pixels = Vec::with_capacity(s.points.len());
    for &Point { x, y } in &s.points {
        if !(x.is_finite() && y.is_finite() && (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y))
        {
            return Err(WorkflowError::PointOutOfRange { x, y });
        }
        let px = x * sw * scale - off_x;
        let py = y * sh * scale - off_y;
        if px < 0.0 || py < 0.0 || px > w || py > h {
            return Err(WorkflowError::PointOutsideFrame {
                x,
                y,
                aspect: aspect.to_owned(),
            });
        }
        let px = (px.round() as u32).min(width - 1);
        let py = (py.round() as u32).min(height - 1);
        pixels.push(json!({"x": px, "y": py}));
    }
    let coords = Value::Array(pixels.clone()).to_string();
    let store = json!({"positive": pixels, "negative": []}).to_string();
    Ok(Some((coords, store)))
}

/// Points on a video of unknown size are mapped as if it had the output's aspect.
pub(super) fn points_warning(m: &Manifest, s: &JobSettings) -> Option<PlanIssue> {
    let video_driven = matches!(
        &m.timeline.source,
        crate::manifest::TimelineSource::Input(role)
            if m.inputs.get(role).is_some_and(|i| i.kind == crate::manifest::InputKind::Video)
    );
    (video_driven && s.media.video_width.is_none() && !s.points.is_empty()).then(|| {
        PlanIssue::warning(
            ErrorCode::PointsUnscaled,
            IssueField::Points,
            "The video size is unknown; the marked points assume it already has the chosen aspect ratio.".into(),
        )
    })
}
