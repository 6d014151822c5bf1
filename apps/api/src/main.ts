import { ConfigError, loadConfig } from './config/app-config';
import { startServer } from './bootstrap';

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
  await startServer(config);
  console.log(`watch-party listening on http://${config.host}:${config.port}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
