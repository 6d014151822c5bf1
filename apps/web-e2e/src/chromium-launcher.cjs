// The one Chromium launcher of the browser tests (this folder) and the benchmarks (bench/):
// Debian's Chromium, headless, kept off every network but loopback (without the resolver rule
// it keeps trying to reach outside hosts); Playwright gives it a fresh profile each launch.
// CommonJS so both the TypeScript tests (ts-jest, CommonJS) and the bench's ES modules load it.
const { chromium } = require('playwright-core');

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** @param {string[]} [extraArgs] */
function launchChromium(extraArgs = []) {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

module.exports = { CHROMIUM_PATH, CHROMIUM_ARGS, launchChromium };
