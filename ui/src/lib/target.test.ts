import { describe, expect, it } from 'vitest';
import type { EndpointView, PoolView, WaitEstimate } from './bindings';
import { statusLine, targetOptions, waitWarning } from './target';

const ep = (name: string, is_default = false): EndpointView => ({
  name,
  base_url: `http://${name}.test`,
  auth: { kind: 'none' },
  is_default,
  has_secret: false,
});

const pool = (name: string, members: string[], is_default = false): PoolView => ({
  name,
  members,
  settings: { failover: true, wait_warning_seconds: 600 },
  is_default,
});

const estimate = (over: Partial<WaitEstimate> = {}): WaitEstimate => ({
  target: 'studio',
  is_pool: true,
  members: [
    { endpoint: 'gpu-a', status: { kind: 'ready', ahead: 4, run_seconds: 120, from_history: true, upload_seconds: 0, wait_seconds: 480 } },
    { endpoint: 'gpu-b', status: { kind: 'ready', ahead: 2, run_seconds: 60, from_history: true, upload_seconds: 0, wait_seconds: 120 } },
    { endpoint: 'gpu-c', status: { kind: 'not_ready', reason: 'lacks the High model' } },
  ],
  ready: 2,
  queue: 2,
  wait_seconds: 120,
  summary: '~2 min wait on gpu-b',
  warn: false,
  warning: null,
  threshold_seconds: 600,
  ...over,
});

describe('target picker and wait status', () => {
  it('offers the default target first, then servers, then pools', () => {
    const opts = targetOptions([ep('gpu-a', true), ep('gpu-b')], [pool('studio', ['gpu-a', 'gpu-b'], true)]);
    expect(opts.map((o) => o.value)).toEqual([null, 'gpu-a', 'gpu-b', 'studio']);
    expect(opts[0]?.label).toBe('Default (studio)');
    expect(opts[3]?.label).toBe('Pool studio (2)');
    expect(targetOptions([ep('x', true)], [])[0]?.label).toBe('Default (x)');
  });

  it('says pool, readiness, queue and the wait in one line', () => {
    expect(statusLine(estimate())).toBe('Pool studio · 2 of 3 ready · queue 2 · ~2 min wait on gpu-b');
    expect(statusLine(estimate({ is_pool: false, target: 'gpu-b', queue: null, summary: 'no wait on gpu-b' }))).toBe(
      'Server gpu-b · no wait on gpu-b',
    );
  });

  it('warns only when the core says the wait passes the threshold', () => {
    expect(waitWarning(null)).toBeNull();
    expect(waitWarning(estimate())).toBeNull();
    const long = estimate({ warn: true, warning: 'The expected wait is ~12 min on gpu-b, more than the ~10 min set for studio.' });
    expect(waitWarning(long)).toContain('~12 min on gpu-b');
  });
});
