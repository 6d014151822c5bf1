import { TestBed } from '@angular/core/testing';
import { mediaItem } from '../testing/media';
import { sessionInfo } from '../testing/session';
import { ApiService } from './api.service';
import { ApiRequestError, FETCH } from './http';

const SESSION = sessionInfo({ id: 'AbCdEfGhIjKlMnOp', hasPassword: true });

function jsonResponse(status: number, body: unknown, statusText = ''): Response {
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText,
    text: async () => (typeof body === 'string' ? body : JSON.stringify(body)),
  } as Response;
}

describe('ApiService', () => {
  let fetchMock: jest.Mock<Promise<Response>, Parameters<typeof fetch>>;
  let api: ApiService;

  beforeEach(() => {
    fetchMock = jest.fn();
    TestBed.configureTestingModule({ providers: [{ provide: FETCH, useValue: fetchMock }] });
    api = TestBed.inject(ApiService);
  });

  it('creates a session with a JSON POST and returns the parsed answer', async () => {
    fetchMock.mockResolvedValue(
      jsonResponse(201, { session: SESSION, participantId: 'p1', token: 't1', extra: 'ignored' }),
    );
    const joined = await api.createSession({ hostName: 'Ann', password: 'secret' });
    expect(joined).toEqual({ session: SESSION, participantId: 'p1', token: 't1' });
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/sessions');
    expect(init?.method).toBe('POST');
    expect((init?.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(JSON.parse(String(init?.body))).toEqual({ hostName: 'Ann', password: 'secret' });
  });

  it('fetches a session by escaped id without a body', async () => {
    fetchMock.mockResolvedValue(jsonResponse(200, SESSION));
    await expect(api.getSession('a/b')).resolves.toEqual(SESSION);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/sessions/a%2Fb');
    expect(init?.method).toBe('GET');
    expect(init?.body).toBeUndefined();
  });

  it('rejects with the server error for 401/404/429', async () => {
    fetchMock.mockResolvedValueOnce(
      jsonResponse(401, { statusCode: 401, error: 'Unauthorized', message: 'Wrong password' }),
    );
    await expect(api.joinSession(SESSION.id, { name: 'Bob', password: 'nope' })).rejects.toMatchObject({
      statusCode: 401,
      message: 'Wrong password',
    });
    expect(fetchMock.mock.calls[0][0]).toBe(`/api/sessions/${SESSION.id}/participants`);

    fetchMock.mockResolvedValueOnce(jsonResponse(404, { statusCode: 404, error: 'Not Found', message: 'No such session' }));
    await expect(api.getSession('missing-session')).rejects.toMatchObject({ statusCode: 404 });

    fetchMock.mockResolvedValueOnce(jsonResponse(429, 'Too Many Requests', 'Too Many Requests'));
    await expect(api.joinSession(SESSION.id, { name: 'Bob' })).rejects.toMatchObject({ statusCode: 429 });
  });

  it('maps a failed fetch (server down) to statusCode 0 "Server unreachable"', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    const error = await api.getSession(SESSION.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiRequestError);
    expect(error).toMatchObject({ statusCode: 0, message: 'Server unreachable', isNetworkError: true });
  });

  it('renames and deletes media with the credential as a bearer token', async () => {
    const media = mediaItem({ id: 'Media/1', title: 'New name' });
    fetchMock.mockResolvedValueOnce(jsonResponse(200, media));
    await expect(api.renameMedia('Media/1', { title: 'New name' }, 'owner-key')).resolves.toEqual(media);
    let [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/media/Media%2F1');
    expect(init?.method).toBe('PATCH');
    expect(JSON.parse(String(init?.body))).toEqual({ title: 'New name' });
    expect((init?.headers as Record<string, string>)['Authorization']).toBe('Bearer owner-key');

    fetchMock.mockResolvedValueOnce(jsonResponse(204, ''));
    await api.deleteMedia('Media/1', 'admin-token');
    [url, init] = fetchMock.mock.calls[1];
    expect(init?.method).toBe('DELETE');
    expect((init?.headers as Record<string, string>)['Authorization']).toBe('Bearer admin-token');

    // Without a credential no Authorization header is sent (the server answers 401).
    fetchMock.mockResolvedValueOnce(jsonResponse(401, { statusCode: 401, error: 'Unauthorized', message: 'needs the owner key' }));
    await expect(api.deleteMedia('x', null)).rejects.toMatchObject({ statusCode: 401 });
    expect(fetchMock.mock.calls[2][1]?.headers).not.toHaveProperty('Authorization');
  });

  it('checks an admin token with GET /api/admin/me: 200 resolves, 401 rejects', async () => {
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { admin: true }));
    await expect(api.adminMe('tok')).resolves.toBeUndefined();
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/admin/me');
    expect(init?.method).toBe('GET');
    expect((init?.headers as Record<string, string>)['Authorization']).toBe('Bearer tok');
    fetchMock.mockResolvedValueOnce(jsonResponse(401, { statusCode: 401, error: 'Unauthorized', message: 'not the admin token' }));
    await expect(api.adminMe('wrong')).rejects.toMatchObject({ statusCode: 401, message: 'not the admin token' });
    // A 200 that is not the contract's answer is no proof of being admin.
    fetchMock.mockResolvedValueOnce(jsonResponse(200, '<!doctype html>'));
    await expect(api.adminMe('tok')).rejects.toMatchObject({ statusCode: 502 });
  });

  it('rejects a 2xx answer that does not match the contract', async () => {
    fetchMock.mockResolvedValue(jsonResponse(200, { id: 42 }));
    await expect(api.getSession(SESSION.id)).rejects.toMatchObject({ statusCode: 502 });
    fetchMock.mockResolvedValue(jsonResponse(200, '<!doctype html>'));
    await expect(api.getSession(SESSION.id)).rejects.toMatchObject({ statusCode: 502 });
  });
});
