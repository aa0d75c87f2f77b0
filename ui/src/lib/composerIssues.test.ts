import { describe, expect, it } from 'vitest';
import { blockerOf, shownFor, type IssueContext } from './composerIssues';
import { MIX, MOVE, S2V, fakePlan, request } from './fixtures.test-util';
import { readinessLine } from './readiness';
import type { PreflightReport, PreflightResult } from './bindings';

function ctx(over: Partial<IssueContext> = {}): IssueContext {
  return {
    touched: false,
    endpointCount: 1,
    templatesLoaded: true,
    template: MOVE,
    demoMode: false,
    demoLoaded: false,
    preflight: null,
    profile: 'standard',
    planState: { plan: fakePlan(request({ prompt: '' }, [])), error: null, key: 'k' },
    advancedOpen: false,
    ...over,
  };
}

function report(over: Partial<PreflightReport>): PreflightReport {
  return {
    template: MIX.name,
    version: MIX.version,
    status: 'ready',
    ready: true,
    verdict: 'ready',
    profiles: [],
    ready_profiles: ['draft', 'standard', 'high'],
    missing_nodes: [],
    missing_models: [],
    devices: [],
    auto_downloads: [],
    auto_download_note: null,
    ...over,
  };
}

const preflight = (r: PreflightReport): PreflightResult => ({ endpoint: 'lab', reports: [r], error: null });

describe('a calm composer', () => {
  it('shows no warning on an untouched form, only the first thing to do next to Generate', () => {
    const c = ctx();
    for (const key of ['input-ground_truth', 'input-motion_video', 'prompt', 'template', 'advanced', 'readiness']) {
      expect(shownFor(c, key)).toEqual([]);
    }
    expect(blockerOf(c)?.message).toBe('Add the Ground Truth to generate.');
  });

  it('once touched, each issue shows at its control', () => {
    const c = ctx({ touched: true });
    expect(shownFor(c, 'input-motion_video')).toMatchObject([
      { message: 'Add the Motion Video to generate.', suggestion: 'Attach a file as Motion Video.', blocking: true },
    ]);
    expect(shownFor(c, 'prompt').map((s) => s.message)).toEqual(['Describe the shot in the prompt.']);
    expect(shownFor(c, 'template')).toEqual([]);
  });

  it("a plan of the template the user just left is not shown for the new one", () => {
    const movePlan = fakePlan(request({ prompt: '' }, []));
    const c = ctx({ touched: true, template: S2V, planState: { plan: movePlan, error: null, key: 'k' } });
    expect(blockerOf(c)).toBeNull();
    expect(shownFor(c, 'input-ground_truth')).toEqual([]);
  });

  it('issues of Advanced controls wait at its toggle while it is closed', () => {
    const plan = fakePlan(request({ template: 'animate_mix' }));
    const closed = ctx({ touched: true, template: MIX, planState: { plan, error: null, key: 'k' } });
    expect(shownFor(closed, 'points')).toEqual([]);
    expect(shownFor(closed, 'advanced').map((s) => s.message)).toEqual(['Mark the person first.']);
    const open = { ...closed, advancedOpen: true };
    expect(shownFor(open, 'advanced')).toEqual([]);
    expect(shownFor(open, 'points').map((s) => s.message)).toEqual(['Mark the person first.']);
  });

  it('an issue of a control the template has none of is said at the summary; warnings are muted', () => {
    const plan = fakePlan(request(), {
      issues: [{ code: 'unknown_framing', field: { kind: 'framing' }, message: 'No framing here.', suggestion: '' }],
      warnings: [{ code: 'video_trimmed', field: { kind: 'input', role: 'motion_video' }, message: 'Only the first 5 s are used.', suggestion: '' }],
    });
    const c = ctx({ touched: true, planState: { plan, error: null, key: 'k' } });
    expect(shownFor(c, 'template')).toMatchObject([{ message: 'No framing here.', blocking: true }]);
    expect(shownFor(c, 'input-motion_video')).toMatchObject([{ message: 'Only the first 5 s are used.', blocking: false }]);
  });
});

describe('what else stops Generate', () => {
  it('servers first: loading, then none configured', () => {
    expect(blockerOf(ctx({ endpointCount: null }))?.message).toBe('Checking your servers…');
    expect(blockerOf(ctx({ endpointCount: 0 }))).toMatchObject({ key: 'server', openSettings: true });
  });

  it('demo mode needs a loaded demo run, and then nothing else', () => {
    expect(blockerOf(ctx({ demoMode: true }))?.key).toBe('demo');
    expect(blockerOf(ctx({ demoMode: true, demoLoaded: true, endpointCount: 0 }))).toBeNull();
  });

  it('no catalog yet, or none installed', () => {
    expect(blockerOf(ctx({ template: null, templatesLoaded: false }))?.message).toBe('Loading the studios…');
    expect(blockerOf(ctx({ template: null }))?.message).toMatch(/No studio is installed/);
  });

  it("the server's report in its own words: a template it cannot run, a profile it lacks", () => {
    const ready = fakePlan(request({ template: 'animate_mix', points: [{ x: 0.5, y: 0.5 }] }));
    const base = { touched: true, template: MIX, planState: { plan: ready, error: null, key: 'k' } };
    const gpu = report({ status: 'unavailable', ready: false, ready_profiles: [], verdict: 'needs an NVIDIA GPU: SAM2 runs on CUDA.' });
    const c = ctx({ ...base, preflight: preflight(gpu) });
    expect(blockerOf(c)?.message).toBe('Your server “lab” cannot make this yet: needs an NVIDIA GPU: SAM2 runs on CUDA.');
    expect(blockerOf(c)?.suggestion).toMatch(/Ask whoever runs the server/);
    expect(shownFor(c, 'readiness')).toEqual([]);

    const limited = report({
      status: 'limited',
      verdict: 'ready (High unavailable: missing big.safetensors)',
      ready_profiles: ['draft', 'standard'],
      profiles: [{ profile: 'high', label: 'High', ready: false, missing: ['big.safetensors'], variant: null }],
    });
    const ok = ctx({ ...base, preflight: preflight(limited) });
    expect(blockerOf(ok)).toBeNull();
    expect(shownFor(ok, 'readiness')[0]?.message).toBe('Server “lab”: ready (High unavailable: missing big.safetensors)');
    const high = ctx({ ...base, preflight: preflight(limited), profile: 'high' });
    expect(blockerOf(high)?.message).toBe(
      'Your server cannot make High quality yet (missing big.safetensors): choose Draft or Standard.',
    );
    expect(shownFor(high, 'profile')).toHaveLength(1);
  });

  it('a server that could not be asked is said, not blocking', () => {
    const failed: PreflightResult = {
      endpoint: 'lab',
      reports: [],
      error: { code: 'server_unreachable', message: 'The server does not answer.', suggestion: '', detail: '' },
    };
    expect(readinessLine(failed, S2V)).toBe('Could not check your server “lab”: The server does not answer.');
    expect(readinessLine(null, S2V)).toBeNull();
  });
});
