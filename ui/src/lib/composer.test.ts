import { describe, expect, it } from 'vitest';
import {
  MODES,
  assignDrops,
  attach,
  FRAMINGS,
  buildRequest,
  chipFromAsset,
  chipMeta,
  chunksFor,
  composerIssues,
  defaultSettings,
  detach,
  emptyAttachments,
  framingsFor,
  generateBlocker,
  lastSeed,
  nudgedPoint,
  planSegments,
  pointFromClick,
  reconcileParams,
  seedHelp,
  segmentsNote,
  settingsFromRequest,
  slotsForMode,
  templateFor,
  waveformPath,
  type Attachments,
  type CheckContext,
  type ComposerSettings,
} from './composer';
import { MIX, MOVE, S2V, TEMPLATES, asset, card } from './fixtures.test-util';
import type { PreflightResult } from './types';

const ids = (mode: 'animate' | 'audio') => slotsForMode(mode).map((s) => s.id);

const img = chipFromAsset(asset({ id: 'img', kind: 'image', role: 'ground_truth' }));
const img2 = chipFromAsset(asset({ id: 'img2', kind: 'image', role: 'reference' }));
const vid = chipFromAsset(
  asset({ id: 'vid', kind: 'video', role: 'motion_video', fps: 30, frame_count: 300, duration_seconds: 10 }),
);
const aud = (secs: number) =>
  chipFromAsset(asset({ id: `aud${secs}`, kind: 'audio', role: 'audio', duration_seconds: secs }));

function settings(over: Partial<ComposerSettings> = {}): ComposerSettings {
  return { ...defaultSettings(), prompt: 'a dancer on a rooftop', ...over };
}

function withInputs(...pairs: [keyof Attachments, typeof img][]): Attachments {
  let att = emptyAttachments();
  for (const [role, chip] of pairs) att = attach(att, role, chip);
  return att;
}

function ctx(over: Partial<CheckContext> = {}): CheckContext {
  const s = over.settings ?? settings();
  return {
    endpointCount: 1,
    settings: s,
    attachments: withInputs(['ground_truth', img], ['motion_video', vid]),
    template: templateFor(TEMPLATES, s.mode, s.subMode),
    templatesLoaded: true,
    preflight: null,
    ...over,
  };
}

describe('input slots per mode', () => {
  it('Animate asks for a motion video and never for audio', () => {
    expect(ids('animate')).toEqual(['ground_truth', 'motion_video', 'reference', 'pose_sheet']);
  });

  it('Audio asks for audio and never for a motion video', () => {
    expect(ids('audio')).toEqual(['ground_truth', 'audio', 'reference', 'pose_sheet']);
  });

  it('Ground Truth is required in both modes; Reference (several) and Pose Sheet never are', () => {
    for (const mode of ['animate', 'audio'] as const) {
      const slots = slotsForMode(mode);
      expect(slots.find((s) => s.id === 'ground_truth')?.required).toBe(true);
      expect(slots.filter((s) => !s.required).map((s) => s.id)).toEqual(['reference', 'pose_sheet']);
      expect(slots.find((s) => s.id === 'reference')?.multiple).toBe(true);
    }
    expect(slotsForMode('audio').find((s) => s.id === 'pose_sheet')?.hint).toMatch(/soft guidance/i);
  });

  it('capability text is truthful: Animate does not lip-sync, Audio does not replace', () => {
    expect(MODES.find((m) => m.value === 'animate')?.description).toMatch(/does not lip-sync/);
    expect(MODES.find((m) => m.value === 'audio')?.description).toMatch(/does not replace/);
  });
});

describe('attachments', () => {
  it('references accumulate without duplicates; other slots are replaced', () => {
    let att = attach(emptyAttachments(), 'reference', img);
    att = attach(att, 'reference', img2);
    att = attach(att, 'reference', img2);
    expect(att.reference.map((c) => c.id)).toEqual(['img', 'img2']);
    att = attach(attach(att, 'ground_truth', img), 'ground_truth', img2);
    expect(att.ground_truth?.id).toBe('img2');
    expect(detach(att, 'reference', 'img').reference.map((c) => c.id)).toEqual(['img2']);
    expect(detach(att, 'ground_truth').ground_truth).toBeNull();
  });
});

describe('template for the mode', () => {
  it('Audio uses the audio template; Animate the move or mix one', () => {
    expect(templateFor(TEMPLATES, 'audio', 'move')?.name).toBe('s2v');
    expect(templateFor(TEMPLATES, 'animate', 'move')?.name).toBe('animate_move');
    expect(templateFor(TEMPLATES, 'animate', 'mix')?.name).toBe('animate_mix');
  });

  it('picks the latest compatible version', () => {
    const old = { ...MOVE, version: '0.9.0', latest: false };
    const incompatible = { ...MOVE, version: '2.0.0', latest: false, compatible: false };
    expect(templateFor([old, MOVE, incompatible], 'animate', 'move')?.version).toBe('1.0.0');
    expect(templateFor([old], 'animate', 'move')?.version).toBe('0.9.0');
    expect(templateFor([incompatible], 'animate', 'move')).toBeNull();
  });

  it('keeps valid parameter values and fills defaults', () => {
    expect(reconcileParams(MIX, {})).toEqual({ background_preservation: 'balanced', relight: true });
    expect(reconcileParams(MIX, { background_preservation: 'low', relight: 'yes', other: 1 })).toEqual({
      background_preservation: 'low',
      relight: true,
    });
    expect(reconcileParams(MOVE, { background_preservation: 'low' })).toEqual({});
  });
});

describe('what blocks Generate', () => {
  it('says nothing false while the server list loads', () => {
    expect(generateBlocker(ctx({ endpointCount: null }))).toMatch(/Checking your servers/);
  });

  it('no server comes first and offers Settings', () => {
    const issues = composerIssues(ctx({ endpointCount: 0, attachments: emptyAttachments() }));
    expect(issues[0]).toMatchObject({ topic: 'server', message: 'Connect a server in Settings', openSettings: true });
  });

  it('names the missing required input of the current mode, at its slot', () => {
    expect(generateBlocker(ctx({ attachments: emptyAttachments() }))).toBe('Add the Ground Truth to generate');
    expect(generateBlocker(ctx({ attachments: withInputs(['ground_truth', img]) }))).toBe(
      'Add the Motion Video to generate',
    );
    const audio = ctx({ settings: settings({ mode: 'audio' }), attachments: withInputs(['ground_truth', img]) });
    expect(composerIssues(audio).find((i) => i.blocking)).toMatchObject({
      topic: 'audio',
      message: 'Add the Audio to generate',
    });
  });

  it('Mix cannot generate without a point', () => {
    const mix = ctx({ settings: settings({ subMode: 'mix' }) });
    expect(composerIssues(mix).find((i) => i.blocking)?.topic).toBe('point');
    expect(generateBlocker(ctx({ settings: settings({ subMode: 'mix', point: { x: 0.4, y: 0.5 } }) }))).toBeNull();
  });

  it('audio longer than the profile allows: says how long and what to do', () => {
    const c = ctx({
      settings: settings({ mode: 'audio' }),
      attachments: withInputs(['ground_truth', img], ['audio', aud(24)]),
    });
    expect(composerIssues(c).find((i) => i.topic === 'duration')?.message).toBe(
      'This audio is 24 s; Standard makes at most 15 s: trim the audio',
    );
    const c2 = { ...c, attachments: withInputs(['ground_truth', img], ['audio', aud(18)]) };
    expect(generateBlocker(c2)).toBe('This audio is 18 s; Standard makes at most 15 s: choose Draft or trim the audio');
    // A target length trims the audio: no blocker.
    expect(generateBlocker({ ...c2, settings: settings({ mode: 'audio', targetDuration: 12 }) })).toBeNull();
    expect(generateBlocker({ ...c2, settings: settings({ mode: 'audio', profile: 'draft' }) })).toBeNull();
  });

  it('a long motion video only warns (the core trims it)', () => {
    const long = chipFromAsset(
      asset({ id: 'long', kind: 'video', role: 'motion_video', fps: 30, frame_count: 900, duration_seconds: 30 }),
    );
    const issues = composerIssues(ctx({ attachments: withInputs(['ground_truth', img], ['motion_video', long]) }));
    expect(issues.find((i) => i.topic === 'motion_video_length')).toMatchObject({ blocking: false });
    expect(issues.some((i) => i.blocking)).toBe(false);
  });

  it('the server lacks what the mode needs: no model or node names', () => {
    const pf = (ready_profiles: string[], missing = false): PreflightResult => ({
      endpoint: 'lab',
      error: null,
      reports: [
        {
          template: 'animate_move',
          version: '1.0.0',
          ready: false,
          ready_profiles,
          missing_nodes: missing ? [{ class: 'DWPreprocessor', pack: 'aux', pack_name: 'Aux', pack_url: '' }] : [],
          missing_models: [{ file: 'wan2.2_animate_14B_bf16.safetensors', folder: 'diffusion_models', profiles: ['high'] }],
          auto_downloads: [],
        },
      ],
    });
    const none = composerIssues(ctx({ preflight: pf([], true) })).find((i) => i.blocking);
    expect(none?.topic).toBe('template');
    expect(none?.message).not.toMatch(/DWPreprocessor|safetensors/);
    const high = composerIssues(ctx({ preflight: pf(['draft', 'standard']), settings: settings({ profile: 'high' }) }));
    expect(high.find((i) => i.blocking)).toMatchObject({
      topic: 'profile',
      message: 'Your server cannot make High quality yet: choose Draft or Standard',
    });
    expect(generateBlocker(ctx({ preflight: pf(['draft', 'standard']) }))).toBeNull();
  });

  it('a server that could not be checked only warns', () => {
    const c = ctx({
      preflight: { endpoint: 'lab', reports: [], error: { code: 'unreachable', message: 'The server does not answer.', suggestion: '' } },
    });
    expect(composerIssues(c).find((i) => i.topic === 'server_check')?.blocking).toBe(false);
    expect(generateBlocker(c)).toBeNull();
  });

  it('needs a prompt, then nothing blocks', () => {
    expect(generateBlocker(ctx({ settings: settings({ prompt: '   ' }) }))).toMatch(/prompt/);
    expect(generateBlocker(ctx())).toBeNull();
  });

  it('demo mode needs a loaded demo run, and nothing else', () => {
    const c = ctx({ endpointCount: 0, attachments: emptyAttachments(), demoMode: true });
    expect(composerIssues(c).map((i) => i.topic)).toEqual(['demo']);
    expect(generateBlocker({ ...c, demoLoaded: true })).toBeNull();
  });
});

describe('segments', () => {
  it('counts 1 + ceil((frames - first) / extension)', () => {
    expect(chunksFor(MOVE.timeline, 50)).toBe(1);
    expect(chunksFor(MOVE.timeline, 77)).toBe(1);
    expect(chunksFor(MOVE.timeline, 78)).toBe(2);
    expect(chunksFor(MOVE.timeline, 77 + 72 * 2)).toBe(3);
    expect(chunksFor(MOVE.timeline, 77 + 72 * 2 + 1)).toBe(4);
  });

  it('Animate: the motion video, capped by the target and the profile', () => {
    const att = withInputs(['motion_video', vid]);
    // 300 frames at 30 fps: 1 + ceil(223/72) = 5
    expect(planSegments(MOVE, settings(), att)).toMatchObject({ frames: 300, segments: 5, trimmed: false });
    expect(planSegments(MOVE, settings({ targetDuration: 2 }), att)).toMatchObject({ frames: 60, segments: 1, trimmed: true });
    expect(segmentsNote(MOVE, settings(), att)).toBe('10 s of motion: 5 segments.');
    expect(segmentsNote(MOVE, settings(), emptyAttachments())).toMatch(/Add the motion video/);
  });

  it('Audio: the length follows the audio', () => {
    const att = withInputs(['audio', aud(10)]);
    // 160 frames at 16 fps: 1 + ceil(80/79) = 3
    expect(planSegments(S2V, settings({ mode: 'audio' }), att)).toMatchObject({ frames: 160, segments: 3 });
    expect(segmentsNote(S2V, settings({ mode: 'audio' }), att)).toBe('The length follows the audio: 10 s, 3 segments.');
  });
});

describe('the request Generate sends', () => {
  it('Animate Move: image and video as assets, no audio, no framing, no points', () => {
    const att = attach(withInputs(['ground_truth', img], ['motion_video', vid], ['audio', aud(5)]), 'reference', img2);
    const r = buildRequest(settings({ prompt: '  a dancer  ', seed: 7, framing: 'portrait' }), att, MOVE);
    expect(r).toEqual({
      mode: 'animate',
      animate_mode: 'move',
      prompt: 'a dancer',
      negative_prompt: null,
      profile: 'standard',
      aspect: '9:16',
      framing: null,
      seed: 7,
      inputs: {
        image: { asset: 'img' },
        audio: null,
        video: { asset: 'vid' },
        references: [{ asset: 'img2' }],
        pose_sheet: null,
      },
      points: [],
      target_duration_secs: null,
      params: {},
      endpoint: null,
    });
  });

  it('Mix sends the point and the template parameters', () => {
    const s = settings({ subMode: 'mix', point: { x: 0.25, y: 0.75 }, params: { relight: false } });
    const r = buildRequest(s, withInputs(['ground_truth', img], ['motion_video', vid]), MIX);
    expect(r.points).toEqual([{ x: 0.25, y: 0.75 }]);
    expect(r.params).toEqual({ background_preservation: 'balanced', relight: false });
  });

  it('Audio: audio and framing, no video; empty seed is random', () => {
    const s = settings({ mode: 'audio', framing: 'portrait', negativePrompt: ' blur ', targetDuration: 8, seed: NaN });
    const r = buildRequest(s, withInputs(['ground_truth', img], ['motion_video', vid], ['audio', aud(5)]), S2V);
    expect(r).toMatchObject({
      mode: 'audio',
      animate_mode: null,
      framing: 'portrait',
      negative_prompt: 'blur',
      target_duration_secs: 8,
      seed: -1,
      inputs: { image: { asset: 'img' }, audio: { asset: 'aud5' }, video: null },
    });
  });

  it('settings round-trip through a stored request', () => {
    const s = settings({ subMode: 'mix', point: { x: 0.1, y: 0.2 }, seed: 99, aspect: '1:1', profile: 'draft' });
    const r = buildRequest(s, withInputs(['ground_truth', img], ['motion_video', vid]), MIX);
    const back = settingsFromRequest(r);
    expect(back).toMatchObject({ mode: 'animate', subMode: 'mix', point: { x: 0.1, y: 0.2 }, seed: 99, aspect: '1:1', profile: 'draft' });
  });
});

describe('drop assignment', () => {
  const p = (path: string, kind: 'image' | 'audio' | 'video' | 'demo_pack' | null) => ({ path, kind, error: null });

  it('images: Ground Truth when empty, then references', () => {
    expect(assignDrops([p('/a.png', 'image'), p('/b.png', 'image')], 'animate', emptyAttachments())).toEqual([
      { kind: 'import', path: '/a.png', role: 'ground_truth' },
      { kind: 'import', path: '/b.png', role: 'reference' },
    ]);
    expect(assignDrops([p('/a.png', 'image')], 'animate', withInputs(['ground_truth', img]))[0]).toMatchObject({
      role: 'reference',
    });
  });

  it('video goes to Motion Video in Animate; audio to Audio in Audio mode', () => {
    expect(assignDrops([p('/m.mp4', 'video')], 'animate', emptyAttachments())[0]).toMatchObject({ role: 'motion_video' });
    expect(assignDrops([p('/v.wav', 'audio')], 'audio', emptyAttachments())[0]).toMatchObject({ role: 'audio' });
  });

  it('the wrong kind for the mode gets a clear message', () => {
    const [a] = assignDrops([p('/songs/v.wav', 'audio')], 'animate', emptyAttachments());
    expect(a).toMatchObject({ kind: 'refused' });
    expect(a && a.kind === 'refused' && a.message).toMatch(/“v\.wav” is audio: switch to Audio mode/);
    const [b] = assignDrops([p('/m.mp4', 'video')], 'audio', emptyAttachments());
    expect(b && b.kind === 'refused' && b.message).toMatch(/switch to Animate mode/);
  });

  it('demo packs are imported; probe errors and unknown files are reported', () => {
    const out = assignDrops(
      [
        p('/x.animatrix-demo', 'demo_pack'),
        p('/notes.txt', null),
        { path: '/big.mov', kind: null, error: { code: 'too_big', message: 'big.mov is too large.', suggestion: '' } },
      ],
      'animate',
      emptyAttachments(),
    );
    expect(out[0]).toEqual({ kind: 'demo_pack', path: '/x.animatrix-demo' });
    expect(out[1]).toMatchObject({ kind: 'refused', message: expect.stringMatching(/notes\.txt/) });
    expect(out[2]).toMatchObject({ kind: 'refused', message: 'big.mov is too large.' });
  });
});

describe('chips and the advanced drawer', () => {
  it('a chip shows its length; the waveform draws one bar per peak', () => {
    expect(chipMeta(chipFromAsset(asset({ id: 'a', kind: 'audio', role: 'audio', duration_seconds: 2.54 })))).toBe('2.5 s');
    expect(chipMeta(img)).toBe('');
    expect(waveformPath([])).toBe('');
    // Peaks are clamped to 0.06..1 of the 22-unit height, centred on y = 12.
    expect(waveformPath([1, 0])).toBe('M50.0 1.0v22.0M150.0 11.3v1.3');
  });

  it('offers the framings of the template, or the built-in ones', () => {
    expect(framingsFor(S2V).map((f) => f.value)).toEqual(['portrait', 'half_body', 'full_body']);
    expect(framingsFor(MOVE)).toBe(FRAMINGS);
    expect(framingsFor(null)).toBe(FRAMINGS);
  });

  it('a click on the Mix frame places the point; the keyboard starts at the centre and nudges it', () => {
    const rect = { left: 10, top: 20, width: 200, height: 100 };
    expect(pointFromClick(rect, { clientX: 60, clientY: 95, detail: 1 }, null)).toEqual({ x: 0.25, y: 0.75 });
    expect(pointFromClick(rect, { clientX: 500, clientY: 0, detail: 1 }, null)).toEqual({ x: 1, y: 0 });
    expect(pointFromClick(rect, { clientX: 0, clientY: 0, detail: 0 }, null)).toEqual({ x: 0.5, y: 0.5 });
    expect(pointFromClick(rect, { clientX: 0, clientY: 0, detail: 0 }, { x: 0.1, y: 0.2 })).toEqual({ x: 0.1, y: 0.2 });
    expect(pointFromClick({ ...rect, width: 0 }, { clientX: 60, clientY: 95, detail: 1 }, null)).toEqual({ x: 0.5, y: 0.5 });
    expect(nudgedPoint('ArrowLeft', null)).toEqual({ x: 0.48, y: 0.5 });
    expect(nudgedPoint('ArrowDown', { x: 0.2, y: 0.99 })).toEqual({ x: 0.2, y: 1 });
    expect(nudgedPoint('Enter', { x: 0.2, y: 0.2 })).toBeNull();
  });

  it('"Reuse last" takes the newest run with a seed', () => {
    const cards = [card({ id: 'a', resolved_seed: null }), card({ id: 'b', resolved_seed: 7 }), card({ id: 'c', resolved_seed: 9 })];
    expect(lastSeed(cards, 'audio')).toEqual({ seed: 7, note: 'Seed of your last Audio run.' });
    expect(lastSeed(cards, 'animate').note).toBe('Seed of your last Animate run.');
    expect(lastSeed([], 'animate')).toEqual({ seed: null, note: 'No earlier run in this mode has a seed yet.' });
    expect(seedHelp('', -1)).toBe('-1 picks a new random seed each time.');
    expect(seedHelp('', 42)).toBe('The same seed and settings give the same video.');
    expect(seedHelp('Seed of your last Audio run.', 42)).toBe('Seed of your last Audio run.');
  });
});
