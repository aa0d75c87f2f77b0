// Where the composer shows what the core's plan says (each issue next to the control its `field`
// names), what else stops Generate (no server, demo mode, the server's readiness), and when:
// nothing is said in the warning colour before the user attached a file, typed or pressed
// Generate. The plan itself is the core's (`plan_job`); nothing here decides what is valid.
import { fieldKey, inDrawer } from './composer';
import {
  demoNotice,
  readinessLine,
  readinessNotices,
  serverNotice,
  type Notice,
  type Shown,
} from './readiness';
import type { Plan, PlanIssue, PreflightResult, StudioTemplate, UserError } from './bindings';

/** The core's answer for the request whose JSON is `key` (`''` before the first answer). */
export interface PlanState {
  plan: Plan | null;
  error: UserError | null;
  key: string;
}

export interface IssueContext {
  touched: boolean;
  endpointCount: number | null;
  templatesLoaded: boolean;
  template: StudioTemplate | null;
  /** Demo mode, or a demo run loaded for a performance. */
  demoMode: boolean;
  demoLoaded: boolean;
  preflight: PreflightResult | null;
  profile: string;
  planState: PlanState;
  advancedOpen: boolean;
}

function fromIssue(i: PlanIssue, blocking: boolean): Shown & { key: string } {
  return { key: fieldKey(i.field), message: i.message, suggestion: i.suggestion || undefined, blocking };
}

/** The places the composer has a control for, with this template. */
function controlKeys(t: StudioTemplate): Set<string> {
  const keys = ['template', 'negative_prompt', 'profile', 'aspect', 'seed'];
  if (t.takes_prompt) keys.push('prompt');
  if (t.framings.length > 0) keys.push('framing');
  if (t.limits.max_points > 0) keys.push('points');
  if (t.timeline_input !== null || t.fps !== null) keys.push('target_duration');
  for (const i of t.inputs) keys.push(`input-${i.role}`);
  for (const p of t.parameters) keys.push(`param-${p.name}`);
  return new Set(keys);
}

/** Every item the composer could show, each with the place it belongs to. */
function allItems(ctx: IssueContext): (Shown & { key: string })[] {
  const t = ctx.template;
  const items: (Shown & { key: string })[] = [];
  if (ctx.planState.error) {
    const e = ctx.planState.error;
    items.push({ key: 'template', message: e.message, suggestion: e.suggestion, blocking: true });
  }
  const readiness = readinessNotices(ctx.preflight, t, ctx.profile);
  items.push(...readiness.filter((n) => n.key === 'template'));
  // A plan of another template (the user just switched) says nothing about this one.
  const plan = ctx.planState.plan?.template === t?.name ? ctx.planState.plan : null;
  items.push(...(plan?.issues ?? []).map((i) => fromIssue(i, true)));
  items.push(...readiness.filter((n) => n.key !== 'template'));
  items.push(...(plan?.warnings ?? []).map((i) => fromIssue(i, false)));
  if (!t) return items;
  const known = controlKeys(t);
  // An issue of a control the composer does not show is said at the studio's summary.
  return items.map((i) => (known.has(i.key) ? i : { ...i, key: 'template' }));
}

/** What stops Generate, as the one line next to it; `null` when nothing does. */
export function blockerOf(ctx: IssueContext): Notice | null {
  if (ctx.demoMode) return demoNotice(true, ctx.demoLoaded);
  const server = serverNotice(ctx.endpointCount);
  if (server) return server;
  if (!ctx.template) {
    return ctx.templatesLoaded
      ? { key: 'template', message: 'No studio is installed: reinstall the app.', blocking: true }
      : { key: 'template', message: 'Loading the studios…', blocking: true };
  }
  return allItems(ctx).find((i) => i.blocking) ?? null;
}

/** What the control `key` shows now (nothing before the user started, nothing in demo mode). */
export function shownFor(ctx: IssueContext, key: string): Shown[] {
  if (!ctx.touched || ctx.demoMode) return [];
  if (key === 'readiness') {
    const blocked = readinessNotices(ctx.preflight, ctx.template, ctx.profile).some((n) => n.key === 'template');
    const line = blocked ? null : readinessLine(ctx.preflight, ctx.template);
    return line ? [{ message: line, blocking: false }] : [];
  }
  const items = allItems(ctx);
  if (key === 'advanced') {
    // The drawer's controls are hidden: their issues wait at its toggle.
    return ctx.advancedOpen ? [] : items.filter((i) => inDrawer(i.key)).sort((a, b) => Number(b.blocking) - Number(a.blocking));
  }
  if (inDrawer(key) && !ctx.advancedOpen) return [];
  return items.filter((i) => i.key === key);
}
