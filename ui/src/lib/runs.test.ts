import { describe, expect, it } from 'vitest';
import { MOVE, card, request } from './fixtures.test-util';
import { initLatency, recordLatency, LATENCY_CAP } from './latency';
import {
  cardView,
  eventText,
  describeExport,
  describeImport,
  mergeCards,
  placeholderCard,
  queryFor,
  runsCount,
  stageLabel,
  timings,
  withUpdate,
} from './runs';

describe('runs rules', () => {
  it('builds the list query from the filters', () => {
    expect(queryFor({ search: '  roof ', mode: 'audio', state: '' }, null)).toEqual({
      search: 'roof',
      mode: 'audio',
      state: null,
      demo: null,
      before: null,
      limit: 24,
    });
  });

  it('applies a live update and shows its stage while running', () => {
    const job = card({ id: 'a', state: 'queued', progress: 0 }).job;
    const u = { job_id: 'a', state: 'executing' as const, progress: 0.63, stage: 'Generating 63%, about 3 min left' };
    expect(withUpdate(job, u)).toMatchObject({ state: 'executing', progress: 0.63 });
    expect(stageLabel(withUpdate(job, u), u)).toBe('Generating 63%, about 3 min left');
    expect(stageLabel(job, undefined)).toBe('Waiting in queue');
  });

  it('a pool job names the server it was sent to as soon as it is routed', () => {
    const job = { ...card({ id: 'p', state: 'validating', progress: 0 }).job, endpoint: null };
    const routed = { job_id: 'p', state: 'validating' as const, progress: 0, stage: 'Checking', endpoint: 'gpu-b' };
    expect(withUpdate(job, routed).endpoint).toBe('gpu-b');
    const later = { job_id: 'p', state: 'executing' as const, progress: 0.2, stage: 'Generating 20%' };
    expect(withUpdate(withUpdate(job, routed), later).endpoint).toBe('gpu-b');
  });

  it('merges pages by id: known cards replaced in place, new ones prepended', () => {
    const a = card({ id: 'a' });
    const b = card({ id: 'b' });
    const a2 = card({ id: 'a', prompt: 'new' });
    const c = card({ id: 'c' });
    const merged = mergeCards([a, b], [c, a2], true);
    expect(merged.map((x) => x.job.id)).toEqual(['c', 'a', 'b']);
    expect(merged[1]?.job.prompt).toBe('new');
  });

  it('a placeholder shows a just-submitted run', () => {
    expect(placeholderCard('n', request({ prompt: 'hello' }), MOVE, 'animate', 5).job).toMatchObject({
      id: 'n',
      state: 'validating',
      prompt: 'hello',
      mode: 'animate',
      template: { name: 'animate_move' },
      times: { created_at: 5 },
    });
  });

  it('says each kind of event in words', () => {
    expect(eventText({ kind: 'queue_position', ahead: 2 })).toBe('2 ahead in the queue');
    expect(eventText({ kind: 'progress', fraction: 0.5 })).toBe('Progress 50%');
    expect(eventText({ kind: 'state', state: 'collecting' })).toBe('Saving');
    expect(
      eventText({ kind: 'routed', endpoint: 'b', summary: 'sent to b: ~2 min wait', alternatives: ['a: ~9 min', 'c: lacks the High model'] }),
    ).toBe('Sent to b: ~2 min wait (a: ~9 min; c: lacks the High model)');
    expect(eventText({ kind: 'unknown' })).toMatch(/newer version/);
  });

  it('timings: queue wait and run time', () => {
    expect(timings(card({ id: 'a' }).job)).toEqual({ waitSecs: 1, runSecs: 60 });
  });

  it('the latency probe keeps at most 2000 entries', () => {
    const log = initLatency();
    log.length = 0;
    recordLatency(undefined);
    expect(log).toHaveLength(0);
    for (let i = 0; i < LATENCY_CAP + 5; i++) recordLatency(1000, 1000 + i);
    expect(log).toHaveLength(LATENCY_CAP);
    expect(log[log.length - 1]).toBe(LATENCY_CAP + 4);
    expect(window.__animatrixLatency).toBe(log);
  });
});

describe('what the gallery says', () => {
  it('a card with a live update runs and shows its preview; a finished one does not', () => {
    const c = card({ id: 'a', state: 'queued', progress: 0 }, { preview_path: '/old.jpg' });
    const v = cardView(c, { job_id: 'a', state: 'executing', progress: 0.5, stage: 'x', preview_path: '/new.jpg' });
    expect(v).toMatchObject({ running: true, preview: '/new.jpg', job: { state: 'executing', progress: 0.5 } });
    expect(cardView(c, undefined)).toMatchObject({ running: true, preview: '/old.jpg' });
    expect(cardView(card({ id: 'b' }), undefined)).toMatchObject({ running: false, preview: null });
  });

  it('counts runs and summarises demo pack imports and exports', () => {
    expect(runsCount(1)).toBe('1 run');
    expect(runsCount(0)).toBe('0 runs');
    const imported = { label: 'show', created_at: 1, runs: [], imported: 1, already_present: 0, bytes: 2_400_000 };
    expect(describeImport(imported)).toBe('Imported 1 run from “show” (2.4 MB).');
    expect(describeImport({ ...imported, imported: 3, already_present: 2 })).toBe(
      'Imported 3 runs from “show” (2.4 MB); 2 already here.',
    );
    const exported = {
      path: '/p/show.animatrix-demo',
      label: 'show',
      job_ids: ['a', 'b'],
      members: 5,
      bytes: 2_400_000,
      uncompressed_bytes: 1,
      includes_endpoint: false,
    };
    expect(describeExport(exported)).toBe('Exported 2 runs (2.4 MB) to /p/show.animatrix-demo.');
    expect(describeExport({ ...exported, job_ids: ['a'], includes_endpoint: true })).toBe(
      'Exported 1 run (2.4 MB) to /p/show.animatrix-demo, with the server name.',
    );
  });
});
