// What stops Generate besides the plan: no server yet, demo mode, and what the server's
// preflight report says about the chosen template, in user language (the report's `verdict`).
import { orList } from './catalog';
import type { PreflightReport, PreflightResult, StudioTemplate } from './bindings';

/** What a control shows: a plan issue or warning, or one of the notices below. */
export interface Shown {
  message: string;
  suggestion?: string;
  /** Stops Generate (warning colour); otherwise it only informs (muted). */
  blocking: boolean;
  /** Offer the "Open Settings" action. */
  openSettings?: boolean;
}

/** One thing the user should know, shown next to the control `key` names. */
export interface Notice extends Shown {
  /** `server`, `demo`, `template`, `profile`: where it shows (`warning-<key>`). */
  key: string;
}

/** Servers: `endpointCount` is `null` while the list loads (no false "connect a server"). */
export function serverNotice(endpointCount: number | null): Notice | null {
  if (endpointCount === null) return { key: 'server', message: 'Checking your servers…', blocking: true };
  if (endpointCount === 0) {
    return { key: 'server', message: 'Connect a server in Settings', blocking: true, openSettings: true };
  }
  return null;
}

export function demoNotice(demoMode: boolean, demoLoaded: boolean): Notice | null {
  if (!demoMode || demoLoaded) return null;
  return { key: 'demo', message: 'Demo mode: open a demo run below and choose Perform to load it', blocking: true };
}

/** The default server's report for the template the composer shows. */
export function reportFor(preflight: PreflightResult | null, t: StudioTemplate | null): PreflightReport | null {
  if (!preflight || !t) return null;
  return preflight.reports.find((r) => r.template === t.name && r.version === t.version) ?? null;
}

/** The readiness line under the studio's summary: "Server “lab”: <the report's verdict>." */
export function readinessLine(preflight: PreflightResult | null, t: StudioTemplate | null): string | null {
  if (!preflight || !t) return null;
  if (preflight.error) return `Could not check your server “${preflight.endpoint}”: ${preflight.error.message}`;
  const report = reportFor(preflight, t);
  return report ? `Server “${preflight.endpoint}”: ${report.verdict}` : null;
}

/** The verdict as the end of a sentence (verdicts may already end on the reason's full stop). */
function sentence(verdict: string): string {
  return /[.!?]$/.test(verdict) ? verdict : `${verdict}.`;
}

/** What the report stops: the whole template, or only the chosen quality profile. */
export function readinessNotices(
  preflight: PreflightResult | null,
  t: StudioTemplate | null,
  profile: string,
): Notice[] {
  const report = reportFor(preflight, t);
  if (!report || !t || !preflight) return [];
  if (!report.ready) {
    return [
      {
        key: 'template',
        message: `Your server “${preflight.endpoint}” cannot make this yet: ${sentence(report.verdict)}`,
        suggestion: 'Ask whoever runs the server to add what is missing, or choose another studio.',
        blocking: true,
      },
    ];
  }
  if (!report.ready_profiles.includes(profile)) {
    const label = (name: string) => t.profiles.find((p) => p.name === name)?.label ?? name;
    const missing = report.profiles.find((p) => p.profile === profile)?.missing ?? [];
    const why = missing.length > 0 ? ` (missing ${missing.join(', ')})` : '';
    return [
      {
        key: 'profile',
        message: `Your server cannot make ${label(profile)} quality yet${why}: choose ${orList(report.ready_profiles.map(label))}.`,
        blocking: true,
      },
    ];
  }
  return [];
}
