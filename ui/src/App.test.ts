import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { tick } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, events, resetApi } from './lib/api.test-util';
import { STUDIOS, card, fakePlan } from './lib/fixtures.test-util';
import type { AppEvent, JobRequest } from './lib/bindings';

vi.mock('./lib/api', async (original) => (await import('./lib/api.test-util')).mockApiModule(original));
const { default: App } = await import('./App.svelte');

const emit = (e: AppEvent) => events.emit(e);

beforeEach(() => {
  window.__animatrixLatency = [];
  localStorage.clear();
  api.listEndpoints.mockResolvedValue([
    { name: 'lab', base_url: 'https://lab.example', auth: { kind: 'none' }, is_default: true, has_secret: false },
  ]);
  api.listTemplates.mockResolvedValue(STUDIOS);
  api.appInfo.mockResolvedValue({
    version: '0.1.0',
    data_dir: '/data',
    log_dir: '/data/logs',
    keychain_problem: null,
    storage: { outputs: 0, assets: 0 },
    demo: { demo_mode: true, demo_pace_seconds: null },
  });
  api.demoSettings.mockResolvedValue({ demo_mode: true, demo_pace_seconds: null });
  api.preflight.mockResolvedValue({ endpoint: 'lab', reports: [], error: null });
  api.planJob.mockImplementation(async (req: JobRequest) => fakePlan(req));
  api.listJobs.mockResolvedValue({ cards: [card({ id: 'j1', state: 'queued', progress: 0, clip: null })], next: null });
});
afterEach(resetApi);

describe('App', () => {
  it('keeps the Tab order, shows the demo badge and routes live events to the gallery', async () => {
    render(App);
    await waitFor(() => expect(document.querySelector('main')?.getAttribute('data-ready')).toBe('true'));
    const focusables = Array.from(document.querySelectorAll<HTMLElement>('a[href], button')).slice(0, 3);
    expect(focusables.map((e) => e.dataset.testid)).toEqual(['skip-link', 'nav-studio', 'nav-settings']);
    expect(await screen.findByTestId('demo-badge')).toBeTruthy();
    // The composer is drawn from the catalog the app loaded.
    expect(await screen.findByTestId(`mode-${STUDIOS[0]!.mode}`)).toBeTruthy();

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
