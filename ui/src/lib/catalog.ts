// Looking things up in the template catalog (`list_templates`: studios -> templates -> inputs,
// profiles, aspects...). The catalog is the only source of mode, template, role and profile
// names and labels: nothing here knows any of them.
import type { InputKind, StudioInput, StudioMode, StudioTemplate } from './bindings';

export function allTemplates(studios: readonly StudioMode[]): StudioTemplate[] {
  return studios.flatMap((m) => m.templates);
}

export function findTemplate(studios: readonly StudioMode[], name: string): StudioTemplate | null {
  return allTemplates(studios).find((t) => t.name === name) ?? null;
}

/** The studio a template belongs to. */
export function studioOf(studios: readonly StudioMode[], templateName: string): StudioMode | null {
  return studios.find((m) => m.templates.some((t) => t.name === templateName)) ?? null;
}

/** What the composer opens on: the first studio's default (first) template. */
export function defaultTemplate(studios: readonly StudioMode[]): StudioTemplate | null {
  return studios[0]?.templates[0] ?? null;
}

/** "some_role" -> "Some role": for a name no template describes (an old run's role). */
export function humanize(id: string): string {
  const words = id.replace(/_/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The label of a studio (`JobRecord.mode`), e.g. on a gallery card. */
export function modeLabel(studios: readonly StudioMode[], mode: string): string {
  return studios.find((m) => m.mode === mode)?.label ?? humanize(mode);
}

/** "<studio> · <sub-mode>" for a template with a sub-mode, the studio's label otherwise. */
export function templateLabel(studios: readonly StudioMode[], mode: string, templateName: string): string {
  const studio = studios.find((m) => m.mode === mode);
  const t = studio?.templates.find((x) => x.name === templateName);
  const base = studio?.label ?? humanize(mode);
  return t?.sub_mode_label ? `${base} · ${t.sub_mode_label}` : base;
}

/** The chip label of `role`: the run's template's own, else any template's, else the role. */
export function roleLabel(studios: readonly StudioMode[], templateName: string, role: string): string {
  const own = findTemplate(studios, templateName)?.inputs.find((i) => i.role === role);
  const any = allTemplates(studios)
    .flatMap((t) => t.inputs)
    .find((i) => i.role === role);
  return (own ?? any)?.label ?? humanize(role);
}

export function inputOf(t: StudioTemplate, role: string): StudioInput | null {
  return t.inputs.find((i) => i.role === role) ?? null;
}

/** The studios (labels) whose default template takes files of `kind`, for a refused drop. */
export function studiosTaking(studios: readonly StudioMode[], kind: InputKind): string[] {
  return studios.filter((m) => m.templates.some((t) => t.inputs.some((i) => i.kind === kind))).map((m) => m.label);
}

/** The input whose first frame points are marked on: the driving video, else the first video. */
export function pointsFrameInput(t: StudioTemplate): StudioInput | null {
  const videos = t.inputs.filter((i) => i.kind === 'video');
  return videos.find((i) => i.role === t.timeline_input) ?? videos[0] ?? null;
}

/**
 * Whether a target length applies: a driving input can be cut shorter, and a fixed-length
 * template with a frame rate makes the length asked for (TEMPLATES.md, "Timeline").
 */
export function takesTargetLength(t: StudioTemplate): boolean {
  return t.timeline_input !== null || t.fps !== null;
}

function joined(items: readonly string[], last: string): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1]}`;
}

/** "a, b or c". */
export function orList(items: readonly string[]): string {
  return joined(items, 'or');
}

/** "a, b and c". */
export function andList(items: readonly string[]): string {
  return joined(items, 'and');
}
