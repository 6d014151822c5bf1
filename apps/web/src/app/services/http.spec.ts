import { TestBed } from '@angular/core/testing';
import * as z from 'zod';
import { API_BASE_URL, ApiRequestError, FETCH, JsonHttp, toApiRequestError } from './http';

describe('toApiRequestError', () => {
  it('uses the contract error body', () => {
    const error = toApiRequestError(
      401,
      'Unauthorized',
      JSON.stringify({ statusCode: 401, error: 'Unauthorized', message: 'wrong password' }),
    );
    expect(error).toBeInstanceOf(ApiRequestError);
    expect(error).toMatchObject({ statusCode: 401, message: 'wrong password', error: 'Unauthorized' });
    expect(error.isNetworkError).toBe(false);
  });

  it('joins a list of messages (Nest validation style)', () => {
    const error = toApiRequestError(
      400,
      'Bad Request',
      JSON.stringify({ statusCode: 400, error: 'Bad Request', message: ['hostName must not be empty', 'password too short'] }),
    );
    expect(error.message).toBe('hostName must not be empty; password too short');
  });

  it('keeps the HTTP status even when the body claims another', () => {
    const error = toApiRequestError(404, 'Not Found', JSON.stringify({ statusCode: 500, message: 'gone' }));
    expect(error.statusCode).toBe(404);
    expect(error.message).toBe('gone');
  });

  it('falls back to a readable message for non-JSON bodies', () => {
    expect(toApiRequestError(502, 'Bad Gateway', '<html>nginx</html>')).toMatchObject({
      statusCode: 502,
      message: 'The server had a problem, try again',
      error: 'Bad Gateway',
    });
    expect(toApiRequestError(429, '', '').message).toBe('Too many requests, wait a minute');
    expect(toApiRequestError(404, 'Not Found', '').message).toBe('Not found');
    expect(toApiRequestError(418, '', '{}')).toMatchObject({ message: 'Request failed (418)', error: 'HTTP 418' });
  });
});

describe('JsonHttp', () => {
  let fetchMock: jest.Mock<Promise<Response>, Parameters<typeof fetch>>;
  let http: JsonHttp;
  const answer = (status: number, text: string): Response =>
    ({ ok: status >= 200 && status < 300, status, statusText: '', text: async () => text }) as Response;

  beforeEach(() => {
    fetchMock = jest.fn();
    TestBed.configureTestingModule({
      providers: [
        { provide: FETCH, useValue: fetchMock },
        { provide: API_BASE_URL, useValue: '/base' },
      ],
    });
    http = TestBed.inject(JsonHttp);
  });

  it('sends the body as JSON with the bearer token and parses the answer with the schema', async () => {
    fetchMock.mockResolvedValue(answer(200, '{"n":1}'));
    await expect(http.request('POST', '/x', z.object({ n: z.number() }), { body: { a: 1 }, bearer: 'key' })).resolves.toEqual({
      n: 1,
    });
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/base/x');
    expect(init?.body).toBe('{"a":1}');
    expect(init?.headers).toEqual({ Accept: 'application/json', 'Content-Type': 'application/json', Authorization: 'Bearer key' });
  });

  it('sends neither a body nor an Authorization header when there is none', async () => {
    fetchMock.mockResolvedValue(answer(200, '[]'));
    await http.request('GET', '/y', z.array(z.number()), { bearer: null });
    const init = fetchMock.mock.calls[0][1];
    expect(init?.body).toBeUndefined();
    expect(init?.headers).toEqual({ Accept: 'application/json' });
  });

  it('rejects with the error body, status 0 without an answer, 502 for an answer off the contract', async () => {
    fetchMock.mockResolvedValueOnce(answer(409, '{"statusCode":409,"error":"Conflict","message":"full"}'));
    await expect(http.request('GET', '/z', z.unknown())).rejects.toMatchObject({ statusCode: 409, message: 'full' });
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    await expect(http.request('GET', '/z', z.unknown())).rejects.toMatchObject({ statusCode: 0, isNetworkError: true });
    fetchMock.mockResolvedValueOnce(answer(200, '{"n":"one"}'));
    const off = http.request('GET', '/z', z.object({ n: z.number() }));
    await expect(off).rejects.toBeInstanceOf(ApiRequestError);
    await expect(off).rejects.toMatchObject({ statusCode: 502 });
  });
});
