// Test doubles for code that drives a <video> with sync-core: deterministic, Chromium-like.
export * from './lib/testing/prng';
export * from './lib/testing/simulated-player';
export * from './lib/testing/simulated-network';
export * from './lib/testing/follower-harness';
