import { Component, inject } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { Media, MediaProgress, SessionSnapshot } from '@watch-party/contracts';
import { FakeSocket, snapshotFor } from '../testing/fake-socket';
import { mediaItem } from '../testing/media';
import { ApiService } from './api.service';
import { ApiRequestError } from './http';
import { CurrentMediaService } from './current-media.service';
import { MEDIA_POLL_MS } from './media-library.service';
import { SOCKET_FACTORY, SessionSocketService } from './session-socket.service';

const SESSION_ID = 'SessIonId_1234567';
const MEDIA_ID = 'MediaId_00000001';
const TRANSCODING = mediaItem({ id: MEDIA_ID, status: 'processing', progress: 0.1, hlsUrl: null, posterUrl: null });

@Component({ selector: 'wp-host', template: '', providers: [SessionSocketService, CurrentMediaService] })
class HostComponent {
  readonly socket = inject(SessionSocketService);
  readonly current = inject(CurrentMediaService);
}

function withMedia(snapshot: SessionSnapshot, media: Media | null = TRANSCODING): SessionSnapshot {
  return { ...snapshot, session: { ...snapshot.session, source: { kind: 'media', mediaId: MEDIA_ID } }, media };
}

describe('CurrentMediaService', () => {
  let fixture: ComponentFixture<HostComponent>;
  let socket: FakeSocket;
  let api: { getMedia: jest.Mock };
  const host = () => fixture.componentInstance;
  const settle = async () => {
    await fixture.whenStable();
    await new Promise((r) => setTimeout(r));
    await fixture.whenStable();
  };

  beforeEach(async () => {
    api = { getMedia: jest.fn().mockResolvedValue(TRANSCODING) };
    TestBed.configureTestingModule({
      providers: [
        { provide: ApiService, useValue: api },
        { provide: MEDIA_POLL_MS, useValue: 60_000 },
        {
          provide: SOCKET_FACTORY,
          useValue: (token: string) => {
            socket = new FakeSocket(token);
            return socket.asSocket();
          },
        },
      ],
    });
    fixture = TestBed.createComponent(HostComponent);
    host().socket.connect('tok');
    socket.fire('connect');
    await settle();
  });

  it('is null without a media source', async () => {
    socket.fire('session:snapshot', snapshotFor(SESSION_ID, 'P1'));
    await settle();
    expect(host().current.media()).toBeNull();
    expect(api.getMedia).not.toHaveBeenCalled();
  });

  it('takes the snapshot media at once and re-reads it', async () => {
    let answer: (m: unknown) => void = () => undefined;
    api.getMedia.mockReturnValue(new Promise((r) => (answer = r)));
    socket.fire('session:snapshot', withMedia(snapshotFor(SESSION_ID, 'P1')));
    await settle();
    expect(host().current.media()).toEqual(TRANSCODING);
    expect(api.getMedia).toHaveBeenCalledWith(MEDIA_ID);
    answer({ ...TRANSCODING, progress: 0.2 });
    await settle();
    expect(host().current.media()?.progress).toBe(0.2);
  });

  it('re-reads on session:update and on media:progress for its item only', async () => {
    socket.fire('session:snapshot', withMedia(snapshotFor(SESSION_ID, 'P1')));
    await settle();
    api.getMedia.mockClear();
    const progress = (p: MediaProgress) => socket.fire('media:progress', p);

    progress({ id: 'SomeOtherItem_01', progress: 0.5, status: 'processing' });
    await settle();
    expect(api.getMedia).not.toHaveBeenCalled();

    api.getMedia.mockResolvedValue({ ...TRANSCODING, progress: 0.3, hlsUrl: '/api/media/x/hls/master.m3u8' });
    progress({ id: MEDIA_ID, progress: 0.3, status: 'processing' });
    expect(host().current.media()?.progress).toBe(0.3); // patched at once
    await settle();
    expect(api.getMedia).toHaveBeenCalledTimes(1);
    expect(host().current.media()?.hlsUrl).toContain('master.m3u8');

    socket.fire('session:update', withMedia(snapshotFor(SESSION_ID, 'P1')).session);
    await settle();
    expect(api.getMedia).toHaveBeenCalledTimes(2);
  });

  it('re-reads a ready item on its media:progress: a subtitle track added while the party watches shows up', async () => {
    const ready = mediaItem({ id: MEDIA_ID, status: 'ready', progress: 1 });
    api.getMedia.mockResolvedValue(ready);
    socket.fire('session:snapshot', withMedia(snapshotFor(SESSION_ID, 'P1'), ready));
    await settle();
    api.getMedia.mockClear();
    const track = { id: 'TrackId_00000001', label: 'English', lang: 'en', url: `/api/media/${MEDIA_ID}/subtitles/TrackId_00000001.vtt` };
    api.getMedia.mockResolvedValue({ ...ready, subtitles: [track] });
    socket.fire('media:progress', { id: MEDIA_ID, progress: 1, status: 'ready' });
    await settle();
    expect(api.getMedia).toHaveBeenCalledTimes(1);
    expect(host().current.media()?.subtitles).toEqual([track]);
  });

  it('reports a deleted item', async () => {
    api.getMedia.mockRejectedValue(new ApiRequestError(404, 'media not found', 'Not Found'));
    socket.fire('session:snapshot', withMedia(snapshotFor(SESSION_ID, 'P1'), null));
    await settle();
    expect(host().current.media()).toBeNull();
    expect(host().current.problem()).toContain('deleted');
  });
});
