import { decodeAmf0, encodeAmf0 } from './amf0';

describe('AMF0', () => {
  it('round-trips AMF0 commands and refuses truncated or hostile input', () => {
    const buf = encodeAmf0('connect', 1, { app: 'live', tcUrl: 'rtmp://h/live', nested: { n: null, u: undefined, b: true } }, [1, 'x']);
    expect(decodeAmf0(buf)).toEqual(['connect', 1, { app: 'live', tcUrl: 'rtmp://h/live', nested: { n: null, u: undefined, b: true } }, [1, 'x']]);
    expect(() => decodeAmf0(buf.subarray(0, buf.length - 3))).toThrow(/truncated/);
    expect(() => decodeAmf0(Buffer.from([0x0d]))).toThrow(/unsupported/);
    const deep = Buffer.concat([...Array.from({ length: 40 }, () => Buffer.from([0x03, 0, 1, 0x61])), Buffer.from([0x05])]);
    expect(() => decodeAmf0(deep)).toThrow(/deep|truncated/);
  });
});
