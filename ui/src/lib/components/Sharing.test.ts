import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, resetApi } from '../api.test-util';
import type { LibraryEntry, Publication } from '../bindings';

vi.mock('../api', async (original) => (await import('../api.test-util')).mockApiModule(original));
const { default: StorageSettings } = await import('./StorageSettings.svelte');
const { default: RunSharing } = await import('./RunSharing.svelte');
const { default: TeamLibrary } = await import('./TeamLibrary.svelte');

afterEach(resetApi);

const badKey = {
  code: 'storage_bad_key' as const,
  message: 'The storage server refused the access key.',
  suggestion: 'Check the access key and secret.',
  detail: '403 InvalidAccessKeyId',
};

const published: Publication = {
  job_id: 'job-1',
  state: 'published',
  location: 'https://s3.example/runs',
  files: 6,
  files_uploaded: 6,
  bytes: 1000,
  error: null,
  published_at: 1,
};

async function type(testid: string, value: string): Promise<void> {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

describe('Settings > Storage', () => {
  it('names what is missing, then shows the plain failure of Test storage', async () => {
    api.storageSettings.mockResolvedValue({ target: null, access_key_id: null, auto_publish: false, location: null });
    render(StorageSettings);
    await fireEvent.click(await screen.findByTestId('storage-test'));
    expect(screen.getByTestId('storage-url-error')).toBeTruthy();
    expect(screen.getByTestId('storage-secret-error')).toBeTruthy();
    expect(api.testStorage).not.toHaveBeenCalled();

    api.testStorage.mockRejectedValue(badKey);
    await type('storage-url', 'https://s3.example');
    await type('storage-bucket', 'runs');
    await type('storage-key', 'GK1');
    await type('storage-secret', 'wrong');
    await fireEvent.click(screen.getByTestId('storage-test'));
    const error = await screen.findByTestId('storage-error');
    expect(error.dataset.code).toBe('storage_bad_key');
    expect(error.textContent).toMatch(/refused the access key/);
    expect(api.testStorage).toHaveBeenCalledWith(
      expect.objectContaining({ access_key_id: 'GK1', secret_access_key: 'wrong', target: expect.objectContaining({ bucket: 'runs' }) }),
    );
  });
});

describe('Settings > Storage, saved', () => {
  it('saves a change with the secret left blank: the keychain keeps it', async () => {
    const saved = {
      target: { endpoint_url: 'https://s3.example', region: '', bucket: 'runs', prefix: '', path_style: true },
      access_key_id: 'GK1',
      auto_publish: false,
      location: 'https://s3.example/runs',
    };
    api.storageSettings.mockResolvedValue(saved);
    api.setStorage.mockResolvedValue({ ...saved, auto_publish: true });
    render(StorageSettings);
    await waitFor(() => expect((screen.getByTestId('storage-bucket') as HTMLInputElement).value).toBe('runs'));
    await fireEvent.click(screen.getByTestId('storage-auto-publish'));
    await fireEvent.click(screen.getByTestId('storage-save'));
    expect(screen.queryByTestId('storage-secret-error')).toBeNull();
    await waitFor(() =>
      expect(api.setStorage).toHaveBeenCalledWith(expect.objectContaining({ secret_access_key: null, auto_publish: true })),
    );
    expect((await screen.findByTestId('storage-status')).textContent).toMatch(/Saved/);
  });
});

describe('a run in storage', () => {
  it('follows an automatic publish until it ends', async () => {
    vi.useFakeTimers();
    try {
      api.publication.mockResolvedValueOnce({ ...published, state: 'publishing', files_uploaded: 1, published_at: null });
      api.publication.mockResolvedValue(published);
      render(RunSharing, { jobId: 'job-1' });
      await vi.waitFor(() => expect(screen.getByTestId('run-storage-state').textContent).toBe('Publishing 1/6 files'));
      await vi.advanceTimersByTimeAsync(2100);
      await vi.waitFor(() => expect(screen.getByTestId('run-storage-state').textContent).toBe('Published'));
      const calls = api.publication.mock.calls.length;
      await vi.advanceTimersByTimeAsync(10_000);
      expect(api.publication.mock.calls.length).toBe(calls);
    } finally {
      vi.useRealTimers();
    }
  });

  it('shows a failed publish with its error and retries it', async () => {
    api.publication.mockResolvedValueOnce({ ...published, state: 'failed', files_uploaded: 2, error: badKey });
    render(RunSharing, { jobId: 'job-1' });
    expect((await screen.findByTestId('run-storage-state')).textContent).toBe('Publishing failed');
    expect(screen.getByTestId('run-publish-error').dataset.code).toBe('storage_bad_key');
    api.publishJob.mockResolvedValue({ publication: published, uploaded: 4, skipped: 2, bytes_uploaded: 900 });
    api.publication.mockResolvedValue(published);
    await fireEvent.click(screen.getByTestId('run-publish'));
    expect(api.publishJob).toHaveBeenCalledWith('job-1');
    await waitFor(() => expect(screen.getByTestId('run-storage-state').textContent).toBe('Published'));

    api.shareLink.mockResolvedValue('https://s3.example/runs/job-1/video.mp4?X-Amz-Signature=abc');
    await fireEvent.change(screen.getByTestId('share-expiry'), { target: { value: '7d' } });
    await fireEvent.click(screen.getByTestId('run-share'));
    expect(api.shareLink).toHaveBeenCalledWith('job-1', '7d');
    const link = (await screen.findByTestId('run-share-link')) as HTMLInputElement;
    expect(link.value).toMatch(/X-Amz-Signature/);
  });
});

describe('the Team library', () => {
  it('imports a run from another workstation and shows what is already here', async () => {
    const entry = (id: string, local: string | null, madeHere: boolean): LibraryEntry => ({
      run: {
        format: 'animatrix-published-run',
        version: 1,
        job_id: id,
        mode: 'audio',
        template: { name: 's2v', version: '1.0.0' },
        prompt: `prompt ${id}`,
        video: 'video.mp4',
        video_bytes: 10,
        poster: null,
        seconds: 3,
        width: 480,
        height: 832,
        finished_at: 1,
        published_at: 2,
        app_version: '0.1.0',
      },
      local_job_id: local,
      made_here: madeHere,
    });
    api.libraryList.mockResolvedValueOnce([entry('theirs', null, false), entry('ours', 'ours', true)]);
    api.libraryImport.mockResolvedValue({ job_id: 'local-1', imported: true, location: 'https://s3/runs' });
    api.libraryList.mockResolvedValue([entry('theirs', 'local-1', false), entry('ours', 'ours', true)]);
    const onImported = vi.fn();
    render(TeamLibrary, { onImported, onOpen: vi.fn() });
    const runs = await screen.findAllByTestId('team-run');
    expect(runs).toHaveLength(2);
    expect(runs[1]?.textContent).toMatch(/Made here/);
    await fireEvent.click(screen.getByTestId('team-run-import'));
    expect(api.libraryImport).toHaveBeenCalledWith('theirs');
    await waitFor(() => expect(onImported).toHaveBeenCalled());
    await waitFor(() => expect(screen.queryByTestId('team-run-import')).toBeNull());
  });
});
