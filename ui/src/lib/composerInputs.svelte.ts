// The composer's attached files and the actions that fill them (files dropped on the window, the
// + picker on a chip, removing a chip), with the busy chips and the one-line messages they leave.
// Kept apart from Composer.svelte so the component holds the layout and Generate, and this the
// input side; the rules of where a dropped file goes are in `assignDrops` (composer.ts).
import { api, toUserError } from './api';
import { inputOf } from './catalog';
import { assignDrops, attach, chipFromAsset, detach, type Attachments } from './composer';
import type { ProbedPath, StudioInput, StudioMode, StudioTemplate } from './bindings';

export class ComposerInputs {
  att = $state<Attachments>({});
  /** Roles whose files are being imported (their chip shows a spinner). */
  busyRoles = $state<string[]>([]);
  /** Refused drops, failed imports: one line each. */
  messages = $state<string[]>([]);
  /** Notes from normalization ("audio was quiet: boosted"). */
  notes = $state<string[]>([]);

  private busy(role: string, on: boolean): void {
    this.busyRoles = on ? [...this.busyRoles, role] : this.busyRoles.filter((r) => r !== role);
  }

  private async importChip(t: StudioTemplate, path: string, input: StudioInput): Promise<void> {
    const res = await api.importInput(path, t.name, input.role);
    this.att = attach(this.att, input, chipFromAsset(res.asset));
    this.notes = [...this.notes, ...res.warnings];
  }

  /**
   * Files dropped on the window, already probed by the core. Returns whether anything was
   * attached; a dropped demo pack goes to `onDemoPack`.
   */
  async drop(
    paths: ProbedPath[],
    t: StudioTemplate,
    studios: StudioMode[],
    onDemoPack: (path: string) => void,
  ): Promise<boolean> {
    this.messages = [];
    this.notes = [];
    const messages: string[] = [];
    let attached = false;
    for (const action of assignDrops(paths, t, this.att, studios)) {
      if (action.kind === 'refused') {
        messages.push(action.message);
      } else if (action.kind === 'demo_pack') {
        onDemoPack(action.path);
      } else {
        const input = inputOf(t, action.role);
        if (!input) continue;
        this.busy(action.role, true);
        try {
          await this.importChip(t, action.path, input);
          attached = true;
        } catch (err) {
          messages.push(toUserError(err).message);
        } finally {
          this.busy(action.role, false);
        }
      }
    }
    this.messages = messages;
    return attached;
  }

  /** The + on a chip: the OS file picker, then the same import. Returns whether anything was attached. */
  async pick(t: StudioTemplate, input: StudioInput): Promise<boolean> {
    this.messages = [];
    this.notes = [];
    this.busy(input.role, true);
    try {
      const res = await api.pickInputs(t.name, input.role, input.kind, input.label, input.max > 1);
      for (const i of res.inputs) this.att = attach(this.att, input, chipFromAsset(i.asset));
      this.notes = res.inputs.flatMap((i) => i.warnings);
      this.messages = res.errors.map((e) => `${e.message} ${e.suggestion}`.trim());
      return res.inputs.length > 0;
    } catch (err) {
      const e = toUserError(err);
      this.messages = [`${e.message} ${e.suggestion}`.trim()];
      return false;
    } finally {
      this.busy(input.role, false);
    }
  }

  remove(role: string, id: string): void {
    this.att = detach(this.att, role, id);
  }
}
