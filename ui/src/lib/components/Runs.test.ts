import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { tick } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, resetApi } from '../api.test-util';
import { STUDIOS, asset, card, record, request } from '../fixtures.test-util';
import type { UserError } from '../bindings';

vi.mock('../api', async (original) => (await import('../api.test-util')).mockApiModule(original));
const { default: Runs } = await import('./Runs.svelte');
const { default: RunCard } = await import('./RunCard.svelte');

beforeEach(() => {
  api.listJobs.mockResolvedValue({ cards: [], next: null });
});
afterEach(resetApi);

const image = asset({ id: 'img', kind: 'image', role: 'ground_truth', original_name: 'hero.png' });
const endImage = asset({ id: 'end', kind: 'image', role: 'end_frame', original_name: 'last.png' });

describe('Runs', () => {
  it('merges a job update into its card; Cancel calls cancelJob', async () => {
    api.listJobs.mockResolvedValue({
      cards: [card({ id: 'j1', state: 'queued', progress: 0, clip: null }), card({ id: 'j2', is_demo: true })],
      next: null,
    });
    api.cancelJob.mockResolvedValue(record({ id: 'j1', state: 'cancelled' }));
    const { component } = render(Runs, { studios: STUDIOS });
    const first = await screen.findAllByTestId('run-card');
    expect(first).toHaveLength(2);
    expect(first[1]?.getAttribute('data-demo')).toBe('true');
    expect(first[1]?.querySelector('[data-testid="run-demo-badge"]')).toBeTruthy();
    expect(first[1]?.querySelector('[data-testid="run-poster"]')?.getAttribute('src')).toBe('asset:///data/jobs/j2/poster.jpg');
    // The clip's length as measured when it was collected.
    expect(first[1]?.querySelector('[data-testid="run-duration"]')?.textContent).toBe('0:05');
    expect(first[1]?.querySelector('[data-testid="run-studio"]')?.textContent).toBe('Animate · Move');

    component.applyUpdate({
      job_id: 'j1',
      state: 'executing',
      progress: 0.63,
      stage: 'Generating 63%, about 3 min left',
      preview_path: '/data/jobs/j1/preview.jpg',
    });
    await tick();
    const c1 = screen.getAllByTestId('run-card')[0]!;
    expect(c1.getAttribute('data-state')).toBe('executing');
    expect(c1.querySelector('[data-testid="run-stage"]')?.textContent).toBe('Generating 63%, about 3 min left');
    expect((c1.querySelector('[data-testid="run-progress"]') as HTMLProgressElement).value).toBeCloseTo(0.63);
    expect(c1.querySelector('[data-testid="run-preview"]')?.getAttribute('src')).toBe('asset:///data/jobs/j1/preview.jpg');

    await fireEvent.click(c1.querySelector('[data-testid="run-cancel"]')!);
    expect(api.cancelJob).toHaveBeenCalledWith('j1');
  });

  it('filters by the studios of the catalog; searches prompts (debounced); empty state when nothing matches', async () => {
    render(Runs, { studios: STUDIOS });
    await waitFor(() => expect(api.listJobs).toHaveBeenCalledTimes(1));
    const modes = Array.from((screen.getByTestId('runs-filter-mode') as HTMLSelectElement).options).map((o) => o.value);
    expect(modes).toEqual(['', ...STUDIOS.map((m) => m.mode)]);
    await fireEvent.input(screen.getByTestId('runs-search'), { target: { value: 'rooftop' } });
    await waitFor(() =>
      expect(api.listJobs).toHaveBeenLastCalledWith(
        expect.objectContaining({ search: 'rooftop', mode: null, state: null, demo: null, before: null, limit: 24 }),
      ),
    );
    expect((await screen.findByTestId('runs-empty')).textContent).toMatch(/No runs match/);
    await fireEvent.change(screen.getByTestId('runs-filter-mode'), { target: { value: 'start_end_frame' } });
    await waitFor(() => expect(api.listJobs).toHaveBeenLastCalledWith(expect.objectContaining({ mode: 'start_end_frame' })));
  });

  it('loads more pages with the button', async () => {
    const cursor = { created_at: 1, id: 'j1', seq: 1 };
    api.listJobs
      .mockResolvedValueOnce({ cards: [card({ id: 'j1' })], next: cursor })
      .mockResolvedValueOnce({ cards: [card({ id: 'j0' })], next: null });
    render(Runs, { studios: STUDIOS });
    await fireEvent.click(await screen.findByTestId('runs-more'));
    await waitFor(() => expect(screen.getAllByTestId('run-card')).toHaveLength(2));
    expect(api.listJobs).toHaveBeenLastCalledWith(expect.objectContaining({ before: cursor }));
    expect(screen.queryByTestId('runs-more')).toBeNull();
  });

  it('opens a run: template, prompt id, quality, clip, options and inputs by role in the catalog words', async () => {
    const failed: UserError = { code: 'server_out_of_memory', message: 'The server ran out of memory.', suggestion: 'Choose Draft.', detail: '' };
    const job = record({
      id: 'j1',
      state: 'failed',
      error: failed,
      mode: 'pose_control',
      template: { name: 'pose_control', version: '1.0.0' },
      profile: 'draft',
      request: request({ template: 'pose_control', params: { control: 'edges' } }),
    });
    api.listJobs.mockResolvedValue({ cards: [{ job, preview_path: null }], next: null });
    api.jobDetail.mockResolvedValue({
      job,
      inputs: [
        { role: 'ground_truth', position: 0, uploaded_name: 'x.png', asset: image },
        { role: 'end_frame', position: 0, uploaded_name: null, asset: endImage },
      ],
      outputs: [],
      events: [],
      job_dir: '/data/jobs/j1',
      library_origin: null,
    });
    api.retryJob.mockResolvedValue('j2');
    render(Runs, { studios: STUDIOS });
    await fireEvent.click(await screen.findByTestId('run-open'));
    const dialog = await screen.findByTestId('run-view');
    expect(dialog.getAttribute('data-job-id')).toBe('j1');
    await screen.findByTestId('run-seed');
    expect(screen.getByTestId('run-seed').textContent?.trim()).toBe('42');
    expect(screen.getByTestId('run-template').textContent).toBe('pose_control@1.0.0');
    expect(dialog.querySelector('[data-testid="run-studio"]')?.textContent).toBe('Pose Control');
    expect(screen.getByTestId('run-prompt-id').textContent).toBe('p-j1');
    expect(screen.getByTestId('run-quality').textContent).toBe('Draft · 9:16');
    expect(screen.getByTestId('run-clip').textContent).toMatch(/4\.8 s · 480×832/);
    expect(screen.getByTestId('run-options').textContent).toBe('Follow the video as: Edges');
    expect(screen.getByTestId('run-error').getAttribute('data-code')).toBe('server_out_of_memory');
    expect(screen.getByTestId('run-timings').textContent).toMatch(/Waited 1 s.*ran 1 min/s);
    const inputs = screen.getAllByTestId('run-input').map((i) => i.textContent?.replace(/\s+/g, ' ').trim());
    // Its own template's label, then another template's label for a role it does not have.
    expect(inputs).toEqual(['Character: hero.png', 'End Frame: last.png']);
    expect(screen.getByTestId('run-video').getAttribute('src')).toBe('blob:/data/jobs/j1/out.mp4');
    expect(screen.getByTestId('run-retry')).toBeTruthy();

    await fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByTestId('run-view')).toBeNull();
    await tick();
    expect(document.activeElement).toBe(screen.getByTestId('run-open'));
  });

  it('exports the selected runs as a demo pack, without the server name by default', async () => {
    api.listJobs.mockResolvedValue({ cards: [card({ id: 'j1' }), card({ id: 'j2' })], next: null });
    api.demoExport.mockResolvedValue({
      path: '/home/me/show.animatrix-demo',
      label: 'show',
      job_ids: ['j2'],
      members: 5,
      bytes: 2_400_000,
      uncompressed_bytes: 2_500_000,
      includes_endpoint: false,
    });
    render(Runs, { studios: STUDIOS });
    const selects = await screen.findAllByTestId('run-select');
    expect((screen.getByTestId('runs-export') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(selects[1]!);
    await fireEvent.click(screen.getByTestId('runs-export'));
    expect((screen.getByTestId('demo-export-include-endpoint') as HTMLInputElement).checked).toBe(false);
    await fireEvent.click(screen.getByTestId('demo-export-confirm'));
    expect(api.demoExport).toHaveBeenCalledWith(['j2'], null, false);
    expect((await screen.findByTestId('demo-summary')).textContent).toMatch(/Exported 1 run \(2\.4 MB\)/);
  });
});

describe('RunCard', () => {
  const handlers = () => ({ onOpen: vi.fn(), onCancel: vi.fn(), onSelect: vi.fn() });

  it('shows the live stage, progress and preview of a running run; Cancel calls its callback', async () => {
    const h = handlers();
    const c = card({ id: 'j1', state: 'queued', progress: 0, clip: null });
    render(RunCard, {
      card: c,
      studios: STUDIOS,
      update: { job_id: 'j1', state: 'executing', progress: 0.4, stage: 'Generating 40%', preview_path: '/p/j1.jpg' },
      ...h,
    });
    const el = screen.getByTestId('run-card');
    expect(el.getAttribute('data-job-id')).toBe('j1');
    expect(el.getAttribute('data-state')).toBe('executing');
    expect(el.getAttribute('data-demo')).toBe('false');
    expect(el.classList.contains('running')).toBe(true);
    expect(screen.getByTestId('run-stage').textContent?.trim()).toBe('Generating 40%');
    expect(screen.getByTestId('run-stage').getAttribute('aria-live')).toBe('polite');
    const progress = screen.getByTestId('run-progress') as HTMLProgressElement;
    expect(progress.value).toBeCloseTo(0.4);
    expect(progress.getAttribute('aria-label')).toBe('Progress 40%');
    expect(screen.getByTestId('run-preview').getAttribute('src')).toBe('asset:///p/j1.jpg');
    expect(screen.queryByTestId('run-poster')).toBeNull();
    expect(screen.queryByTestId('run-duration')).toBeNull();
    expect((screen.getByTestId('run-select') as HTMLInputElement).disabled).toBe(true);

    await fireEvent.click(screen.getByTestId('run-cancel'));
    expect(h.onCancel).toHaveBeenCalledWith(c);
    // A button inside the card does not also open it.
    expect(h.onOpen).not.toHaveBeenCalled();
  });

  it('a finished demo run: poster, badge, no Cancel; selecting and opening call back', async () => {
    const h = handlers();
    render(RunCard, { card: card({ id: 'd1', is_demo: true }), studios: STUDIOS, selected: true, ...h });
    expect(screen.getByTestId('run-card').getAttribute('data-demo')).toBe('true');
    expect(screen.getByTestId('run-demo-badge')).toBeTruthy();
    expect(screen.getByTestId('run-poster')).toBeTruthy();
    expect(screen.queryByTestId('run-progress')).toBeNull();
    expect(screen.queryByTestId('run-cancel')).toBeNull();
    expect(screen.getByTestId('run-stage').textContent?.trim()).toBe('Done');

    const select = screen.getByTestId('run-select') as HTMLInputElement;
    expect(select.checked).toBe(true);
    await fireEvent.click(select);
    expect(h.onSelect).toHaveBeenCalledWith('d1', false);
    expect(h.onOpen).not.toHaveBeenCalled();

    await fireEvent.click(screen.getByTestId('run-open'));
    expect(h.onOpen).toHaveBeenCalledWith('d1');
    await fireEvent.click(screen.getByTestId('run-card').querySelector('.excerpt')!);
    expect(h.onOpen).toHaveBeenCalledTimes(2);
  });

  it('a run of a studio the app no longer has still reads', () => {
    render(RunCard, {
      card: card({ id: 'o1', mode: 'old_studio', template: { name: 'old_thing', version: '0.9.0' } }),
      studios: STUDIOS,
      ...handlers(),
    });
    expect(screen.getByTestId('run-studio').textContent).toBe('Old studio');
  });
});
