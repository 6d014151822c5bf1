import { chooseLadder, FFMPEG_MASTER, hlsArguments } from './ladder';

describe('HLS ladder', () => {
  it('never upscales and keeps the standard rungs', () => {
    expect(chooseLadder(1080, true).map((r) => r.height)).toEqual([360, 720, 1080]);
    expect(chooseLadder(720, true).map((r) => r.height)).toEqual([360, 720]);
    expect(chooseLadder(2160, true).map((r) => r.height)).toEqual([360, 720, 1080, 2160]);
    expect(chooseLadder(480, false).map((r) => r.height)).toEqual([360, 480]);
    expect(chooseLadder(240, true).map((r) => r.height)).toEqual([240]);
    expect(chooseLadder(401, true).map((r) => r.height)).toEqual([360]);
  });

  it('scales bitrates with resolution and adds audio only when there is some', () => {
    const withAudio = chooseLadder(1080, true);
    expect(withAudio.map((r) => r.bandwidth)).toEqual([928_000, 2_928_000, 5_128_000]);
    expect(chooseLadder(1080, false)[0].bandwidth).toBe(800_000);
    const b = chooseLadder(240, true)[0];
    expect(b.videoKbps).toBeLessThan(800);
    for (const list of [withAudio, chooseLadder(2160, true)]) {
      for (let i = 1; i < list.length; i++) expect(list[i].bandwidth).toBeGreaterThan(list[i - 1].bandwidth);
    }
  });

  it('pins the keyframe interval to the segment length and maps every rung', () => {
    const args = hlsArguments('in.mp4', '/out', chooseLadder(720, true), 25, true);
    const at = (flag: string) => args[args.indexOf(flag) + 1];
    expect(at('-g')).toBe('50');
    expect(at('-keyint_min')).toBe('50');
    expect(at('-sc_threshold')).toBe('0');
    expect(at('-hls_time')).toBe('2');
    expect(at('-hls_segment_type')).toBe('fmp4');
    expect(at('-var_stream_map')).toBe('v:0,a:0 v:1,a:1');
    // ffmpeg's master is written aside: ours (hls-master.ts) is the one served.
    expect(at('-master_pl_name')).toBe(FFMPEG_MASTER);
    expect(at('-master_pl_name')).not.toBe('master.m3u8');
    expect(args.filter((a) => a === '-map')).toHaveLength(4);
    expect(hlsArguments('in.mp4', '/out', chooseLadder(720, false), 30, false)).not.toContain('0:a:0');
  });

  it('keeps the timing of every frame and forces keyframes by time, whatever the frame rate', () => {
    const args = hlsArguments('in.mkv', '/out', chooseLadder(720, false), 0.005, false, 3);
    const at = (flag: string) => args[args.indexOf(flag) + 1];
    expect(at('-fps_mode')).toBe('vfr');
    expect(at('-enc_time_base:v')).toBe('-1');
    expect(at('-force_key_frames')).toBe('expr:gte(t,n_forced*2)');
    expect(at('-filter_complex')).toMatch(/^\[0:3\]split=2/);
    // A sparse average rate must not make every frame a keyframe, nor a burst a huge GOP.
    expect(at('-g')).toBe('20');
    expect(hlsArguments('in.mkv', '/out', chooseLadder(720, false), 1000, false)[args.indexOf('-g') + 1]).toBe('120');
  });
});
