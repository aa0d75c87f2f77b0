// The only module that talks to the Rust side. Components call these functions and get either
// the value or a thrown `UserError` ({code, message, suggestion}) they can show as it is.
import { Channel, convertFileSrc, invoke } from '@tauri-apps/api/core';
import type {
  AddEndpointRequest,
  AppEvent,
  AppInfo,
  DemoExportSummary,
  DemoImportSummary,
  DemoSettings,
  DemoTimeline,
  DoctorReport,
  EndpointView,
  ImportedInput,
  JobDetail,
  JobPage,
  JobQuery,
  JobRecord,
  JobRequest,
  Metrics,
  PerformOutcome,
  PickResult,
  PreflightResult,
  Role,
  ServerQueue,
  TemplateInfo,
  UpdateEndpointRequest,
  UserError,
} from './types';

/** True when `value` already has the UserError shape the commands reject with. */
export function isUserError(value: unknown): value is UserError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === 'string' && typeof v.message === 'string' && typeof v.suggestion === 'string'
  );
}

/**
 * Turns anything a failed `invoke` can reject with into a UserError: the commands reject with a
 * UserError, but Tauri itself rejects with a plain string (unknown command, denied permission,
 * bad arguments), and outside the app window there is no IPC at all.
 */
export function toUserError(err: unknown): UserError {
  if (isUserError(err)) return err;
  const detail = err instanceof Error ? err.message : typeof err === 'string' ? err : String(err);
  if (typeof window !== 'undefined' && !('__TAURI_INTERNALS__' in window)) {
    return {
      code: 'not_in_app',
      message: 'This page is running outside the Animatrix Studio app.',
      suggestion: 'Start the desktop app to use this screen.',
      detail,
    };
  }
  return {
    code: 'app_internal',
    message: 'The app could not complete this action.',
    suggestion: 'Try again. If it keeps happening, restart the app and send the log file to support.',
    detail,
  };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    throw toUserError(err);
  }
}

/**
 * A local file inside the data dir (posters, previews, thumbnails) as a URL the web view may
 * load: Tauri's asset protocol, scoped in Rust to the data dir only.
 */
export function assetUrl(path: string): string {
  return convertFileSrc(path);
}

/**
 * A video inside the data dir as a `blob:` URL. WebKitGTK hands `asset:` URLs of <video>
 * straight to GStreamer, which cannot read that scheme (tauri-apps/tauri#3725), so the bytes are
 * fetched through the asset protocol and played from memory; outputs are short clips.
 * Revoke the URL with `URL.revokeObjectURL` when the player closes.
 */
export async function videoUrl(path: string): Promise<string> {
  const response = await fetch(convertFileSrc(path));
  if (!response.ok) {
    throw {
      code: 'video_unreadable',
      message: 'This video could not be opened.',
      suggestion: 'Reveal the run in its folder and check that the file is still there.',
      detail: `${path}: HTTP ${response.status}`,
    } satisfies UserError;
  }
  return URL.createObjectURL(await response.blob());
}

export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  // Servers
  listEndpoints: () => call<EndpointView[]>('list_endpoints'),
  addEndpoint: (request: AddEndpointRequest) => call<EndpointView>('add_endpoint', { request }),
  updateEndpoint: (request: UpdateEndpointRequest) =>
    call<EndpointView>('update_endpoint', { request }),
  removeEndpoint: (name: string) => call<void>('remove_endpoint', { name }),
  setDefaultEndpoint: (name: string) => call<void>('set_default_endpoint', { name }),
  /** Reachable, signed in, version, GPU, VRAM, queue: the server's health. */
  testEndpoint: (name: string | null) => call<DoctorReport>('test_endpoint', { name }),

  // Inputs
  /** Native file dialog for `role`, then import; cancelling gives an empty result. */
  pickInputs: (role: Role, multiple: boolean) => call<PickResult>('pick_inputs', { role, multiple }),
  /** Imports one file the user dropped (after `probe_paths`). */
  importInput: (path: string, role: Role) => call<ImportedInput>('import_input', { path, role }),

  // Templates and servers' readiness
  listTemplates: () => call<TemplateInfo[]>('list_templates'),
  preflight: (endpoint: string | null) => call<PreflightResult>('preflight', { endpoint }),

  // Jobs
  /** One Channel for the window's lifetime: job updates, drag and drop, demo steps. */
  subscribe: (onEvent: (event: AppEvent) => void) => {
    const channel = new Channel<AppEvent>();
    channel.onmessage = onEvent;
    return call<void>('subscribe', { channel });
  },
  submitJob: (request: JobRequest) => call<string>('submit_job', { request }),
  listJobs: (query: JobQuery) => call<JobPage>('list_jobs', { query }),
  jobDetail: (jobId: string) => call<JobDetail>('job_detail', { jobId }),
  cancelJob: (jobId: string) => call<JobRecord>('cancel_job', { jobId }),
  retryJob: (jobId: string) => call<string>('retry_job', { jobId }),
  replayJob: (jobId: string, newSeed: boolean) => call<string>('replay_job', { jobId, newSeed }),
  /** Opens the OS file manager on the run's folder. */
  revealJob: (jobId: string) => call<void>('reveal_job', { jobId }),
  /** Save dialog, then copies the run's MP4 there; null when the user cancelled. */
  exportVideo: (jobId: string) => call<string | null>('export_video', { jobId }),

  // Operators
  serverQueue: (endpoint: string | null) => call<ServerQueue>('server_queue', { endpoint }),
  metrics: (days: number) => call<Metrics>('metrics', { days }),
  openLogFolder: () => call<void>('open_log_folder'),

  // Demo
  /** Demo mode and pace (cheaper than `appInfo`, which also asks the keychain). */
  demoSettings: () => call<DemoSettings>('demo_settings'),
  setDemoSettings: (settings: DemoSettings) => call<DemoSettings>('set_demo_settings', { settings }),
  /** Save dialog, then writes the pack; null when the user cancelled. */
  demoExport: (jobIds: string[], label: string | null, includeEndpoint: boolean) =>
    call<DemoExportSummary | null>('demo_export', { jobIds, label, includeEndpoint }),
  /** `path` from a drop; null opens the file dialog (null result when cancelled). */
  demoImport: (path: string | null) => call<DemoImportSummary | null>('demo_import', { path }),
  demoTimeline: (jobId: string) => call<DemoTimeline>('demo_timeline', { jobId }),
  /** Plays the recorded steps over the `subscribe` Channel as `{type:'demo'}` events. */
  demoPerform: (jobId: string) => call<PerformOutcome>('demo_perform', { jobId }),
  demoStop: () => call<void>('demo_stop'),
};
