// Words and form rules of Settings > Storage, the run's storage state and the Team library.
// The core validates again and owns every rule that matters (what may be published, expiry
// limits); these exist so the window can say what is missing next to the field before sending.
import type { Publication, StorageForm, StorageSettings } from './bindings';

export interface StorageFormValues {
  url: string;
  region: string;
  bucket: string;
  prefix: string;
  pathStyle: boolean;
  accessKeyId: string;
  secret: string;
  autoPublish: boolean;
}

export type StorageField = 'url' | 'bucket' | 'accessKeyId' | 'secret';

/** The form as the saved settings fill it (the secret is never read back). */
export function storageFormFrom(settings: StorageSettings | null): StorageFormValues {
  const t = settings?.target;
  return {
    url: t?.endpoint_url ?? '',
    region: t?.region ?? '',
    bucket: t?.bucket ?? '',
    prefix: t?.prefix ?? '',
    pathStyle: t?.path_style ?? true,
    accessKeyId: settings?.access_key_id ?? '',
    secret: '',
    autoPublish: settings?.auto_publish ?? false,
  };
}

/** Whether a blank secret may stand for the one stored in the keychain: same bucket, same key id
 * (the core applies the same rule and says so if the keychain disagrees). */
export function keepsStoredSecret(v: StorageFormValues, saved: StorageSettings | null): boolean {
  const t = saved?.target;
  return (
    !!t &&
    t.endpoint_url === v.url.trim().replace(/\/+$/, '') &&
    t.bucket === v.bucket.trim() &&
    saved?.access_key_id === v.accessKeyId.trim()
  );
}

/** What is missing, per field (empty when the form may be sent). */
export function storageFormErrors(
  v: StorageFormValues,
  saved: StorageSettings | null = null,
): Partial<Record<StorageField, string>> {
  const errors: Partial<Record<StorageField, string>> = {};
  if (!/^https?:\/\/\S+$/.test(v.url.trim())) errors.url = 'Enter the server address, e.g. https://s3.example.com.';
  if (v.bucket.trim().length < 3) errors.bucket = 'Enter the bucket name.';
  if (!v.accessKeyId.trim()) errors.accessKeyId = 'Enter the access key id.';
  if (!v.secret.trim() && !keepsStoredSecret(v, saved)) errors.secret = 'Enter the secret access key (it is stored in your keychain).';
  return errors;
}

export function storageRequest(v: StorageFormValues): StorageForm {
  return {
    target: {
      endpoint_url: v.url.trim(),
      region: v.region.trim(),
      bucket: v.bucket.trim(),
      prefix: v.prefix.trim(),
      path_style: v.pathStyle,
    },
    access_key_id: v.accessKeyId.trim(),
    // Blank: the core keeps the secret already in the keychain for this bucket and key id.
    secret_access_key: v.secret.trim() ? v.secret : null,
    auto_publish: v.autoPublish,
  };
}

/** Share-link lifetimes offered on a run (the core accepts 1 s to 7 days). */
export const EXPIRY_CHOICES: { value: string; label: string }[] = [
  { value: '1h', label: '1 hour' },
  { value: '24h', label: '24 hours' },
  { value: '7d', label: '7 days' },
];

/** The run's storage state in a few words. */
export function publicationLabel(p: Publication | null): string {
  if (!p) return 'Not published';
  switch (p.state) {
    case 'published':
      return 'Published';
    case 'publishing':
      return p.files > 0 ? `Publishing ${p.files_uploaded}/${p.files} files` : 'Publishing';
    case 'failed':
      return 'Publishing failed';
  }
}

/** Which action the run offers for its storage state. */
export function publishAction(p: Publication | null): 'publish' | 'retry' | 'resume' | null {
  if (!p) return 'publish';
  if (p.state === 'failed') return 'retry';
  if (p.state === 'publishing') return 'resume';
  return null;
}
