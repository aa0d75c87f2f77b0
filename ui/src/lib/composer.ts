// The composer's own state, as pure functions: the files attached per role, the settings kept
// valid for the chosen template, the JobRequest Generate sends, where dropped files go, and
// which control each issue of the core's plan belongs to. What a request may be (lengths,
// segments, what stops Generate) is the core's answer (`plan_job`), never computed here.
import { andList, inputOf, orList, studiosTaking } from './catalog';
import type {
  AssetRecord,
  InputKind,
  IssueField,
  JobCard,
  JobInputRecord,
  JobRecord,
  JobRequest,
  JsonValue,
  Plan,
  PlanIssue,
  Point,
  ProbedPath,
  StudioInput,
  StudioMode,
  StudioParameter,
  StudioTemplate,
} from './bindings';

// ---------------------------------------------------------------------------------------------
// Attachments

/** One attached file, as its chip shows it. */
export interface Chip {
  id: string;
  kind: InputKind;
  name: string;
  thumbnail_path: string | null;
  duration_seconds: number | null;
  waveform: number[] | null;
}

const KINDS: readonly InputKind[] = ['image', 'audio', 'video'];

function kindOf(kind: string): InputKind {
  return (KINDS as readonly string[]).includes(kind) ? (kind as InputKind) : 'image';
}

export function chipFromAsset(a: AssetRecord): Chip {
  const kind = kindOf(a.kind);
  return {
    id: a.id,
    kind,
    name: a.original_name,
    thumbnail_path: a.thumbnail_path ?? (kind === 'image' ? a.stored_path : null),
    duration_seconds: a.duration_seconds,
    waveform: a.waveform,
  };
}

/**
 * The files attached, by role. Kept across templates: a role two studios share (the
 * character image) stays filled when the user switches.
 */
export type Attachments = Record<string, Chip[]>;

export function filesOf(att: Attachments, role: string): Chip[] {
  return att[role] ?? [];
}

/** Adds a chip to its input: a one-file input is replaced, a several-file one grows to `max`. */
export function attach(att: Attachments, input: Pick<StudioInput, 'role' | 'max'>, chip: Chip): Attachments {
  const current = filesOf(att, input.role);
  if (input.max <= 1) return { ...att, [input.role]: [chip] };
  if (current.some((c) => c.id === chip.id)) return att;
  const next = [...current, chip].slice(-input.max);
  return { ...att, [input.role]: next };
}

/** Removes the chip `id` of a role (all of the role's files without an id). */
export function detach(att: Attachments, role: string, id?: string): Attachments {
  return { ...att, [role]: id ? filesOf(att, role).filter((c) => c.id !== id) : [] };
}

/** Any file attached for one of the template's inputs. */
export function anyAttached(att: Attachments, t: StudioTemplate | null): boolean {
  return (t?.inputs ?? []).some((i) => filesOf(att, i.role).length > 0);
}

/** Chips of a stored run's inputs, by role, in position order. */
export function attachmentsFromInputs(inputs: readonly JobInputRecord[]): Attachments {
  const att: Attachments = {};
  for (const i of [...inputs].sort((a, b) => a.position - b.position)) {
    att[i.role] = [...filesOf(att, i.role), chipFromAsset(i.asset)];
  }
  return att;
}

// ---------------------------------------------------------------------------------------------
// Settings

export interface ComposerSettings {
  /** The template (studio and sub-mode) Generate uses. */
  template: string;
  prompt: string;
  negativePrompt: string;
  profile: string;
  aspect: string;
  /** `null` when the template has no framings. */
  framing: string | null;
  /** -1 = random. */
  seed: number;
  /** `null` = the template's own length (the whole driving file). */
  targetDuration: number | null;
  params: Record<string, JsonValue>;
  /** Marked points, normalized to the first frame of the video they are marked on. */
  points: Point[];
}

function paramValid(p: StudioParameter, v: JsonValue | undefined): boolean {
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
  t: StudioTemplate | null,
  current: Readonly<Record<string, JsonValue | undefined>>,
): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const p of t?.parameters ?? []) out[p.name] = paramValid(p, current[p.name]) ? current[p.name]! : p.default;
  return out;
}

export function defaultSettings(t: StudioTemplate | null): ComposerSettings {
  return adaptSettings(
    {
      template: '',
      prompt: '',
      negativePrompt: '',
      profile: '',
      aspect: '',
      framing: null,
      seed: -1,
      targetDuration: null,
      params: {},
      points: [],
    },
    t,
  );
}

/** The settings for template `t`: what the user chose stays where `t` offers it. */
export function adaptSettings(s: ComposerSettings, t: StudioTemplate | null): ComposerSettings {
  if (!t) return s;
  const has = (list: { value: string }[], v: string | null) => v !== null && list.some((x) => x.value === v);
  const framings = t.framings;
  return {
    ...s,
    template: t.name,
    profile: t.profiles.some((p) => p.name === s.profile) ? s.profile : t.defaults.profile,
    aspect: has(t.aspects, s.aspect) ? s.aspect : t.defaults.aspect,
    framing: framings.length === 0 ? null : has(framings, s.framing) ? s.framing : (t.defaults.framing ?? framings[0]?.value ?? null),
    params: reconcileParams(t, s.params),
    points: s.points.slice(0, t.limits.max_points),
  };
}

/** The request Generate (and the plan) sends: only the template's inputs, in chip order. */
export function buildRequest(
  s: ComposerSettings,
  att: Attachments,
  t: StudioTemplate,
  target: string | null = null,
): JobRequest {
  const negative = s.negativePrompt.trim();
  return {
    settings: {
      template: t.name,
      prompt: s.prompt.trim(),
      negative_prompt: negative === '' ? null : negative,
      profile: s.profile || null,
      aspect: s.aspect || null,
      seed: Number.isFinite(s.seed) ? Math.trunc(s.seed) : -1,
      framing: t.framings.length > 0 ? s.framing : null,
      points: t.limits.max_points > 0 ? s.points.map((p) => ({ ...p })) : [],
      target_duration_secs: s.targetDuration !== null && s.targetDuration > 0 ? s.targetDuration : null,
      params: reconcileParams(t, s.params),
    },
    template_version: t.version,
    inputs: t.inputs.flatMap((i) =>
      filesOf(att, i.role)
        .slice(0, i.max)
        .map((c) => ({ role: i.role, source: { asset: c.id } })),
    ),
    target,
  };
}

/** Composer settings from a stored run ("Copy settings to composer", demo performances). */
export function settingsFromRecord(job: JobRecord, t: StudioTemplate | null): ComposerSettings {
  const r = job.request.settings;
  return adaptSettings(
    {
      template: r.template,
      prompt: r.prompt || job.prompt,
      negativePrompt: r.negative_prompt ?? '',
      profile: r.profile ?? job.profile,
      aspect: r.aspect ?? job.aspect,
      framing: r.framing ?? null,
      seed: r.seed ?? -1,
      targetDuration: r.target_duration_secs ?? null,
      params: Object.fromEntries(Object.entries(r.params ?? {}).filter(([, v]) => v !== undefined)) as Record<
        string,
        JsonValue
      >,
      points: (r.points ?? []).map((p) => ({ ...p })),
    },
    t,
  );
}

// ---------------------------------------------------------------------------------------------
// Issues of the core's plan, by the control they belong to

/** `warning-<key>` ids and the place of an issue: `prompt`, `input-<role>`, `param-<name>`... */
export function fieldKey(f: IssueField): string {
  switch (f.kind) {
    case 'input':
      return `input-${f.role}`;
    case 'param':
      return `param-${f.name}`;
    default:
      return f.kind;
  }
}

/** Controls that live in the Advanced drawer: their issues show at its toggle while it is closed. */
export function inDrawer(key: string): boolean {
  return ['framing', 'seed', 'negative_prompt', 'target_duration', 'points'].includes(key) || key.startsWith('param-');
}

export function issuesAt(issues: readonly PlanIssue[], key: string): PlanIssue[] {
  return issues.filter((i) => fieldKey(i.field) === key);
}

/** Seconds in user language: "24 s", "2.5 s". */
export function formatSecs(s: number): string {
  const r = Math.round(s * 10) / 10;
  return `${Number.isInteger(r) ? r.toFixed(0) : r.toFixed(1)} s`;
}

/** The read-only length line in the Advanced drawer, from the plan's timing. */
export function lengthNote(plan: Plan | null, t: StudioTemplate): string {
  const driving = t.timeline_input ? inputOf(t, t.timeline_input) : null;
  const timing = plan?.timing;
  if (!timing) return driving ? `Add the ${driving.label} to see how long the video will be.` : '';
  const n = timing.segments === 1 ? '1 segment' : `${timing.segments} segments`;
  const secs = formatSecs(timing.seconds);
  return driving ? `The length follows the ${driving.label}: ${secs}, ${n}.` : `${secs}, ${n}.`;
}

// ---------------------------------------------------------------------------------------------
// Drag and drop

export type DropAction =
  | { kind: 'import'; path: string; role: string }
  | { kind: 'demo_pack'; path: string }
  | { kind: 'refused'; path: string; message: string };

export function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

const KIND_WORDS: Record<InputKind, string> = { image: 'a picture', audio: 'audio', video: 'a video' };

/**
 * Where each dropped file goes: to the first input of the template that takes its kind and has
 * room left; demo packs are imported. Anything else gets a message that says why.
 */
export function assignDrops(
  paths: readonly ProbedPath[],
  t: StudioTemplate,
  att: Attachments,
  studios: readonly StudioMode[],
): DropAction[] {
  const taken: Record<string, number> = {};
  const out: DropAction[] = [];
  for (const p of paths) {
    const name = fileName(p.path);
    if (p.error) {
      out.push({ kind: 'refused', path: p.path, message: p.error.message });
      continue;
    }
    if (p.kind === 'demo_pack') {
      out.push({ kind: 'demo_pack', path: p.path });
      continue;
    }
    if (p.kind === null || !(KINDS as readonly string[]).includes(p.kind)) {
      out.push({ kind: 'refused', path: p.path, message: `“${name}” is not a picture, audio or video file the studio can use.` });
      continue;
    }
    const kind = p.kind as InputKind;
    const inputs = t.inputs.filter((i) => i.kind === kind);
    // A drop never replaces a file the user already attached: a full input refuses it.
    const free = inputs.find((i) => filesOf(att, i.role).length + (taken[i.role] ?? 0) < i.max);
    if (free) {
      taken[free.role] = (taken[free.role] ?? 0) + 1;
      out.push({ kind: 'import', path: p.path, role: free.role });
    } else if (inputs.length > 0) {
      const full =
        inputs.length === 1
          ? `The ${inputs[0]!.label} already has its file`
          : `The ${andList(inputs.map((i) => i.label))} already have their files`;
      out.push({ kind: 'refused', path: p.path, message: `${full}: “${name}” was left out.` });
    } else {
      const elsewhere = studiosTaking(studios, kind);
      const hint = elsewhere.length > 0 ? `switch to ${orList(elsewhere)} to use it` : 'no studio uses it';
      out.push({ kind: 'refused', path: p.path, message: `“${name}” is ${KIND_WORDS[kind]}: ${hint}.` });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Controls

/** A number parameter from an <input> string, clamped to its range. */
export function parseParamInput(p: StudioParameter, raw: string): JsonValue {
  if (p.type === 'int' || p.type === 'float') {
    const n = p.type === 'int' ? parseInt(raw, 10) : parseFloat(raw);
    return Number.isFinite(n) ? Math.min(p.max, Math.max(p.min, n)) : p.default;
  }
  return raw;
}

/** Clamps a point to the 0..1 square. */
export function clampPoint(p: Point): Point {
  const c = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0.5);
  return { x: c(p.x), y: c(p.y) };
}

/** Where a click on the frame puts a point. */
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

/** A new mark: added while there is room, otherwise it moves the last one. */
export function addPoint(points: readonly Point[], p: Point, max: number): Point[] {
  if (max <= 0) return [];
  return points.length < max ? [...points, p] : [...points.slice(0, max - 1), p];
}

/** The chip's length line ("24 s"), empty when the file has no duration. */
export function chipMeta(c: Chip): string {
  return c.duration_seconds != null ? formatSecs(c.duration_seconds) : '';
}

/** SVG path of an audio chip's waveform: one bar per peak, in a 200×24 view box. */
export function waveformPath(peaks: readonly number[]): string {
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

/** "Reuse last": the seed of the newest run that has one (cards newest first), and what to say. */
export function lastSeed(cards: readonly JobCard[], studioLabel: string): { seed: number | null; note: string } {
  const last = cards.find((c) => c.job.resolved_seed !== null);
  if (last && last.job.resolved_seed !== null) {
    return { seed: last.job.resolved_seed, note: `Seed of your last ${studioLabel} run.` };
  }
  return { seed: null, note: `No earlier ${studioLabel} run has a seed yet.` };
}

/** The line under the seed field. */
export function seedHelp(seedNote: string, seed: number | null): string {
  return seedNote || (seed === -1 ? '-1 picks a new random seed each time.' : 'The same seed and settings give the same video.');
}
