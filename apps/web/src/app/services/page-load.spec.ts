import { ApiRequestError, networkError } from './http';
import { PageLoader } from './page-load';

const ID = 'SessIonId_1234567';

describe('PageLoader', () => {
  it('calls a malformed id not found without asking the server', async () => {
    const fetch = jest.fn();
    const loader = new PageLoader<string>(fetch);
    expect(await loader.load('not an id')).toBeNull();
    expect(loader.state()).toEqual({ kind: 'not-found' });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('is loading while the server answers, then ready with what it sent', async () => {
    let answer: (value: string) => void = () => undefined;
    const loader = new PageLoader<string>(() => new Promise((resolve) => (answer = resolve)));
    const loaded = loader.load(ID);
    expect(loader.state()).toEqual({ kind: 'loading' });
    answer('party');
    expect(await loaded).toBe('party');
    expect(loader.state()).toEqual({ kind: 'ready', value: 'party' });
  });

  it('tells a 404 (not found) from no answer (unreachable) and from any other refusal (its message)', async () => {
    const failing = (error: unknown) => new PageLoader<string>(() => Promise.reject(error));
    const cases: [unknown, unknown][] = [
      [new ApiRequestError(404, 'no such party', 'Not Found'), { kind: 'not-found' }],
      [networkError(), { kind: 'unreachable' }],
      [new ApiRequestError(500, 'disk full', 'Internal Server Error'), { kind: 'error', message: 'disk full' }],
      [new Error('boom'), { kind: 'error', message: 'Something went wrong' }],
    ];
    for (const [error, state] of cases) {
      const loader = failing(error);
      expect(await loader.load(ID)).toBeNull();
      expect(loader.state()).toEqual(state);
    }
  });

  it('drops the answer to an earlier load when a later one was started', async () => {
    const answers: ((value: string) => void)[] = [];
    const loader = new PageLoader<string>(() => new Promise((resolve) => answers.push(resolve)));
    const first = loader.load(ID);
    const second = loader.load('OtherId_123456789');
    answers[1]('second');
    answers[0]('first');
    expect(await first).toBeNull();
    expect(await second).toBe('second');
    expect(loader.state()).toEqual({ kind: 'ready', value: 'second' });
  });
});
