import { TestBed } from '@angular/core/testing';
import type { LiveShow } from '@watch-party/contracts';
import { FETCH } from './http';
import { LiveApiService, liveHlsUrl } from './live-api.service';
import { ManageKeysService } from './manage-keys.service';
import { pickRecorderMimeType } from './live-broadcast.service';

const SHOW: LiveShow = {
  id: 'AbCdEfGhIjKlMnOp',
  title: 'DJ set',
  creatorName: 'Cleo',
  status: 'live',
  startedAt: '2026-01-01T20:00:00.000Z',
  viewerCount: 3,
  hlsUrl: '/api/live/AbCdEfGhIjKlMnOp/hls/index.m3u8',
  sessionId: 'QrStUvWxYz012345',
};

function respond(status: number, body: unknown): Response {
  return { ok: status >= 200 && status < 300, status, statusText: '', text: async () => JSON.stringify(body) } as Response;
}

describe('LiveApiService', () => {
  let calls: { url: string; init?: RequestInit }[];
  let answer: Response;

  beforeEach(() => {
    localStorage.clear();
    calls = [];
    TestBed.configureTestingModule({
      providers: [
        {
          provide: FETCH,
          useValue: async (url: string, init?: RequestInit) => {
            calls.push({ url, init });
            return answer;
          },
        },
      ],
    });
  });

  it('lists shows', async () => {
    answer = respond(200, [SHOW]);
    expect(await TestBed.inject(LiveApiService).list()).toEqual([SHOW]);
    expect(calls[0].url).toBe('/api/live');
  });

  it('creates a show and keeps the key and the creator identity', async () => {
    answer = respond(201, {
      show: { ...SHOW, status: 'scheduled', hlsUrl: null },
      streamKey: 'k'.repeat(43),
      ingest: { rtmpUrl: 'rtmp://localhost:1935/live', wsPath: '/live-ingest' },
      participantId: 'p'.repeat(16),
      token: 'token',
    });
    const created = await TestBed.inject(LiveApiService).create({ title: 'DJ set', creatorName: 'Cleo' });
    expect(created.streamKey).toHaveLength(43);
    expect(calls[0].init?.method).toBe('POST');
    expect(JSON.parse(String(calls[0].init?.body))).toEqual({ title: 'DJ set', creatorName: 'Cleo' });
    expect(calls[0].init?.headers).not.toHaveProperty('Authorization');
  });

  it('creates a show with the admin token while this browser is signed in as admin', async () => {
    TestBed.inject(ManageKeysService).setAdminToken('admin-token');
    answer = respond(401, { statusCode: 401, error: 'Unauthorized', message: 'creating a live show needs the admin token' });
    await expect(TestBed.inject(LiveApiService).create({ title: 'DJ set', creatorName: 'Cleo' })).rejects.toMatchObject({ statusCode: 401 });
    expect((calls[0].init?.headers as Record<string, string>)['Authorization']).toBe('Bearer admin-token');
  });

  it('ends a show with its key, and reports a 404 as an ApiRequestError', async () => {
    answer = respond(200, { ...SHOW, status: 'ended', hlsUrl: null });
    expect((await TestBed.inject(LiveApiService).end(SHOW.id, 'key')).status).toBe('ended');
    expect(calls[0].url).toBe(`/api/live/${SHOW.id}/end`);
    answer = respond(404, { statusCode: 404, error: 'Not Found', message: 'live show not found' });
    await expect(TestBed.inject(LiveApiService).get('nope')).rejects.toMatchObject({ statusCode: 404, message: 'live show not found' });
  });
});

describe('live helpers', () => {
  it('resolves a live source to its playlist', () => {
    expect(liveHlsUrl('AbCdEfGhIjKlMnOp')).toBe('/api/live/AbCdEfGhIjKlMnOp/hls/index.m3u8');
  });

  it('prefers webm VP8/Opus for recording, falling back to what the browser has', () => {
    expect(pickRecorderMimeType(() => true)).toBe('video/webm;codecs=vp8,opus');
    expect(pickRecorderMimeType((t) => t.startsWith('video/mp4'))).toBe('video/mp4;codecs=avc1,mp4a');
    expect(pickRecorderMimeType(() => false)).toBeNull();
  });
});
