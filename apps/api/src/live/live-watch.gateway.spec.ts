import { LIVE_WATCH_LIMITS } from '@watch-party/contracts';
import { ViewerFeed } from './live-watch.gateway';
import type { WatchEvent } from './live-watch.hub';

const frag = (seq: number, keyframe: boolean, size = 100): WatchEvent => ({ kind: 'fragment', showId: 's', seq, keyframe, wallclock: 0, data: Buffer.alloc(size) });

describe('one viewer feed', () => {
  function setup() {
    const sent: string[] = [];
    let queued = 0;
    const feed = new ViewerFeed(
      {
        init: (codecs) => sent.push(`init ${codecs}`),
        fragment: (f) => sent.push(`f${f.seq}${f.keyframe ? 'K' : ''}`),
        end: () => sent.push('end'),
      },
      () => queued,
    );
    return { feed, sent, setQueued: (n: number) => (queued = n) };
  }

  it('starts at a keyframe after each init, then sends every fragment', () => {
    const { feed, sent } = setup();
    feed.handle(frag(1, true)); // no init yet... still a keyframe: sent (the gateway sends the init first)
    feed.handle({ kind: 'init', showId: 's', codecs: 'avc1', data: Buffer.alloc(1) });
    feed.handle(frag(2, false)); // a decoder cannot start here
    feed.handle(frag(3, true));
    feed.handle(frag(4, false));
    feed.handle({ kind: 'end', showId: 's' });
    expect(sent).toEqual(['f1K', 'init avc1', 'f3K', 'f4', 'end']);
  });

  it(`never lets the socket hold more than ${LIVE_WATCH_LIMITS.maxQueuedBytes} bytes: a slow viewer skips to the next keyframe`, () => {
    const { feed, sent, setQueued } = setup();
    feed.handle(frag(1, true));
    setQueued(LIVE_WATCH_LIMITS.maxQueuedBytes - 100); // one step below: this 100-byte fragment still fits
    feed.handle(frag(2, false));
    setQueued(LIVE_WATCH_LIMITS.maxQueuedBytes - 99); // one step past
    feed.handle(frag(3, false));
    setQueued(0); // drained, but the GOP is broken: wait for a keyframe
    feed.handle(frag(4, false));
    feed.handle(frag(5, true));
    feed.handle(frag(6, false));
    expect(sent).toEqual(['f1K', 'f2', 'f5K', 'f6']);
    expect(feed.skipped).toBe(1);
  });
});
