#!/usr/bin/env node
// npm run bench [-- --quick] [-- --only=fanout,connections,range,transcode,browser,engines,live,party-join,rtmp-abuse]
// (engines: browser_sync_error_p95_ms per engine, params.engine = chromium | firefox | webkit)
//
// Prints one JSON line per figure on stdout:
//   {"name","value","unit","reference","ratio","params"}   (+ "error" / "note" when relevant)
// where reference is measured in the same invocation and ratio = value / reference,
// then a human-readable table on stderr. Every process started here is killed on exit.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { browserBench } from './browser.mjs';
import { connectionsBench } from './connections.mjs';
import { fanoutBench } from './fanout.mjs';
import { cleanupAll, ensureBuild, killAllSync, log, ROOT } from './lib/util.mjs';
import { liveBench } from './live.mjs';
import { rangeBench } from './range.mjs';
import { transcodeBench } from './transcode.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : null;

const FIGURES = [
  { key: 'fanout', names: ['sync_fanout_p50_ms', 'sync_fanout_p99_ms'], run: fanoutBench },
  { key: 'connections', names: ['connections_per_replica', 'rss_kib_per_connection'], run: connectionsBench },
  { key: 'range', names: ['range_throughput_ratio_vs_nginx', 'range_throughput_ratio_vs_nginx_deployed'], run: rangeBench },
  { key: 'transcode', names: ['transcode_realtime_factor', 'time_to_first_playable_s', 'transcode_ratio_vs_plain_ffmpeg'], run: transcodeBench },
  {
    key: 'browser',
    names: ['browser_sync_error_p50_ms', 'browser_sync_error_p95_ms', 'browser_pairwise_spread_p95_ms', 'browser_frame_error_p95_ms'],
    run: browserBench,
  },
  // Chromium, Firefox ESR and WebKitGTK through the browser tests' adapters (bench/engines.mjs).
  { key: 'engines', names: ['browser_sync_error_p95_ms'], run: async (o) => (await import('./engines.mjs')).enginesBench(o) },
  { key: 'live', names: ['live_glass_to_glass_s', 'live_glass_to_glass_ws_s'], run: liveBench },
  { key: 'party-join', names: ['party_join_p99_ms'], run: async (o) => (await import('./party-join.mjs')).partyJoinBench(o) },
  { key: 'rtmp-abuse', names: ['rtmp_abuse_rss_mib'], run: async (o) => (await import('./rtmp-abuse.mjs')).rtmpAbuseBench(o) },
];

const rows = [];

function tidy(x) {
  if (typeof x !== 'number') return x ?? null;
  if (!Number.isFinite(x)) return null;
  const abs = Math.abs(x);
  const digits = abs >= 1000 ? 0 : abs >= 10 ? 2 : 3;
  return Math.round(x * 10 ** digits) / 10 ** digits;
}

function emit(figure) {
  const value = tidy(figure.value);
  const reference = tidy(figure.reference);
  const ratio = value !== null && reference !== null && reference !== 0 ? tidy(figure.value / figure.reference) : null;
  const line = {
    name: figure.name,
    value,
    unit: figure.unit ?? null,
    reference,
    ratio,
    // other work on the machine skews every figure: the 1-minute load average when it was taken
    params: { ...(figure.params ?? {}), loadavg1m: Math.round(loadavg()[0] * 100) / 100 },
    ...(figure.error ? { error: figure.error } : {}),
    ...(figure.note ? { note: figure.note } : {}),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  rows.push(line);
}

function printTable(totalS) {
  const describe = (p) =>
    Object.entries(p)
      .filter(([k]) => ['engine', 'clients', 'replicas', 'connections', 'network', 'clipSeconds', 'target'].includes(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  const lines = [
    '',
    '=== watch-party benchmarks' + (quick ? ' (--quick)' : '') + ` — ${Math.round(totalS)} s, load average now ${loadavg().map((x) => x.toFixed(2)).join(' ')} ===`,
  ];
  const header = ['figure', 'value', 'reference', 'ratio', 'unit', 'params'];
  const table = rows.map((r) => [
    r.name,
    r.value === null ? (r.error ? 'ERROR' : 'n/a') : String(r.value),
    r.reference === null ? '-' : String(r.reference),
    r.ratio === null ? '-' : String(r.ratio),
    r.unit ?? '',
    describe(r.params) + (r.error ? `  error: ${r.error.slice(0, 120)}` : '') + (r.note ? `  note: ${r.note}` : ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => (i === 5 ? 0 : t[i].length))));
  const fmt = (cols) => cols.map((c, i) => (i === 5 ? c : c.padEnd(widths[i]))).join('  ');
  lines.push(fmt(header), fmt(widths.map((w) => '-'.repeat(w)).concat(['------'])), ...table.map(fmt));
  process.stderr.write(`${lines.join('\n')}\n`);
}

let finishing = false;
async function shutdown(code) {
  if (finishing) return;
  finishing = true;
  await cleanupAll();
  process.exit(code);
}
process.on('SIGINT', () => {
  log('interrupted: stopping every process started by the bench');
  void shutdown(130);
});
process.on('SIGTERM', () => void shutdown(143));
process.on('exit', killAllSync);

async function main() {
  const started = performance.now();
  if (!ensureBuild()) {
    log('no build found: running npm run build');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  }
  for (const figure of FIGURES) {
    if (only && !only.has(figure.key)) continue;
    const t0 = performance.now();
    log(`--- ${figure.key}`);
    const emitted = new Set();
    try {
      await figure.run({
        quick,
        emit: (f) => {
          emitted.add(f.name);
          emit(f);
        },
      });
    } catch (err) {
      log(`${figure.key} failed: ${err.stack ?? err}`);
      for (const name of figure.names) {
        if (!emitted.has(name)) emit({ name, value: null, unit: null, reference: null, params: {}, error: String(err.message ?? err) });
      }
    } finally {
      await cleanupAll();
    }
    log(`--- ${figure.key} done in ${Math.round((performance.now() - t0) / 1000)} s`);
  }
  printTable((performance.now() - started) / 1000);
}

main()
  .then(() => shutdown(0))
  .catch(async (err) => {
    log(`bench crashed: ${err.stack ?? err}`);
    await shutdown(1);
  });
