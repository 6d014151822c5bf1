export * from './lib/rest';
export * from './lib/socket';
