// Reference server for the fan-out and connection benchmarks: the plain `socket.io` package,
// no Nest, no Redis, no validation beyond the minimum. It does the same broadcast as the app:
// a client's `playback:control` becomes a new PlaybackState emitted to everyone in its room
// (`playback:state`) and acknowledged; `session:snapshot` is sent on connect.
// Usage: node bench/bare-server.mjs <port>   (listens on 127.0.0.1)
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.argv[2] ?? 0);
const http = createServer((_req, res) => res.writeHead(404).end());
const io = new Server(http, {
  path: '/socket.io',
  transports: ['websocket'],
  maxHttpBufferSize: 64 * 1024,
});

/** room -> PlaybackState */
const states = new Map();

io.on('connection', (socket) => {
  // token "bare:<room>:<n>" (the load generator makes these up; nothing is verified)
  const token = String(socket.handshake.auth?.token ?? '');
  const room = token.split(':')[1] ?? 'default';
  socket.join(room);
  let state = states.get(room);
  if (!state) {
    state = { playing: false, position: 0, rate: 1, at: Date.now(), rev: 0, by: null, action: 'init' };
    states.set(room, state);
  }
  socket.emit('session:snapshot', { you: { id: socket.id }, state, serverTime: Date.now() });

  socket.on('time:ping', (payload, ack) => {
    if (typeof ack === 'function') ack({ ok: true, t0: payload?.t0, serverTime: Date.now() });
  });

  socket.on('playback:control', (payload, ack) => {
    const reply = typeof ack === 'function' ? ack : () => undefined;
    if (!payload || typeof payload !== 'object' || typeof payload.action !== 'string') {
      reply({ ok: false, error: { code: 'BAD_REQUEST', message: 'bad payload' } });
      return;
    }
    const current = states.get(room);
    const now = Date.now();
    const position = current.playing ? current.position + ((now - current.at) / 1000) * current.rate : current.position;
    const next = {
      playing: payload.action === 'play' ? true : payload.action === 'pause' ? false : current.playing,
      position: payload.action === 'seek' ? Number(payload.position) : position,
      rate: payload.action === 'rate' ? Number(payload.rate) : current.rate,
      at: now,
      rev: current.rev + 1,
      by: socket.id,
      action: payload.action,
    };
    states.set(room, next);
    io.to(room).emit('playback:state', next);
    reply({ ok: true, state: next });
  });
});

http.listen(port, '127.0.0.1', () => {
  console.log(`bare socket.io listening on 127.0.0.1:${http.address().port}`);
});

const stop = () => {
  io.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
