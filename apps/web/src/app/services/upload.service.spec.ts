import { TestBed } from '@angular/core/testing';
import { FakeXhr } from '../testing/fake-xhr';
import { mediaItem } from '../testing/media';
import { ApiRequestError, networkError } from './http';
import { ManageKeysService } from './manage-keys.service';
import {
  UploadCancelledError,
  UploadService,
  XHR_FACTORY,
  type UploadProgress,
  isUploadCancelled,
  looksLikeVideo,
  uploadErrorMessage,
} from './upload.service';

const video = (name = 'clip.mp4', size = 1000, type = 'video/mp4') => new File([new Uint8Array(size)], name, { type });

describe('UploadService', () => {
  let xhrs: FakeXhr[];
  let service: UploadService;

  beforeEach(() => {
    localStorage.clear();
    xhrs = [];
    TestBed.configureTestingModule({
      providers: [
        {
          provide: XHR_FACTORY,
          useValue: () => {
            const xhr = new FakeXhr();
            xhrs.push(xhr);
            return xhr.asXhr();
          },
        },
      ],
    });
    service = TestBed.inject(UploadService);
  });

  it('POSTs one multipart field "file" to /api/media', () => {
    const file = video();
    service.upload(file);
    const xhr = xhrs[0];
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe('/api/media');
    expect(xhr.body).toBeInstanceOf(FormData);
    const form = xhr.body as FormData;
    expect([...form.keys()]).toEqual(['file']);
    expect((form.get('file') as File).name).toBe('clip.mp4');
  });

  it('reports upload progress, starting at 0, and resolves with the media item', async () => {
    const progress: UploadProgress[] = [];
    const task = service.upload(video('clip.mp4', 2000), (p) => progress.push(p));
    const xhr = xhrs[0];
    xhr.progress(500, 2100);
    xhr.progress(2100, 2100);
    const media = mediaItem({ status: 'processing', progress: 0, hlsUrl: null });
    xhr.respond(201, media);
    await expect(task.done).resolves.toEqual(media);
    expect(progress.map((p) => p.fraction)).toEqual([0, 500 / 2100, 1]);
    expect(progress[1]).toMatchObject({ loaded: 500, total: 2100 });
  });

  it('keeps the owner key of the new item and resolves with the item without it', async () => {
    const task = service.upload(video());
    const media = mediaItem({ id: 'Uploaded_0000001', status: 'processing', progress: 0, hlsUrl: null });
    xhrs[0].respond(201, { ...media, ownerKey: 'owner-key-1' });
    const result = await task.done;
    expect(result).toEqual(media);
    expect(result).not.toHaveProperty('ownerKey');
    expect(TestBed.inject(ManageKeysService).ownerKey(media.id)).toBe('owner-key-1');
  });

  it('an answer without an owner key still resolves (the item exists), and nothing is kept', async () => {
    const task = service.upload(video());
    const media = mediaItem({ id: 'Uploaded_0000002' });
    xhrs[0].respond(201, media);
    await expect(task.done).resolves.toEqual(media);
    expect(TestBed.inject(ManageKeysService).ownerKey(media.id)).toBeNull();
  });

  it('sends the admin token only while this browser is signed in as admin', () => {
    service.upload(video());
    expect(xhrs[0].headers).not.toHaveProperty('Authorization');
    TestBed.inject(ManageKeysService).setAdminToken('admin-token');
    service.upload(video());
    expect(xhrs[1].headers['Authorization']).toBe('Bearer admin-token');
  });

  it('falls back to the file size when the total is unknown', () => {
    const progress: UploadProgress[] = [];
    service.upload(video('a.mp4', 1000), (p) => progress.push(p));
    xhrs[0].upload.dispatch('progress', { loaded: 250, total: 0, lengthComputable: false });
    expect(progress.at(-1)).toEqual({ loaded: 250, total: 1000, fraction: 0.25 });
  });

  it('abort() cancels the request and rejects with UploadCancelledError', async () => {
    const task = service.upload(video());
    task.abort();
    expect(xhrs[0].aborted).toBe(true);
    await expect(task.done).rejects.toBeInstanceOf(UploadCancelledError);
    task.abort(); // twice is harmless
  });

  it('an abort nobody asked for (browser, network) is a network error', async () => {
    const task = service.upload(video());
    xhrs[0].dispatch('abort');
    await expect(task.done).rejects.toMatchObject({ statusCode: 0 });
  });

  it.each([
    [413, { statusCode: 413, error: 'Payload Too Large', message: 'the file is larger than the 1048576-byte limit' }],
    [415, { statusCode: 415, error: 'Unsupported Media Type', message: 'this file is not a video we can decode' }],
    [400, { statusCode: 400, error: 'Bad Request', message: 'no file' }],
  ])('rejects a %i with the server error body', async (status, body) => {
    const task = service.upload(video());
    xhrs[0].respond(status, body, body.error);
    await expect(task.done).rejects.toMatchObject({ statusCode: status, message: body.message });
  });

  it('a connection failure rejects with a network error', async () => {
    const task = service.upload(video());
    xhrs[0].fail();
    const error = await task.done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiRequestError);
    expect((error as ApiRequestError).isNetworkError).toBe(true);
  });

  it('a 2xx that is not a media item is a bad answer', async () => {
    const task = service.upload(video());
    xhrs[0].respond(201, '<html>proxy</html>');
    await expect(task.done).rejects.toMatchObject({ statusCode: 502 });
  });
});

describe('uploadErrorMessage', () => {
  it('413: says the file is larger than the limit, with the limit when the server states it', () => {
    expect(uploadErrorMessage(new ApiRequestError(413, 'the file is larger than the 4294967296-byte limit', 'Payload Too Large'))).toBe(
      'This file is larger than the limit (4 GB). Try a smaller or more compressed video.',
    );
    expect(uploadErrorMessage(new ApiRequestError(413, 'Too large', 'Payload Too Large'))).toContain('larger than the limit.');
  });

  it('415: not a video we can play', () => {
    expect(uploadErrorMessage(new ApiRequestError(415, 'this file is not a video we can decode', 'x'))).toContain(
      'not a video we can play',
    );
  });

  it('401: uploads need the admin token; 507: the library is full; 429: names the hourly limit', () => {
    expect(uploadErrorMessage(new ApiRequestError(401, 'uploading needs the admin token', 'Unauthorized'))).toBe(
      'Uploads need the admin token on this server.',
    );
    expect(uploadErrorMessage(new ApiRequestError(507, 'the library is full (MEDIA_QUOTA_BYTES)', 'Insufficient Storage'))).toContain(
      'The library is full',
    );
    expect(
      uploadErrorMessage(new ApiRequestError(429, 'at most 20 uploads per hour from one address (UPLOADS_PER_HOUR); try again later', 'x')),
    ).toBe('Too many uploads from here (at most 20 an hour). Try again later.');
    expect(uploadErrorMessage(new ApiRequestError(429, 'slow down', 'x'))).toBe('Too many uploads from here. Try again later.');
  });

  it('network errors, server errors, other refusals and cancels', () => {
    expect(uploadErrorMessage(networkError())).toContain('connection to the server was lost');
    expect(uploadErrorMessage(new ApiRequestError(503, 'down', 'x'))).toContain('server had a problem');
    expect(uploadErrorMessage(new ApiRequestError(400, 'no file', 'x'))).toBe('The upload was refused: no file');
    expect(uploadErrorMessage(new UploadCancelledError())).toBeNull();
    expect(isUploadCancelled(new UploadCancelledError())).toBe(true);
    expect(uploadErrorMessage(new Error('?'))).toBe('The upload failed. Try again.');
  });
});

describe('looksLikeVideo', () => {
  it.each([
    ['clip.mp4', 'video/mp4', true],
    ['film.mkv', '', true],
    ['film.mkv', 'application/x-matroska', true],
    ['noext', 'application/octet-stream', true],
    ['photo.jpg', 'image/jpeg', false],
    ['doc.pdf', 'application/pdf', false],
  ])('%s (%s) -> %p', (name, type, expected) => {
    expect(looksLikeVideo({ name, type })).toBe(expected);
  });
});
