import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resetApi } from '../api.test-util';
import { chipFromAsset, defaultSettings } from '../composer';
import { MIX, MOVE, POSE, S2V, SEF, STUDIOS, asset, fakePlan, request } from '../fixtures.test-util';
import { reactive } from '../reactive.test-util.svelte';
import type { Shown } from '../readiness';

vi.mock('../api', async (original) => (await import('../api.test-util')).mockApiModule(original));
const { default: ChipRail } = await import('./ChipRail.svelte');
const { default: AdvancedDrawer } = await import('./AdvancedDrawer.svelte');

afterEach(resetApi);

const audio24 = asset({ id: 'aud', kind: 'audio', role: 'audio', original_name: 'voice.wav', duration_seconds: 24 });

describe('ChipRail', () => {
  it("one chip per input of the template, its label whole; warnings and + / × per role", async () => {
    const onPick = vi.fn();
    const onRemove = vi.fn();
    const shown: Record<string, Shown[]> = { ground_truth: [{ message: 'Add the Ground Truth to generate.', blocking: true }] };
    render(ChipRail, {
      inputs: S2V.inputs,
      attachments: { audio: [chipFromAsset(audio24)] },
      busyRoles: ['reference'],
      shownFor: (role: string) => shown[role] ?? [],
      onPick,
      onRemove,
    });
    for (const i of S2V.inputs) {
      const chip = screen.getByTestId(`slot-${i.role}`);
      expect(chip.querySelector('.chip-label')?.textContent).toBe(i.label);
      expect(chip.getAttribute('data-kind')).toBe(i.kind);
    }
    expect(screen.getByTestId('slot-ground_truth').getAttribute('data-filled')).toBe('false');
    expect(screen.getByTestId('warning-input-ground_truth').textContent).toBe('Add the Ground Truth to generate.');
    expect(screen.getByTestId('slot-pose_sheet').textContent).toMatch(S2V.inputs.find((i) => i.role === 'pose_sheet')!.hint);
    expect(screen.getByTestId('slot-audio').getAttribute('data-filled')).toBe('true');
    expect(screen.getByTestId('slot-audio').querySelector('svg.wave path')?.getAttribute('d')).toMatch(/^M0\.5 /);
    expect(screen.getByTestId('chip-duration-audio').textContent).toBe('24 s');
    expect(screen.getByTestId('slot-reference').getAttribute('aria-busy')).toBe('true');
    expect((screen.getByTestId('attach-reference') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('attach-reference').getAttribute('aria-label')).toBe('Add Reference (up to 4)');
    expect(screen.queryByTestId('attach-audio')).toBeNull();

    await fireEvent.click(screen.getByTestId('attach-ground_truth'));
    expect(onPick).toHaveBeenCalledWith(S2V.inputs[0]);
    await fireEvent.click(screen.getByTestId('chip-remove-audio'));
    expect(onRemove).toHaveBeenCalledWith('audio', 'aud');
  });

  it('a several-file input shows each file and keeps + until its max', () => {
    const refs = ['r1', 'r2'].map((id) => chipFromAsset(asset({ id, kind: 'image', role: 'reference' })));
    render(ChipRail, { inputs: MOVE.inputs, attachments: { reference: refs }, busyRoles: [], shownFor: () => [], onPick: vi.fn(), onRemove: vi.fn() });
    expect(screen.getAllByTestId('chip-remove-reference')).toHaveLength(2);
    expect(screen.getByTestId('attach-reference')).toBeTruthy();
    expect(screen.getByTestId('slot-reference').textContent).toMatch(/2 of 4 added/);
  });
});

describe('AdvancedDrawer', () => {
  const props = (over: Record<string, unknown> = {}) => ({
    settings: reactive(defaultSettings(MIX)),
    template: MIX,
    studio: STUDIOS[0]!,
    attachments: {},
    plan: null,
    shownAt: () => [],
    onOpenSettings: () => {},
    onClose: vi.fn(),
    ...over,
  });

  it('renders the parameters of the template with their values and help', () => {
    render(AdvancedDrawer, props());
    const choice = screen.getByTestId('param-background_preservation') as HTMLSelectElement;
    expect(choice.tagName).toBe('SELECT');
    expect(Array.from(choice.options).map((o) => o.value)).toEqual(['high', 'balanced', 'low']);
    expect(choice.getAttribute('aria-describedby')).toBe('param-background_preservation-help');
    expect(document.getElementById('param-background_preservation-help')?.textContent).toBe(
      MIX.parameters.find((p) => p.name === 'background_preservation')!.description,
    );
    expect((screen.getByTestId('param-relight') as HTMLInputElement).type).toBe('checkbox');
    // Points without the video: nothing to tap yet, and it says what to add.
    expect(screen.queryByTestId('points-frame')).toBeNull();
    expect(screen.getByTestId('advanced-drawer').textContent).toMatch(/Add the Motion Video to mark on its first frame/);
    expect(screen.queryByTestId('framing')).toBeNull();
  });

  it('edits the settings it is given; Esc anywhere in the drawer calls onClose, other keys do not', async () => {
    const onClose = vi.fn();
    const p = props({ onClose });
    render(AdvancedDrawer, p);
    await fireEvent.input(screen.getByTestId('seed'), { target: { value: '123' } });
    expect(p.settings.seed).toBe(123);
    await fireEvent.change(screen.getByTestId('param-relight'), { target: { checked: false } });
    expect(p.settings.params).toMatchObject({ relight: false });
    await fireEvent.click(screen.getByTestId('seed-random'));
    expect(p.settings.seed).toBe(-1);
    expect(document.getElementById('seed-help')?.textContent?.trim()).toBe('-1 picks a new random seed each time.');
    await fireEvent.keyDown(screen.getByTestId('seed'), { key: 'a' });
    expect(onClose).not.toHaveBeenCalled();
    await fireEvent.keyDown(screen.getByTestId('negative-prompt'), { key: 'Escape' });
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('offers what each template has: framings, a control choice, a target length from the plan', () => {
    const { unmount } = render(AdvancedDrawer, props({ settings: reactive(defaultSettings(S2V)), template: S2V, studio: STUDIOS[1]! }));
    const framing = screen.getByTestId('framing') as HTMLSelectElement;
    expect(Array.from(framing.options).map((o) => o.value)).toEqual(S2V.framings.map((f) => f.value));
    expect(framing.value).toBe(S2V.defaults.framing);
    expect((screen.getByTestId('target-duration') as HTMLInputElement).placeholder).toBe('The whole Audio');
    unmount();

    const plan = fakePlan(request({ template: 'start_end_frame' }, []));
    const sef = render(AdvancedDrawer, props({ settings: reactive(defaultSettings(SEF)), template: SEF, studio: STUDIOS[2]!, plan }));
    expect(screen.getByTestId('segments-note').textContent).toBe('5.1 s, 1 segment.');
    expect(screen.queryByTestId('points-frame')).toBeNull();
    sef.unmount();

    render(AdvancedDrawer, props({ settings: reactive(defaultSettings(POSE)), template: POSE, studio: STUDIOS[3]! }));
    const control = screen.getByTestId('param-control') as HTMLSelectElement;
    expect(control.value).toBe('pose');
    expect(Array.from(control.options).map((o) => o.textContent)).toEqual(['Body pose', 'Edges', 'Depth']);
  });

  it("shows each control's issues next to it", () => {
    const shown: Record<string, Shown[]> = { 'param-relight': [{ message: 'Relight needs a newer server.', blocking: true }] };
    render(AdvancedDrawer, props({ shownAt: (k: string) => shown[k] ?? [] }));
    expect(screen.getByTestId('warning-param-relight').closest('.field')?.contains(screen.getByTestId('param-relight'))).toBe(true);
  });
});
