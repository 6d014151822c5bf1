import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import helmet from 'helmet';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppModule } from './app.module';
import { jsonBody } from './common/json-body';
import type { AppConfig } from './config/app-config';
import { AppIoAdapter, type TrustProxy } from './redis/app-io.adapter';
import { PinoLogger } from './ops/logger';
import { Refusals } from './ops/refusals';
import { requestLog } from './ops/request-log';
import { ShutdownService } from './ops/shutdown.service';
import { RedisService } from './redis/redis.service';
import type { Server as HttpServer } from 'node:http';

const NOT_SPA = /^\/(api|socket\.io|metrics)(\/|$)/;
/** A last path segment with an extension names a file: when it is missing, that is a 404. */
const FILE_NAME = /\.[^/]+$/;

/** Builds and starts the whole server (API, Socket.IO, web app) on config.port. */
export async function startServer(config: AppConfig): Promise<NestExpressApplication> {
  const logger = new PinoLogger(config.logLevel);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger,
  });
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  app.use(requestLog(logger.pino));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:', 'blob:'],
          // Parties may play any http(s) video URL; hls.js fetches it through XHR.
          'media-src': ["'self'", 'blob:', 'http:', 'https:'],
          'connect-src': ["'self'", 'ws:', 'wss:', 'http:', 'https:'],
          'upgrade-insecure-requests': null,
        },
      },
      crossOriginEmbedderPolicy: false,
    }),
  );
  if (config.corsOrigins.length > 0) app.enableCors({ origin: config.corsOrigins });
  app.use(jsonBody('16kb'));
  app.setGlobalPrefix('api', { exclude: ['metrics'] });
  // Sockets find the client address with the very function Express uses for req.ip.
  const trustProxy = (app.getHttpAdapter().getInstance() as express.Express).get('trust proxy fn') as TrustProxy;
  app.useWebSocketAdapter(new AppIoAdapter(app, config, app.get(RedisService), app.get(Refusals), trustProxy));
  serveWebApp(app, config);
  await app.listen(config.port, config.host);
  return app;
}

/**
 * SIGTERM: stop accepting connections, mark not-ready, finish acks in flight, move clients
 * to other replicas (their transports close; they reconnect through the load balancer),
 * then close Redis and everything else. Exits within `deadlineMs` whatever happens.
 */
export async function stopServer(app: NestExpressApplication, deadlineMs = 10_000): Promise<void> {
  const force = setTimeout(() => {
    new Logger('Shutdown').error('graceful shutdown took too long; exiting');
    process.exit(1);
  }, deadlineMs);
  force.unref();
  const http = app.getHttpServer() as HttpServer;
  http.close();
  await app.get(ShutdownService).drain();
  http.closeAllConnections();
  await app.close();
  clearTimeout(force);
}

/**
 * The built Angular app at `/`, with index.html for every client-side route; API paths and
 * file names that match nothing fall through to the JSON 404.
 */
function serveWebApp(app: NestExpressApplication, config: AppConfig) {
  const candidates = config.webDir
    ? [resolve(config.webDir)]
    : [join(__dirname, '../web/browser'), resolve('dist/apps/web/browser')];
  const dir = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!dir) {
    new Logger('Web').warn(`no web build found (looked in ${candidates.join(', ')}); serving the API only`);
    return;
  }
  const index = join(dir, 'index.html');
  const assets = express.static(dir, {
    index: false,
    setHeaders: (res, path) =>
      res.setHeader('Cache-Control', /-[A-Z0-9]{8}\.(js|css)$/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
  // API, Socket.IO and metrics requests never look for a file (no stat on the thread pool).
  app.use((req: express.Request, res: express.Response, next: express.NextFunction) =>
    NOT_SPA.test(req.path) ? next() : assets(req, res, next),
  );
  app.use((req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (
      (req.method !== 'GET' && req.method !== 'HEAD') ||
      NOT_SPA.test(req.path) ||
      FILE_NAME.test(req.path) ||
      !req.accepts('html')
    ) {
      return next();
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
