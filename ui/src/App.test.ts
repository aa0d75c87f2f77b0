import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { tick } from 'svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { card, TEMPLATES } from './lib/fixtures.test-util';
import type { AppEvent } from './lib/types';

let emit: (e: AppEvent) => void = () => {};
const api = {
  listEndpoints: vi.fn(async () => [
    { name: 'lab', base_url: 'https://lab.example', auth: { kind: 'none' }, is_default: true, has_secret: false },
  ]),
  listTemplates: vi.fn(async () => TEMPLATES),
  appInfo: vi.fn(async () => ({
    version: '0.1.0',
    data_dir: '/data',
    log_dir: '/data/logs',
    keychain_problem: null,
    storage: { outputs: 0, assets: 0 },
    demo: { demo_mode: true, demo_pace_seconds: null },
  })),
  demoSettings: vi.fn(async () => ({ demo_mode: true, demo_pace_seconds: null })),
  preflight: vi.fn(async () => ({ endpoint: 'lab', reports: [], error: null })),
  listJobs: vi.fn(async () => ({ cards: [card({ id: 'j1', state: 'queued', progress: 0 })], next: null })),
  subscribe: vi.fn(async (cb: (e: AppEvent) => void) => {
    emit = cb;
  }),
};
vi.mock('./lib/api', async (original) => {
  const real = await original<typeof import('./lib/api')>();
  return { ...real, api, assetUrl: (p: string) => `asset://${p}` };
});

const { default: App } = await import('./App.svelte');

beforeEach(() => {
  window.__animatrixLatency = [];
  localStorage.clear();
});

describe('App', () => {
  it('keeps the Tab order, shows the demo badge and routes live events to the gallery', async () => {
    render(App);
    await waitFor(() => expect(document.querySelector('main')?.getAttribute('data-ready')).toBe('true'));
    const focusables = Array.from(document.querySelectorAll<HTMLElement>('a[href], button')).slice(0, 3);
    expect(focusables.map((e) => e.dataset.testid)).toEqual(['skip-link', 'nav-studio', 'nav-settings']);
    expect(await screen.findByTestId('demo-badge')).toBeTruthy();
    expect(api.subscribe).toHaveBeenCalledTimes(1);

    await screen.findByTestId('run-card');
    emit({ type: 'job', job_id: 'j1', state: 'uploading', progress: 0.42, stage: 'Uploading 42%', emitted_at_ms: Date.now() - 5 });
    await waitFor(() => expect(window.__animatrixLatency).toHaveLength(1));
    expect(screen.getByTestId('run-stage').textContent).toBe('Uploading 42%');
    expect(window.__animatrixLatency![0]).toBeGreaterThanOrEqual(5);

    emit({ type: 'drag', over: true });
    await tick();
    expect(screen.getByTestId('drop-zone')).toBeTruthy();
    emit({ type: 'drag', over: false });
    await tick();
    expect(screen.queryByTestId('drop-zone')).toBeNull();
  });

  it('shows the Operator nav after Settings when the toggle is on', async () => {
    localStorage.setItem('animatrix.operatorView', 'true');
    render(App);
    const nav = await screen.findByTestId('nav-operator');
    expect(nav.previousElementSibling?.getAttribute('data-testid')).toBe('nav-settings');
    await fireEvent.click(screen.getByTestId('nav-settings'));
    await waitFor(() => expect(document.activeElement?.id).toBe('settings-heading'));
    expect(document.querySelector('main')?.getAttribute('data-testid')).toBe('view-settings');
  });
});
