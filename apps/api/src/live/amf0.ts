/** AMF0, just enough for RTMP commands and FLV metadata. */

export type AmfValue = number | boolean | string | null | undefined | Date | AmfValue[] | { [key: string]: AmfValue };

export class AmfError extends Error {}

const MAX_DEPTH = 16;
/** Values and properties in one decode: RTMP commands and metadata hold a few dozen. */
const MAX_VALUES = 10_000;

/** Decodes consecutive AMF0 values until the buffer ends. */
export function decodeAmf0(buf: Buffer): AmfValue[] {
  const values: AmfValue[] = [];
  let pos = 0;
  let count = 0;
  const need = (n: number) => {
    if (pos + n > buf.length) throw new AmfError('truncated AMF0');
  };
  const str = (long: boolean) => {
    need(long ? 4 : 2);
    const len = long ? buf.readUInt32BE(pos) : buf.readUInt16BE(pos);
    pos += long ? 4 : 2;
    need(len);
    const s = buf.toString('utf8', pos, pos + len);
    pos += len;
    return s;
  };
  const props = (depth: number) => {
    const obj: { [key: string]: AmfValue } = Object.create(null) as { [key: string]: AmfValue };
    for (;;) {
      const key = str(false);
      need(1);
      if (key === '' && buf[pos] === 0x09) {
        pos++;
        return obj;
      }
      obj[key] = value(depth + 1);
    }
  };
  const value = (depth: number): AmfValue => {
    if (depth > MAX_DEPTH) throw new AmfError('AMF0 nested too deep');
    if (++count > MAX_VALUES) throw new AmfError(`AMF0 with more than ${MAX_VALUES} values`);
    need(1);
    const marker = buf[pos++];
    switch (marker) {
      case 0x00:
        need(8);
        pos += 8;
        return buf.readDoubleBE(pos - 8);
      case 0x01:
        need(1);
        return buf[pos++] !== 0;
      case 0x02:
        return str(false);
      case 0x03:
        return props(depth);
      case 0x05:
        return null;
      case 0x06:
        return undefined;
      case 0x08:
        need(4);
        pos += 4; // approximate count; the end marker is authoritative
        return props(depth);
      case 0x0a: {
        need(4);
        const length = buf.readUInt32BE(pos);
        pos += 4;
        if (length > MAX_VALUES) throw new AmfError('AMF0 array too long');
        const arr: AmfValue[] = [];
        for (let i = 0; i < length; i++) arr.push(value(depth + 1));
        return arr;
      }
      case 0x0b: {
        need(10);
        const ms = buf.readDoubleBE(pos);
        pos += 10;
        return new Date(ms);
      }
      case 0x0c:
        return str(true);
      case 0x10:
        str(false); // class name
        return props(depth);
      default:
        throw new AmfError(`unsupported AMF0 marker ${marker}`);
    }
  };
  while (pos < buf.length) values.push(value(0));
  return values;
}

export function encodeAmf0(...values: AmfValue[]): Buffer {
  const parts: Buffer[] = [];
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    const head = Buffer.alloc(2);
    head.writeUInt16BE(b.length);
    parts.push(head, b);
  };
  const value = (v: AmfValue) => {
    if (typeof v === 'number') {
      const b = Buffer.alloc(9);
      b[0] = 0x00;
      b.writeDoubleBE(v, 1);
      parts.push(b);
    } else if (typeof v === 'boolean') {
      parts.push(Buffer.from([0x01, v ? 1 : 0]));
    } else if (typeof v === 'string') {
      parts.push(Buffer.from([0x02]));
      str(v);
    } else if (v === null) {
      parts.push(Buffer.from([0x05]));
    } else if (v === undefined) {
      parts.push(Buffer.from([0x06]));
    } else if (v instanceof Date) {
      const b = Buffer.alloc(11);
      b[0] = 0x0b;
      b.writeDoubleBE(v.getTime(), 1);
      parts.push(b);
    } else if (Array.isArray(v)) {
      const b = Buffer.alloc(5);
      b[0] = 0x0a;
      b.writeUInt32BE(v.length, 1);
      parts.push(b);
      v.forEach(value);
    } else {
      parts.push(Buffer.from([0x03]));
      for (const [k, x] of Object.entries(v)) {
        str(k);
        value(x);
      }
      parts.push(Buffer.from([0x00, 0x00, 0x09]));
    }
  };
  values.forEach(value);
  return Buffer.concat(parts);
}
