import { describe, expect, it } from 'vitest';
import type { Publication } from './bindings';
import {
  publicationLabel,
  publishAction,
  storageFormErrors,
  storageFormFrom,
  storageRequest,
} from './sharing';

const publication = (over: Partial<Publication>): Publication => ({
  job_id: 'j1',
  state: 'published',
  location: 'http://127.0.0.1:3900/runs',
  files: 6,
  files_uploaded: 6,
  bytes: 100,
  error: null,
  published_at: 1,
  ...over,
});

describe('storage form', () => {
  it('needs an address, a bucket and both halves of the key', () => {
    const empty = storageFormFrom(null);
    expect(Object.keys(storageFormErrors(empty)).sort()).toEqual(['accessKeyId', 'bucket', 'secret', 'url']);
    const ok = { ...empty, url: 'https://s3.example.com', bucket: 'runs', accessKeyId: 'GK1', secret: 's' };
    expect(storageFormErrors(ok)).toEqual({});
    expect(storageFormErrors({ ...ok, url: 'ftp://x' }).url).toBeTruthy();
  });

  it('fills from the saved settings without the secret and trims what it sends', () => {
    const v = storageFormFrom({
      target: { endpoint_url: 'https://s3', region: 'eu', bucket: 'runs', prefix: 'team', path_style: false },
      access_key_id: 'GK1',
      auto_publish: true,
      location: 'https://s3/runs/team',
    });
    expect(v).toMatchObject({ url: 'https://s3', bucket: 'runs', pathStyle: false, accessKeyId: 'GK1', secret: '', autoPublish: true });
    const req = storageRequest({ ...v, bucket: ' runs ', secret: 'x' });
    expect(req.target.bucket).toBe('runs');
    expect(req.secret_access_key).toBe('x');
    expect(req.auto_publish).toBe(true);
  });

  it('lets a blank secret keep the stored one only for the same bucket and key id', () => {
    const saved = {
      target: { endpoint_url: 'https://s3', region: '', bucket: 'runs', prefix: '', path_style: true },
      access_key_id: 'GK1',
      auto_publish: false,
      location: 'https://s3/runs',
    };
    const v = { ...storageFormFrom(saved), autoPublish: true };
    expect(storageFormErrors(v, saved)).toEqual({});
    expect(storageRequest(v).secret_access_key).toBeNull();
    expect(storageFormErrors({ ...v, url: 'https://s3/' }, saved)).toEqual({});
    expect(Object.keys(storageFormErrors({ ...v, accessKeyId: 'GK2' }, saved))).toEqual(['secret']);
    expect(Object.keys(storageFormErrors({ ...v, bucket: 'other' }, saved))).toEqual(['secret']);
    expect(Object.keys(storageFormErrors(v, null))).toEqual(['secret']);
  });
});

describe('run storage state', () => {
  it('says where a publish stands and offers the matching action', () => {
    expect(publicationLabel(null)).toBe('Not published');
    expect(publishAction(null)).toBe('publish');
    expect(publicationLabel(publication({}))).toBe('Published');
    expect(publishAction(publication({}))).toBeNull();
    const failed = publication({ state: 'failed', files_uploaded: 2 });
    expect(publicationLabel(failed)).toBe('Publishing failed');
    expect(publishAction(failed)).toBe('retry');
    const killed = publication({ state: 'publishing', files_uploaded: 2 });
    expect(publicationLabel(killed)).toBe('Publishing 2/6 files');
    expect(publishAction(killed)).toBe('resume');
  });
});
