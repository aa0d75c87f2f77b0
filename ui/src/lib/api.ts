// The only module that talks to the Rust side. Components call these functions and get either
// the value or a thrown `UserError` ({code, message, suggestion}) they can show as it is.
import { invoke } from '@tauri-apps/api/core';
import type { AddEndpointRequest, AppInfo, EndpointView, UserError } from './types';

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

export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  listEndpoints: () => call<EndpointView[]>('list_endpoints'),
  addEndpoint: (request: AddEndpointRequest) => call<EndpointView>('add_endpoint', { request }),
  removeEndpoint: (name: string) => call<void>('remove_endpoint', { name }),
  setDefaultEndpoint: (name: string) => call<void>('set_default_endpoint', { name }),
};
