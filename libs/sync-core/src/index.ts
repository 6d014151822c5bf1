export * from './lib/playback';
export * from './lib/clock';
export * from './lib/follower';
export * from './lib/follower-tuning';
export * from './lib/control';
export * from './lib/stepped-reads';
export { pushBounded } from './lib/stats';
