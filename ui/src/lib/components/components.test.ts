import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AddEndpointRequest } from '../types';

const addEndpoint = vi.fn();
vi.mock('../api', async (original) => {
  const real = await original<typeof import('../api')>();
  return { ...real, api: { ...real.api, addEndpoint: (r: AddEndpointRequest) => addEndpoint(r) } };
});

const { default: Composer } = await import('./Composer.svelte');
const { default: EndpointForm } = await import('./EndpointForm.svelte');

afterEach(() => addEndpoint.mockReset());

describe('Composer', () => {
  it('switches the input chips with the mode and keeps Generate disabled with the reason', async () => {
    render(Composer, { endpointCount: 0, onOpenSettings: () => {} });
    expect(screen.getByTestId('slot-motion_video')).toBeTruthy();
    expect(screen.queryByTestId('slot-audio')).toBeNull();

    await fireEvent.click(screen.getByTestId('mode-audio'));
    expect(screen.getByTestId('slot-audio')).toBeTruthy();
    expect(screen.queryByTestId('slot-motion_video')).toBeNull();
    expect(screen.getByTestId('mode-description').textContent).toMatch(/does not replace/);

    const generate = screen.getByTestId('generate') as HTMLButtonElement;
    expect(generate.disabled).toBe(true);
    expect(screen.getByTestId('generate-hint').textContent).toMatch(/Connect a server in Settings/);
  });

  it('with a server, says honestly that this build cannot generate', () => {
    render(Composer, { endpointCount: 1, onOpenSettings: () => {} });
    expect((screen.getByTestId('generate') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('generate-hint').textContent).toMatch(/not available in this version/);
    expect(screen.queryByTestId('open-settings')).toBeNull();
  });
});

describe('EndpointForm', () => {
  it('shows the header and secret fields only for the kinds that use them', async () => {
    render(EndpointForm, { existingNames: [], onAdded: () => {} });
    expect(screen.queryByTestId('endpoint-form-secret')).toBeNull();
    expect(screen.queryByTestId('endpoint-form-header-name')).toBeNull();

    const auth = screen.getByTestId('endpoint-form-auth') as HTMLSelectElement;
    await fireEvent.change(auth, { target: { value: 'bearer' } });
    const secret = screen.getByTestId('endpoint-form-secret') as HTMLInputElement;
    expect(secret.type).toBe('password');
    expect(screen.queryByTestId('endpoint-form-header-name')).toBeNull();

    await fireEvent.change(auth, { target: { value: 'header' } });
    expect(screen.getByTestId('endpoint-form-header-name')).toBeTruthy();
  });

  it('shows field errors and sends nothing when invalid', async () => {
    render(EndpointForm, { existingNames: ['production'], onAdded: () => {} });
    await fireEvent.input(screen.getByTestId('endpoint-form-name'), { target: { value: 'production' } });
    await fireEvent.input(screen.getByTestId('endpoint-form-url'), { target: { value: 'ftp://x' } });
    await fireEvent.click(screen.getByTestId('endpoint-form-submit'));
    expect(screen.getByTestId('endpoint-form-name-error').textContent).toMatch(/already exists/);
    expect(screen.getByTestId('endpoint-form-url-error').textContent).toMatch(/https:\/\//);
    expect(screen.getByTestId('endpoint-form-name').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(screen.getByTestId('endpoint-form-name'));
    expect(addEndpoint).not.toHaveBeenCalled();
  });

  it('sends a valid form, clears the secret, and shows a core error as message + suggestion', async () => {
    addEndpoint.mockRejectedValueOnce({
      code: 'keychain_unavailable',
      message: 'Your system keychain is not reachable.',
      suggestion: 'Install and unlock a Secret Service keyring.',
    });
    render(EndpointForm, { existingNames: [], onAdded: () => {} });
    await fireEvent.input(screen.getByTestId('endpoint-form-name'), { target: { value: 'lab' } });
    await fireEvent.input(screen.getByTestId('endpoint-form-url'), { target: { value: 'https://lab.example' } });
    await fireEvent.change(screen.getByTestId('endpoint-form-auth'), { target: { value: 'bearer' } });
    await fireEvent.input(screen.getByTestId('endpoint-form-secret'), { target: { value: 'tok-123' } });
    await fireEvent.click(screen.getByTestId('endpoint-form-submit'));

    expect(addEndpoint).toHaveBeenCalledWith({
      name: 'lab',
      base_url: 'https://lab.example',
      auth: { kind: 'bearer' },
      make_default: false,
      secret: 'tok-123',
    });
    expect(await screen.findByTestId('endpoint-form-error-message')).toBeTruthy();
    expect(screen.getByTestId('endpoint-form-error-suggestion').textContent).toMatch(/keyring/);
    expect((screen.getByTestId('endpoint-form-secret') as HTMLInputElement).value).toBe('');
    // The emptied secret field is not blamed for the core's error.
    expect(screen.queryByTestId('endpoint-form-secret-error')).toBeNull();
  });
});
