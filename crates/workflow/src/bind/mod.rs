//! Template + settings + uploaded names -> the API graph to POST. Pure: the only outside input is
//! the seed source, and only when the settings ask for a random seed.

mod checks;
mod edits;

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Value, json};

use crate::WorkflowError;
use crate::check::port_name;
use crate::graph::{ApiGraph, NodeMeta, as_link, link, to_value};
use crate::manifest::{Bypass, Target};
use crate::plan::{PlanIssue, VariantPlan, plan_inner};
use crate::server::ServerFacts;
use crate::settings::{JobSettings, MAX_SEED, UploadedInputs};
use crate::template::Template;
use checks::{check_job_id, check_uploads, resolve_seed};
use edits::{apply_bypass, leave_out_absent, write};

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
    /// The profile's preferred variant and whether it was applied.
    pub variant: Option<VariantPlan>,
    /// The plan's warnings (nothing that stops the job).
    pub warnings: Vec<PlanIssue>,
}

impl BoundGraph {
    /// Canonical compact JSON of the graph: identical inputs give identical bytes.
    pub fn graph_json(&self) -> String {
        self.graph.to_string()
    }
}

/// Binds a job onto a template: the planner's result (the same [`crate::plan`] the composer
/// shows) written into the graph. `uploads` holds the server names of the bound inputs;
/// `server` the facts that decide the profile variant (`None`: the preferred variant applies
/// and no server checks are made). Refuses with the first issue the plan reports.
pub fn bind(
    template: &Template,
    settings: &JobSettings,
    uploads: &UploadedInputs,
    server: Option<&ServerFacts>,
    job_id: &str,
    seeds: &mut dyn SeedSource,
) -> Result<BoundGraph, WorkflowError> {
    let m = template.manifest();
    check_job_id(job_id)?;
    check_uploads(m, uploads)?;
    let planning = plan_inner(template, settings, &uploads.attached(), server);
    if let Some(e) = planning.errors.into_iter().next() {
        return Err(e);
    }
    let plan = planning.plan;
    let r = planning
        .resolved
        .ok_or_else(|| WorkflowError::BindInvariant {
            template: template.name().to_owned(),
            reason: "a plan without issues resolved nothing".into(),
        })?;
    let profile = r.profile;
    let frames = &r.frames;
    let seed = resolve_seed(settings.seed, seeds)?;
    let (width, height) = (r.width, r.height);

    let video_prefix = format!("animatrix/{job_id}/video");
    let poster_prefix = format!("animatrix/{job_id}/poster");

    // Values to write, in order: later writes win.
    let mut writes: Vec<(Target, Value)> = Vec::new();
    let mut bypass: BTreeSet<Bypass> = profile.bypass.iter().cloned().collect();
    let preferred = match (&profile.prefer, r.variant_applied) {
        (Some(p), true) => p.set.as_slice(),
        _ => &[],
    };
    for sv in profile.set.iter().chain(preferred).chain(&r.params.set) {
        writes.push((sv.target(), sv.value.clone()));
    }
    bypass.extend(r.params.bypass.iter().cloned());
    let s = &m.slots;
    let mut put = |targets: &[Target], v: Value| {
        for t in targets {
            writes.push((t.clone(), v.clone()));
        }
    };
    put(&s.prompt, json!(r.prompt));
    put(&s.negative_prompt, json!(r.negative));
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
    if let Some((coords, store)) = &r.points {
        put(&s.points, json!(coords));
        put(&s.points_store, json!(store));
    }
    for (role, name) in uploads.iter() {
        if let Some(decl) = m.inputs.get(role) {
            put(&decl.targets, json!(name));
        }
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
    leave_out_absent(m, uploads, &mut graph, &mut fragment, template)?;
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
                return Err(WorkflowError::BindInvariant {
                    template: template.name().to_owned(),
                    reason: format!("bound node {id}.{name} links to missing node {src}"),
                });
            }
        }
    }

    Ok(BoundGraph {
        template: template.name().to_owned(),
        template_version: template.version().to_string(),
        template_digest: template.digest().to_owned(),
        graph: to_value(&graph),
        resolved_seed: seed,
        profile: plan.profile,
        aspect: plan.aspect,
        framing: r.framing.map(|(name, _)| name.to_owned()),
        width,
        height,
        fps: frames.fps,
        frame_count: frames.frame_count,
        chunk_count: frames.chunk_count,
        duration_secs: f64::from(frames.frame_count) / frames.fps,
        video_prefix,
        poster_prefix,
        variant: plan.variant,
        warnings: plan.warnings,
    })
}

fn invalid(t: &Template, what: &str) -> WorkflowError {
    WorkflowError::BindInvariant {
        template: t.name().to_owned(),
        reason: format!("extension {what} is inconsistent"),
    }
}
