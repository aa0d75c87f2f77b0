// Rules of the runs gallery: merging live updates into cards, what a card says.
import { humanBytes, percent } from './format';
import type {
  EventData,
  ExportSummary,
  ImportSummary,
  JobCard,
  JobQuery,
  JobRecord,
  JobRequest,
  JobState,
  JobUpdate,
  StudioTemplate,
} from './bindings';

export const TERMINAL_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];

export const PAGE_SIZE = 24;

export const STATE_LABELS: Record<JobState, string> = {
  draft: 'Draft',
  validating: 'Checking',
  uploading: 'Uploading',
  queued: 'Waiting in queue',
  executing: 'Generating',
  collecting: 'Saving',
  completed: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const JOB_STATES = Object.keys(STATE_LABELS) as JobState[];

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}

export interface RunsFilter {
  search: string;
  /** A studio (`StudioMode.mode`); '' = every one. */
  mode: string;
  state: JobState | '';
}

export function isFiltered(f: RunsFilter): boolean {
  return f.search.trim() !== '' || f.mode !== '' || f.state !== '';
}

export function queryFor(f: RunsFilter, before: JobQuery['before']): JobQuery {
  const search = f.search.trim();
  return {
    search: search === '' ? null : search,
    mode: f.mode === '' ? null : f.mode,
    state: f.state === '' ? null : f.state,
    demo: null,
    before,
    limit: PAGE_SIZE,
  };
}

/** A card's record with the latest live update applied (state, progress, error). */
export function withUpdate(job: JobRecord, u: JobUpdate | undefined): JobRecord {
  if (!u) return job;
  return {
    ...job,
    state: u.state,
    progress: u.progress,
    error: u.error ?? (u.state === 'failed' ? job.error : null),
    endpoint: u.endpoint ?? job.endpoint,
  };
}

/** Merges a fetched page into the list: existing cards are replaced in place, new ones added. */
export function mergeCards(current: readonly JobCard[], incoming: readonly JobCard[], prepend: boolean): JobCard[] {
  const byId = new Map(incoming.map((c) => [c.job.id, c]));
  const merged = current.map((c) => byId.get(c.job.id) ?? c);
  const known = new Set(current.map((c) => c.job.id));
  const fresh = incoming.filter((c) => !known.has(c.job.id));
  const all = prepend ? [...fresh, ...merged] : [...merged, ...fresh];
  return all;
}

/** Newest first, as the gallery lists them. */
export function sortNewestFirst(cards: JobCard[]): JobCard[] {
  return [...cards].sort((a, b) => b.job.times.created_at - a.job.times.created_at || b.job.seq - a.job.seq);
}

/** A card for a run that was just submitted, shown until the core's record arrives. */
export function placeholderCard(
  id: string,
  request: JobRequest,
  template: Pick<StudioTemplate, 'name' | 'version'>,
  mode: string,
  now = Date.now(),
): JobCard {
  const s = request.settings;
  return {
    job: {
      id,
      prompt_id: '',
      client_id: '',
      endpoint: request.target ?? null,
      mode,
      template: { name: template.name, version: request.template_version ?? template.version },
      profile: s.profile ?? '',
      aspect: s.aspect ?? '',
      prompt: s.prompt,
      negative_prompt: s.negative_prompt ?? '',
      request,
      resolved_seed: null,
      frame_count: null,
      state: 'validating',
      progress: 0,
      error: null,
      parent_job_id: null,
      relation: null,
      is_demo: false,
      cancel_requested: false,
      times: { created_at: now, updated_at: now, queued_at: null, started_at: null, finished_at: null },
      clip: null,
      seq: Number.MAX_SAFE_INTEGER,
    },
    preview_path: null,
  };
}

/** The stage line of a card: the core's label while running, the state otherwise. */
export function stageLabel(job: JobRecord, u: JobUpdate | undefined): string {
  if (u && u.stage && !isTerminal(u.state)) return u.stage;
  if (!isTerminal(job.state) && u?.stage) return u.stage;
  return STATE_LABELS[job.state];
}

/** What a card shows: its record with the live update, whether it runs, its live preview. */
export interface CardView {
  job: JobRecord;
  running: boolean;
  preview: string | null;
}

export function cardView(card: JobCard, u: JobUpdate | undefined): CardView {
  const job = withUpdate(card.job, u);
  return { job, running: !isTerminal(job.state), preview: u?.preview_path ?? card.preview_path };
}

/** "1 run", "3 runs". */
export function runsCount(n: number): string {
  return n === 1 ? '1 run' : `${n} runs`;
}

/** The gallery's line after a demo pack was imported. */
export function describeImport(s: ImportSummary): string {
  const already = s.already_present > 0 ? `; ${s.already_present} already here` : '';
  return `Imported ${runsCount(s.imported)} from “${s.label}” (${humanBytes(s.bytes)})${already}.`;
}

/** The gallery's line after a demo pack was exported. */
export function describeExport(s: ExportSummary): string {
  return `Exported ${runsCount(s.job_ids.length)} (${humanBytes(s.bytes)}) to ${s.path}${s.includes_endpoint ? ', with the server name' : ''}.`;
}

export interface Timings {
  waitSecs: number | null;
  runSecs: number | null;
}

export function timings(job: JobRecord): Timings {
  const t = job.times;
  const queued = t.queued_at ?? t.created_at;
  return {
    waitSecs: t.started_at != null ? Math.max(0, (t.started_at - queued) / 1000) : null,
    runSecs: t.started_at != null && t.finished_at != null ? Math.max(0, (t.finished_at - t.started_at) / 1000) : null,
  };
}

/** The finished clip's poster and length, measured by the core when it collected the run. */
export function posterOf(job: JobRecord): string | null {
  return job.clip?.poster_path ?? null;
}

export function clipSeconds(job: JobRecord): number | null {
  return job.clip?.seconds ?? null;
}

export function videoOf(job: JobRecord): string | null {
  return job.clip?.path ?? null;
}

/** One event of a run's log in words (the operator's event list). */
export function eventText(e: EventData): string {
  switch (e.kind) {
    case 'state':
      return `${STATE_LABELS[e.state]}${e.error ? `: ${e.error.message} (${e.error.code})` : ''}`;
    case 'warning':
      return `Note: ${e.message}`;
    case 'prompt_posted':
      return `Prompt ${e.prompt_id} accepted by the server${e.number != null ? ` (number ${e.number})` : ''}`;
    case 'queue_position':
      return e.ahead === 0 ? 'Next in the queue' : `${e.ahead} ahead in the queue`;
    case 'progress':
      return `Progress ${percent(e.fraction)}`;
    case 'preview':
      return `Preview frame ${e.file}`;
    case 'reconciled':
      return `Reconciled with the server: ${e.how}`;
    case 'routed': {
      // The core's words: "sent to gpu-b: ~2 min wait", then the other members.
      const others = e.alternatives?.length ? ` (${e.alternatives.join('; ')})` : '';
      return `${e.summary.charAt(0).toUpperCase()}${e.summary.slice(1)}${others}`;
    }
    case 'unknown':
      return 'An event written by a newer version of the app';
  }
}
