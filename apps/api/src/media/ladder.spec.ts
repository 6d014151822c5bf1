import {
  AUDIO_GROUP,
  chooseLadder,
  DECODER_THREADS,
  FFMPEG_MASTERS,
  FIRST_SEGMENT_SECONDS,
  hlsLayout,
  hlsPasses,
  KEYFRAME_EXPR,
  layoutVariants,
} from './ladder';

describe('HLS ladder', () => {
  it('decodes on one thread per pass, except the first pass of a source above 1080p60 (its rung must stay ahead of real time)', () => {
    const decoder = (args: string[]) => {
      const at = args.indexOf('-threads');
      // before -i: the decoder's option, not the encoders'
      expect(at).toBeGreaterThan(-1);
      expect(at).toBeLessThan(args.indexOf('-i'));
      return args[at + 1];
    };
    expect(DECODER_THREADS).toBe(1);
    expect(hlsPasses('in.mp4', '/out', chooseLadder(1080, true), 30, true).map((p) => decoder(p.args))).toEqual(['1', '1']);
    expect(hlsPasses('in.mp4', '/out', chooseLadder(1080, true), 60, true).map((p) => decoder(p.args))).toEqual(['1', '1']);
    // one step past: 1080p at 61 fps, and 4K at 30 fps
    expect(hlsPasses('in.mp4', '/out', chooseLadder(1080, true), 61, true).map((p) => decoder(p.args))).toEqual(['0', '1']);
    expect(hlsPasses('in.mp4', '/out', chooseLadder(2160, true), 30, true).map((p) => decoder(p.args))).toEqual(['0', '1']);
  });

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

  it('pins the keyframe interval to the segment length: the lowest rung and the audio in a first pass, the other rungs in a second', () => {
    const [first, second, ...none] = hlsPasses('in.mp4', '/out', chooseLadder(720, true), 25, true);
    expect(none).toEqual([]);
    for (const { args } of [first, second]) {
      const at = (flag: string) => args[args.indexOf(flag) + 1];
      expect(at('-g')).toBe('50');
      expect(at('-keyint_min')).toBe('50');
      expect(at('-sc_threshold')).toBe('0');
      expect(at('-force_key_frames')).toBe(KEYFRAME_EXPR);
      // The muxer's targets add up (1, 2, 3 s...): it cuts at every forced keyframe.
      expect(at('-hls_time')).toBe(String(FIRST_SEGMENT_SECONDS));
      expect(at('-hls_segment_type')).toBe('fmp4');
      expect(at('-hls_playlist_type')).toBe('event');
    }
    const at = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
    // Audio once: in the first pass only, its own rendition in v2/, the group every rung refers to.
    expect(at(first.args, '-var_stream_map')).toBe(`v:0,agroup:${AUDIO_GROUP},name:0 a:0,agroup:${AUDIO_GROUP},name:2`);
    expect(first.variants).toEqual([0, 2]);
    expect(first.args.filter((a) => a === '0:a:0')).toHaveLength(1);
    expect(first.args.filter((a) => a === '-c:a')).toHaveLength(1);
    expect(at(first.args, '-filter_complex')).toBe('[0:v:0]split=1[s0];[s0]scale=-2:360[o0]');
    expect(at(second.args, '-var_stream_map')).toBe('v:0,name:1');
    expect(second.variants).toEqual([1]);
    expect(second.args).not.toContain('0:a:0');
    expect(second.args).not.toContain('-c:a');
    expect(at(second.args, '-filter_complex')).toBe('[0:v:0]split=1[s0];[s0]scale=-2:720[o0]');
    expect(at(second.args, '-b:v:0')).toBe('2800k');
    // ffmpeg's masters are written aside, one per pass: ours (hls-master.ts) is the one served.
    expect([at(first.args, '-master_pl_name'), at(second.args, '-master_pl_name')]).toEqual(FFMPEG_MASTERS);
    expect(FFMPEG_MASTERS).not.toContain('master.m3u8');
    expect(hlsPasses('in.mp4', '/out', chooseLadder(720, false), 30, false).flatMap((p) => p.args)).not.toContain('0:a:0');
  });

  it('lays out a silent source and a one-rung ladder', () => {
    expect(hlsLayout(3, true)).toEqual({ videoVariants: 3, audioVariant: 3, earlyVariants: 1 });
    expect(layoutVariants(hlsLayout(3, true))).toEqual([0, 1, 2, 3]);
    expect(layoutVariants(hlsLayout(2, false))).toEqual([0, 1]);
    const one = hlsPasses('in.mp4', '/out', chooseLadder(240, true), 30, true);
    expect(one).toHaveLength(1);
    expect(one[0].variants).toEqual([0, 1]);
    const silent = hlsPasses('in.mp4', '/out', chooseLadder(1080, false), 30, false);
    expect(silent.map((p) => p.variants)).toEqual([[0], [1, 2]]);
    expect(silent[1].args[silent[1].args.indexOf('-var_stream_map') + 1]).toBe('v:0,name:1 v:1,name:2');
  });

  it('keeps the timing of every frame and forces keyframes by time, whatever the frame rate', () => {
    const args = hlsPasses('in.mkv', '/out', chooseLadder(1080, false), 0.005, false, 3)[1].args;
    const at = (flag: string) => args[args.indexOf(flag) + 1];
    expect(at('-fps_mode')).toBe('vfr');
    expect(at('-enc_time_base:v')).toBe('-1');
    expect(KEYFRAME_EXPR).toBe('expr:gte(t,if(eq(n_forced,0),0,1+(n_forced-1)*2))');
    expect(at('-filter_complex')).toMatch(/^\[0:3\]split=2/);
    // A sparse average rate must not make every frame a keyframe, nor a burst a huge GOP.
    expect(at('-g')).toBe('20');
    expect(hlsPasses('in.mkv', '/out', chooseLadder(720, false), 1000, false)[0].args[args.indexOf('-g') + 1]).toBe('120');
  });
});
