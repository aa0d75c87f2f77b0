import { render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, resetApi } from '../api.test-util';
import type { JobInput, WaitEstimate } from '../bindings';
import { ESTIMATE_REFRESH_MS } from '../target';

vi.mock('../api', async (original) => (await import('../api.test-util')).mockApiModule(original));
const { default: TargetStatus } = await import('./TargetStatus.svelte');

const estimate = (queue: number): WaitEstimate => ({
  target: 'gpu-a',
  is_pool: false,
  members: [
    {
      endpoint: 'gpu-a',
      status: { kind: 'ready', ahead: queue, run_seconds: 60, from_history: true, upload_seconds: 3, wait_seconds: queue * 60 + 3 },
    },
  ],
  ready: 1,
  queue,
  wait_seconds: queue * 60 + 3,
  summary: `~${queue} min wait on gpu-a`,
  warn: false,
  warning: null,
  threshold_seconds: 600,
});

const inputs: JobInput[] = [{ role: 'ground_truth', source: { asset: 'img-1' } }];

beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  api.listEndpoints.mockResolvedValue([
    { name: 'gpu-a', base_url: 'http://a.test', auth: { kind: 'none' }, is_default: true, has_secret: false },
  ]);
  api.listPools.mockResolvedValue([]);
});

afterEach(() => {
  vi.useRealTimers();
  resetApi();
});

describe('TargetStatus', () => {
  it('asks with the inputs, refreshes every few seconds while open and stops on unmount', async () => {
    let queue = 1;
    api.waitEstimate.mockImplementation(async () => estimate(queue));
    const { unmount } = render(TargetStatus, { template: 's2v', profile: 'draft', inputs });
    await vi.advanceTimersByTimeAsync(500);
    await waitFor(() => expect(screen.getByTestId('target-status').textContent).toBe('Server gpu-a · queue 1 · ~1 min wait on gpu-a'));
    expect(api.waitEstimate).toHaveBeenCalledTimes(1);
    expect(api.waitEstimate.mock.calls[0]).toEqual([null, 's2v', 'draft', inputs]);

    queue = 4;
    await vi.advanceTimersByTimeAsync(ESTIMATE_REFRESH_MS);
    await waitFor(() => expect(screen.getByTestId('target-status').textContent).toMatch(/queue 4/));
    expect(api.waitEstimate).toHaveBeenCalledTimes(2);

    unmount();
    await vi.advanceTimersByTimeAsync(ESTIMATE_REFRESH_MS * 3);
    expect(api.waitEstimate).toHaveBeenCalledTimes(2);
  });

  it('shows why the wait is unknown instead of hiding the failure, and recovers on the next ask', async () => {
    api.waitEstimate.mockRejectedValueOnce({
      code: 'server_unreachable',
      message: 'The server gpu-a did not answer.',
      suggestion: 'Check that it is running.',
    });
    api.waitEstimate.mockResolvedValue(estimate(2));
    render(TargetStatus, { template: 's2v', profile: 'draft', inputs: [] });
    await vi.advanceTimersByTimeAsync(500);
    const err = await screen.findByTestId('target-status-error');
    expect(err.textContent).toBe('Wait unknown: The server gpu-a did not answer.');
    expect(err.getAttribute('data-code')).toBe('server_unreachable');
    expect(screen.queryByTestId('target-status')).toBeNull();

    await vi.advanceTimersByTimeAsync(ESTIMATE_REFRESH_MS);
    await waitFor(() => expect(screen.getByTestId('target-status').textContent).toMatch(/queue 2/));
    expect(screen.queryByTestId('target-status-error')).toBeNull();
  });

  it('asks nothing until a template and a profile are known', async () => {
    render(TargetStatus, { template: null, profile: 'draft' });
    await vi.advanceTimersByTimeAsync(ESTIMATE_REFRESH_MS * 2);
    expect(api.waitEstimate).not.toHaveBeenCalled();
  });
});
