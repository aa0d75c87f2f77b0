import { describe, expect, it } from 'vitest';
import { generateBlocker, MODES, slotsForMode, type GenerateContext } from './composer';

const ids = (mode: 'animate' | 'audio') => slotsForMode(mode).map((s) => s.id);

describe('input slots per mode', () => {
  it('Animate asks for a motion video and never for audio', () => {
    expect(ids('animate')).toEqual(['ground_truth', 'motion_video', 'reference', 'pose_sheet']);
    expect(ids('animate')).not.toContain('audio');
  });

  it('Audio asks for audio and never for a motion video', () => {
    expect(ids('audio')).toEqual(['ground_truth', 'audio', 'reference', 'pose_sheet']);
    expect(ids('audio')).not.toContain('motion_video');
  });

  it('Ground Truth is required in both modes; Reference and Pose Sheet never are', () => {
    for (const mode of ['animate', 'audio'] as const) {
      const slots = slotsForMode(mode);
      expect(slots.find((s) => s.id === 'ground_truth')?.required).toBe(true);
      expect(slots.filter((s) => !s.required).map((s) => s.id)).toEqual(['reference', 'pose_sheet']);
    }
    expect(slotsForMode('audio').find((s) => s.id === 'pose_sheet')?.hint).toMatch(/soft guidance/);
  });

  it('capability text is truthful: Animate does not lip-sync, Audio does not replace', () => {
    expect(MODES.find((m) => m.value === 'animate')?.description).toMatch(/does not lip-sync/);
    expect(MODES.find((m) => m.value === 'audio')?.description).toMatch(/does not replace/);
  });
});

describe('what blocks Generate', () => {
  const ready: GenerateContext = {
    endpointCount: 1,
    prompt: 'a dancer on a rooftop',
    filled: ['ground_truth', 'motion_video'],
    mode: 'animate',
    jobsAvailable: true,
  };

  it('says nothing false while the server list loads', () => {
    expect(generateBlocker({ ...ready, endpointCount: null })).toMatch(/Checking your servers/);
  });

  it('no server comes first', () => {
    expect(generateBlocker({ ...ready, endpointCount: 0, prompt: '', filled: [] })).toBe(
      'Connect a server in Settings',
    );
  });

  it('says plainly when this build cannot generate', () => {
    expect(generateBlocker({ ...ready, jobsAvailable: false })).toMatch(/not available/);
  });

  it('names the missing required input of the current mode', () => {
    expect(generateBlocker({ ...ready, filled: [] })).toBe('Add the Ground Truth to generate');
    expect(generateBlocker({ ...ready, filled: ['ground_truth'] })).toBe('Add the Motion Video to generate');
    expect(generateBlocker({ ...ready, mode: 'audio' })).toBe('Add the Audio to generate');
  });

  it('needs a prompt, then nothing blocks', () => {
    expect(generateBlocker({ ...ready, prompt: '   ' })).toMatch(/prompt/);
    expect(generateBlocker(ready)).toBeNull();
  });
});
