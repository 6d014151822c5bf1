import type { PlaybackState, QueueItem } from '@watch-party/contracts';
import { connect, nextEvent, partyWith, request } from './api-instance';
import { useReplicaPair } from './two-replicas';

/** Long enough for a second, wrong, advance from the other replica to have arrived. */
const SETTLE_MS = 500;

/**
 * The queue rules are unit tested with a fake clock (src/sync/queue.service.spec.ts). This case
 * proves the store's atomic step on real Redis: two API replicas that both see the end move
 * the queue on once.
 */
describe('party queue across two replicas (Redis)', () => {
  const pair = useReplicaPair();
  const { sockets } = pair;

  it('starts the next item exactly once when controllers on both replicas report the end together', async () => {
    const { host, guests } = await partyWith(pair.a.url, ['Bo'], { controlPolicy: 'everyone' });
    const h = await connect(pair.a.url, host.token);
    const bo = await connect(pair.b.url, guests[0].token);
    sockets.push(h.socket, bo.socket);
    expect(h.snapshot.session).toMatchObject({ queue: [], queuePolicy: 'everyone', locked: false });

    const heardQueue = nextEvent(h.socket, 'queue:update', (q) => q.length === 2);
    const added: QueueItem[] = [];
    for (const name of ['next', 'after']) {
      const ack = await request(bo.socket, 'queue:add', { source: { kind: 'url', url: `https://cdn.example.test/${name}.mp4` } });
      if (!ack.ok) throw new Error(ack.error.message);
      added.push(ack.item);
    }
    expect(await heardQueue).toEqual(added);

    const playing = await request(h.socket, 'playback:control', { action: 'play', position: 0 });
    if (!playing.ok) throw new Error(playing.error.message);
    const sources: PlaybackState[] = [];
    h.socket.on('playback:state', (s) => s.action === 'source' && sources.push(s));
    const queueAfter = nextEvent(bo.socket, 'queue:update', (q) => q.length === 1);
    const position = 0.1;
    await Promise.all([
      request(h.socket, 'participant:status', { status: 'ended', position, rev: playing.state.rev }),
      request(bo.socket, 'participant:status', { status: 'ended', position, rev: playing.state.rev }),
    ]);
    expect(await queueAfter).toEqual([added[1]]);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    expect(sources).toHaveLength(1);
    expect(sources[0]).toMatchObject({ playing: true, position: 0, rev: playing.state.rev + 1, action: 'source' });

    // A replica started later sees the new source and the rest of the queue.
    const late = await connect(pair.b.url, guests[0].token);
    sockets.push(late.socket);
    expect(late.snapshot.session).toMatchObject({ source: added[0].source, queue: [added[1]] });
    expect(late.snapshot.state.rev).toBe(playing.state.rev + 1);
  });
});
