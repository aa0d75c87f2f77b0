import { describe, expect, it } from 'vitest';
import {
  addPoint,
  adaptSettings,
  assignDrops,
  attach,
  attachmentsFromInputs,
  buildRequest,
  chipFromAsset,
  defaultSettings,
  detach,
  fieldKey,
  inDrawer,
  lastSeed,
  lengthNote,
  nudgedPoint,
  parseParamInput,
  pointFromClick,
  reconcileParams,
  settingsFromRecord,
  waveformPath,
  type Attachments,
} from './composer';
import { MIX, MOVE, POSE, S2V, SEF, STUDIOS, asset, card, fakePlan, record, request } from './fixtures.test-util';

const img = chipFromAsset(asset({ id: 'img', kind: 'image', role: 'ground_truth', original_name: 'hero.png' }));
const img2 = chipFromAsset(asset({ id: 'img2', kind: 'image', role: 'end_frame', original_name: 'end.png' }));
const vid = chipFromAsset(asset({ id: 'vid', kind: 'video', role: 'motion_video', duration_seconds: 5 }));
const aud = chipFromAsset(asset({ id: 'aud', kind: 'audio', role: 'audio', duration_seconds: 7.5 }));

function inputOf(t: typeof MOVE, role: string) {
  const i = t.inputs.find((x) => x.role === role);
  if (!i) throw new Error(role);
  return i;
}

describe('attachments', () => {
  it('a one-file input is replaced, a several-file input grows to its max without duplicates', () => {
    let att: Attachments = {};
    att = attach(att, inputOf(MOVE, 'ground_truth'), img);
    att = attach(att, inputOf(MOVE, 'ground_truth'), img2);
    expect(att.ground_truth?.map((c) => c.id)).toEqual(['img2']);
    const ref = inputOf(MOVE, 'reference');
    expect(ref.max).toBe(4);
    for (const id of ['r1', 'r2', 'r2', 'r3', 'r4', 'r5']) att = attach(att, ref, { ...img, id });
    expect(att.reference?.map((c) => c.id)).toEqual(['r2', 'r3', 'r4', 'r5']);
    att = detach(att, 'reference', 'r3');
    expect(att.reference?.map((c) => c.id)).toEqual(['r2', 'r4', 'r5']);
    expect(detach(att, 'reference').reference).toEqual([]);
  });

  it('rebuilds the chips of a stored run by role and position', () => {
    const a = asset({ id: 'a', kind: 'image', role: 'reference' });
    const b = asset({ id: 'b', kind: 'image', role: 'reference' });
    const att = attachmentsFromInputs([
      { role: 'reference', position: 2, uploaded_name: null, asset: b },
      { role: 'reference', position: 1, uploaded_name: null, asset: a },
    ]);
    expect(att.reference?.map((c) => c.id)).toEqual(['a', 'b']);
  });
});

describe('settings follow the template', () => {
  it('starts on the template defaults and its parameters', () => {
    const s = defaultSettings(MIX);
    expect(s).toMatchObject({ template: 'animate_mix', profile: MIX.defaults.profile, aspect: MIX.defaults.aspect, framing: null });
    expect(s.params).toEqual({ background_preservation: 'balanced', relight: true });
  });

  it('keeps what the new template offers and resets the rest', () => {
    const s = { ...defaultSettings(S2V), profile: 'draft', aspect: '1:1', framing: 'portrait', params: { relight: false } };
    const moved = adaptSettings(s, MIX);
    expect(moved).toMatchObject({ template: 'animate_mix', profile: 'draft', aspect: '1:1', framing: null });
    // A valid value the user chose is kept; missing parameters take their defaults.
    expect(moved.params).toEqual({ background_preservation: 'balanced', relight: false });
    const back = adaptSettings({ ...moved, profile: 'nonexistent' }, S2V);
    expect(back.framing).toBe(S2V.defaults.framing);
    expect(back.profile).toBe(S2V.defaults.profile);
    expect(back.params).toEqual({});
    // Points are kept only where the template takes them.
    expect(adaptSettings({ ...moved, points: [{ x: 0.1, y: 0.2 }] }, MOVE).points).toEqual([]);
  });

  it('reconciles parameter values against the template', () => {
    expect(reconcileParams(POSE, { control: 'depth' })).toEqual({ control: 'depth' });
    expect(reconcileParams(POSE, { control: 'x-ray' })).toEqual({ control: 'pose' });
    expect(reconcileParams(null, { control: 'depth' })).toEqual({});
  });
});

describe('the request', () => {
  it('sends only the template inputs, in chip order, with the settings the template takes', () => {
    const att: Attachments = { audio: [aud], ground_truth: [img], motion_video: [vid], end_frame: [img2] };
    const s = { ...defaultSettings(MIX), prompt: '  swap the dancer ', negativePrompt: ' ', seed: 7.9, points: [{ x: 0.25, y: 0.75 }] };
    const r = buildRequest(s, att, MIX, 'lab');
    expect(r).toMatchObject({
      template_version: MIX.version,
      target: 'lab',
      inputs: [
        { role: 'ground_truth', source: { asset: 'img' } },
        { role: 'motion_video', source: { asset: 'vid' } },
      ],
    });
    expect(r.settings).toMatchObject({
      template: 'animate_mix',
      prompt: 'swap the dancer',
      negative_prompt: null,
      seed: 7,
      framing: null,
      points: [{ x: 0.25, y: 0.75 }],
      params: { background_preservation: 'balanced', relight: true },
      target_duration_secs: null,
    });
    const sef = buildRequest({ ...defaultSettings(SEF), prompt: 'a bloom', targetDuration: 3 }, att, SEF);
    expect(sef.inputs.map((i) => i.role)).toEqual(['ground_truth', 'end_frame']);
    expect(sef.settings).toMatchObject({ points: [], target_duration_secs: 3 });
    const audio = buildRequest(defaultSettings(S2V), att, S2V);
    expect(audio.settings.framing).toBe(S2V.defaults.framing);
  });

  it('copies a stored run back into the composer', () => {
    const job = record({
      id: 'j',
      template: { name: 'animate_mix', version: '1.1.0' },
      request: request({ template: 'animate_mix', prompt: 'p', profile: 'draft', seed: 5, points: [{ x: 0.5, y: 0.5 }], params: { relight: false } }),
    });
    const s = settingsFromRecord(job, MIX);
    expect(s).toMatchObject({ template: 'animate_mix', prompt: 'p', profile: 'draft', seed: 5, points: [{ x: 0.5, y: 0.5 }] });
    expect(s.params).toEqual({ background_preservation: 'balanced', relight: false });
  });
});

describe('drops go to the first chip of their kind with room', () => {
  const probe = (path: string, kind: string | null) => ({ path, kind, error: null });

  it('images fill the template image chips in order, then are refused', () => {
    const actions = assignDrops(
      [probe('/a.png', 'image'), probe('/b.png', 'image'), probe('/c.png', 'image')],
      SEF,
      {},
      STUDIOS,
    );
    expect(actions).toEqual([
      { kind: 'import', path: '/a.png', role: 'ground_truth' },
      { kind: 'import', path: '/b.png', role: 'end_frame' },
      { kind: 'refused', path: '/c.png', message: 'The Start Frame and End Frame already have their files: “c.png” was left out.' },
    ]);
  });

  it('a kind the template takes no file of names the studios that do; packs and errors pass through', () => {
    const actions = assignDrops(
      [
        probe('/v.wav', 'audio'),
        probe('/m.mp4', 'video'),
        probe('/show.animatrix-demo', 'demo_pack'),
        { path: '/x.txt', kind: null, error: { code: 'unsupported_type', message: 'x.txt is not a file the studio can use.', suggestion: '', detail: '' } },
      ],
      MOVE,
      { motion_video: [vid] },
      STUDIOS,
    );
    expect(actions[0]).toEqual({ kind: 'refused', path: '/v.wav', message: '“v.wav” is audio: switch to Audio to use it.' });
    expect(actions[1]).toEqual({ kind: 'refused', path: '/m.mp4', message: 'The Motion Video already has its file: “m.mp4” was left out.' });
    expect(actions[2]).toEqual({ kind: 'demo_pack', path: '/show.animatrix-demo' });
    expect(actions[3]).toMatchObject({ kind: 'refused', message: 'x.txt is not a file the studio can use.' });
    const toVideo = assignDrops([probe('/m.mp4', 'video')], S2V, {}, STUDIOS);
    expect(toVideo[0]).toEqual({ kind: 'refused', path: '/m.mp4', message: '“m.mp4” is a video: switch to Animate or Pose Control to use it.' });
  });
});

describe('issues by control', () => {
  it('names the control of each field; Advanced keeps its own', () => {
    expect(fieldKey({ kind: 'input', role: 'end_frame' })).toBe('input-end_frame');
    expect(fieldKey({ kind: 'param', name: 'control' })).toBe('param-control');
    expect(fieldKey({ kind: 'prompt' })).toBe('prompt');
    expect(['points', 'param-relight', 'seed', 'framing', 'target_duration', 'negative_prompt'].every(inDrawer)).toBe(true);
    expect(['prompt', 'profile', 'input-audio', 'template', 'aspect'].some(inDrawer)).toBe(false);
  });

  it('says the length from the plan, never computed here', () => {
    const plan = fakePlan(request({ template: 's2v' }, [{ role: 'audio', source: { asset: 'a' } }]));
    expect(lengthNote(plan, S2V)).toBe('The length follows the Audio: 5.1 s, 1 segment.');
    expect(lengthNote(null, S2V)).toBe('Add the Audio to see how long the video will be.');
    expect(lengthNote(plan, SEF)).toBe('5.1 s, 1 segment.');
    expect(lengthNote(null, SEF)).toBe('');
  });
});

describe('controls', () => {
  it('parses number parameters into their range', () => {
    const p = { name: 'n', label: 'N', description: '', type: 'int' as const, min: 1, max: 5, default: 3 };
    expect(parseParamInput(p, '9')).toBe(5);
    expect(parseParamInput(p, 'x')).toBe(3);
  });

  it('marks points by tap or keyboard, up to the template max', () => {
    const rect = { left: 10, top: 10, width: 200, height: 100 };
    expect(pointFromClick(rect, { clientX: 60, clientY: 85, detail: 1 }, null)).toEqual({ x: 0.25, y: 0.75 });
    expect(pointFromClick(rect, { clientX: 0, clientY: 0, detail: 0 }, null)).toEqual({ x: 0.5, y: 0.5 });
    expect(nudgedPoint('ArrowLeft', { x: 0.01, y: 0.5 })).toEqual({ x: 0, y: 0.5 });
    expect(nudgedPoint('a', null)).toBeNull();
    const one = addPoint([], { x: 0.1, y: 0.1 }, 1);
    expect(addPoint(one, { x: 0.2, y: 0.2 }, 1)).toEqual([{ x: 0.2, y: 0.2 }]);
    expect(addPoint(one, { x: 0.2, y: 0.2 }, 8)).toHaveLength(2);
    expect(addPoint(one, { x: 0.2, y: 0.2 }, 0)).toEqual([]);
  });

  it('draws the waveform and finds the last seed', () => {
    expect(waveformPath([0, 1])).toBe('M50.0 11.3v1.3M150.0 1.0v22.0');
    expect(lastSeed([card({ id: 'a', resolved_seed: null }), card({ id: 'b', resolved_seed: 9 })], 'Audio')).toEqual({
      seed: 9,
      note: 'Seed of your last Audio run.',
    });
    expect(lastSeed([], 'Audio').seed).toBeNull();
  });
});
