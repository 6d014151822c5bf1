import { Logger } from '@nestjs/common';
import { startServer, stopServer } from './bootstrap';
import { ConfigError, loadConfig } from './config/app-config';
import { SqliteStore, StoreError } from './store/sqlite-store';
import { handOverStore } from './store/store.service';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  // Without Redis the data lives in DATA_DIR: a bad one stops the start with one line.
  if (!config.redisUrl && config.store === 'sqlite') {
    try {
      handOverStore(SqliteStore.open(config.dataDir));
    } catch (err) {
      if (err instanceof StoreError) {
        console.error(`Cannot start: ${err.message}`);
        process.exit(1);
      }
      throw err;
    }
  }
  const app = await startServer(config);
  // A library promise nobody awaits (e.g. the Socket.IO Redis adapter publishing while Redis
  // is down) must not take the whole replica, and its thousands of sockets, down with it.
  process.on('unhandledRejection', (reason) => {
    new Logger('Process').error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });
  console.log(`watch-party listening on http://${config.host}:${config.port}`);
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stopServer(app).then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(err);
          process.exit(1);
        },
      );
    });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
