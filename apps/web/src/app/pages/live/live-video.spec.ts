import { LiveVideo, type LivePlayerEvents } from './live-player';

const events = (): jest.Mocked<LivePlayerEvents> => ({
  muted: jest.fn(),
  trouble: jest.fn(),
  playing: jest.fn(),
  waiting: jest.fn(),
  paused: jest.fn(),
  ended: jest.fn(),
});

/** A <video> whose play() is refused (autoplay policy) until muted, or never. */
function video(refuse: 'unmuted' | 'never' | 'other'): HTMLVideoElement {
  const v = document.createElement('video');
  v.play = jest.fn(() => {
    if (refuse === 'unmuted' && !v.muted) return Promise.reject(Object.assign(new Error('no'), { name: 'NotAllowedError' }));
    if (refuse === 'other') return Promise.reject(Object.assign(new Error('gone'), { name: 'AbortError' }));
    return Promise.resolve();
  });
  v.pause = jest.fn();
  return v;
}

describe('LiveVideo (what both live players share)', () => {
  it('plays with sound when allowed', async () => {
    const e = events();
    const v = video('never');
    await new LiveVideo(v, e).play();
    expect(v.muted).toBe(false);
    expect(e.muted).toHaveBeenCalledWith(false);
  });

  it('falls back to muted playback when autoplay with sound is refused, and unmutes on request', async () => {
    const e = events();
    const v = video('unmuted');
    const live = new LiveVideo(v, e);
    await live.play();
    expect(v.muted).toBe(true);
    expect(e.muted).toHaveBeenLastCalledWith(true);
    expect(v.play).toHaveBeenCalledTimes(2);

    live.unmute();
    expect(v.muted).toBe(false);
    expect(e.muted).toHaveBeenLastCalledWith(false);
    await Promise.resolve();
    live.pause();
    expect(v.pause).toHaveBeenCalledTimes(1);
  });

  it('does not mute for other failures', async () => {
    const e = events();
    const v = video('other');
    await new LiveVideo(v, e).play();
    expect(v.muted).toBe(false);
    expect(e.muted).not.toHaveBeenCalled();
  });

  it('turns video events into player events, once even when listening twice, plus the extra handlers', () => {
    const e = events();
    const v = video('never');
    const seeking = jest.fn();
    const live = new LiveVideo(v, e, [['seeking', seeking]]);
    live.listen();
    live.listen();
    v.dispatchEvent(new Event('playing'));
    expect(e.waiting).toHaveBeenCalledWith(false);
    expect(e.paused).toHaveBeenCalledWith(false);
    expect(e.playing).toHaveBeenCalledTimes(1);
    v.dispatchEvent(new Event('waiting'));
    expect(e.waiting).toHaveBeenLastCalledWith(true);
    v.dispatchEvent(new Event('pause'));
    expect(e.paused).toHaveBeenLastCalledWith(true);
    v.dispatchEvent(new Event('play'));
    expect(e.paused).toHaveBeenLastCalledWith(false);
    v.dispatchEvent(new Event('ended'));
    v.dispatchEvent(new Event('seeking'));
    expect(e.ended).toHaveBeenCalledTimes(1);
    expect(seeking).toHaveBeenCalledTimes(1);

    live.unlisten();
    v.dispatchEvent(new Event('playing'));
    v.dispatchEvent(new Event('seeking'));
    expect(e.playing).toHaveBeenCalledTimes(1);
    expect(seeking).toHaveBeenCalledTimes(1);
  });
});
