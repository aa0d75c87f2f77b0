// Where Generate sends a run: the default target, one server, or a pool. Only presentation
// lives here; the wait, readiness and the warning threshold are the core's (`wait_estimate`).
import type { EndpointView, PoolView, WaitEstimate } from './bindings';

/**
 * How often the composer asks for the wait again while nothing changes: other users' prompts
 * come and go. Each ask costs every member a `/queue` call, so not faster than this.
 */
export const ESTIMATE_REFRESH_MS = 5000;

export type TargetOption = {
  /** `null`: the default target. */
  value: string | null;
  label: string;
};

/** The picker's options: the default target first, then servers, then pools. */
export function targetOptions(endpoints: EndpointView[], pools: PoolView[]): TargetOption[] {
  const def = pools.find((p) => p.is_default)?.name ?? endpoints.find((e) => e.is_default)?.name;
  return [
    { value: null, label: def ? `Default (${def})` : 'Default' },
    ...endpoints.map((e) => ({ value: e.name, label: `Server ${e.name}` })),
    ...pools.map((p) => ({ value: p.name, label: `Pool ${p.name} (${p.members.length})` })),
  ];
}

/** The compact line beside Generate: "Pool studio · 2 of 3 ready · queue 4 · ~9 min wait on gpu-b". */
export function statusLine(est: WaitEstimate): string {
  const parts = [est.is_pool ? `Pool ${est.target}` : `Server ${est.target}`];
  if (est.is_pool) parts.push(`${est.ready} of ${est.members.length} ready`);
  if (est.queue !== null) parts.push(`queue ${est.queue}`);
  parts.push(est.summary);
  return parts.join(' · ');
}

/** The warning to confirm before Generate, or `null` when the wait is below the threshold. */
export function waitWarning(est: WaitEstimate | null): string | null {
  return est?.warn ? (est.warning ?? 'The expected wait is long.') : null;
}
