// Rules of the composer: which inputs each mode asks for, and what stops Generate.
import type { Mode } from './types';

export interface InputSlot {
  id: 'ground_truth' | 'motion_video' | 'audio' | 'reference' | 'pose_sheet';
  label: string;
  required: boolean;
  /** Shown under the chip label, in user language. */
  hint: string;
}

const GROUND_TRUTH: InputSlot = {
  id: 'ground_truth',
  label: 'Ground Truth',
  required: true,
  hint: 'The character, one image',
};
const MOTION_VIDEO: InputSlot = {
  id: 'motion_video',
  label: 'Motion Video',
  required: true,
  hint: 'The movement to copy',
};
const AUDIO: InputSlot = { id: 'audio', label: 'Audio', required: true, hint: 'Voice or music to perform' };
const REFERENCE: InputSlot = {
  id: 'reference',
  label: 'Reference',
  required: false,
  hint: 'Optional, several allowed',
};
const POSE_SHEET: InputSlot = {
  id: 'pose_sheet',
  label: 'Pose Sheet',
  required: false,
  hint: 'Optional, soft guidance',
};

export const MODES: { value: Mode; label: string; description: string }[] = [
  {
    value: 'animate',
    label: 'Animate',
    description: 'Your character performs the movement of a video. Animate does not lip-sync to audio.',
  },
  {
    value: 'audio',
    label: 'Audio',
    description: 'Your character speaks or sings to an audio track. Audio does not replace people in a video.',
  },
];

/** The input chips the composer shows for a mode, in display order. */
export function slotsForMode(mode: Mode): InputSlot[] {
  return mode === 'animate'
    ? [GROUND_TRUTH, MOTION_VIDEO, REFERENCE, POSE_SHEET]
    : [GROUND_TRUTH, AUDIO, REFERENCE, POSE_SHEET];
}

export interface GenerateContext {
  /** Number of configured servers (endpoints); `null` while the list is still loading. */
  endpointCount: number | null;
  prompt: string;
  /** Slot ids that currently hold a file. */
  filled: readonly InputSlot['id'][];
  mode: Mode;
  /** Whether this build can run jobs at all. False until the job engine ships. */
  jobsAvailable: boolean;
}

/**
 * Why Generate is disabled, as the one sentence shown next to it, or `null` when it is enabled.
 * The first blocker in the order the user must fix them wins.
 */
export function generateBlocker(ctx: GenerateContext): string | null {
  // Saying "connect a server" before the list has loaded would flash a false statement.
  if (ctx.endpointCount === null) return 'Checking your servers…';
  if (ctx.endpointCount === 0) return 'Connect a server in Settings';
  // Said before the input checks: asking for files the user cannot send anywhere would mislead.
  if (!ctx.jobsAvailable) return 'Generating is not available in this version yet';
  const missing = slotsForMode(ctx.mode).find((s) => s.required && !ctx.filled.includes(s.id));
  if (missing) return `Add the ${missing.label} to generate`;
  if (ctx.prompt.trim() === '') return 'Describe the shot in the prompt';
  return null;
}
