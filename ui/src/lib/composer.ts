// Rules of the composer, as pure functions: which inputs each mode asks for, which template a
// mode uses, what stops Generate (and what only deserves a warning), how many segments a clip
// takes, where dropped files go, and the JobRequest Generate sends.
import type {
  AnimateMode,
  Aspect,
  AssetRecord,
  DemoInput,
  Framing,
  JobCard,
  JobDetail,
  JobRequest,
  Mode,
  Point,
  PreflightResult,
  Profile,
  ProbedPath,
  Role,
  TemplateInfo,
  TemplateParameter,
} from './types';

export interface InputSlot {
  id: Role;
  label: string;
  required: boolean;
  /** Shown under the chip label, in user language. */
  hint: string;
  /** Several files allowed (references). */
  multiple: boolean;
  /** The kind of file the slot takes. */
  kind: 'image' | 'audio' | 'video';
}

const GROUND_TRUTH: InputSlot = {
  id: 'ground_truth',
  label: 'Ground Truth',
  required: true,
  hint: 'The character, one image',
  multiple: false,
  kind: 'image',
};
const MOTION_VIDEO: InputSlot = {
  id: 'motion_video',
  label: 'Motion Video',
  required: true,
  hint: 'The movement to copy',
  multiple: false,
  kind: 'video',
};
const AUDIO: InputSlot = {
  id: 'audio',
  label: 'Audio',
  required: true,
  hint: 'Voice or music to perform',
  multiple: false,
  kind: 'audio',
};
const REFERENCE: InputSlot = {
  id: 'reference',
  label: 'Reference',
  required: false,
  hint: 'Optional, several',
  multiple: true,
  kind: 'image',
};
const POSE_SHEET: InputSlot = {
  id: 'pose_sheet',
  label: 'Pose Sheet',
  required: false,
  hint: 'Soft guidance only',
  multiple: false,
  kind: 'image',
};

export const MODES: { value: Mode; label: string; description: string }[] = [
  {
    value: 'animate',
    label: 'Animate',
    description: 'Your character performs the movement of a video. Animate does not lip-sync to audio.',
  },
  {
    value: 'audio',
    label: 'Audio',
    description: 'Your character speaks or sings to an audio track. Audio does not replace people in a video.',
  },
];

export const ASPECTS: { value: Aspect; label: string }[] = [
  { value: '9:16', label: '9:16 (vertical)' },
  { value: '16:9', label: '16:9 (wide)' },
  { value: '1:1', label: '1:1 (square)' },
];

export const PROFILES: { value: Profile; label: string }[] = [
  { value: 'draft', label: 'Draft' },
  { value: 'standard', label: 'Standard' },
  { value: 'high', label: 'High' },
];

export const FRAMINGS: { value: Framing; label: string }[] = [
  { value: 'portrait', label: 'Portrait' },
  { value: 'half_body', label: 'Half body' },
  { value: 'full_body', label: 'Full body' },
];

/** The input chips the composer shows for a mode, in display order. */
export function slotsForMode(mode: Mode): InputSlot[] {
  return mode === 'animate'
    ? [GROUND_TRUTH, MOTION_VIDEO, REFERENCE, POSE_SHEET]
    : [GROUND_TRUTH, AUDIO, REFERENCE, POSE_SHEET];
}

export function slotLabel(role: Role): string {
  return [GROUND_TRUTH, MOTION_VIDEO, AUDIO, REFERENCE, POSE_SHEET].find((s) => s.id === role)!.label;
}

// ---------------------------------------------------------------------------------------------
// Attachments

/** One attached file, as its chip shows it (from an imported asset or a demo input). */
export interface Chip {
  id: string;
  kind: 'image' | 'audio' | 'video';
  name: string;
  thumbnail_path: string | null;
  duration_seconds: number | null;
  fps: number | null;
  frame_count: number | null;
  waveform: number[] | null;
}

export function chipFromAsset(a: AssetRecord): Chip {
  return {
    id: a.id,
    kind: a.kind,
    name: a.original_name,
    thumbnail_path: a.thumbnail_path ?? (a.kind === 'image' ? a.stored_path : null),
    duration_seconds: a.duration_seconds,
    fps: a.fps,
    frame_count: a.frame_count,
    waveform: a.waveform,
  };
}

export function chipFromDemoInput(d: DemoInput): Chip {
  return {
    id: d.asset_id,
    kind: d.kind,
    name: d.original_name,
    thumbnail_path: d.thumbnail_path ?? (d.kind === 'image' ? d.path : null),
    duration_seconds: d.duration_seconds,
    fps: null,
    frame_count: null,
    waveform: d.waveform,
  };
}

export interface Attachments {
  ground_truth: Chip | null;
  motion_video: Chip | null;
  audio: Chip | null;
  reference: Chip[];
  pose_sheet: Chip | null;
}

export function emptyAttachments(): Attachments {
  return { ground_truth: null, motion_video: null, audio: null, reference: [], pose_sheet: null };
}

/** Puts a chip in a slot: references accumulate (no duplicates), other slots are replaced. */
export function attach(att: Attachments, role: Role, chip: Chip): Attachments {
  if (role === 'reference') {
    if (att.reference.some((c) => c.id === chip.id)) return att;
    return { ...att, reference: [...att.reference, chip] };
  }
  return { ...att, [role]: chip };
}

/** Empties a slot; for references, removes the one with `id` (all when no id). */
export function detach(att: Attachments, role: Role, id?: string): Attachments {
  if (role === 'reference') {
    return { ...att, reference: id ? att.reference.filter((c) => c.id !== id) : [] };
  }
  return { ...att, [role]: null };
}

export function isFilled(att: Attachments, role: Role): boolean {
  return role === 'reference' ? att.reference.length > 0 : att[role] !== null;
}

/** Slot ids of `mode` that currently hold a file. */
export function filledRoles(att: Attachments, mode: Mode): Role[] {
  return slotsForMode(mode)
    .map((s) => s.id)
    .filter((r) => isFilled(att, r));
}

// ---------------------------------------------------------------------------------------------
// Settings and templates

export interface ComposerSettings {
  mode: Mode;
  subMode: AnimateMode;
  prompt: string;
  negativePrompt: string;
  profile: Profile;
  aspect: Aspect;
  framing: Framing | null;
  /** -1 = random. */
  seed: number;
  /** null = the whole video / audio. */
  targetDuration: number | null;
  params: Record<string, unknown>;
  /** Mix: the person to replace, normalized to the motion video's first frame. */
  point: Point | null;
}

export function defaultSettings(): ComposerSettings {
  return {
    mode: 'animate',
    subMode: 'move',
    prompt: '',
    negativePrompt: '',
    profile: 'standard',
    aspect: '9:16',
    framing: null,
    seed: -1,
    targetDuration: null,
    params: {},
    point: null,
  };
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The template Generate uses for this mode: the latest compatible one. */
export function templateFor(
  templates: readonly TemplateInfo[],
  mode: Mode,
  subMode: AnimateMode,
): TemplateInfo | null {
  const candidates = templates.filter(
    (t) => t.compatible && t.mode === mode && (mode === 'audio' || t.sub_mode === subMode),
  );
  if (candidates.length === 0) return null;
  const latest = candidates.find((t) => t.latest);
  if (latest) return latest;
  return [...candidates].sort((a, b) => compareVersions(b.version, a.version))[0] ?? null;
}

function validParam(p: TemplateParameter, v: unknown): boolean {
  switch (p.type) {
    case 'bool':
      return typeof v === 'boolean';
    case 'choice':
      return typeof v === 'string' && p.options.some((o) => o.value === v);
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && v >= p.min && v <= p.max;
    case 'float':
      return typeof v === 'number' && Number.isFinite(v) && v >= p.min && v <= p.max;
  }
}

/** The template's parameters with the user's valid values kept and defaults elsewhere. */
export function reconcileParams(
  template: TemplateInfo | null,
  current: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of template?.parameters ?? []) {
    out[p.name] = validParam(p, current[p.name]) ? current[p.name] : p.default;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Length and segments

/** Seconds in user language: "24 s", "2.5 s". */
export function formatSecs(s: number): string {
  const r = Math.round(s * 10) / 10;
  return `${Number.isInteger(r) ? r.toFixed(0) : r.toFixed(1)} s`;
}

/** Segments needed for `frames` output frames (the core's `Timeline::chunks_for`). */
export function chunksFor(timeline: TemplateInfo['timeline'], frames: number): number {
  const first = timeline.first_chunk_frames;
  if (frames <= first || timeline.extension_frames <= 0) return 1;
  return 1 + Math.ceil((frames - first) / timeline.extension_frames);
}

export interface SegmentPlan {
  /** Seconds the clip will last. */
  seconds: number;
  frames: number;
  segments: number;
  /** The driving media is longer than what will be used. */
  trimmed: boolean;
}

/**
 * How long the clip will be and how many segments it takes, as the core plans it; null when the
 * driving file (motion video or audio) is not attached yet.
 */
export function planSegments(
  template: TemplateInfo,
  settings: Pick<ComposerSettings, 'mode' | 'profile' | 'targetDuration'>,
  att: Attachments,
): SegmentPlan | null {
  const profile = template.profiles[settings.profile];
  const maxSecs = profile?.max_duration_secs ?? Infinity;
  const target =
    settings.targetDuration !== null && settings.targetDuration > 0 ? settings.targetDuration : null;
  if (settings.mode === 'audio') {
    const duration = att.audio?.duration_seconds;
    if (duration == null || !(duration > 0)) return null;
    const fps = template.timeline.fps ?? 16;
    const used = target === null ? duration : Math.min(target, duration);
    const frames = Math.max(1, Math.ceil(used * fps - 1e-6));
    return { seconds: used, frames, segments: chunksFor(template.timeline, frames), trimmed: used < duration };
  }
  const video = att.motion_video;
  if (!video) return null;
  const fps = video.fps ?? template.timeline.fps;
  const total =
    video.frame_count ??
    (video.duration_seconds != null && fps ? Math.round(video.duration_seconds * fps) : null);
  if (total == null || !fps || total <= 0) return null;
  const limitSecs = Math.min(target ?? maxSecs, maxSecs);
  let used = Math.min(total, Math.max(1, Math.floor(limitSecs * fps + 1e-6)));
  let segments = chunksFor(template.timeline, used);
  const maxChunks = profile?.max_chunks ?? Infinity;
  if (segments > maxChunks) {
    segments = maxChunks;
    used = Math.min(
      used,
      template.timeline.first_chunk_frames + template.timeline.extension_frames * (maxChunks - 1),
    );
  }
  return { seconds: used / fps, frames: used, segments, trimmed: used < total };
}

/** The read-only note about segments in the advanced drawer. */
export function segmentsNote(
  template: TemplateInfo | null,
  settings: Pick<ComposerSettings, 'mode' | 'profile' | 'targetDuration'>,
  att: Attachments,
): string {
  if (!template) return 'The number of segments is shown once the templates are loaded.';
  const plan = planSegments(template, settings, att);
  if (!plan) {
    return settings.mode === 'audio'
      ? 'The length follows the audio: add it to see how many segments it takes.'
      : 'Add the motion video to see how many segments it takes.';
  }
  const n = plan.segments === 1 ? '1 segment' : `${plan.segments} segments`;
  if (settings.mode === 'audio') {
    return `The length follows the audio: ${formatSecs(plan.seconds)}, ${n}.`;
  }
  return `${formatSecs(plan.seconds)} of motion: ${n}.`;
}

// ---------------------------------------------------------------------------------------------
// What blocks Generate, and what only warns

export interface Issue {
  /** The slot or topic at fault: the warning is shown next to its control (`warning-<topic>`). */
  topic: string;
  message: string;
  /** Stops Generate. */
  blocking: boolean;
  /** Offer the "Open Settings" action. */
  openSettings?: boolean;
}

export interface CheckContext {
  /** Number of configured servers (endpoints); `null` while the list is still loading. */
  endpointCount: number | null;
  settings: ComposerSettings;
  attachments: Attachments;
  /** The template for the current mode (`templateFor`); null when none. */
  template: TemplateInfo | null;
  /** Whether `list_templates` answered (a missing template only blocks then). */
  templatesLoaded: boolean;
  /** `preflight(null)` for the default server; null while unknown. */
  preflight: PreflightResult | null;
  demoMode?: boolean;
  /** Demo mode: a demo run is loaded into the composer (Perform). */
  demoLoaded?: boolean;
}

const MODE_NOUN: Record<Mode, string> = { animate: 'Animate', audio: 'Audio' };

function profileLabel(template: TemplateInfo | null, p: string): string {
  return template?.profiles[p]?.label ?? PROFILES.find((x) => x.value === p)?.label ?? p;
}

function orList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** Everything the user should know before Generate, in the order they should fix it. */
export function composerIssues(ctx: CheckContext): Issue[] {
  const { settings: s, attachments: att, template } = ctx;
  const issues: Issue[] = [];
  if (ctx.demoMode) {
    if (!ctx.demoLoaded) {
      issues.push({
        topic: 'demo',
        message: 'Demo mode: open a demo run below and choose Perform to load it',
        blocking: true,
      });
    }
    return issues;
  }
  // Saying "connect a server" before the list has loaded would flash a false statement.
  if (ctx.endpointCount === null) {
    issues.push({ topic: 'server', message: 'Checking your servers…', blocking: true });
  } else if (ctx.endpointCount === 0) {
    issues.push({
      topic: 'server',
      message: 'Connect a server in Settings',
      blocking: true,
      openSettings: true,
    });
  }
  for (const slot of slotsForMode(s.mode)) {
    if (slot.required && !isFilled(att, slot.id)) {
      issues.push({ topic: slot.id, message: `Add the ${slot.label} to generate`, blocking: true });
    }
  }
  if (s.mode === 'animate' && s.subMode === 'mix' && att.motion_video && !s.point) {
    issues.push({
      topic: 'point',
      message: 'Mix: tap the person to replace in the first frame of the motion video',
      blocking: true,
    });
  }
  if (template) {
    const profile = template.profiles[s.profile];
    const plan = planSegments(template, s, att);
    if (s.mode === 'audio' && profile && att.audio?.duration_seconds != null) {
      const duration = att.audio.duration_seconds;
      const used = s.targetDuration && s.targetDuration > 0 ? Math.min(s.targetDuration, duration) : duration;
      const tooManyChunks = plan !== null && plan.segments > profile.max_chunks;
      if (used > profile.max_duration_secs + 1e-6 || tooManyChunks) {
        const fits = PROFILES.filter(
          (p) => (template.profiles[p.value]?.max_duration_secs ?? 0) + 1e-6 >= used,
        ).map((p) => profileLabel(template, p.value));
        const fix = fits.length > 0 ? `choose ${orList(fits)} or trim the audio` : 'trim the audio';
        issues.push({
          topic: 'duration',
          message: `This audio is ${formatSecs(used)}; ${profileLabel(template, s.profile)} makes at most ${formatSecs(profile.max_duration_secs)}: ${fix}`,
          blocking: true,
        });
      }
    }
    if (s.mode === 'animate' && plan?.trimmed) {
      issues.push({
        topic: 'motion_video_length',
        message: `Only the first ${formatSecs(plan.seconds)} of the motion video will be used.`,
        blocking: false,
      });
    }
    if (s.prompt.length > template.limits.max_prompt_chars) {
      issues.push({
        topic: 'prompt',
        message: `The prompt is ${s.prompt.length} characters; at most ${template.limits.max_prompt_chars} fit`,
        blocking: true,
      });
    }
  } else if (ctx.templatesLoaded) {
    issues.push({
      topic: 'template',
      message: `This version of the app cannot make ${MODE_NOUN[s.mode]}${s.mode === 'animate' ? ` ${s.subMode === 'mix' ? 'Mix' : 'Move'}` : ''} videos`,
      blocking: true,
    });
  }
  if (ctx.endpointCount && ctx.preflight && template) {
    if (ctx.preflight.error) {
      issues.push({
        topic: 'server_check',
        message: `Could not check your server: ${ctx.preflight.error.message}`,
        blocking: false,
      });
    } else {
      const report = ctx.preflight.reports.find(
        (r) => r.template === template.name && r.version === template.version,
      );
      if (report && (report.ready_profiles.length === 0 || report.missing_nodes.length > 0)) {
        issues.push({
          topic: 'template',
          message: `Your server cannot make ${MODE_NOUN[s.mode]} videos yet: some parts it needs are not installed. Ask whoever runs the server to add them.`,
          blocking: true,
        });
      } else if (report && !report.ready_profiles.includes(s.profile)) {
        const ok = PROFILES.filter((p) => report.ready_profiles.includes(p.value)).map((p) =>
          profileLabel(template, p.value),
        );
        issues.push({
          topic: 'profile',
          message: `Your server cannot make ${profileLabel(template, s.profile)} quality yet: choose ${orList(ok)}`,
          blocking: true,
        });
      }
    }
  }
  if (s.prompt.trim() === '') {
    issues.push({ topic: 'prompt', message: 'Describe the shot in the prompt', blocking: true });
  }
  return issues;
}

/**
 * Why Generate is disabled, as the one sentence shown next to it, or `null` when it is enabled.
 * The first blocker in the order the user must fix them wins.
 */
export function generateBlocker(ctx: CheckContext): string | null {
  return composerIssues(ctx).find((i) => i.blocking)?.message ?? null;
}

// ---------------------------------------------------------------------------------------------
// The request

/** The JobRequest Generate sends (inputs as asset refs; only the current mode's inputs). */
export function buildRequest(
  s: ComposerSettings,
  att: Attachments,
  template: TemplateInfo | null,
  endpoint: string | null = null,
): JobRequest {
  const ref = (c: Chip | null) => (c ? { asset: c.id } : null);
  const animate = s.mode === 'animate';
  const params = template ? reconcileParams(template, s.params) : {};
  const negative = s.negativePrompt.trim();
  return {
    mode: s.mode,
    animate_mode: animate ? s.subMode : null,
    prompt: s.prompt.trim(),
    negative_prompt: negative === '' ? null : negative,
    profile: s.profile,
    aspect: s.aspect,
    framing: animate ? null : s.framing,
    seed: Number.isFinite(s.seed) ? Math.trunc(s.seed) : -1,
    inputs: {
      image: ref(att.ground_truth),
      audio: animate ? null : ref(att.audio),
      video: animate ? ref(att.motion_video) : null,
      references: att.reference.map((c) => ({ asset: c.id })),
      pose_sheet: ref(att.pose_sheet),
    },
    points: animate && s.subMode === 'mix' && s.point ? [{ ...s.point }] : [],
    target_duration_secs: s.targetDuration !== null && s.targetDuration > 0 ? s.targetDuration : null,
    params,
    endpoint,
  };
}

/** Composer settings from a stored request ("Copy settings to composer", demo timelines). */
export function settingsFromRequest(r: JobRequest, fallbackPrompt = ''): ComposerSettings {
  const base = defaultSettings();
  return {
    ...base,
    mode: r.mode,
    subMode: r.animate_mode ?? 'move',
    prompt: r.prompt || fallbackPrompt,
    negativePrompt: r.negative_prompt ?? '',
    profile: r.profile ?? base.profile,
    aspect: r.aspect ?? base.aspect,
    framing: r.framing,
    seed: r.seed,
    targetDuration: r.target_duration_secs,
    params: { ...r.params },
    point: r.points[0] ? { ...r.points[0] } : null,
  };
}

/** Chips of a run's inputs, by role, in position order. */
export function attachmentsFromInputs(
  inputs: readonly { role: Role; position: number; chip: Chip }[],
): Attachments {
  let att = emptyAttachments();
  for (const i of [...inputs].sort((a, b) => a.position - b.position)) att = attach(att, i.role, i.chip);
  return att;
}

export function attachmentsFromDetail(detail: JobDetail): Attachments {
  return attachmentsFromInputs(
    detail.inputs.map((i) => ({ role: i.role, position: i.position, chip: chipFromAsset(i.asset) })),
  );
}

// ---------------------------------------------------------------------------------------------
// Drag and drop

export type DropAction =
  | { kind: 'import'; path: string; role: Role }
  | { kind: 'demo_pack'; path: string }
  | { kind: 'refused'; path: string; message: string };

export function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/**
 * Where each dropped file goes: images to the Ground Truth when it is empty, then to the
 * references; audio to the Audio slot (Audio mode); videos to the Motion Video (Animate mode);
 * demo packs are imported. Anything else gets a message that says why.
 */
export function assignDrops(paths: readonly ProbedPath[], mode: Mode, att: Attachments): DropAction[] {
  let groundTruthFilled = att.ground_truth !== null;
  let audioTaken = false;
  let videoTaken = false;
  const out: DropAction[] = [];
  for (const p of paths) {
    const name = fileName(p.path);
    if (p.error) {
      out.push({ kind: 'refused', path: p.path, message: p.error.message });
      continue;
    }
    switch (p.kind) {
      case 'demo_pack':
        out.push({ kind: 'demo_pack', path: p.path });
        break;
      case 'image':
        out.push({ kind: 'import', path: p.path, role: groundTruthFilled ? 'reference' : 'ground_truth' });
        groundTruthFilled = true;
        break;
      case 'audio':
        if (mode !== 'audio') {
          out.push({
            kind: 'refused',
            path: p.path,
            message: `“${name}” is audio: switch to Audio mode to use it.`,
          });
        } else if (audioTaken) {
          out.push({ kind: 'refused', path: p.path, message: `Only one audio is used: “${name}” was left out.` });
        } else {
          out.push({ kind: 'import', path: p.path, role: 'audio' });
          audioTaken = true;
        }
        break;
      case 'video':
        if (mode !== 'animate') {
          out.push({
            kind: 'refused',
            path: p.path,
            message: `“${name}” is a video: switch to Animate mode to use it as the motion video.`,
          });
        } else if (videoTaken) {
          out.push({
            kind: 'refused',
            path: p.path,
            message: `Only one motion video is used: “${name}” was left out.`,
          });
        } else {
          out.push({ kind: 'import', path: p.path, role: 'motion_video' });
          videoTaken = true;
        }
        break;
      default:
        out.push({
          kind: 'refused',
          path: p.path,
          message: `“${name}” is not a picture, audio or video file the studio can use.`,
        });
    }
  }
  return out;
}

/** The template parameter a value should be parsed as, from an <input> string. */
export function parseParamInput(p: TemplateParameter, raw: string): unknown {
  if (p.type === 'int') {
    const n = parseInt(raw, 10);
    return Number.isFinite(n) ? Math.min(p.max, Math.max(p.min, n)) : p.default;
  }
  if (p.type === 'float') {
    const n = parseFloat(raw);
    return Number.isFinite(n) ? Math.min(p.max, Math.max(p.min, n)) : p.default;
  }
  return raw;
}

/** Clamps a point to the 0..1 square. */
export function clampPoint(p: Point): Point {
  const c = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0.5);
  return { x: c(p.x), y: c(p.y) };
}

// ---------------------------------------------------------------------------------------------
// What the chips and the advanced drawer show

/** The chip's length line ("24 s"), empty when the file has no duration. */
export function chipMeta(c: Chip): string {
  return c.duration_seconds != null ? formatSecs(c.duration_seconds) : '';
}

/** SVG path of an audio chip's waveform: one bar per peak, in a 200×24 view box. */
export function waveformPath(peaks: number[]): string {
  const n = peaks.length;
  if (n === 0) return '';
  let d = '';
  for (let i = 0; i < n; i++) {
    const h = Math.max(0.06, Math.min(1, peaks[i] ?? 0)) * 22;
    const x = ((i + 0.5) * 200) / n;
    d += `M${x.toFixed(1)} ${(12 - h / 2).toFixed(1)}v${h.toFixed(1)}`;
  }
  return d;
}

/** The framings to offer: the template's own, or the built-in ones when it names none. */
export function framingsFor(template: TemplateInfo | null): { value: Framing; label: string }[] {
  return template && Object.keys(template.framings).length > 0
    ? Object.entries(template.framings).map(([value, f]) => ({ value: value as Framing, label: f.label }))
    : FRAMINGS;
}

/** Where a click on the Mix frame puts the point. */
export function pointFromClick(
  rect: { left: number; top: number; width: number; height: number },
  click: { clientX: number; clientY: number; detail: number },
  current: Point | null,
): Point {
  // Keyboard activation (no pointer position): start at the centre, then arrows move it.
  if (click.detail === 0 || rect.width === 0 || rect.height === 0) return current ?? { x: 0.5, y: 0.5 };
  return clampPoint({ x: (click.clientX - rect.left) / rect.width, y: (click.clientY - rect.top) / rect.height });
}

const POINT_STEPS: Record<string, [number, number]> = {
  ArrowLeft: [-0.02, 0],
  ArrowRight: [0.02, 0],
  ArrowUp: [0, -0.02],
  ArrowDown: [0, 0.02],
};

/** The point moved by an arrow key; `null` when `key` is not an arrow key. */
export function nudgedPoint(key: string, current: Point | null): Point | null {
  const step = POINT_STEPS[key];
  if (!step) return null;
  const p = current ?? { x: 0.5, y: 0.5 };
  return clampPoint({ x: p.x + step[0], y: p.y + step[1] });
}

/** "Reuse last": the seed of the newest run that has one (cards newest first), and what to say. */
export function lastSeed(cards: readonly JobCard[], mode: Mode): { seed: number | null; note: string } {
  const last = cards.find((c) => c.job.resolved_seed !== null);
  if (last && last.job.resolved_seed !== null) {
    return { seed: last.job.resolved_seed, note: `Seed of your last ${mode === 'audio' ? 'Audio' : 'Animate'} run.` };
  }
  return { seed: null, note: 'No earlier run in this mode has a seed yet.' };
}

/** The line under the seed field. */
export function seedHelp(seedNote: string, seed: number | null): string {
  return seedNote || (seed === -1 ? '-1 picks a new random seed each time.' : 'The same seed and settings give the same video.');
}
