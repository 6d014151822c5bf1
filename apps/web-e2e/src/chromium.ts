// The launcher is shared with the benchmarks (bench/lib/chromium.mjs): chromium-launcher.cjs.
export { CHROMIUM_PATH, launchChromium } from './chromium-launcher.cjs';
