import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { tick } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chipFromAsset, defaultSettings, emptyAttachments, slotsForMode, type Issue } from '../composer';
import { MIX, S2V, TEMPLATES, asset, card, record, request } from '../fixtures.test-util';
import { reactive } from '../reactive.test-util.svelte';
import type { AssetRecord, DoctorReport, JobPage, Role } from '../types';

// Every command the components may call, as a mock; `assetUrl`/`videoUrl` need no Tauri.
const api = {
  appInfo: vi.fn(),
  addEndpoint: vi.fn(),
  updateEndpoint: vi.fn(),
  removeEndpoint: vi.fn(),
  setDefaultEndpoint: vi.fn(),
  testEndpoint: vi.fn(),
  pickInputs: vi.fn(),
  importInput: vi.fn(),
  submitJob: vi.fn(),
  listJobs: vi.fn(),
  jobDetail: vi.fn(),
  cancelJob: vi.fn(),
  retryJob: vi.fn(),
  replayJob: vi.fn(),
  revealJob: vi.fn(),
  exportVideo: vi.fn(),
  serverQueue: vi.fn(),
  listTemplates: vi.fn(),
  preflight: vi.fn(),
  metrics: vi.fn(),
  openLogFolder: vi.fn(),
  setDemoSettings: vi.fn(),
  demoExport: vi.fn(),
  demoImport: vi.fn(),
  demoTimeline: vi.fn(),
  demoPerform: vi.fn(),
  demoStop: vi.fn(),
};
vi.mock('../api', async (original) => {
  const real = await original<typeof import('../api')>();
  return {
    ...real,
    api,
    assetUrl: (p: string) => `asset://${p}`,
    videoUrl: async (p: string) => `blob:${p}`,
  };
});

const { default: Composer } = await import('./Composer.svelte');
const { default: EndpointForm } = await import('./EndpointForm.svelte');
const { default: Runs } = await import('./Runs.svelte');
const { default: Settings } = await import('./Settings.svelte');
const { default: Operator } = await import('./Operator.svelte');
const { default: RunCard } = await import('./RunCard.svelte');
const { default: ChipRail } = await import('./ChipRail.svelte');
const { default: AdvancedDrawer } = await import('./AdvancedDrawer.svelte');

const emptyPage: JobPage = { cards: [], next: null };

beforeEach(() => {
  api.listJobs.mockResolvedValue(emptyPage);
  api.appInfo.mockResolvedValue({
    version: '0.1.0',
    data_dir: '/data',
    log_dir: '/data/logs',
    keychain_problem: null,
    storage: { outputs: 1_500_000_000, assets: 20_000_000 },
    demo: { demo_mode: false, demo_pace_seconds: null },
  });
});
afterEach(() => {
  for (const fn of Object.values(api)) fn.mockReset();
});

const image = asset({ id: 'img', kind: 'image', role: 'ground_truth', original_name: 'hero.png' });
const video = asset({
  id: 'vid',
  kind: 'video',
  role: 'motion_video',
  original_name: 'dance.mp4',
  fps: 30,
  frame_count: 150,
  duration_seconds: 5,
});
const audio24 = asset({ id: 'aud', kind: 'audio', role: 'audio', original_name: 'voice.wav', duration_seconds: 24 });

function pickReturns(byRole: Partial<Record<Role, AssetRecord>>) {
  api.pickInputs.mockImplementation(async (role: Role) => ({
    inputs: byRole[role] ? [{ asset: byRole[role], warnings: [] }] : [],
    errors: [],
  }));
}

const composerProps = (over: Record<string, unknown> = {}) => ({
  endpointCount: 1,
  onOpenSettings: () => {},
  templates: TEMPLATES,
  templatesLoaded: true,
  ...over,
});

async function attachAll(...roles: Role[]) {
  for (const role of roles) {
    await fireEvent.click(screen.getByTestId(`attach-${role}`));
    await waitFor(() => expect(screen.getByTestId(`slot-${role}`).getAttribute('data-filled')).toBe('true'));
  }
}

describe('Composer', () => {
  it('switches the input chips with the mode and keeps Generate disabled with the reason', async () => {
    render(Composer, { endpointCount: 0, onOpenSettings: () => {} });
    expect(screen.getByTestId('slot-motion_video')).toBeTruthy();
    expect(screen.queryByTestId('slot-audio')).toBeNull();

    await fireEvent.click(screen.getByTestId('mode-audio'));
    expect(screen.getByTestId('slot-audio').getAttribute('data-filled')).toBe('false');
    expect(screen.queryByTestId('slot-motion_video')).toBeNull();
    expect(screen.getByTestId('mode-description').textContent).toMatch(/does not replace/);

    const generate = screen.getByTestId('generate') as HTMLButtonElement;
    expect(generate.disabled).toBe(true);
    expect(screen.getByTestId('generate-hint').textContent).toMatch(/Connect a server in Settings/);
    expect(screen.getByTestId('open-settings')).toBeTruthy();
  });

  it('shows chips with thumbnails, the audio waveform and duration, and a warning at the quality control', async () => {
    pickReturns({ ground_truth: image, audio: audio24 });
    render(Composer, composerProps());
    await fireEvent.click(screen.getByTestId('mode-audio'));
    // Missing inputs are named in their own chip.
    expect(screen.getByTestId('slot-ground_truth').querySelector('[data-testid="warning-ground_truth"]')).toBeTruthy();
    await attachAll('ground_truth', 'audio');
    expect(api.pickInputs).toHaveBeenCalledWith('ground_truth', false);
    expect(screen.getByTestId('slot-ground_truth').querySelector('img')?.getAttribute('src')).toBe(
      'asset:///data/assets/img.thumb.jpg',
    );
    expect(screen.getByTestId('slot-audio').querySelector('svg path')).toBeTruthy();
    expect(screen.getByTestId('chip-audio-duration').textContent).toBe('24 s');
    await fireEvent.input(screen.getByTestId('prompt'), { target: { value: 'she sings' } });

    const warning = screen.getByTestId('warning-duration');
    expect(warning.classList.contains('warning')).toBe(true);
    expect(warning.textContent).toMatch(/This audio is 24 s; Standard makes at most 15 s/);
    // Next to the quality control: in the same control group.
    expect(warning.parentElement?.contains(screen.getByTestId('quality'))).toBe(true);
    expect((screen.getByTestId('generate') as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.click(screen.getByTestId('chip-remove-audio'));
    expect(screen.getByTestId('slot-audio').getAttribute('data-filled')).toBe('false');
    expect(screen.queryByTestId('warning-duration')).toBeNull();
  });

  it('Mix needs a point on the first frame; parameters come from the template', async () => {
    pickReturns({ ground_truth: image, motion_video: video });
    render(Composer, composerProps());
    await attachAll('ground_truth', 'motion_video');
    await fireEvent.input(screen.getByTestId('prompt'), { target: { value: 'swap the dancer' } });
    expect((screen.getByTestId('generate') as HTMLButtonElement).disabled).toBe(false);

    await fireEvent.click(screen.getByTestId('advanced-toggle'));
    await fireEvent.click(screen.getByTestId('submode-mix'));
    expect((screen.getByTestId('generate') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('generate-hint').textContent).toMatch(/tap the person/);
    expect(screen.getByTestId('warning-point')).toBeTruthy();
    expect((screen.getByTestId('param-background_preservation') as HTMLSelectElement).value).toBe('balanced');
    expect((screen.getByTestId('param-relight') as HTMLInputElement).checked).toBe(true);

    const frame = screen.getByTestId('mix-frame');
    frame.getBoundingClientRect = () => ({ left: 0, top: 0, width: 200, height: 100, right: 200, bottom: 100, x: 0, y: 0, toJSON: () => ({}) });
    await fireEvent.click(frame, { clientX: 50, clientY: 75, detail: 1 });
    const marker = screen.getByTestId('mix-point');
    expect(marker.style.left).toBe('25%');
    expect(marker.style.top).toBe('75%');
    expect((screen.getByTestId('generate') as HTMLButtonElement).disabled).toBe(false);

    api.submitJob.mockResolvedValue('job-1');
    await fireEvent.change(screen.getByTestId('param-relight'), { target: { checked: false } });
    await fireEvent.click(screen.getByTestId('generate'));
    expect(api.submitJob).toHaveBeenCalledWith(
      expect.objectContaining({
        animate_mode: 'mix',
        points: [{ x: 0.25, y: 0.75 }],
        params: { background_preservation: 'balanced', relight: false },
      }),
    );
  });

  it('Enter generates, Shift+Enter does not; the composer keeps its contents; Esc closes the drawer', async () => {
    pickReturns({ ground_truth: image, motion_video: video });
    api.submitJob.mockResolvedValue('job-9');
    const onSubmitted = vi.fn();
    render(Composer, composerProps({ onSubmitted }));
    await attachAll('ground_truth', 'motion_video');
    const prompt = screen.getByTestId('prompt') as HTMLTextAreaElement;
    await fireEvent.input(prompt, { target: { value: 'a dancer on a rooftop' } });

    await fireEvent.keyDown(prompt, { key: 'Enter', shiftKey: true });
    expect(api.submitJob).not.toHaveBeenCalled();
    await fireEvent.keyDown(prompt, { key: 'Enter' });
    await waitFor(() => expect(onSubmitted).toHaveBeenCalledWith('job-9', expect.objectContaining({ mode: 'animate' })));
    expect(api.submitJob.mock.calls[0]?.[0]).toMatchObject({
      prompt: 'a dancer on a rooftop',
      inputs: { image: { asset: 'img' }, video: { asset: 'vid' } },
    });
    expect(prompt.value).toBe('a dancer on a rooftop');
    expect(screen.getByTestId('slot-motion_video').getAttribute('data-filled')).toBe('true');

    const toggle = screen.getByTestId('advanced-toggle');
    await fireEvent.click(toggle);
    expect(screen.getByTestId('segments-note').textContent).toBe('5 s of motion: 3 segments.');
    await fireEvent.keyDown(screen.getByTestId('seed'), { key: 'Escape' });
    expect(screen.queryByTestId('advanced-drawer')).toBeNull();
    expect(document.activeElement).toBe(toggle);
  });

  it('shows a submit error with its code', async () => {
    pickReturns({ ground_truth: image, motion_video: video });
    api.submitJob.mockRejectedValue({ code: 'server_busy', message: 'The server is busy.', suggestion: 'Try again later.' });
    render(Composer, composerProps());
    await attachAll('ground_truth', 'motion_video');
    await fireEvent.input(screen.getByTestId('prompt'), { target: { value: 'x' } });
    await fireEvent.click(screen.getByTestId('generate'));
    const err = await screen.findByTestId('submit-error');
    expect(err.getAttribute('data-code')).toBe('server_busy');
    expect(err.textContent).toMatch(/Try again later/);
  });

  it('assigns dropped files by kind and explains a wrong kind; shows the drop zone', async () => {
    api.importInput.mockImplementation(async (path: string, role: Role) => ({
      asset: path.endsWith('.mp4') ? video : { ...image, role },
      warnings: [],
    }));
    const onDemoPack = vi.fn();
    const { component, rerender } = render(Composer, composerProps({ onDemoPack }));
    await rerender(composerProps({ onDemoPack, dragOver: true }));
    expect(screen.getByTestId('drop-zone')).toBeTruthy();
    await component.handleDrop([
      { path: '/in/hero.png', kind: 'image', error: null },
      { path: '/in/dance.mp4', kind: 'video', error: null },
      { path: '/in/voice.wav', kind: 'audio', error: null },
      { path: '/in/show.animatrix-demo', kind: 'demo_pack', error: null },
    ]);
    await tick();
    expect(api.importInput).toHaveBeenCalledWith('/in/hero.png', 'ground_truth');
    expect(api.importInput).toHaveBeenCalledWith('/in/dance.mp4', 'motion_video');
    expect(api.importInput).not.toHaveBeenCalledWith('/in/voice.wav', expect.anything());
    expect(onDemoPack).toHaveBeenCalledWith('/in/show.animatrix-demo');
    expect(screen.getByTestId('drop-message').textContent).toMatch(/voice\.wav” is audio: switch to Audio mode/);
    expect(screen.getByTestId('slot-motion_video').getAttribute('data-filled')).toBe('true');
  });

  it('shows the capabilities of the template and warns when the server lacks its parts', () => {
    render(
      Composer,
      composerProps({
        preflight: {
          endpoint: 'lab',
          error: null,
          reports: [
            {
              template: 'animate_move',
              version: '1.0.0',
              ready: false,
              ready_profiles: [],
              missing_nodes: [{ class: 'DWPreprocessor', pack: 'aux', pack_name: 'Aux', pack_url: '' }],
              missing_models: [],
              auto_downloads: [],
            },
          ],
        },
      }),
    );
    expect(screen.getByTestId('capabilities').textContent).toMatch(/Does not lip-sync to audio/);
    const w = screen.getByTestId('warning-template');
    expect(w.textContent).toMatch(/cannot make Animate videos yet/);
    expect(document.body.textContent).not.toMatch(/DWPreprocessor/);
  });

  it('demo mode: Perform loads the run, Generate performs it and never submits', async () => {
    api.demoTimeline.mockResolvedValue({
      job_id: 'demo-1',
      is_demo: true,
      mode: 'audio',
      template_name: 's2v',
      template_version: '1.0.0',
      profile: 'standard',
      aspect: '9:16',
      prompt: 'she sings in the rain',
      negative_prompt: '',
      settings: request({ mode: 'audio', animate_mode: null, prompt: 'she sings in the rain', framing: 'portrait' }),
      inputs: [
        { role: 'ground_truth', position: 0, asset_id: 'a1', kind: 'image', original_name: 'hero.png', path: '/d/hero.png', thumbnail_path: '/d/hero.jpg', width: 1, height: 1, duration_seconds: null, waveform: null },
        { role: 'audio', position: 0, asset_id: 'a2', kind: 'audio', original_name: 'song.wav', path: '/d/song.wav', thumbnail_path: null, width: null, height: null, duration_seconds: 6, waveform: [0.1, 0.5] },
      ],
      duration_ms: 1000,
      steps: [],
      video_path: '/d/out.mp4',
      poster_path: null,
    });
    const onPerform = vi.fn().mockResolvedValue(undefined);
    const { component } = render(Composer, composerProps({ endpointCount: 0, demoMode: true, onPerform, templates: [S2V, MIX] }));
    expect(screen.getByTestId('warning-demo')).toBeTruthy();
    await component.loadDemo('demo-1');
    await tick();
    expect((screen.getByTestId('prompt') as HTMLTextAreaElement).value).toBe('she sings in the rain');
    expect(screen.getByTestId('slot-audio').getAttribute('data-filled')).toBe('true');
    await fireEvent.click(screen.getByTestId('generate'));
    expect(onPerform).toHaveBeenCalledWith('demo-1');
    expect(api.submitJob).not.toHaveBeenCalled();
  });
});

describe('Runs', () => {
  it('merges a job update into its card; Cancel calls cancelJob', async () => {
    api.listJobs.mockResolvedValue({
      cards: [card({ id: 'j1', state: 'queued', progress: 0 }), card({ id: 'j2', is_demo: true })],
      next: null,
    });
    api.cancelJob.mockResolvedValue(record({ id: 'j1', state: 'cancelled' }));
    const { component } = render(Runs, {});
    const first = await screen.findAllByTestId('run-card');
    expect(first).toHaveLength(2);
    expect(first[1]?.getAttribute('data-demo')).toBe('true');
    expect(first[1]?.querySelector('[data-testid="run-demo-badge"]')).toBeTruthy();
    expect(first[1]?.querySelector('[data-testid="run-poster"]')).toBeTruthy();

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

  it('searches prompts (debounced) and shows an empty state when nothing matches', async () => {
    render(Runs, {});
    await waitFor(() => expect(api.listJobs).toHaveBeenCalledTimes(1));
    await fireEvent.input(screen.getByTestId('runs-search'), { target: { value: 'rooftop' } });
    await waitFor(() =>
      expect(api.listJobs).toHaveBeenLastCalledWith(
        expect.objectContaining({ search: 'rooftop', mode: null, state: null, demo: null, before: null, limit: 24 }),
      ),
    );
    expect((await screen.findByTestId('runs-empty')).textContent).toMatch(/No runs match/);
  });

  it('loads more pages with the button', async () => {
    const cursor = { created_at: 1, id: 'j1', seq: 1 };
    api.listJobs
      .mockResolvedValueOnce({ cards: [card({ id: 'j1' })], next: cursor })
      .mockResolvedValueOnce({ cards: [card({ id: 'j0' })], next: null });
    render(Runs, {});
    await fireEvent.click(await screen.findByTestId('runs-more'));
    await waitFor(() => expect(screen.getAllByTestId('run-card')).toHaveLength(2));
    expect(api.listJobs).toHaveBeenLastCalledWith(expect.objectContaining({ before: cursor }));
    expect(screen.queryByTestId('runs-more')).toBeNull();
  });

  it('opens a run with its details; Esc closes it and focus returns to the card', async () => {
    api.listJobs.mockResolvedValue({
      cards: [card({ id: 'j1', state: 'failed', error: { code: 'oom', message: 'The server ran out of memory.', suggestion: 'Choose Draft.', detail: '' } })],
      next: null,
    });
    api.jobDetail.mockResolvedValue({
      job: record({ id: 'j1', state: 'failed', error: { code: 'oom', message: 'The server ran out of memory.', suggestion: 'Choose Draft.', detail: '' } }),
      inputs: [{ role: 'ground_truth', position: 0, uploaded_name: 'x.png', asset: image }],
      outputs: [],
      events: [],
      job_dir: '/data/jobs/j1',
    });
    api.retryJob.mockResolvedValue('j2');
    render(Runs, {});
    const open = await screen.findByTestId('run-open');
    await fireEvent.click(open);
    const dialog = await screen.findByTestId('run-view');
    expect(dialog.getAttribute('data-job-id')).toBe('j1');
    await screen.findByTestId('run-seed');
    expect(screen.getByTestId('run-seed').textContent).toBe('42');
    expect(screen.getByTestId('run-template').textContent).toBe('animate_move@1.0.0');
    expect(screen.getByTestId('run-prompt-id').textContent).toBe('p-j1');
    expect(screen.getByTestId('run-error').getAttribute('data-code')).toBe('oom');
    expect(screen.getByTestId('run-timings').textContent).toMatch(/Waited 1 s.*ran 1 min/s);
    expect(screen.getByTestId('run-inputs').textContent).toMatch(/hero\.png/);
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
    render(Runs, {});
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
    const c = card({ id: 'j1', state: 'queued', progress: 0 });
    render(RunCard, {
      card: c,
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
    expect((screen.getByTestId('run-select') as HTMLInputElement).disabled).toBe(true);

    await fireEvent.click(screen.getByTestId('run-cancel'));
    expect(h.onCancel).toHaveBeenCalledWith(c);
    // A button inside the card does not also open it.
    expect(h.onOpen).not.toHaveBeenCalled();
  });

  it('a finished demo run: poster, badge, no Cancel; selecting and opening call back', async () => {
    const h = handlers();
    render(RunCard, { card: card({ id: 'd1', is_demo: true }), selected: true, ...h });
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
});

describe('ChipRail', () => {
  it('shows the slots of the mode, their thumbnails and warnings; + and × call back', async () => {
    const onPick = vi.fn();
    const onRemove = vi.fn();
    const issues: Issue[] = [{ topic: 'ground_truth', message: 'Add your character.', blocking: true }];
    render(ChipRail, {
      slots: slotsForMode('audio'),
      attachments: { ...emptyAttachments(), audio: chipFromAsset(audio24) },
      busyRoles: ['reference'],
      issues,
      onPick,
      onRemove,
    });
    expect(screen.getByTestId('slot-ground_truth').getAttribute('data-filled')).toBe('false');
    expect(screen.getByTestId('warning-ground_truth').textContent).toBe('Add your character.');
    expect(screen.getByTestId('slot-audio').getAttribute('data-filled')).toBe('true');
    expect(screen.getByTestId('slot-audio').querySelector('svg.wave path')?.getAttribute('d')).toMatch(/^M0\.5 /);
    expect(screen.getByTestId('chip-audio-duration').textContent).toBe('24 s');
    expect(screen.getByTestId('slot-reference').getAttribute('aria-busy')).toBe('true');
    expect((screen.getByTestId('attach-reference') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.queryByTestId('attach-audio')).toBeNull();

    await fireEvent.click(screen.getByTestId('attach-ground_truth'));
    expect(onPick).toHaveBeenCalledWith('ground_truth');
    await fireEvent.click(screen.getByTestId('chip-remove-audio'));
    expect(onRemove).toHaveBeenCalledWith('audio');
  });
});

describe('AdvancedDrawer', () => {
  const drawerProps = (over: Record<string, unknown> = {}) => ({
    settings: reactive({ ...defaultSettings(), subMode: 'mix' as const }),
    template: MIX,
    attachments: emptyAttachments(),
    issues: [] as Issue[],
    onOpenSettings: () => {},
    onClose: vi.fn(),
    ...over,
  });

  it('renders the parameters of the template with their values and help', () => {
    render(AdvancedDrawer, drawerProps());
    const choice = screen.getByTestId('param-background_preservation') as HTMLSelectElement;
    expect(choice.tagName).toBe('SELECT');
    expect(Array.from(choice.options).map((o) => o.value)).toEqual(['high', 'balanced', 'low']);
    expect(choice.getAttribute('aria-describedby')).toBe('param-background_preservation-help');
    expect(document.getElementById('param-background_preservation-help')?.textContent).toBe(
      'How tightly the person is cut out.',
    );
    expect((screen.getByTestId('param-relight') as HTMLInputElement).type).toBe('checkbox');
    // Mix without the motion video: no frame to tap yet.
    expect(screen.queryByTestId('mix-frame')).toBeNull();
    expect(screen.getByTestId('submode-mix')).toBeTruthy();
    expect(screen.queryByTestId('framing')).toBeNull();
  });

  it('edits the settings it is given; Esc anywhere in the drawer calls onClose, other keys do not', async () => {
    const onClose = vi.fn();
    const props = drawerProps({ onClose });
    render(AdvancedDrawer, props);
    await fireEvent.input(screen.getByTestId('seed'), { target: { value: '123' } });
    expect(props.settings.seed).toBe(123);
    await fireEvent.change(screen.getByTestId('param-relight'), { target: { checked: false } });
    expect(props.settings.params).toMatchObject({ relight: false });
    await fireEvent.click(screen.getByTestId('seed-random'));
    expect(props.settings.seed).toBe(-1);
    expect(document.getElementById('seed-help')?.textContent?.trim()).toBe('-1 picks a new random seed each time.');
    await fireEvent.keyDown(screen.getByTestId('seed'), { key: 'a' });
    expect(onClose).not.toHaveBeenCalled();
    await fireEvent.keyDown(screen.getByTestId('negative-prompt'), { key: 'Escape' });
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('Audio mode offers the framings of the template', () => {
    render(AdvancedDrawer, drawerProps({ settings: reactive({ ...defaultSettings(), mode: 'audio', framing: 'half_body' }), template: S2V }));
    const framing = screen.getByTestId('framing') as HTMLSelectElement;
    expect(Array.from(framing.options).map((o) => o.value)).toEqual(['portrait', 'half_body', 'full_body']);
    expect(screen.queryByTestId('submode-move')).toBeNull();
  });
});

const report: DoctorReport = {
  endpoint: 'lab',
  reachable: true,
  auth_ok: true,
  comfyui_version: '0.3.66',
  gpu_name: 'NVIDIA RTX 4090',
  vram_total: 24_000_000_000,
  vram_free: 20_000_000_000,
  queue_len: 2,
  max_upload_size: null,
  websocket_ok: true,
  usable: false,
  problems: [{ code: 'missing_nodes', message: 'Some nodes are missing.', suggestion: 'Install the packs.' }],
  warnings: [],
};

describe('Settings', () => {
  it('tests a connection and shows what the server said', async () => {
    api.testEndpoint.mockResolvedValue(report);
    render(Settings, {
      endpoints: [{ name: 'lab', base_url: 'https://lab.example', auth: { kind: 'none' }, is_default: true, has_secret: false }],
      endpointsError: null,
      onEndpointsChanged: async () => {},
    });
    expect((await screen.findByTestId('storage-used')).textContent).toMatch(/1\.5 GB/);
    await fireEvent.click(screen.getByTestId('endpoint-test'));
    expect(api.testEndpoint).toHaveBeenCalledWith('lab');
    const result = await screen.findByTestId('endpoint-test-result');
    expect(result.textContent).toMatch(/Reachable\s*Yes/);
    expect(result.textContent).toMatch(/Signed in\s*Yes/);
    expect(result.textContent).toMatch(/0\.3\.66/);
    expect(result.textContent).toMatch(/NVIDIA RTX 4090/);
    expect(result.textContent).toMatch(/20\.0 GB free of 24\.0 GB/);
    expect(result.textContent).toMatch(/2 waiting or running/);
    expect(result.textContent).toMatch(/Some nodes are missing\.\s*Install the packs\./);
  });

  it('edits a server: an empty secret keeps the stored one', async () => {
    api.updateEndpoint.mockResolvedValue({});
    const onEndpointsChanged = vi.fn().mockResolvedValue(undefined);
    render(Settings, {
      endpoints: [{ name: 'lab', base_url: 'https://lab.example', auth: { kind: 'bearer' }, is_default: true, has_secret: true }],
      endpointsError: null,
      onEndpointsChanged,
    });
    await fireEvent.click(screen.getByTestId('endpoint-edit'));
    await fireEvent.input(screen.getByTestId('endpoint-edit-url'), { target: { value: 'https://lab2.example' } });
    await fireEvent.click(screen.getByTestId('endpoint-edit-save'));
    expect(api.updateEndpoint).toHaveBeenCalledWith({
      name: 'lab',
      base_url: 'https://lab2.example',
      auth: { kind: 'bearer' },
      secret: null,
    });
  });

  it('turns demo mode on and shows the operator toggle', async () => {
    api.setDemoSettings.mockImplementation(async (s: unknown) => s);
    const onDemoChanged = vi.fn();
    const onOperatorViewChange = vi.fn();
    render(Settings, { endpoints: [], endpointsError: null, onEndpointsChanged: async () => {}, onDemoChanged, onOperatorViewChange });
    await screen.findByTestId('storage-used');
    await fireEvent.click(screen.getByTestId('demo-mode-toggle'));
    await waitFor(() => expect(onDemoChanged).toHaveBeenCalledWith({ demo_mode: true, demo_pace_seconds: null }));
    await fireEvent.click(screen.getByTestId('operator-toggle'));
    expect(onOperatorViewChange).toHaveBeenCalledWith(true);
  });
});

describe('Operator', () => {
  it("lists our prompts with their ids and others' prompts without any content", async () => {
    api.serverQueue.mockResolvedValue({
      endpoint: 'lab',
      items: [
        { position: 0, running: true, job_id: null, prompt_id: 'their-prompt-id', prompt_excerpt: 'SECRET of someone else' },
        { position: 1, running: false, job_id: 'j1', prompt_id: 'p-j1', prompt_excerpt: 'a dancer on a rooftop' },
      ],
    });
    api.testEndpoint.mockResolvedValue(report);
    api.listTemplates.mockResolvedValue(TEMPLATES);
    api.preflight.mockResolvedValue({ endpoint: 'lab', error: null, reports: [] });
    api.listJobs.mockResolvedValue({ cards: [card({ id: 'j1' }), card({ id: 'j2', comfy_prompt_id: 'zz-99' })], next: null });
    api.metrics.mockResolvedValue({ jobs_per_day: [], per_template: [], storage_bytes: { outputs: 0, assets: 0 } });
    api.jobDetail.mockResolvedValue({
      job: record({ id: 'j2' }),
      inputs: [],
      outputs: [],
      events: [{ id: 1, at: 1000, kind: 'submitted', state: 'queued', data: {} }],
      job_dir: '',
    });
    render(Operator, {
      endpoints: [{ name: 'lab', base_url: 'https://lab.example', auth: { kind: 'none' }, is_default: true, has_secret: false }],
    });
    const other = await screen.findByTestId('operator-queue-other');
    expect(other.textContent).toMatch(/Another user's prompt/);
    const queue = screen.getByTestId('operator-queue');
    expect(queue.textContent).not.toMatch(/SECRET/);
    expect(queue.textContent).not.toMatch(/their-prompt-id/);
    expect(screen.getByTestId('operator-queue-ours').textContent).toMatch(/j1.*p-j1.*a dancer/s);
    expect(api.preflight).toHaveBeenCalledWith('lab');

    await fireEvent.input(screen.getByTestId('operator-job-filter'), { target: { value: 'zz-9' } });
    const rows = screen.getAllByTestId('operator-job');
    expect(rows.map((r) => r.getAttribute('data-job-id'))).toEqual(['j2']);
    await fireEvent.click(rows[0]!.querySelector('button')!);
    expect((await screen.findByTestId('operator-events')).textContent).toMatch(/submitted/);
  });
});

describe('EndpointForm', () => {
  it('shows the header and secret fields only for the kinds that use them', async () => {
    render(EndpointForm, { existingNames: [], onAdded: () => {} });
    expect(screen.queryByTestId('endpoint-form-secret')).toBeNull();
    expect(screen.queryByTestId('endpoint-form-header-name')).toBeNull();

    const auth = screen.getByTestId('endpoint-form-auth') as HTMLSelectElement;
    await fireEvent.change(auth, { target: { value: 'bearer' } });
    const secret = screen.getByTestId('endpoint-form-secret') as HTMLInputElement;
    expect(secret.type).toBe('password');
    expect(screen.queryByTestId('endpoint-form-header-name')).toBeNull();

    await fireEvent.change(auth, { target: { value: 'header' } });
    expect(screen.getByTestId('endpoint-form-header-name')).toBeTruthy();
  });

  it('shows field errors and sends nothing when invalid', async () => {
    render(EndpointForm, { existingNames: ['production'], onAdded: () => {} });
    await fireEvent.input(screen.getByTestId('endpoint-form-name'), { target: { value: 'production' } });
    await fireEvent.input(screen.getByTestId('endpoint-form-url'), { target: { value: 'ftp://x' } });
    await fireEvent.click(screen.getByTestId('endpoint-form-submit'));
    expect(screen.getByTestId('endpoint-form-name-error').textContent).toMatch(/already exists/);
    expect(screen.getByTestId('endpoint-form-url-error').textContent).toMatch(/https:\/\//);
    expect(screen.getByTestId('endpoint-form-name').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(screen.getByTestId('endpoint-form-name'));
    expect(api.addEndpoint).not.toHaveBeenCalled();
  });

  it('sends a valid form, clears the secret, and shows a core error as message + suggestion', async () => {
    api.addEndpoint.mockRejectedValueOnce({
      code: 'keychain_unavailable',
      message: 'Your system keychain is not reachable.',
      suggestion: 'Install and unlock a Secret Service keyring.',
    });
    render(EndpointForm, { existingNames: [], onAdded: () => {} });
    await fireEvent.input(screen.getByTestId('endpoint-form-name'), { target: { value: 'lab' } });
    await fireEvent.input(screen.getByTestId('endpoint-form-url'), { target: { value: 'https://lab.example' } });
    await fireEvent.change(screen.getByTestId('endpoint-form-auth'), { target: { value: 'bearer' } });
    await fireEvent.input(screen.getByTestId('endpoint-form-secret'), { target: { value: 'tok-123' } });
    await fireEvent.click(screen.getByTestId('endpoint-form-submit'));

    expect(api.addEndpoint).toHaveBeenCalledWith({
      name: 'lab',
      base_url: 'https://lab.example',
      auth: { kind: 'bearer' },
      make_default: false,
      secret: 'tok-123',
    });
    expect(await screen.findByTestId('endpoint-form-error-message')).toBeTruthy();
    expect(screen.getByTestId('endpoint-form-error-suggestion').textContent).toMatch(/keyring/);
    expect((screen.getByTestId('endpoint-form-secret') as HTMLInputElement).value).toBe('');
    expect(screen.queryByTestId('endpoint-form-secret-error')).toBeNull();
  });
});
