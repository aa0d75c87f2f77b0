// Shared test data (not a test file itself).
import type { AssetRecord, JobCard, JobRecord, JobRequest, TemplateInfo } from './types';

const PROFILES: TemplateInfo['profiles'] = {
  draft: { label: 'Draft', description: 'Fast', max_duration_secs: 20, max_chunks: 10 },
  standard: { label: 'Standard', description: 'Default', max_duration_secs: 15, max_chunks: 8 },
  high: { label: 'High', description: 'Slow', max_duration_secs: 10, max_chunks: 6 },
};

function base(over: Partial<TemplateInfo>): TemplateInfo {
  return {
    name: 'animate_move',
    version: '1.0.0',
    display_name: 'Animate: Move',
    mode: 'animate',
    sub_mode: 'move',
    model_family: 'Wan2.2-Animate-14B',
    description: 'Animates your character with the motion of the video.',
    compatible: true,
    latest: true,
    capabilities: {
      can: ['Copies body motion.'],
      cannot: ['Does not lip-sync to audio: mouth movement follows the face in the motion video.'],
    },
    profiles: PROFILES,
    framings: {},
    parameters: [],
    defaults: { profile: 'standard', aspect: '9:16', framing: null },
    limits: { max_prompt_chars: 2000, max_points: 0 },
    timeline: { fps: null, first_chunk_frames: 77, extension_frames: 72 },
    ...over,
  };
}

export const MOVE = base({});
export const MIX = base({
  name: 'animate_mix',
  display_name: 'Animate: Mix',
  sub_mode: 'mix',
  limits: { max_prompt_chars: 2000, max_points: 8 },
  parameters: [
    {
      name: 'background_preservation',
      label: 'Background preservation',
      description: 'How tightly the person is cut out.',
      type: 'choice',
      default: 'balanced',
      options: [
        { value: 'high', label: 'High' },
        { value: 'balanced', label: 'Balanced' },
        { value: 'low', label: 'Low' },
      ],
    },
    { name: 'relight', label: 'Match the scene lighting', description: 'Relights.', type: 'bool', default: true },
  ],
});
export const S2V = base({
  name: 's2v',
  display_name: 'Audio: speak or sing',
  mode: 'audio',
  sub_mode: null,
  description: 'Makes your character speak or sing.',
  capabilities: { can: ['Lip-syncs.'], cannot: ['Does not replace people in a video.'] },
  framings: { portrait: { label: 'Portrait' }, half_body: { label: 'Half body' }, full_body: { label: 'Full body' } },
  defaults: { profile: 'standard', aspect: '9:16', framing: 'half_body' },
  timeline: { fps: 16, first_chunk_frames: 80, extension_frames: 79 },
});
export const TEMPLATES = [MOVE, MIX, S2V];

export function asset(over: Partial<AssetRecord> & Pick<AssetRecord, 'id' | 'kind' | 'role'>): AssetRecord {
  return {
    original_name: `${over.id}.bin`,
    mime: 'application/octet-stream',
    width: null,
    height: null,
    duration_seconds: null,
    fps: null,
    frame_count: null,
    sample_rate: null,
    channels: null,
    codec: null,
    size_bytes: 1000,
    sha256: 'x',
    stored_path: `/data/assets/${over.id}`,
    thumbnail_path: over.kind === 'audio' ? null : `/data/assets/${over.id}.thumb.jpg`,
    waveform: over.kind === 'audio' ? Array.from({ length: 200 }, (_, i) => (i % 10) / 10) : null,
    facts: {},
    created_at: 1,
    ...over,
  };
}

export function request(over: Partial<JobRequest> = {}): JobRequest {
  return {
    mode: 'animate',
    animate_mode: 'move',
    prompt: 'a dancer',
    negative_prompt: null,
    profile: 'standard',
    aspect: '9:16',
    framing: null,
    seed: -1,
    inputs: { image: { asset: 'img' }, audio: null, video: { asset: 'vid' }, references: [], pose_sheet: null },
    points: [],
    target_duration_secs: null,
    params: {},
    endpoint: null,
    ...over,
  };
}

export function record(over: Partial<JobRecord> & Pick<JobRecord, 'id'>): JobRecord {
  return {
    comfy_prompt_id: `p-${over.id}`,
    client_id: 'c',
    endpoint_name: 'lab',
    mode: 'animate',
    template_name: 'animate_move',
    template_version: '1.0.0',
    profile: 'standard',
    aspect: '9:16',
    prompt: 'a dancer on a rooftop',
    negative_prompt: '',
    settings: request(),
    resolved_seed: 42,
    frame_count: 77,
    state: 'completed',
    progress: 1,
    error: null,
    parent_job_id: null,
    relation: null,
    is_demo: false,
    cancel_requested: false,
    created_at: 1000,
    updated_at: 1000,
    queued_at: 1000,
    started_at: 2000,
    finished_at: 62000,
    poster_path: `/data/jobs/${over.id}/poster.jpg`,
    video_path: `/data/jobs/${over.id}/out.mp4`,
    seq: 1,
    ...over,
  };
}

export function card(over: Partial<JobRecord> & Pick<JobRecord, 'id'>, extra: Partial<JobCard> = {}): JobCard {
  return { job: record(over), clip_seconds: 4.8, preview_path: null, ...extra };
}
