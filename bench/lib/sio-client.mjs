// A minimal Socket.IO v4 client (Engine.IO v4 over `ws`, websocket transport only, default
// namespace, no binary packets). The load generator uses it instead of socket.io-client so that
// thousands of clients cost little CPU: packets other than the ones asked for are never parsed.
// Used identically against the app and against the bare reference server.
import WebSocket from 'ws';
import { monoMs } from './util.mjs';

const OPEN = 0x30; // '0'
const PING = 0x32; // '2'
const MESSAGE = 0x34; // '4'

export class SioClient {
  /**
   * @param {string} baseUrl http://127.0.0.1:port
   * @param {object} auth handshake auth
   * @param {Record<string, (data: any, receivedAtMs: number) => void>} listeners
   *   only events with a listener are parsed; receivedAtMs is monoMs() when the frame arrived
   */
  constructor(baseUrl, auth, listeners = {}) {
    this.auth = auth;
    this.listeners = listeners;
    this.prefixes = Object.keys(listeners).map((name) => [Buffer.from(`42["${name}"`), listeners[name]]);
    this.acks = new Map();
    this.nextAck = 0;
    this.connected = false;
    this.closed = false;
    const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ws = new WebSocket(wsUrl, { perMessageDeflate: false });
    this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    this.ws.on('error', (err) => this.fail(err));
    this.ws.on('close', () => {
      this.connected = false;
      this.closed = true;
      this.fail(new Error('closed'));
    });
  }

  fail(err) {
    this.rejectReady?.(err);
    this.rejectReady = null;
    this.resolveReady = null;
  }

  onMessage(data, isBinary) {
    const receivedAt = monoMs();
    if (isBinary || data.length === 0) return;
    const type = data[0];
    if (type === PING) {
      this.ws.send('3');
      return;
    }
    if (type === OPEN) {
      this.ws.send(`40${JSON.stringify(this.auth)}`);
      return;
    }
    if (type !== MESSAGE || data.length < 2) return;
    const packet = data[1];
    if (packet === 0x32 /* EVENT */) {
      for (const [prefix, fn] of this.prefixes) {
        if (data.length > prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0) {
          const arr = JSON.parse(data.toString('utf8', 2));
          fn(arr[1], receivedAt);
          return;
        }
      }
      return;
    }
    if (packet === 0x33 /* ACK */) {
      const s = data.toString('utf8', 2);
      const bracket = s.indexOf('[');
      const id = Number(s.slice(0, bracket));
      const cb = this.acks.get(id);
      if (cb) {
        this.acks.delete(id);
        cb(JSON.parse(s.slice(bracket))[0]);
      }
      return;
    }
    if (packet === 0x30 /* CONNECT */) {
      this.connected = true;
      this.resolveReady?.(this);
      this.resolveReady = null;
      this.rejectReady = null;
      return;
    }
    if (packet === 0x34 /* CONNECT_ERROR */) {
      this.fail(new Error(`connect_error ${data.toString('utf8', 2, 300)}`));
      this.ws.terminate();
      return;
    }
    if (packet === 0x31 /* DISCONNECT */) {
      this.connected = false;
      this.ws.close();
    }
  }

  /** Sends an event; with `onAck`, asks for an acknowledgement. */
  emit(name, payload, onAck) {
    if (onAck) {
      const id = this.nextAck++;
      this.acks.set(id, onAck);
      this.ws.send(`42${id}${JSON.stringify([name, payload])}`);
    } else {
      this.ws.send(`42${JSON.stringify([name, payload])}`);
    }
  }

  close() {
    try {
      this.ws.terminate();
    } catch {
      /* gone */
    }
  }
}
