// The api module for component tests (not a test file itself): every generated command as a
// `vi.fn()`, and file URLs that need no Tauri. Use it as
//   vi.mock('../api', async (original) => (await import('../api.test-util')).mockApiModule(original));
// and reset with `resetApi()` after each test.
import { vi, type Mock } from 'vitest';
import { commands } from './bindings';

type Commands = typeof commands;
export type ApiMock = { [K in keyof Commands]: Mock<Commands[K]> };

export const api = Object.fromEntries(Object.keys(commands).map((name) => [name, vi.fn()])) as unknown as ApiMock;

/** The app's one event stream: tests push events through `emit`. */
export const events = { emit: (_e: unknown) => {} };

export async function mockApiModule(original: () => Promise<unknown>) {
  const real = (await original()) as Record<string, unknown>;
  return {
    ...real,
    api,
    listenToApp: vi.fn(async (cb: (e: unknown) => void) => {
      events.emit = cb;
    }),
    assetUrl: (p: string) => `asset://${p}`,
    videoUrl: async (p: string) => `blob:${p}`,
  };
}

export function resetApi(): void {
  for (const fn of Object.values(api)) (fn as Mock).mockReset();
}
