import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, resetApi } from '../api.test-util';
import { MIX, STUDIOS, card, record } from '../fixtures.test-util';
import type { DoctorReport, PreflightReport } from '../bindings';

vi.mock('../api', async (original) => (await import('../api.test-util')).mockApiModule(original));
const { default: EndpointForm } = await import('./EndpointForm.svelte');
const { default: Settings } = await import('./Settings.svelte');
const { default: Operator } = await import('./Operator.svelte');

beforeEach(() => {
  api.listJobs.mockResolvedValue({ cards: [], next: null });
  api.appInfo.mockResolvedValue({
    version: '0.1.0',
    data_dir: '/data',
    log_dir: '/data/logs',
    keychain_problem: null,
    storage: { outputs: 1_500_000_000, assets: 20_000_000 },
    demo: { demo_mode: false, demo_pace_seconds: null },
  });
});
afterEach(resetApi);

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
  problems: [{ code: 'nodes_missing', message: 'Some nodes are missing.', suggestion: 'Install the packs.', detail: '' }],
  warnings: [],
};

const lab = { name: 'lab', base_url: 'https://lab.example', auth: { kind: 'none' as const }, is_default: true, has_secret: false };

describe('Settings', () => {
  it('tests a connection and shows what the server said', async () => {
    api.testEndpoint.mockResolvedValue(report);
    render(Settings, { endpoints: [lab], endpointsError: null, onEndpointsChanged: async () => {} });
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
    api.updateEndpoint.mockResolvedValue({ ...lab, auth: { kind: 'bearer' } });
    render(Settings, {
      endpoints: [{ ...lab, auth: { kind: 'bearer' }, has_secret: true }],
      endpointsError: null,
      onEndpointsChanged: vi.fn().mockResolvedValue(undefined),
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
    api.setDemoSettings.mockImplementation(async (s) => s);
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
  it("lists our prompts with their ids and others' prompts without any content; readiness per server; typed events", async () => {
    api.serverQueue.mockResolvedValue({
      endpoint: 'lab',
      items: [
        { position: 0, running: true, job_id: null, prompt_id: 'their-prompt-id', prompt_excerpt: 'SECRET of someone else' },
        { position: 1, running: false, job_id: 'j1', prompt_id: 'p-j1', prompt_excerpt: 'a dancer on a rooftop' },
      ],
    });
    api.testEndpoint.mockResolvedValue(report);
    api.listTemplates.mockResolvedValue(STUDIOS);
    const mix: PreflightReport = {
      template: MIX.name,
      version: MIX.version,
      status: 'unavailable',
      ready: false,
      verdict: 'needs an NVIDIA GPU: SAM2 runs on CUDA',
      profiles: [],
      ready_profiles: [],
      missing_nodes: [],
      missing_models: [],
      devices: [],
      auto_downloads: [{ file: 'depth.pth', folder: 'annotators', note: '' }],
      auto_download_note: 'A server without internet access must have them pre-seeded.',
    };
    api.preflight.mockResolvedValue({ endpoint: 'lab', error: null, reports: [mix] });
    api.listJobs.mockResolvedValue({ cards: [card({ id: 'j1' }), card({ id: 'j2', prompt_id: 'zz-99' })], next: null });
    api.metrics.mockResolvedValue({ jobs_per_day: [], per_template: [], storage_bytes: { outputs: 0, assets: 0 } });
    api.jobDetail.mockResolvedValue({
      job: record({ id: 'j2' }),
      inputs: [],
      outputs: [],
      events: [
        { id: 1, at: 1000, data: { kind: 'prompt_posted', prompt_id: 'zz-99', number: 3 } },
        { id: 2, at: 2000, data: { kind: 'state', state: 'failed', error: { code: 'server_out_of_memory', message: 'Out of memory.', suggestion: '', detail: '' } } },
      ],
      job_dir: '',
      library_origin: null,
    });
    render(Operator, { endpoints: [lab] });
    const other = await screen.findByTestId('operator-queue-other');
    expect(other.textContent).toMatch(/Another user's prompt/);
    const queue = screen.getByTestId('operator-queue');
    expect(queue.textContent).not.toMatch(/SECRET/);
    expect(queue.textContent).not.toMatch(/their-prompt-id/);
    expect(screen.getByTestId('operator-queue-ours').textContent).toMatch(/j1.*p-j1.*a dancer/s);
    expect(api.preflight).toHaveBeenCalledWith('lab');

    const rows = await screen.findAllByTestId('operator-template');
    expect(rows.map((r) => r.getAttribute('data-template'))).toEqual(STUDIOS.flatMap((m) => m.templates).map((t) => `${t.name}@${t.version}`));
    const mixRow = rows.find((r) => r.getAttribute('data-template') === `${MIX.name}@${MIX.version}`)!;
    expect(mixRow.querySelector('[data-testid="operator-verdict"]')?.textContent).toBe('needs an NVIDIA GPU: SAM2 runs on CUDA');
    expect(mixRow.textContent).toMatch(/annotators\/depth\.pth\.\s*A server without internet access must have them pre-seeded/);

    await fireEvent.input(screen.getByTestId('operator-job-filter'), { target: { value: 'zz-9' } });
    const jobs = screen.getAllByTestId('operator-job');
    expect(jobs.map((r) => r.getAttribute('data-job-id'))).toEqual(['j2']);
    await fireEvent.click(jobs[0]!.querySelector('button')!);
    const events = await screen.findByTestId('operator-events');
    await waitFor(() => expect(events.textContent).toMatch(/Prompt zz-99 accepted by the server \(number 3\)/));
    expect(events.textContent).toMatch(/Failed: Out of memory\. \(server_out_of_memory\)/);

    // Refresh asks the self-loading cards (pools, per-server metrics) again with the rest.
    const before = api.serverMetrics.mock.calls.length;
    await waitFor(() => expect(screen.getByTestId('operator-refresh').hasAttribute('disabled')).toBe(false));
    await fireEvent.click(screen.getByTestId('operator-refresh'));
    await waitFor(() => expect(api.serverMetrics.mock.calls.length).toBe(before + 1));
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
