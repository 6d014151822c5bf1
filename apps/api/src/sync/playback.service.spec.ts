import { SESSION_TTL_MS } from '../common/lifetimes';
import { createParty, createSessionKit, type Party, type SessionKit } from '../session/testing/session-kit';
import { AckFailure } from './ack';
import { type FakeSocket, Replica } from './testing/replica';

const MEDIA_ID = 'AAAAAAAAAAAAAAAA';

describe('PlaybackService', () => {
  let kit: SessionKit;
  let a: Replica;
  let b: Replica;
  let party: Party;
  let host: FakeSocket;

  beforeEach(async () => {
    kit = await createSessionKit();
    a = new Replica(kit);
    b = new Replica(kit);
    party = await createParty(kit, kit.sessionService(), ['Bo']);
    host = await a.connect(party.sessionId, party.host.participantId, 'Host');
  });
  afterEach(async () => {
    a.stop();
    b.stop();
    await kit.close();
  });

  it('applies each command on top of the state it lands on: concurrent commands from two replicas get one rev each', async () => {
    await kit.sessions.updateSession(party.sessionId, { controlPolicy: 'everyone' }, SESSION_TTL_MS);
    const bo = await b.connect(party.sessionId, party.guests[0].participantId, 'Bo');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 ? a.playback.control(host.data, { action: 'seek', position: i }) : b.playback.control(bo.data, { action: 'seek', position: i }),
      ),
    );
    expect(results.map((s) => s.rev).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const final = await kit.sessions.getState(party.sessionId);
    expect(final?.rev).toBe(20);
    // Every state was announced once, by the replica that wrote it.
    const announced = [...a.broadcaster.sent('playback:state'), ...b.broadcaster.sent('playback:state')];
    expect(announced.map((s) => s.rev).sort((x, y) => x - y)).toEqual(results.map((s) => s.rev).sort((x, y) => x - y));
  });

  it('stamps a command with the server time and who gave it; play and pause keep the position moving right', async () => {
    const played = await a.playback.control(host.data, { action: 'play', position: 10 });
    expect(played).toMatchObject({ playing: true, position: 10, at: kit.clock.now(), by: host.data.participantId, action: 'play' });
    await kit.clock.advance(2500);
    expect(await a.playback.control(host.data, { action: 'pause' })).toMatchObject({ playing: false, position: 12.5 });
    expect(await a.playback.control(host.data, { action: 'rate', rate: 2 })).toMatchObject({ playing: false, position: 12.5, rate: 2 });
  });

  it('sets a media source only when the item exists; the source starts paused at 0 and reaches everyone', async () => {
    await expect(a.playback.setSource(host.data, { kind: 'media', mediaId: MEDIA_ID })).rejects.toEqual(
      new AckFailure('NOT_FOUND', 'no such media item'),
    );
    const media = kit.catalog.add(MEDIA_ID, 'Film');
    await a.playback.control(host.data, { action: 'play', position: 30 });
    const state = await a.playback.setSource(host.data, { kind: 'media', mediaId: MEDIA_ID });
    expect(state).toMatchObject({ playing: false, position: 0, rate: 1, action: 'source' });
    expect(a.broadcaster.last('session:update')).toMatchObject({ source: { kind: 'media', mediaId: MEDIA_ID } });
    // A newcomer's snapshot carries the item behind the source.
    const bo = await a.connect(party.sessionId, party.guests[0].participantId, 'Bo');
    expect(bo.snapshot.media).toEqual(media);
    expect(bo.snapshot.state).toEqual(state);
  });

  it('answers NOT_FOUND once the party is gone', async () => {
    await kit.clock.advance(SESSION_TTL_MS);
    await expect(a.playback.control(host.data, { action: 'play' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
