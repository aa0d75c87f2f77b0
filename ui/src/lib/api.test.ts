import { afterEach, describe, expect, it, vi } from 'vitest';

const invoke = vi.fn();
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { api, toUserError } = await import('./api');

afterEach(() => {
  invoke.mockReset();
  delete (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__;
});

describe('api', () => {
  it('calls each command with the argument names the Rust commands declare', async () => {
    invoke.mockResolvedValue(undefined);
    await api.removeEndpoint('lab');
    await api.setDefaultEndpoint('lab');
    const request = { name: 'lab', base_url: 'https://x.example', auth: { kind: 'none' as const }, make_default: false, secret: null };
    await api.addEndpoint(request);
    expect(invoke.mock.calls).toEqual([
      ['remove_endpoint', { name: 'lab' }],
      ['set_default_endpoint', { name: 'lab' }],
      ['add_endpoint', { request }],
    ]);
  });

  it('passes a command UserError through unchanged', async () => {
    const err = { code: 'duplicate_endpoint', message: 'A server named "lab" already exists.', suggestion: 'Choose another name.' };
    invoke.mockRejectedValue(err);
    await expect(api.listEndpoints()).rejects.toEqual(err);
  });

  it('wraps a Tauri string rejection inside the app as an internal error with the detail', async () => {
    (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__ = {};
    invoke.mockRejectedValue('Command add_endpoint not allowed by ACL');
    await expect(api.listEndpoints()).rejects.toMatchObject({
      code: 'app_internal',
      detail: 'Command add_endpoint not allowed by ACL',
    });
  });

  it('says so when the page runs outside the app', () => {
    expect(toUserError(new TypeError('window.__TAURI_INTERNALS__ is undefined'))).toMatchObject({
      code: 'not_in_app',
      suggestion: expect.stringMatching(/desktop app/),
    });
  });
});
