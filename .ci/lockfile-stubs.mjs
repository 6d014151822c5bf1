#!/usr/bin/env node
// The npm registry reachable here lacks some other-platform binaries (darwin, win32, musl…),
// so `npm install` leaves them out of package-lock.json, and `npm ci` then refuses the lock
// ("Missing: … from lock file") on every machine. This adds a version-only, optional entry
// for each missing optional dependency; npm skips them at install time like any optional
// package it cannot use. Run after changing dependencies: `npm run fix-lockfile`.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.argv[2] ?? 'package-lock.json';
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pkgs = lock.packages;
const EXACT = /^\d+\.\d+\.\d+(-[\w.]+)?$/;
const added = [];

for (const [path, meta] of Object.entries(pkgs)) {
  for (const [name, spec] of Object.entries(meta.optionalDependencies ?? {})) {
    // Node's resolution: the parent's own node_modules, then each ancestor's, then the root.
    let base = path;
    let found = false;
    for (;;) {
      const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (pkgs[candidate]) {
        found = !EXACT.test(spec) || pkgs[candidate].version === spec;
        break;
      }
      if (!base) break;
      const i = base.lastIndexOf('/node_modules/');
      base = i >= 0 ? base.slice(0, i) : '';
    }
    if (found) continue;
    let key = `node_modules/${name}`;
    if (pkgs[key]) key = `${path}/node_modules/${name}`; // hoisted slot holds another version
    pkgs[key] = { version: spec, ...(meta.dev ? { dev: true } : {}), optional: true };
    added.push(name);
  }
}

writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added ${added.length} optional stubs: ${added.join(' ')}` : 'lockfile complete');
