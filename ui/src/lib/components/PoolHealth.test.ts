import { render, screen, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, resetApi } from '../api.test-util';
import type { MemberHealth, ServerMetrics } from '../bindings';

vi.mock('../api', async (original) => (await import('../api.test-util')).mockApiModule(original));
const { default: PoolHealth } = await import('./PoolHealth.svelte');
const { default: ServerMetricsCard } = await import('./ServerMetricsCard.svelte');

afterEach(resetApi);

const metrics = (endpoint: string, over: Partial<ServerMetrics> = {}): ServerMetrics => ({
  endpoint,
  runs: 4,
  completed: 3,
  failed: 1,
  failure_rate: 0.25,
  per_template: [
    { template_name: 's2v', runs: 3, completed: 2, failed: 1, failure_rate: 1 / 3, median_run_s: 95 },
    { template_name: 'animate_move', runs: 1, completed: 1, failed: 0, failure_rate: 0, median_run_s: 20 },
  ],
  ...over,
});

const member = (endpoint: string, over: Partial<MemberHealth> = {}): MemberHealth => ({
  endpoint,
  base_url: `http://${endpoint}.test`,
  reachable: true,
  queue: 2,
  gpu_name: 'cuda:0 NVIDIA H100 : cudaMallocAsync',
  vram_total: 80e9,
  vram_free: 60e9,
  metrics: metrics(endpoint),
  error: null,
  ...over,
});

describe('Operator: pool members and per-server metrics', () => {
  it("shows each member's GPU, VRAM and its runs, failure rate and median run time per template", async () => {
    api.listPools.mockResolvedValue([
      { name: 'studio', members: ['gpu-a', 'gpu-b'], settings: { failover: true, wait_warning_seconds: 600 }, is_default: true },
    ]);
    api.poolDetail.mockResolvedValue({
      pool: { name: 'studio', members: ['gpu-a', 'gpu-b'], settings: { failover: true, wait_warning_seconds: 600 }, is_default: true },
      members: [
        member('gpu-a'),
        member('gpu-b', {
          reachable: false,
          queue: null,
          gpu_name: null,
          vram_total: null,
          vram_free: null,
          metrics: metrics('gpu-b', { runs: 0, completed: 0, failed: 0, failure_rate: 0, per_template: [] }),
          error: { code: 'server_unreachable', message: 'gpu-b did not answer.', suggestion: '', detail: '' },
        }),
      ],
    });
    render(PoolHealth);
    const rows = await screen.findAllByTestId('pool-member');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByTestId('pool-member-gpu').textContent).toBe('cuda:0 NVIDIA H100 : cudaMallocAsync');
    expect(within(rows[0]!).getByTestId('pool-member-vram').textContent).toBe('60.0 GB free of 80.0 GB');
    expect(within(rows[1]!).getByTestId('pool-member-gpu').textContent).toBe('unknown');
    expect(within(rows[1]!).getByTestId('pool-member-vram').textContent).toBe('unknown');

    const [a, b] = screen.getAllByTestId('server-metrics');
    expect(a!.getAttribute('data-endpoint')).toBe('gpu-a');
    expect(within(a!).getByTestId('server-metrics-total').textContent?.trim()).toBe('4 runs, 1 failed (25%)');
    const s2v = within(a!)
      .getAllByTestId('server-metrics-template')
      .find((r) => r.getAttribute('data-template') === 's2v')!;
    expect([...s2v.querySelectorAll('td')].map((td) => td.textContent)).toEqual(['s2v', '3', '33%', '1 min 35 s']);
    expect(within(b!).getByTestId('server-metrics-empty').textContent).toBe('No runs on gpu-b yet.');
  });

  it('lists every server, pooled or not, and says why when the metrics cannot be read', async () => {
    api.serverMetrics.mockResolvedValueOnce([metrics('gpu-a'), metrics('solo', { runs: 1, completed: 1, failed: 0, failure_rate: 0, per_template: [{ template_name: 's2v', runs: 1, completed: 1, failed: 0, failure_rate: 0, median_run_s: null }] })]);
    const { unmount } = render(ServerMetricsCard);
    const tables = await screen.findAllByTestId('server-metrics');
    expect(tables.map((t) => t.getAttribute('data-endpoint'))).toEqual(['gpu-a', 'solo']);
    const solo = within(tables[1]!).getByTestId('server-metrics-template');
    expect(solo.querySelectorAll('td')[3]?.textContent).toBe('—');
    unmount();

    api.serverMetrics.mockRejectedValueOnce({ code: 'storage_error', message: 'The run history could not be read.', suggestion: 'Restart the app.' });
    render(ServerMetricsCard);
    expect((await screen.findByTestId('operator-server-metrics-error-message')).textContent).toBe('The run history could not be read.');
  });
});
