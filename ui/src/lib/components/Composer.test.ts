import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { tick } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, resetApi } from '../api.test-util';
import { MIX, S2V, SEF, STUDIOS, asset, fakePlan, record, request } from '../fixtures.test-util';
import type { AssetRecord, JobRequest, PlanIssue, PreflightResult } from '../bindings';

vi.mock('../api', async (original) => (await import('../api.test-util')).mockApiModule(original));
const { default: Composer } = await import('./Composer.svelte');

const image = asset({ id: 'img', kind: 'image', role: 'ground_truth', original_name: 'hero.png' });
const end = asset({ id: 'end', kind: 'image', role: 'end_frame', original_name: 'end.png' });
const video = asset({ id: 'vid', kind: 'video', role: 'motion_video', original_name: 'dance.mp4', duration_seconds: 5 });
const audio24 = asset({ id: 'aud', kind: 'audio', role: 'audio', original_name: 'voice.wav', duration_seconds: 24 });

/** Extra issues the fake planner adds, per test. */
let planExtra: { issues?: PlanIssue[] } = {};

beforeEach(() => {
  planExtra = {};
  api.planJob.mockImplementation(async (req: JobRequest) => fakePlan(req, planExtra));
});
afterEach(resetApi);

function pickReturns(byRole: Record<string, AssetRecord>) {
  api.pickInputs.mockImplementation(async (_template: string, role: string) => ({
    inputs: byRole[role] ? [{ asset: byRole[role], warnings: [] }] : [],
    errors: [],
  }));
}

const props = (over: Record<string, unknown> = {}) => ({
  endpointCount: 1,
  onOpenSettings: () => {},
  studios: STUDIOS,
  templatesLoaded: true,
  ...over,
});

async function attachAll(...roles: string[]) {
  for (const role of roles) {
    await fireEvent.click(screen.getByTestId(`attach-${role}`));
    await waitFor(() => expect(screen.getByTestId(`slot-${role}`).getAttribute('data-filled')).toBe('true'));
  }
}

const generate = () => screen.getByTestId('generate') as HTMLButtonElement;
const lastPlanned = () => api.planJob.mock.lastCall?.[0] as JobRequest;

describe('Composer', () => {
  it('draws every studio, its chips and its summary from the catalog, calm until the user starts', async () => {
    render(Composer, props());
    expect(STUDIOS.map((m) => screen.getByTestId(`mode-${m.mode}`).closest('label')?.textContent?.trim())).toEqual(
      STUDIOS.map((m) => m.label),
    );
    // Animate opens on its first sub-mode; its chips are the manifest's, in order.
    expect(Array.from(screen.getByTestId('input-rail').children).map((c) => c.getAttribute('data-testid'))).toEqual(
      STUDIOS[0]!.templates[0]!.inputs.map((i) => `slot-${i.role}`),
    );
    expect(screen.getByTestId('submode-mix')).toBeTruthy();
    expect(screen.getByTestId('mode-description').textContent).toBe(STUDIOS[0]!.templates[0]!.summary);
    // The can/cannot list is there on demand only.
    const details = screen.getByTestId('capabilities-details') as HTMLDetailsElement;
    expect(details.open).toBe(false);
    expect(screen.getByTestId('capabilities-cannot').textContent).toMatch(/Does not lip-sync/);

    // Untouched: the plan is asked for, Generate waits, but nothing is said in warning colour.
    await waitFor(() => expect(api.planJob).toHaveBeenCalled());
    await waitFor(() => expect(screen.getByTestId('generate-hint').textContent).toMatch(/Add the Ground Truth to generate/));
    expect(document.querySelectorAll('[data-testid^="warning-"]')).toHaveLength(0);
    expect(generate().disabled).toBe(true);

    await fireEvent.click(screen.getByTestId('mode-audio'));
    expect(screen.getByTestId('slot-audio').getAttribute('data-filled')).toBe('false');
    expect(screen.queryByTestId('slot-motion_video')).toBeNull();
    expect(screen.queryByTestId('submode-switch')).toBeNull();
    expect(screen.getByTestId('mode-description').textContent).toBe(S2V.summary);
  });

  it('without a server: the hint says so with Open Settings', async () => {
    render(Composer, props({ endpointCount: 0 }));
    expect(screen.getByTestId('generate-hint').textContent).toMatch(/Connect a server in Settings/);
    expect(screen.getByTestId('open-settings')).toBeTruthy();
  });

  it('Audio: chips with waveform and duration; the plan is asked after edits and its issues show at their controls', async () => {
    pickReturns({ ground_truth: image, audio: audio24 });
    render(Composer, props());
    await fireEvent.click(screen.getByTestId('mode-audio'));
    await attachAll('ground_truth');
    expect(api.pickInputs).toHaveBeenCalledWith('s2v', 'ground_truth', 'image', 'Ground Truth', false);
    // Touched: what is still missing shows in its chip and under the prompt.
    await waitFor(() => expect(screen.getByTestId('warning-input-audio').textContent).toBe('Add the Audio to generate.'));
    expect(screen.getByTestId('slot-ground_truth').querySelector('img')?.getAttribute('src')).toBe(
      'asset:///data/assets/img.thumb.jpg',
    );
    await attachAll('audio');
    expect(screen.getByTestId('slot-audio').querySelector('svg path')).toBeTruthy();
    expect(screen.getByTestId('chip-duration-audio').textContent).toBe('24 s');

    planExtra = {
      issues: [
        {
          code: 'audio_too_long',
          field: { kind: 'profile' },
          message: 'This audio is 24 s; Standard makes at most 15 s.',
          suggestion: 'Choose Draft, or trim the audio.',
        },
      ],
    };
    await fireEvent.input(screen.getByTestId('prompt'), { target: { value: 'she sings' } });
    const warning = await screen.findByTestId('warning-profile');
    expect(warning.textContent).toMatch(/This audio is 24 s; Standard makes at most 15 s\. Choose Draft/);
    expect(warning.parentElement?.contains(screen.getByTestId('quality'))).toBe(true);
    expect(lastPlanned()).toMatchObject({
      settings: { template: 's2v', prompt: 'she sings', framing: S2V.defaults.framing },
      inputs: [
        { role: 'ground_truth', source: { asset: 'img' } },
        { role: 'audio', source: { asset: 'aud' } },
      ],
    });
    expect(generate().disabled).toBe(true);

    planExtra = {};
    await fireEvent.click(screen.getByTestId('chip-remove-audio'));
    expect(screen.getByTestId('slot-audio').getAttribute('data-filled')).toBe('false');
    await waitFor(() => expect(screen.queryByTestId('warning-profile')).toBeNull());
  });

  it('Mix: marking the person is asked at Advanced; a tap marks it; parameters come from the template', async () => {
    pickReturns({ ground_truth: image, motion_video: video });
    api.submitJob.mockResolvedValue('job-1');
    const onSubmitted = vi.fn();
    render(Composer, props({ onSubmitted }));
    await attachAll('ground_truth', 'motion_video');
    await fireEvent.input(screen.getByTestId('prompt'), { target: { value: 'swap the dancer' } });
    await waitFor(() => expect(generate().disabled).toBe(false));

    await fireEvent.click(screen.getByTestId('submode-mix'));
    // Disabled at once (the Move plan says nothing about Mix), then the reason from Mix's plan.
    expect(generate().disabled).toBe(true);
    await waitFor(() => expect(screen.getByTestId('generate-hint').textContent).toMatch(/Mark the person first/));
    expect(screen.getByTestId('warning-advanced').textContent).toMatch(/Mark the person first/);

    await fireEvent.click(screen.getByTestId('advanced-toggle'));
    expect(screen.getByTestId('warning-points')).toBeTruthy();
    expect(screen.queryByTestId('warning-advanced')).toBeNull();
    expect((screen.getByTestId('param-background_preservation') as HTMLSelectElement).value).toBe('balanced');
    expect((screen.getByTestId('param-relight') as HTMLInputElement).checked).toBe(true);

    const frame = screen.getByTestId('points-frame');
    frame.getBoundingClientRect = () => ({ left: 0, top: 0, width: 200, height: 100, right: 200, bottom: 100, x: 0, y: 0, toJSON: () => ({}) });
    await fireEvent.click(frame, { clientX: 50, clientY: 75, detail: 1 });
    const marker = screen.getByTestId('points-mark');
    expect(marker.style.left).toBe('25%');
    expect(marker.style.top).toBe('75%');
    await waitFor(() => expect(generate().disabled).toBe(false));

    await fireEvent.change(screen.getByTestId('param-relight'), { target: { checked: false } });
    await fireEvent.click(generate());
    await waitFor(() => expect(api.submitJob).toHaveBeenCalled());
    const sent = api.submitJob.mock.calls[0]![0];
    expect(sent).toMatchObject({
      template_version: MIX.version,
      settings: {
        template: 'animate_mix',
        points: [{ x: 0.25, y: 0.75 }],
        params: { background_preservation: 'balanced', relight: false },
      },
    });
    expect(onSubmitted).toHaveBeenCalledWith('job-1', sent, expect.objectContaining({ name: 'animate_mix' }), 'animate');
  });

  it('Enter generates, Shift+Enter does not; the composer keeps its contents; Esc closes Advanced', async () => {
    pickReturns({ ground_truth: image, motion_video: video });
    api.submitJob.mockResolvedValue('job-9');
    render(Composer, props());
    await attachAll('ground_truth', 'motion_video');
    const prompt = screen.getByTestId('prompt') as HTMLTextAreaElement;
    await fireEvent.input(prompt, { target: { value: 'a dancer on a rooftop' } });
    await waitFor(() => expect(generate().disabled).toBe(false));

    await fireEvent.keyDown(prompt, { key: 'Enter', shiftKey: true });
    expect(api.submitJob).not.toHaveBeenCalled();
    await fireEvent.keyDown(prompt, { key: 'Enter' });
    await waitFor(() => expect(api.submitJob).toHaveBeenCalledTimes(1));
    expect(api.submitJob.mock.calls[0]?.[0]).toMatchObject({ settings: { prompt: 'a dancer on a rooftop' } });
    expect(prompt.value).toBe('a dancer on a rooftop');
    expect(screen.getByTestId('slot-motion_video').getAttribute('data-filled')).toBe('true');

    const toggle = screen.getByTestId('advanced-toggle');
    await fireEvent.click(toggle);
    expect(screen.getByTestId('segments-note').textContent).toBe('The length follows the Motion Video: 5.1 s, 1 segment.');
    await fireEvent.keyDown(screen.getByTestId('seed'), { key: 'Escape' });
    expect(screen.queryByTestId('advanced-drawer')).toBeNull();
    expect(document.activeElement).toBe(toggle);
  });

  it('picks a pool, shows its wait beside Generate and warns before a long one', async () => {
    pickReturns({ ground_truth: image, motion_video: video });
    api.submitJob.mockResolvedValue('job-7');
    api.listEndpoints.mockResolvedValue([
      { name: 'gpu-a', base_url: 'http://a.test', auth: { kind: 'none' }, is_default: true, has_secret: false },
    ]);
    api.listPools.mockResolvedValue([
      { name: 'studio', members: ['gpu-a', 'gpu-b'], settings: { failover: true, wait_warning_seconds: 600 }, is_default: false },
    ]);
    api.waitEstimate.mockImplementation(async (target: string | null) => ({
      target: target ?? 'gpu-a',
      is_pool: target === 'studio',
      members: ['gpu-a', 'gpu-b'].map((endpoint) => ({
        endpoint,
        status: { kind: 'ready' as const, ahead: 6, run_seconds: 120, from_history: true, upload_seconds: 0, wait_seconds: 720 },
      })),
      ready: 2,
      queue: 6,
      wait_seconds: 720,
      summary: '~12 min wait on gpu-b',
      warn: target === 'studio',
      warning: target === 'studio' ? 'The expected wait is ~12 min on gpu-b, more than the ~10 min set for studio.' : null,
      threshold_seconds: 600,
    }));
    render(Composer, props());
    await attachAll('ground_truth', 'motion_video');
    await fireEvent.input(screen.getByTestId('prompt'), { target: { value: 'a dancer' } });
    const picker = (await screen.findByTestId('target-picker')) as HTMLSelectElement;
    await waitFor(() => expect(picker.options.length).toBe(3));
    picker.value = 'studio';
    await fireEvent.change(picker);
    await waitFor(() => expect(screen.getByTestId('target-status').textContent).toBe('Pool studio · 2 of 2 ready · queue 6 · ~12 min wait on gpu-b'));
    await waitFor(() => expect(generate().disabled).toBe(false));

    await fireEvent.click(generate());
    await waitFor(() => expect(screen.getByTestId('wait-warning').textContent).toMatch(/~12 min on gpu-b/));
    expect(api.submitJob).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId('generate-anyway'));
    await waitFor(() => expect(api.submitJob).toHaveBeenCalledTimes(1));
    expect(api.submitJob.mock.calls[0]?.[0]).toMatchObject({ target: 'studio' });
    expect(screen.queryByTestId('wait-warning')).toBeNull();
  });

  it('Generate never submits on a stale plan: an issue that appears meanwhile stops it', async () => {
    pickReturns({ ground_truth: image, motion_video: video });
    render(Composer, props());
    await attachAll('ground_truth', 'motion_video');
    const prompt = screen.getByTestId('prompt');
    await fireEvent.input(prompt, { target: { value: 'ok' } });
    await waitFor(() => expect(generate().disabled).toBe(false));
    planExtra = { issues: [{ code: 'prompt_too_long', field: { kind: 'prompt' }, message: 'The prompt is too long.', suggestion: '' }] };
    await fireEvent.input(prompt, { target: { value: 'ok, longer' } });
    await fireEvent.keyDown(prompt, { key: 'Enter' });
    expect(await screen.findByTestId('warning-prompt')).toBeTruthy();
    expect(api.submitJob).not.toHaveBeenCalled();
  });

  it('shows a submit error with its code', async () => {
    pickReturns({ ground_truth: image, motion_video: video });
    api.submitJob.mockRejectedValue({ code: 'server_unreachable', message: 'The server is busy.', suggestion: 'Try again later.' });
    render(Composer, props());
    await attachAll('ground_truth', 'motion_video');
    await fireEvent.input(screen.getByTestId('prompt'), { target: { value: 'x' } });
    await waitFor(() => expect(generate().disabled).toBe(false));
    await fireEvent.click(generate());
    const err = await screen.findByTestId('submit-error');
    expect(err.getAttribute('data-code')).toBe('server_unreachable');
    expect(err.textContent).toMatch(/Try again later/);
  });

  it('Start/End Frame: dropped pictures fill the start then the end chip; the length is asked for', async () => {
    api.importInput.mockImplementation(async (path: string) => ({ asset: path.includes('end') ? end : image, warnings: [] }));
    const onDemoPack = vi.fn();
    const { component, rerender } = render(Composer, props({ onDemoPack }));
    await fireEvent.click(screen.getByTestId('mode-start_end_frame'));
    await rerender(props({ onDemoPack, dragOver: true }));
    expect(screen.getByTestId('drop-zone')).toBeTruthy();
    await component.handleDrop([
      { path: '/in/start.png', kind: 'image', error: null },
      { path: '/in/end.png', kind: 'image', error: null },
      { path: '/in/voice.wav', kind: 'audio', error: null },
      { path: '/in/show.animatrix-demo', kind: 'demo_pack', error: null },
    ]);
    await tick();
    expect(api.importInput).toHaveBeenCalledWith('/in/start.png', 'start_end_frame', 'ground_truth');
    expect(api.importInput).toHaveBeenCalledWith('/in/end.png', 'start_end_frame', 'end_frame');
    expect(onDemoPack).toHaveBeenCalledWith('/in/show.animatrix-demo');
    expect(screen.getByTestId('drop-message').textContent).toMatch(/voice\.wav” is audio: switch to Audio to use it/);
    expect(screen.getByTestId('slot-end_frame').getAttribute('data-filled')).toBe('true');
    expect(screen.getByTestId('slot-ground_truth').textContent).toMatch(SEF.inputs[0]!.label);

    await fireEvent.click(screen.getByTestId('advanced-toggle'));
    await fireEvent.input(screen.getByTestId('target-duration'), { target: { value: '3' } });
    await waitFor(() => expect(lastPlanned()?.settings.target_duration_secs).toBe(3));
    expect(lastPlanned()?.inputs.map((i) => i.role)).toEqual(['ground_truth', 'end_frame']);
    expect(screen.queryByTestId('points-frame')).toBeNull();
  });

  it("says the server's readiness in its own words, and what it cannot run blocks", async () => {
    pickReturns({ ground_truth: image });
    const preflight: PreflightResult = {
      endpoint: 'lab',
      error: null,
      reports: [
        {
          template: 'animate_mix',
          version: MIX.version,
          status: 'unavailable',
          ready: false,
          verdict: 'needs an NVIDIA GPU: Replacing a person runs SAM2 segmentation',
          profiles: [],
          ready_profiles: [],
          missing_nodes: [],
          missing_models: [],
          devices: [],
          auto_downloads: [],
          auto_download_note: null,
        },
      ],
    };
    render(Composer, props({ preflight }));
    await attachAll('ground_truth');
    await fireEvent.click(screen.getByTestId('submode-mix'));
    const w = await screen.findByTestId('warning-template');
    expect(w.textContent).toMatch(/cannot make this yet: needs an NVIDIA GPU/);
    expect(generate().disabled).toBe(true);
  });

  it('demo mode: Perform loads the run, Generate performs it and never submits', async () => {
    const job = record({
      id: 'demo-1',
      is_demo: true,
      mode: 'audio',
      template: { name: 's2v', version: '1.0.0' },
      prompt: 'she sings in the rain',
      request: request({ template: 's2v', prompt: 'she sings in the rain', framing: 'portrait' }),
    });
    api.demoTimeline.mockResolvedValue({
      job,
      inputs: [
        { role: 'ground_truth', position: 0, uploaded_name: null, asset: image },
        { role: 'audio', position: 0, uploaded_name: null, asset: { ...audio24, duration_seconds: 6 } },
      ],
      duration_ms: 1000,
      steps: [],
      video_path: '/d/out.mp4',
      poster_path: null,
    });
    const onPerform = vi.fn().mockResolvedValue(undefined);
    const { component } = render(Composer, props({ endpointCount: 0, demoMode: true, onPerform }));
    expect(screen.getByTestId('warning-demo')).toBeTruthy();
    await component.loadDemo('demo-1');
    await tick();
    expect((screen.getByTestId('prompt') as HTMLTextAreaElement).value).toBe('she sings in the rain');
    expect(screen.getByTestId('slot-audio').getAttribute('data-filled')).toBe('true');
    expect((screen.getByTestId('mode-audio') as HTMLInputElement).checked).toBe(true);
    await fireEvent.click(generate());
    expect(onPerform).toHaveBeenCalledWith('demo-1');
    expect(api.submitJob).not.toHaveBeenCalled();
  });
});
