import { describe, expect, it } from 'vitest';
import {
  emptyEndpointForm,
  needsHeaderName,
  needsSecret,
  secretLabel,
  toAddRequest,
  validateEndpointForm,
  validateHeaderName,
  validateName,
  validateSecret,
  validateUrl,
  type EndpointFormValues,
} from './endpointForm';

function form(patch: Partial<EndpointFormValues>): EndpointFormValues {
  return { ...emptyEndpointForm(), ...patch };
}

describe('server name', () => {
  it('is required and trimmed', () => {
    expect(validateName('', [])).toMatch(/name/);
    expect(validateName('   ', [])).toMatch(/name/);
    expect(validateName('  studio  ', [])).toBeUndefined();
  });

  it('refuses a duplicate of an existing server', () => {
    expect(validateName('production', ['production'])).toMatch(/already exists/);
    expect(validateName(' production ', ['production'])).toMatch(/already exists/);
    expect(validateName('production-2', ['production'])).toBeUndefined();
  });

  it('uses the core alphabet and length', () => {
    expect(validateName('gpu box_1.a', [])).toBeUndefined();
    expect(validateName('Büro-GPU', [])).toBeUndefined();
    expect(validateName('a/b', [])).toMatch(/only letters/);
    expect(validateName('tab\there', [])).toMatch(/only letters/);
    expect(validateName('x'.repeat(64), [])).toBeUndefined();
    expect(validateName('x'.repeat(65), [])).toMatch(/at most 64/);
  });
});

describe('server address', () => {
  it('accepts http and https with a host, a port and a path prefix', () => {
    expect(validateUrl('https://comfy.example.com')).toBeUndefined();
    expect(validateUrl(' http://gpu.lab.local:8188/ ')).toBeUndefined();
    expect(validateUrl('https://gateway.example.com/comfy')).toBeUndefined();
  });

  it('refuses empty, malformed and other schemes', () => {
    expect(validateUrl('')).toMatch(/Enter the server address/);
    expect(validateUrl('comfy.example.com')).toMatch(/not a web address/);
    expect(validateUrl('ftp://files.example.com')).toMatch(/https:\/\/ or http:\/\//);
    expect(validateUrl('file:///etc/passwd')).toMatch(/https:\/\/ or http:\/\//);
  });

  it('refuses credentials, queries and fragments in the address', () => {
    expect(validateUrl('https://user:pw@comfy.example.com')).toMatch(/authentication kind/);
    expect(validateUrl('https://comfy.example.com/?token=abc')).toMatch(/after "\?"/);
    expect(validateUrl('https://comfy.example.com/#x')).toMatch(/after "\?" or "#"/);
  });
});

describe('auth kind rules', () => {
  it('shows the secret field for every kind but none, the header name only for header', () => {
    expect(needsSecret('none')).toBe(false);
    expect(needsSecret('bearer')).toBe(true);
    expect(needsSecret('basic')).toBe(true);
    expect(needsSecret('header')).toBe(true);
    expect(needsHeaderName('header')).toBe(true);
    expect(needsHeaderName('bearer')).toBe(false);
    expect(secretLabel('basic')).toMatch(/user:password/);
  });

  it('validates header names as HTTP tokens and keeps the reserved ones out', () => {
    expect(validateHeaderName('bearer', '')).toBeUndefined();
    expect(validateHeaderName('header', '')).toMatch(/header name/);
    expect(validateHeaderName('header', 'X-Api-Key')).toBeUndefined();
    expect(validateHeaderName('header', 'X Api')).toMatch(/only letters/);
    expect(validateHeaderName('header', 'X-Key\r\nEvil: 1')).toMatch(/only letters/);
    expect(validateHeaderName('header', 'Host')).toMatch(/set by the app/);
    expect(validateHeaderName('header', 'x'.repeat(65))).toMatch(/64/);
  });

  it('requires a one-line secret, and user:password for basic', () => {
    expect(validateSecret('none', '')).toBeUndefined();
    expect(validateSecret('bearer', '')).toMatch(/keychain/);
    expect(validateSecret('bearer', 'tok\nen')).toMatch(/one line/);
    expect(validateSecret('bearer', 'token')).toBeUndefined();
    expect(validateSecret('basic', 'justapassword')).toMatch(/user:password/);
    expect(validateSecret('basic', ':pw')).toMatch(/user:password/);
    expect(validateSecret('basic', 'ann:pw:with:colons')).toBeUndefined();
  });
});

describe('whole form', () => {
  it('reports every field at fault at once', () => {
    const errors = validateEndpointForm(form({ authKind: 'header' }), []);
    expect(Object.keys(errors).sort()).toEqual(['headerName', 'name', 'secret', 'url']);
  });

  it('is clean for a valid server without authentication', () => {
    const errors = validateEndpointForm(form({ name: 'lab', url: 'http://gpu.lab.local:8188' }), []);
    expect(errors).toEqual({});
  });

  it('builds the command argument the Rust side deserializes', () => {
    expect(
      toAddRequest(
        form({ name: ' lab ', url: ' https://x.example ', authKind: 'header', headerName: ' X-Key ', secret: 's3', makeDefault: true }),
      ),
    ).toEqual({
      name: 'lab',
      base_url: 'https://x.example',
      auth: { kind: 'header', name: 'X-Key' },
      make_default: true,
      secret: 's3',
    });
  });

  it('never sends a leftover secret when the kind needs none', () => {
    const req = toAddRequest(form({ name: 'lab', url: 'https://x.example', authKind: 'none', secret: 'typed-then-switched' }));
    expect(req.secret).toBeNull();
    expect(req.auth).toEqual({ kind: 'none' });
  });
});
