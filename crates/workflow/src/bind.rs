//! Template + settings + uploaded names -> the API graph to POST. Pure: the only outside input is
//! the seed source, and only when the settings ask for a random seed.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Value, json};

use crate::WorkflowError;
use crate::graph::{ApiGraph, NodeMeta, as_link, link, to_value};
use crate::manifest::{Bypass, Effect, Manifest, ParameterKind, Profile, SetValue, Target};
use crate::settings::{JobSettings, MAX_SEED, Point, UploadedInputs};
use crate::template::{Template, port_name};
use crate::timeline::{BindWarning, plan};

/// Where random seeds come from when a job asks for one (`seed = -1`).
pub trait SeedSource {
    fn next_seed(&mut self) -> u64;
}

impl<F: FnMut() -> u64> SeedSource for F {
    fn next_seed(&mut self) -> u64 {
        self()
    }
}

/// Seeds from the operating system's random source.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsSeedSource;

impl SeedSource for OsSeedSource {
    fn next_seed(&mut self) -> u64 {
        match getrandom::u64() {
            Ok(v) => v,
            // A seed needs no secrecy: if the OS source is unavailable the clock is good enough.
            Err(_) => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x5eed),
        }
    }
}

/// The result of [`bind`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoundGraph {
    pub template: String,
    pub template_version: String,
    pub template_digest: String,
    /// The API graph (`prompt` of POST /prompt).
    pub graph: Value,
    pub resolved_seed: u64,
    pub profile: String,
    pub aspect: String,
    pub framing: Option<String>,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    /// Frames of the output video.
    pub frame_count: u32,
    /// Segments generated (1 + extensions).
    pub chunk_count: u32,
    pub duration_secs: f64,
    /// `animatrix/<job_id>/video`: SaveVideo writes `<prefix>_00001_.mp4` there.
    pub video_prefix: String,
    /// `animatrix/<job_id>/poster`.
    pub poster_prefix: String,
    pub warnings: Vec<BindWarning>,
}

impl BoundGraph {
    /// Canonical compact JSON of the graph: identical inputs give identical bytes.
    pub fn graph_json(&self) -> String {
        self.graph.to_string()
    }
}

/// Binds a job onto a template.
pub fn bind(
    template: &Template,
    settings: &JobSettings,
    uploads: &UploadedInputs,
    job_id: &str,
    seeds: &mut dyn SeedSource,
) -> Result<BoundGraph, WorkflowError> {
    let m = template.manifest();
    check_identity(m, settings)?;
    check_job_id(job_id)?;

    let profile_name = settings
        .profile
        .clone()
        .unwrap_or_else(|| m.defaults.profile.clone());
    let profile = m
        .profiles
        .get(&profile_name)
        .ok_or_else(|| WorkflowError::UnknownProfile {
            profile: profile_name.clone(),
            allowed: m.profiles.keys().cloned().collect(),
        })?;
    let aspect = settings
        .aspect
        .clone()
        .unwrap_or_else(|| m.defaults.aspect.clone());
    let [base_w, base_h] =
        *profile
            .resolution
            .get(&aspect)
            .ok_or_else(|| WorkflowError::UnknownAspect {
                aspect: aspect.clone(),
                allowed: profile.resolution.keys().cloned().collect(),
            })?;
    let framing = resolve_framing(m, settings)?;
    let (width, height) = scaled_resolution(
        profile,
        base_w,
        base_h,
        framing.map_or(1.0, |(_, f)| f.resolution_scale),
    );

    let prompt = compose_prompt(m, settings, framing.map(|(_, f)| f.prompt_hint.as_str()))?;
    let negative = match &settings.negative_prompt {
        Some(n) => {
            check_len(n, m.limits.max_prompt_chars)?;
            n.clone()
        }
        None => m.defaults.negative_prompt.clone(),
    };
    let seed = resolve_seed(settings.seed, seeds)?;
    let input_values = resolve_inputs(m, uploads)?;
    let effects = resolve_params(m, settings)?;
    let points = resolve_points(m, settings, &aspect, width, height)?;
    let frames = plan(m, &profile_name, profile, settings)?;

    let video_prefix = format!("animatrix/{job_id}/video");
    let poster_prefix = format!("animatrix/{job_id}/poster");

    // Values to write, in order: later writes win.
    let mut writes: Vec<(Target, Value)> = Vec::new();
    let mut bypass: BTreeSet<Bypass> = profile.bypass.iter().cloned().collect();
    for sv in profile.set.iter().chain(effects.set.iter()) {
        writes.push((set_target(sv), sv.value.clone()));
    }
    bypass.extend(effects.bypass.iter().cloned());
    let s = &m.slots;
    let mut put = |targets: &[Target], v: Value| {
        for t in targets {
            writes.push((t.clone(), v.clone()));
        }
    };
    put(&s.prompt, json!(prompt));
    put(&s.negative_prompt, json!(negative));
    put(&s.steps, json!(profile.steps));
    put(&s.cfg, json!(profile.cfg));
    put(&s.sampler_name, json!(profile.sampler_name));
    put(&s.scheduler, json!(profile.scheduler));
    put(&s.width, json!(width));
    put(&s.height, json!(height));
    put(&s.frame_count, json!(frames.frame_count));
    if let Some(src) = frames.source_frame_count {
        put(&s.source_frame_count, json!(src));
    }
    put(&s.chunk_count, json!(frames.chunk_count));
    put(&s.video_prefix, json!(video_prefix));
    put(&s.poster_prefix, json!(poster_prefix));
    if let Some((coords, store)) = &points {
        put(&s.points, json!(coords));
        put(&s.points_store, json!(store));
    }
    for (targets, value) in &input_values {
        put(targets, json!(value));
    }
    // The seed differs per segment, so extension targets are written at expansion.
    let (seed_ext, seed_base): (Vec<&Target>, Vec<&Target>) =
        s.seed.iter().partition(|t| t.extension);
    for t in seed_base {
        writes.push((t.clone(), json!(seed)));
    }

    let mut graph: ApiGraph = template.graph().clone();
    let mut fragment = m
        .extension
        .as_ref()
        .map(|e| e.fragment.clone())
        .unwrap_or_default();
    for (t, v) in writes {
        let nodes = if t.extension {
            &mut fragment
        } else {
            &mut graph
        };
        write(nodes, &t, v, template.name())?;
    }

    if let Some(ext) = &m.extension {
        let mut ports = ext.ports.clone();
        for k in 1..frames.chunk_count {
            let prefix = format!("{}:", ext.id_base + k);
            for (local, node) in &fragment {
                let mut n = node.clone();
                for v in n.inputs.values_mut() {
                    if let Some(p) = port_name(v) {
                        *v = ports
                            .get(p)
                            .cloned()
                            .ok_or_else(|| invalid(template, "port"))?;
                    } else if let Some((src, idx)) = as_link(v)
                        && fragment.contains_key(src)
                    {
                        *v = link(&format!("{prefix}{src}"), idx);
                    }
                }
                n.meta = Some(NodeMeta {
                    title: format!(
                        "{} [segment {}]",
                        node.meta
                            .as_ref()
                            .map_or(node.class_type.as_str(), |m| m.title.as_str()),
                        k + 1
                    ),
                });
                graph.insert(format!("{prefix}{local}"), n);
            }
            let seed_k = (seed + u64::from(k)) % (MAX_SEED + 1);
            for t in &seed_ext {
                let scoped = Target {
                    node: format!("{prefix}{}", t.node),
                    input: t.input.clone(),
                    extension: false,
                };
                write(&mut graph, &scoped, json!(seed_k), template.name())?;
            }
            for (p, out) in &ext.outputs {
                let (src, idx) = as_link(out).ok_or_else(|| invalid(template, "port output"))?;
                ports.insert(p.clone(), link(&format!("{prefix}{src}"), idx));
            }
        }
        for c in &ext.consumers {
            let v = ports
                .get(&c.port)
                .cloned()
                .ok_or_else(|| invalid(template, "consumer"))?;
            let t = Target {
                node: c.node.clone(),
                input: c.input.clone(),
                extension: false,
            };
            write(&mut graph, &t, v, template.name())?;
        }
    }

    apply_bypass(&mut graph, &bypass, template)?;
    for (id, node) in &graph {
        for (name, v) in &node.inputs {
            if let Some((src, _)) = as_link(v)
                && !graph.contains_key(src)
            {
                return Err(WorkflowError::TemplateInvalid {
                    template: template.name().to_owned(),
                    reason: format!("bound node {id}.{name} links to missing node {src}"),
                });
            }
        }
    }

    let mut warnings = frames.warnings;
    if matches!(m.timeline.source, crate::manifest::TimelineSource::Video)
        && settings.media.video_width.is_none()
        && !settings.points.is_empty()
    {
        warnings.push(BindWarning {
            code: "points_unscaled".into(),
            message: "The video size is unknown; the marked points assume it already has the chosen aspect ratio.".into(),
        });
    }

    Ok(BoundGraph {
        template: template.name().to_owned(),
        template_version: template.version().to_string(),
        template_digest: template.digest().to_owned(),
        graph: to_value(&graph),
        resolved_seed: seed,
        profile: profile_name,
        aspect,
        framing: framing.map(|(name, _)| name.to_owned()),
        width,
        height,
        fps: frames.fps,
        frame_count: frames.frame_count,
        chunk_count: frames.chunk_count,
        duration_secs: f64::from(frames.frame_count) / frames.fps,
        video_prefix,
        poster_prefix,
        warnings,
    })
}

fn invalid(t: &Template, what: &str) -> WorkflowError {
    WorkflowError::TemplateInvalid {
        template: t.name().to_owned(),
        reason: format!("extension {what} is inconsistent"),
    }
}

fn set_target(sv: &SetValue) -> Target {
    Target {
        node: sv.node.clone(),
        input: sv.input.clone(),
        extension: sv.extension,
    }
}

/// Writes a literal into an input that already holds a literal (checked at load).
fn write(nodes: &mut ApiGraph, t: &Target, v: Value, template: &str) -> Result<(), WorkflowError> {
    let slot = nodes
        .get_mut(&t.node)
        .and_then(|n| n.inputs.get_mut(&t.input))
        .ok_or_else(|| WorkflowError::TemplateInvalid {
            template: template.to_owned(),
            reason: format!("target {}.{} does not exist", t.node, t.input),
        })?;
    *slot = v;
    Ok(())
}

fn apply_bypass(
    graph: &mut ApiGraph,
    bypass: &BTreeSet<Bypass>,
    template: &Template,
) -> Result<(), WorkflowError> {
    if bypass.is_empty() {
        return Ok(());
    }
    let through: BTreeMap<&str, &str> = bypass
        .iter()
        .map(|b| (b.node.as_str(), b.input.as_str()))
        .collect();
    // Follow chains of bypassed nodes to the first one that stays.
    let mut replacement: BTreeMap<String, Value> = BTreeMap::new();
    for node in through.keys() {
        let mut current = (*node).to_owned();
        let mut hops = 0;
        let resolved = loop {
            let input = through[current.as_str()];
            let v = graph
                .get(&current)
                .and_then(|n| n.inputs.get(input))
                .cloned()
                .ok_or_else(|| WorkflowError::TemplateInvalid {
                    template: template.name().to_owned(),
                    reason: format!("bypass input {current}.{input} is missing"),
                })?;
            let (src, _) = as_link(&v).ok_or_else(|| WorkflowError::TemplateInvalid {
                template: template.name().to_owned(),
                reason: format!("bypass input {current}.{input} is not a link"),
            })?;
            hops += 1;
            if through.contains_key(src) && hops <= through.len() {
                current = src.to_owned();
            } else {
                break v;
            }
        };
        replacement.insert((*node).to_owned(), resolved);
    }
    for (id, rep) in &replacement {
        graph.remove(id);
        for node in graph.values_mut() {
            for v in node.inputs.values_mut() {
                if as_link(v).is_some_and(|(src, _)| src == id) {
                    *v = rep.clone();
                }
            }
        }
    }
    Ok(())
}

fn check_identity(m: &Manifest, s: &JobSettings) -> Result<(), WorkflowError> {
    if s.template != m.name {
        return Err(WorkflowError::TemplateMismatch {
            settings: s.template.clone(),
            template: m.name.clone(),
        });
    }
    if let Some(requested) = s.animate_mode
        && m.sub_mode != Some(requested)
    {
        return Err(WorkflowError::AnimateModeMismatch {
            template: m.name.clone(),
            requested: format!("{requested:?}").to_lowercase(),
            actual: m
                .sub_mode
                .map_or("none".to_owned(), |a| format!("{a:?}").to_lowercase()),
        });
    }
    Ok(())
}

fn check_job_id(job_id: &str) -> Result<(), WorkflowError> {
    let ok = (1..=64).contains(&job_id.len())
        && job_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(WorkflowError::InvalidJobId {
            job_id: job_id.to_owned(),
        })
    }
}

fn check_len(text: &str, max: u32) -> Result<(), WorkflowError> {
    let chars = text.chars().count();
    if chars > max as usize {
        return Err(WorkflowError::PromptTooLong { chars, max });
    }
    Ok(())
}

fn resolve_framing<'m>(
    m: &'m Manifest,
    s: &JobSettings,
) -> Result<Option<(&'m str, &'m crate::manifest::FramingPreset)>, WorkflowError> {
    let name = match (&s.framing, &m.defaults.framing) {
        (Some(f), _) => f,
        (None, Some(d)) => d,
        (None, None) => return Ok(None),
    };
    m.framings
        .get_key_value(name)
        .map(|(k, v)| Some((k.as_str(), v)))
        .ok_or_else(|| WorkflowError::UnknownFraming {
            framing: name.clone(),
            allowed: m.framings.keys().cloned().collect(),
        })
}

/// Rounds to the nearest multiple of 16 (at least 16).
fn round16(v: f64) -> u32 {
    (((v / 16.0).round() as u32).max(1)) * 16
}

fn scaled_resolution(p: &Profile, w: u32, h: u32, scale: f64) -> (u32, u32) {
    if (scale - 1.0).abs() < 1e-9 {
        return (w, h);
    }
    let max_side = p.max_side.unwrap_or_else(|| {
        p.resolution
            .values()
            .flat_map(|[a, b]| [*a, *b])
            .max()
            .unwrap_or(w.max(h))
    });
    let (mut sw, mut sh) = (f64::from(w) * scale, f64::from(h) * scale);
    let longest = sw.max(sh);
    if longest > f64::from(max_side) {
        let k = f64::from(max_side) / longest;
        sw *= k;
        sh *= k;
        // Round down so the cap holds.
        let down = |v: f64| (((v / 16.0).floor() as u32).max(1)) * 16;
        return (down(sw), down(sh));
    }
    (round16(sw), round16(sh))
}

fn compose_prompt(
    m: &Manifest,
    s: &JobSettings,
    hint: Option<&str>,
) -> Result<String, WorkflowError> {
    check_len(&s.prompt, m.limits.max_prompt_chars)?;
    let p = s.prompt.trim();
    Ok(match hint {
        None | Some("") => p.to_owned(),
        Some(h) if p.is_empty() => h.to_owned(),
        Some(h) if p.ends_with(['.', '!', '?', ',', ';']) => format!("{p} {h}"),
        Some(h) => format!("{p}, {h}"),
    })
}

fn resolve_seed(seed: i64, seeds: &mut dyn SeedSource) -> Result<u64, WorkflowError> {
    match seed {
        -1 => Ok(seeds.next_seed() & MAX_SEED),
        s if s >= 0 && (s as u64) <= MAX_SEED => Ok(s as u64),
        s => Err(WorkflowError::InvalidSeed {
            seed: s,
            max: MAX_SEED,
        }),
    }
}

/// A server file name must stay inside ComfyUI's input folder.
fn safe_server_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.chars().any(char::is_control)
        && !name
            .split('/')
            .any(|part| part == ".." || part == "." || part.is_empty())
        && !(name.len() >= 2 && name.as_bytes()[1] == b':')
}

fn resolve_inputs<'m>(
    m: &'m Manifest,
    up: &UploadedInputs,
) -> Result<Vec<(&'m [Target], String)>, WorkflowError> {
    for (name, _) in up.provided() {
        if !m.inputs.contains_key(name) {
            return Err(WorkflowError::UnexpectedInput {
                template: m.name.clone(),
                input: name.to_owned(),
            });
        }
    }
    let mut out = Vec::new();
    for (name, decl) in &m.inputs {
        match up.get(name) {
            Some(v) => {
                if !safe_server_name(v) {
                    return Err(WorkflowError::InvalidInputName {
                        input: name.clone(),
                        name: v.to_owned(),
                    });
                }
                out.push((decl.targets.as_slice(), v.to_owned()));
            }
            None if decl.required => {
                return Err(WorkflowError::MissingInput {
                    input: name.clone(),
                    label: decl.label.clone(),
                });
            }
            None => {}
        }
    }
    Ok(out)
}

fn type_name(v: &Value) -> String {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a true/false value",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
    .to_owned()
}

fn resolve_params(m: &Manifest, s: &JobSettings) -> Result<Effect, WorkflowError> {
    for name in s.params.keys() {
        if !m.parameters.iter().any(|p| &p.name == name) {
            return Err(WorkflowError::UnknownParameter {
                template: m.name.clone(),
                name: name.clone(),
            });
        }
    }
    let mut effect = Effect::default();
    for p in &m.parameters {
        let given = s.params.get(&p.name);
        let wrong = |expected: &str, v: &Value| WorkflowError::ParameterWrongType {
            name: p.name.clone(),
            expected: expected.to_owned(),
            got: type_name(v),
        };
        match &p.kind {
            ParameterKind::Int {
                min,
                max,
                default,
                targets,
            } => {
                let v = match given {
                    None => *default,
                    Some(v) => v.as_i64().ok_or_else(|| wrong("a whole number", v))?,
                };
                if v < *min || v > *max {
                    return Err(WorkflowError::ParameterOutOfRange {
                        name: p.name.clone(),
                        value: v.to_string(),
                        min: min.to_string(),
                        max: max.to_string(),
                    });
                }
                effect.set.extend(targets.iter().map(|t| SetValue {
                    node: t.node.clone(),
                    input: t.input.clone(),
                    value: json!(v),
                    extension: t.extension,
                }));
            }
            ParameterKind::Float {
                min,
                max,
                default,
                targets,
            } => {
                let v = match given {
                    None => *default,
                    Some(v) => v.as_f64().ok_or_else(|| wrong("a number", v))?,
                };
                if !v.is_finite() || v < *min || v > *max {
                    return Err(WorkflowError::ParameterOutOfRange {
                        name: p.name.clone(),
                        value: v.to_string(),
                        min: min.to_string(),
                        max: max.to_string(),
                    });
                }
                effect.set.extend(targets.iter().map(|t| SetValue {
                    node: t.node.clone(),
                    input: t.input.clone(),
                    value: json!(v),
                    extension: t.extension,
                }));
            }
            ParameterKind::Bool { default, on, off } => {
                let v = match given {
                    None => *default,
                    Some(v) => v.as_bool().ok_or_else(|| wrong("true or false", v))?,
                };
                let e = if v { on } else { off };
                effect.set.extend(e.set.iter().cloned());
                effect.bypass.extend(e.bypass.iter().cloned());
            }
            ParameterKind::Choice { default, options } => {
                let v = match given {
                    None => default.as_str(),
                    Some(v) => v.as_str().ok_or_else(|| wrong("text", v))?,
                };
                let opt = options.iter().find(|o| o.value == v).ok_or_else(|| {
                    WorkflowError::InvalidChoice {
                        name: p.name.clone(),
                        value: v.to_owned(),
                        allowed: options.iter().map(|o| o.value.clone()).collect(),
                    }
                })?;
                effect.set.extend(opt.effect.set.iter().cloned());
                effect.bypass.extend(opt.effect.bypass.iter().cloned());
            }
        }
    }
    Ok(effect)
}

/// Maps normalized points on the source frame to pixels of the working frame, which ComfyUI's
/// ImageScale makes by center-cropping the source to the target aspect and resizing.
fn resolve_points(
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
