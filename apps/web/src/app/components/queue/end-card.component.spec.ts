import { signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { Media, PlaybackState, QueueItem, SessionSnapshot } from '@watch-party/contracts';
import { CurrentMediaService } from '../../services/current-media.service';
import { SOCKET_FACTORY, SessionSocketService } from '../../services/session-socket.service';
import { SyncEngineService } from '../../services/sync-engine.service';
import { FakeSocket, snapshotFor } from '../../testing/fake-socket';
import { mediaItem } from '../../testing/media';
import { SimVideo } from '../../testing/sim-video';
import { EndCardComponent } from './end-card.component';

const HOST = 'HostPerson_00001';
const BO = 'BoPerson_0000001';
const MEDIA = mediaItem({ id: 'MediaId_00000001', durationSec: 6 });
const NEXT: QueueItem = { id: 'ItemN_0000000001', title: 'Second clip', addedBy: HOST, source: { kind: 'media', mediaId: 'MediaId_00000002' } };

function state(overrides: Partial<PlaybackState>): PlaybackState {
  return { playing: false, position: 0, rate: 1, at: 0, rev: 5, by: null, action: 'pause', ...overrides };
}

describe('EndCardComponent', () => {
  let fixture: ComponentFixture<EndCardComponent>;
  let socket: FakeSocket;
  let media: ReturnType<typeof signal<Media | null>>;
  let videoDuration: ReturnType<typeof signal<number | null>>;
  const el = () => fixture.nativeElement as HTMLElement;
  const q = <T extends HTMLElement = HTMLElement>(id: string) => el().querySelector<T>(`[data-testid="${id}"]`);
  const settle = async () => {
    await fixture.whenStable();
    await new Promise((r) => setTimeout(r));
    await fixture.whenStable();
  };

  async function start(youId: string, playback: PlaybackState, tweak: (s: SessionSnapshot) => void = () => undefined) {
    const snapshot = snapshotFor('SessIonId_1234567', HOST, [{ id: BO, name: 'Bo' }]);
    snapshot.session.source = { kind: 'media', mediaId: MEDIA.id };
    snapshot.you = snapshot.participants.find((p) => p.id === youId) ?? snapshot.you;
    snapshot.state = playback;
    tweak(snapshot);
    TestBed.inject(SessionSocketService).connect('token');
    socket.fire('connect');
    socket.fire('session:snapshot', snapshot);
    fixture = TestBed.createComponent(EndCardComponent);
    await settle();
  }

  beforeEach(() => {
    media = signal<Media | null>(MEDIA);
    videoDuration = signal<number | null>(null);
    TestBed.configureTestingModule({
      providers: [
        SessionSocketService,
        { provide: SOCKET_FACTORY, useValue: (token: string) => (socket = new FakeSocket(token)).asSocket() },
        { provide: CurrentMediaService, useValue: { media } },
        { provide: SyncEngineService, useValue: { videoDuration } },
      ],
    });
  });

  it('stays hidden while playing, or paused before the end', async () => {
    await start(HOST, state({ playing: true, position: 6 }));
    expect(q('end-card')).toBeNull();
    socket.fire('playback:state', state({ rev: 6, position: 3 }));
    await settle();
    expect(q('end-card')).toBeNull();
  });

  it('shows "Finished" with Replay and "Pick something else" to a controller when the group paused at the end', async () => {
    await start(HOST, state({ position: 6 }));
    expect(q('end-card')?.textContent).toContain('Finished');
    expect(q('end-card')?.textContent).not.toContain('Playing');
    expect(q('end-pick')).not.toBeNull();
    socket.responder = () => ({ ok: true, state: {} });
    q('end-replay')?.click();
    await settle();
    expect(socket.sent('playback:control').map((e) => e.payload)).toEqual([{ action: 'play', position: 0 }]);
    socket.fire('playback:state', state({ rev: 6, playing: true, position: 0, action: 'play' }));
    await settle();
    expect(q('end-card')).toBeNull();
  });

  it('offers "Play next: <title>" once something is queued', async () => {
    await start(HOST, state({ position: 5.8 }));
    socket.fire('queue:update', [NEXT]);
    await settle();
    expect(q('end-next')?.textContent).toContain('Play next: Second clip');
    socket.responder = () => ({ ok: true, state: {} });
    q('end-next')?.click();
    await settle();
    expect(socket.sent('queue:next')).toHaveLength(1);
  });

  it('shows a refused replay', async () => {
    await start(HOST, state({ position: 6 }));
    socket.responder = () => ({ ok: false, error: { code: 'FORBIDDEN', message: 'no' } });
    q('end-replay')?.click();
    await settle();
    expect(q('end-error')?.textContent).toContain("You can't do that");
  });

  it('tells everyone else to wait for the host, with no buttons', async () => {
    await start(BO, state({ position: 6 }));
    expect(q('end-card')?.textContent).toContain('Finished — waiting for the host');
    expect(el().querySelector('button')).toBeNull();
  });

  it('knows the end of a link from the element\u2019s duration', async () => {
    media.set(null);
    await start(HOST, state({ position: 9.95 }), (s) => (s.session.source = { kind: 'url', url: 'https://example.com/a.mp4' }));
    expect(q('end-card')).toBeNull(); // no duration known yet
    videoDuration.set(10);
    await settle();
    expect(q('end-card')).not.toBeNull();
  });

  it('never shows for a live show', async () => {
    videoDuration.set(10);
    await start(HOST, state({ position: 10 }), (s) => (s.session.source = { kind: 'live', showId: 'LiveShow_000001' }));
    expect(q('end-card')).toBeNull();
  });
});

describe('SyncEngineService.videoDuration (what the end card falls back on)', () => {
  it('follows the attached element: set on its events, cleared with a new source', () => {
    TestBed.configureTestingModule({
      providers: [
        SessionSocketService,
        SyncEngineService,
        { provide: SOCKET_FACTORY, useValue: (token: string) => new FakeSocket(token).asSocket() },
      ],
    });
    const engine = TestBed.inject(SyncEngineService);
    const video = new SimVideo(() => Date.now());
    video.duration = Number.NaN;
    engine.attach(video.asVideo());
    const fire = (event: string) => (video.listeners.get(event) ?? []).forEach((listener) => listener());
    fire('loadedmetadata');
    expect(engine.videoDuration()).toBeNull();
    video.duration = 42.5;
    fire('loadedmetadata');
    expect(engine.videoDuration()).toBe(42.5);
    engine.mediaChanged();
    expect(engine.videoDuration()).toBeNull();
    video.duration = Number.POSITIVE_INFINITY; // live: no end
    fire('canplay');
    expect(engine.videoDuration()).toBeNull();
    engine.detach();
  });
});
