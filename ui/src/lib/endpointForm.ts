// Rules of the "add a server" form. The core validates again (it is the authority, and the CLI
// goes through it too); these rules exist so the user sees a precise message next to the field
// before anything is sent.
import type { AddEndpointRequest, AuthKind, EndpointView, UpdateEndpointRequest } from './bindings';

export type AuthKindName = AuthKind['kind'];

export interface EndpointFormValues {
  name: string;
  url: string;
  authKind: AuthKindName;
  headerName: string;
  secret: string;
  makeDefault: boolean;
}

export type EndpointField = 'name' | 'url' | 'headerName' | 'secret';
export type FieldErrors = Partial<Record<EndpointField, string>>;

export const NAME_MAX = 64;

export function emptyEndpointForm(): EndpointFormValues {
  return { name: '', url: '', authKind: 'none', headerName: '', secret: '', makeDefault: false };
}

export const AUTH_CHOICES: { value: AuthKindName; label: string }[] = [
  { value: 'none', label: 'No authentication' },
  { value: 'bearer', label: 'Bearer token' },
  { value: 'basic', label: 'Username and password (Basic)' },
  { value: 'header', label: 'Custom header' },
];

/** Whether the form shows the secret field for this auth kind. */
export function needsSecret(kind: AuthKindName): boolean {
  return kind !== 'none';
}

/** Whether the form shows the header-name field for this auth kind. */
export function needsHeaderName(kind: AuthKindName): boolean {
  return kind === 'header';
}

/** Label of the secret field, in the words of the chosen auth kind. */
export function secretLabel(kind: AuthKindName): string {
  switch (kind) {
    case 'bearer':
      return 'Token';
    case 'basic':
      return 'Username and password, as user:password';
    case 'header':
      return 'Header value';
    case 'none':
      return 'Secret';
  }
}

// RFC 9110 "token": the characters allowed in an HTTP header field name.
const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Headers the HTTP client sets itself; letting a user override them would break requests.
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'upgrade',
]);
// Same alphabet as the core's `validate_name`: letters, digits, space, '-', '_', '.'.
const NAME_CHARS = /^[\p{L}\p{N} ._-]+$/u;

export function validateName(name: string, existing: readonly string[]): string | undefined {
  const n = name.trim();
  if (n === '') return 'Give this server a name, for example "studio".';
  if (n.length > NAME_MAX) return `Use at most ${NAME_MAX} characters.`;
  if (!NAME_CHARS.test(n)) return 'Use only letters, digits, spaces and - _ . in the name.';
  if (existing.includes(n)) return `A server named "${n}" already exists. Choose another name.`;
  return undefined;
}

export function validateUrl(url: string): string | undefined {
  const u = url.trim();
  if (u === '') return 'Enter the server address, for example https://comfy.example.com.';
  let parsed: URL;
  try {
    parsed = new URL(u);
  } catch {
    return 'This is not a web address. It should look like https://comfy.example.com.';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return 'The address must start with https:// or http://.';
  }
  if (parsed.hostname === '') return 'The address has no host name.';
  if (parsed.username !== '' || parsed.password !== '') {
    return 'Do not put a user name or password in the address: choose an authentication kind below.';
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    return 'Remove the part after "?" or "#": only the server address is needed.';
  }
  return undefined;
}

export function validateHeaderName(kind: AuthKindName, headerName: string): string | undefined {
  if (!needsHeaderName(kind)) return undefined;
  const h = headerName.trim();
  if (h === '') return 'Enter the header name your server expects, for example X-Api-Key.';
  if (!HEADER_TOKEN.test(h)) return 'A header name may use only letters, digits and - _ . characters.';
  if (h.length > 64) return 'Use at most 64 characters for the header name.';
  if (RESERVED_HEADERS.has(h.toLowerCase())) return `"${h}" is set by the app itself; use another header.`;
  return undefined;
}

export function validateSecret(kind: AuthKindName, secret: string): string | undefined {
  if (!needsSecret(kind)) return undefined;
  if (secret === '') return 'Enter the secret. It is stored in your system keychain, never in a file.';
  if (/[\r\n]/.test(secret)) return 'The secret must be on one line.';
  if (kind === 'basic') {
    const colon = secret.indexOf(':');
    if (colon <= 0) return 'Write it as user:password (the user name comes before the first colon).';
  }
  return undefined;
}

export function validateEndpointForm(
  values: EndpointFormValues,
  existingNames: readonly string[],
): FieldErrors {
  const errors: FieldErrors = {};
  const name = validateName(values.name, existingNames);
  if (name) errors.name = name;
  const url = validateUrl(values.url);
  if (url) errors.url = url;
  const header = validateHeaderName(values.authKind, values.headerName);
  if (header) errors.headerName = header;
  const secret = validateSecret(values.authKind, values.secret);
  if (secret) errors.secret = secret;
  return errors;
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.keys(errors).length > 0;
}

function authKindOf(values: EndpointFormValues): AuthKind {
  switch (values.authKind) {
    case 'header':
      return { kind: 'header', name: values.headerName.trim() };
    case 'bearer':
      return { kind: 'bearer' };
    case 'basic':
      return { kind: 'basic' };
    case 'none':
      return { kind: 'none' };
  }
}

/** The command argument for valid form values. The secret is passed only when the kind uses one. */
export function toAddRequest(values: EndpointFormValues): AddEndpointRequest {
  return {
    name: values.name.trim(),
    base_url: values.url.trim(),
    auth: authKindOf(values),
    make_default: values.makeDefault,
    secret: needsSecret(values.authKind) ? values.secret : null,
  };
}

/** Short label of an endpoint's auth kind for the list. */
export function describeAuth(auth: AuthKind): string {
  switch (auth.kind) {
    case 'none':
      return 'No authentication';
    case 'bearer':
      return 'Bearer token';
    case 'basic':
      return 'Basic (user:password)';
    case 'header':
      return `Header ${auth.name}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Editing a server: the URL and authentication change; the name does not. An empty secret keeps
// the stored one (when the kind is unchanged and a secret is stored).

/** The edit form's values for an existing endpoint (the secret is never known here). */
export function editFormFor(ep: EndpointView): EndpointFormValues {
  return {
    name: ep.name,
    url: ep.base_url,
    authKind: ep.auth.kind,
    headerName: ep.auth.kind === 'header' ? ep.auth.name : '',
    secret: '',
    makeDefault: ep.is_default,
  };
}

/** Whether leaving the secret empty keeps a stored one that still applies. */
export function canKeepSecret(values: EndpointFormValues, ep: EndpointView): boolean {
  return ep.has_secret && ep.auth.kind === values.authKind;
}

export function validateEdit(values: EndpointFormValues, ep: EndpointView): FieldErrors {
  const errors: FieldErrors = {};
  const url = validateUrl(values.url);
  if (url) errors.url = url;
  const header = validateHeaderName(values.authKind, values.headerName);
  if (header) errors.headerName = header;
  if (!(values.secret === '' && canKeepSecret(values, ep))) {
    const secret = validateSecret(values.authKind, values.secret);
    if (secret) errors.secret = secret;
  }
  return errors;
}

export function toUpdateRequest(values: EndpointFormValues, ep: EndpointView): UpdateEndpointRequest {
  return {
    name: ep.name,
    base_url: values.url.trim(),
    auth: authKindOf(values),
    secret: needsSecret(values.authKind) && values.secret !== '' ? values.secret : null,
  };
}
