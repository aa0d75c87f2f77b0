// Shapes exchanged with the Tauri commands (src-tauri/src/commands). Field names follow the
// Rust structs' serde names (snake_case), so nothing is renamed on either side.

/** The one error shape every command returns (animatrix_common::UserError). */
export interface UserError {
  code: string;
  message: string;
  suggestion: string;
  detail?: string;
}

/** animatrix_core::AuthKind, serde `tag = "kind"`, snake_case. */
export type AuthKind =
  | { kind: 'none' }
  | { kind: 'bearer' }
  | { kind: 'basic' }
  | { kind: 'header'; name: string };

export type AuthKindName = AuthKind['kind'];

/** animatrix_core::EndpointView: what the UI may know about an endpoint. Never the secret. */
export interface EndpointView {
  name: string;
  base_url: string;
  auth: AuthKind;
  is_default: boolean;
  has_secret: boolean;
}

/** Argument of the `add_endpoint` command. */
export interface AddEndpointRequest {
  name: string;
  base_url: string;
  auth: AuthKind;
  make_default: boolean;
  /** Goes straight to the OS keychain through the core; `null` when the auth kind needs none. */
  secret: string | null;
}

/** Argument of `update_endpoint`: `secret: null` keeps the stored secret. */
export interface UpdateEndpointRequest {
  name: string;
  base_url: string;
  auth: AuthKind;
  secret: string | null;
}

/** Result of the `app_info` command. */
export interface AppInfo {
  version: string;
  data_dir: string;
  log_dir: string;
  /** `null` when the OS keychain answers; otherwise why not and how to fix it. */
  keychain_problem: UserError | null;
  storage: StorageUsed;
  demo: DemoSettings;
}

export interface StorageUsed {
  /** Bytes of finished videos, posters and previews. */
  outputs: number;
  /** Bytes of imported (normalized) inputs. */
  assets: number;
}

export type Mode = 'animate' | 'audio';
export type AnimateMode = 'move' | 'mix';
export type Profile = 'draft' | 'standard' | 'high';
export type Aspect = '9:16' | '16:9' | '1:1';
export type Framing = 'portrait' | 'half_body' | 'full_body';

/** Roles an input plays (animatrix_media::Role as_str). */
export type Role = 'ground_truth' | 'motion_video' | 'audio' | 'reference' | 'pose_sheet';

/** animatrix_core::assets::AssetRecord: an imported, normalized input. */
export interface AssetRecord {
  id: string;
  kind: 'image' | 'audio' | 'video';
  role: Role;
  original_name: string;
  mime: string;
  width: number | null;
  height: number | null;
  duration_seconds: number | null;
  fps: number | null;
  frame_count: number | null;
  sample_rate: number | null;
  channels: number | null;
  codec: string | null;
  size_bytes: number;
  sha256: string;
  /** Absolute local path (inside the data dir): show with `assetUrl()`. */
  stored_path: string;
  /** Image thumbnail, or a video's first frame; `null` when none could be made. */
  thumbnail_path: string | null;
  /** 200 peaks in 0..1 for audio. */
  waveform: number[] | null;
  facts: Record<string, unknown>;
  created_at: number;
}

/** Result of `import_input` / one item of `pick_inputs`. */
export interface ImportedInput {
  asset: AssetRecord;
  /** User-language notes from normalization (e.g. "audio was quiet: boosted"). */
  warnings: string[];
}

/** `pick_inputs`: the user may cancel (empty `inputs`, no errors). */
export interface PickResult {
  inputs: ImportedInput[];
  /** One per refused file, with the file name in `message`. */
  errors: UserError[];
}

/** What kind a dropped file is (sniffed by the app before the `drop` event), before choosing its role. */
export interface ProbedPath {
  path: string;
  kind: 'image' | 'audio' | 'video' | 'demo_pack' | null;
  error: UserError | null;
}

/** A Mix point, normalized to the motion video's first frame: (0,0) top-left. */
export interface Point {
  x: number;
  y: number;
}

/** animatrix_core::jobs::InputRef, serde externally tagged. */
export type InputRef = { asset: string } | { file: string };

export interface JobInputs {
  image: InputRef | null;
  audio: InputRef | null;
  video: InputRef | null;
  references: InputRef[];
  pose_sheet: InputRef | null;
}

/** animatrix_core::jobs::JobRequest: what Generate sends. */
export interface JobRequest {
  mode: Mode;
  animate_mode: AnimateMode | null;
  prompt: string;
  negative_prompt: string | null;
  profile: Profile | null;
  aspect: Aspect | null;
  framing: Framing | null;
  /** -1 = random. */
  seed: number;
  inputs: JobInputs;
  points: Point[];
  target_duration_secs: number | null;
  /** Advanced template parameters by name (manifest `parameters`). */
  params: Record<string, unknown>;
  /** Server name; the default server when null. */
  endpoint: string | null;
}

export type JobState =
  | 'draft'
  | 'validating'
  | 'uploading'
  | 'queued'
  | 'executing'
  | 'collecting'
  | 'completed'
  | 'failed'
  | 'cancelled';

export const TERMINAL_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];

export interface JobError {
  code: string;
  message: string;
  suggestion: string;
  detail: string;
}

/** animatrix_core::jobs::JobRecord. */
export interface JobRecord {
  id: string;
  comfy_prompt_id: string;
  client_id: string;
  endpoint_name: string | null;
  mode: Mode;
  template_name: string;
  template_version: string;
  profile: string;
  aspect: string;
  prompt: string;
  negative_prompt: string;
  /** The stored JobRequest (inputs as asset refs). */
  settings: JobRequest;
  resolved_seed: number | null;
  frame_count: number | null;
  state: JobState;
  progress: number;
  error: JobError | null;
  parent_job_id: string | null;
  relation: 'retry' | 'replay' | null;
  is_demo: boolean;
  cancel_requested: boolean;
  /** ms since the Unix epoch. */
  created_at: number;
  updated_at: number;
  queued_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  poster_path: string | null;
  video_path: string | null;
  seq: number;
}

/** A gallery card: the record plus what the card shows without another call. */
export interface JobCard {
  job: JobRecord;
  /** Length of the finished clip in seconds (frames / fps), when known. */
  clip_seconds: number | null;
  /** The last live preview frame on disk, for a running job. */
  preview_path: string | null;
}

export interface Cursor {
  created_at: number;
  id: string;
  seq: number;
}

/** Argument of `list_jobs`. `demo: false` = only real runs; null = both. */
export interface JobQuery {
  search: string | null;
  mode: Mode | null;
  state: JobState | null;
  demo: boolean | null;
  before: Cursor | null;
  limit: number | null;
}

export interface JobPage {
  cards: JobCard[];
  /** Pass back as `before` for the next page; null at the end. */
  next: Cursor | null;
}

export interface JobEvent {
  id: number;
  at: number;
  kind: string;
  state: JobState | null;
  data: Record<string, unknown>;
}

export interface OutputRecord {
  kind: 'video' | 'poster' | 'preview' | string;
  path: string;
  size_bytes: number;
  sha256: string;
  server_filename: string | null;
  server_subfolder: string | null;
  node_id: string | null;
}

export interface JobInputView {
  role: Role;
  position: number;
  uploaded_name: string | null;
  asset: AssetRecord;
}

/** `job_detail`: one run opened. */
export interface JobDetail {
  job: JobRecord;
  inputs: JobInputView[];
  outputs: OutputRecord[];
  events: JobEvent[];
  job_dir: string;
}

/**
 * animatrix_core::jobs::JobUpdate, streamed over the `subscribe` Channel as `{type:'job', ...}`.
 * `stage` is already the user-language label ("Generating 63%, about 3 min left").
 */
export interface JobUpdate {
  job_id: string;
  state: JobState;
  progress: number;
  /** [bytes done, total] while uploading. */
  upload?: [number, number];
  /** Prompts before ours (the running one included) while queued. */
  queue_ahead?: number;
  eta_seconds?: number;
  preview_path?: string;
  stage: string;
  error?: JobError;
  /** When the core emitted it (ms since the Unix epoch): the UI measures its own latency. */
  emitted_at_ms?: number;
}

/** Everything the `subscribe` Channel carries. */
export type AppEvent =
  | ({ type: 'job' } & JobUpdate)
  /** Files dropped on the window (native drag and drop), already probed. */
  | { type: 'drop'; paths: ProbedPath[] }
  /** A drag is over the window (true) or left it (false): highlight the drop zone. */
  | { type: 'drag'; over: boolean }
  /** A demo performance step (same shape as a job update, `job_id` is the demo run's). */
  | ({ type: 'demo' } & JobUpdate)
  /** Runs were added without a job update (the sample pack on first run, an import): reload. */
  | { type: 'runs_changed' };

/** Template catalog row with what the composer needs (`list_templates`). */
export interface TemplateInfo {
  name: string;
  version: string;
  display_name: string;
  mode: Mode | string;
  sub_mode: AnimateMode | null;
  model_family: string;
  description: string;
  compatible: boolean;
  latest: boolean;
  capabilities: { can: string[]; cannot: string[] };
  profiles: Record<string, ProfileInfo>;
  framings: Record<string, { label: string }>;
  parameters: TemplateParameter[];
  defaults: { profile: string; aspect: string; framing: string | null };
  limits: { max_prompt_chars: number; max_points: number };
  /** Frames per segment, for the "n segments" note. */
  timeline: { fps: number | null; first_chunk_frames: number; extension_frames: number };
}

export interface ProfileInfo {
  label: string;
  description: string;
  max_duration_secs: number;
  max_chunks: number;
}

export type TemplateParameter =
  | { name: string; label: string; description: string; type: 'int'; min: number; max: number; default: number }
  | { name: string; label: string; description: string; type: 'float'; min: number; max: number; default: number }
  | { name: string; label: string; description: string; type: 'bool'; default: boolean }
  | {
      name: string;
      label: string;
      description: string;
      type: 'choice';
      default: string;
      options: { value: string; label: string }[];
    };

/** animatrix_workflow::PreflightReport: can this server run the template? */
export interface PreflightReport {
  template: string;
  version: string;
  ready: boolean;
  ready_profiles: string[];
  missing_nodes: { class: string; pack: string; pack_name: string; pack_url: string }[];
  missing_models: { file: string; folder: string; profiles: string[] }[];
  auto_downloads: { file: string; folder: string; note: string }[];
}

/** `preflight`: per template for one endpoint; `error` when the server could not be asked. */
export interface PreflightResult {
  endpoint: string;
  reports: PreflightReport[];
  error: UserError | null;
}

/** animatrix_comfy::DoctorReport (`test_endpoint`, `server_health`). */
export interface DoctorReport {
  endpoint: string;
  reachable: boolean;
  auth_ok: boolean;
  comfyui_version: string | null;
  gpu_name: string | null;
  vram_total: number | null;
  vram_free: number | null;
  queue_len: number | null;
  max_upload_size: number | null;
  websocket_ok: boolean;
  usable: boolean;
  problems: UserError[];
  warnings: UserError[];
}

/** `server_queue`: the server's queue; other users' prompts carry no content. */
export interface ServerQueue {
  endpoint: string;
  items: QueueEntry[];
}

export interface QueueEntry {
  position: number;
  running: boolean;
  /** Ours: the job this prompt belongs to. Others: null (nothing else is shown). */
  job_id: string | null;
  prompt_id: string | null;
  prompt_excerpt: string | null;
}

/** animatrix_core::jobs::metrics::Metrics (real runs only; demo runs never count). */
export interface Metrics {
  jobs_per_day: { day: string; jobs: number }[];
  per_template: {
    template_name: string;
    template_version: string;
    jobs: number;
    completed: number;
    failed: number;
    failure_rate: number;
    mean_wait_s: number | null;
    mean_run_s: number | null;
  }[];
  storage_bytes: StorageUsed;
}

/** animatrix_core::demo::DemoSettings. */
export interface DemoSettings {
  demo_mode: boolean;
  /** null = recorded pace. */
  demo_pace_seconds: number | null;
}

export interface DemoInput {
  role: Role;
  position: number;
  asset_id: string;
  kind: 'image' | 'audio' | 'video';
  original_name: string;
  path: string;
  thumbnail_path: string | null;
  width: number | null;
  height: number | null;
  duration_seconds: number | null;
  waveform: number[] | null;
}

/** `demo_timeline`: what fills the composer before a performance. */
export interface DemoTimeline {
  job_id: string;
  is_demo: boolean;
  mode: Mode;
  template_name: string;
  template_version: string;
  profile: string;
  aspect: string;
  prompt: string;
  negative_prompt: string;
  settings: JobRequest;
  inputs: DemoInput[];
  duration_ms: number;
  steps: { offset_ms: number; update: JobUpdate }[];
  video_path: string;
  poster_path: string | null;
}

export interface PerformOutcome {
  job_id: string;
  video_path: string;
  poster_path: string | null;
  steps: number;
  planned_ms: number;
}

export interface DemoImportSummary {
  label: string;
  created_at: number;
  runs: { job_id: string; original_id: string; mode: Mode; prompt: string; imported: boolean }[];
  imported: number;
  already_present: number;
  bytes: number;
}

export interface DemoExportSummary {
  path: string;
  label: string;
  job_ids: string[];
  members: number;
  bytes: number;
  uncompressed_bytes: number;
  includes_endpoint: boolean;
}
