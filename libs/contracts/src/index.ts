export * from './lib/rest';
export * from './lib/socket';
export * from './lib/media';
export * from './lib/live';
export * from './lib/handshake';
export * from './lib/subtitle-text';
