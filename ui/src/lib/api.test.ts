import { afterEach, describe, expect, it, vi } from 'vitest';

const invoke = vi.fn();
class FakeChannel {
  onmessage: (m: unknown) => void = () => {};
}
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...args: unknown[]) => invoke(...args), Channel: FakeChannel }));

const { api, listenToApp, toUserError } = await import('./api');

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

  it('sends the generated argument names (camelCase, as Tauri maps them to the Rust names)', async () => {
    invoke.mockResolvedValue(null);
    await api.replayJob('j1', true);
    await api.importInput('/x.png', 'start_end_frame', 'end_frame');
    expect(invoke.mock.calls).toEqual([
      ['replay_job', { jobId: 'j1', newSeed: true }],
      ['import_input', { path: '/x.png', template: 'start_end_frame', role: 'end_frame' }],
    ]);
  });

  it('opens the event stream on one Channel', async () => {
    invoke.mockResolvedValue(null);
    const seen: unknown[] = [];
    await listenToApp((e) => seen.push(e));
    const [command, args] = invoke.mock.calls[0] as [string, { channel: FakeChannel }];
    expect(command).toBe('subscribe');
    args.channel.onmessage({ type: 'runs_changed' });
    expect(seen).toEqual([{ type: 'runs_changed' }]);
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
