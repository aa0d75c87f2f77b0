// The only module that talks to the Rust side. The command wrappers and every type come from
// `bindings.ts`, generated from the Rust commands (src-tauri/src/commands/list.rs); this module
// only makes each call reject with a `UserError` ({code, message, suggestion}) that components
// can show as it is, opens the event stream, and turns local files into URLs.
import { Channel, convertFileSrc } from '@tauri-apps/api/core';
import { commands, type AppEvent, type UserError } from './bindings';

/** True when `value` already has the UserError shape the commands reject with. */
export function isUserError(value: unknown): value is UserError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === 'string' && typeof v.message === 'string' && typeof v.suggestion === 'string'
  );
}

/**
 * Turns anything a failed call can reject with into a UserError: the commands reject with a
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

type Commands = typeof commands;

/** The generated wrappers, each rejecting with a UserError whatever went wrong. */
function rejectingWithUserErrors(raw: Commands): Commands {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(raw) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toUserError(err);
      }
    };
  }
  return wrapped as Commands;
}

/** Every command the window may call (names and arguments as generated from Rust). */
export const api: Commands = rejectingWithUserErrors(commands);

/** Opens the window's one event stream: job updates, drag and drop, demo steps. */
export function listenToApp(onEvent: (event: AppEvent) => void): Promise<null | void> {
  const channel = new Channel<AppEvent>();
  channel.onmessage = onEvent;
  return api.subscribe(channel);
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
      code: 'local_file_error',
      message: 'This video could not be opened.',
      suggestion: 'Reveal the run in its folder and check that the file is still there.',
      detail: `${path}: HTTP ${response.status}`,
    } satisfies UserError;
  }
  return URL.createObjectURL(await response.blob());
}
