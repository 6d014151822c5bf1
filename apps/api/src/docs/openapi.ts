import {
  apiErrorSchema,
  createdLiveShowSchema,
  createLiveBodySchema,
  createSessionBodySchema,
  liveShowSchema,
  mediaSchema,
  healthSchema,
  joinedSessionSchema,
  joinSessionBodySchema,
  sessionInfoSchema,
} from '@watch-party/contracts';
import { z } from 'zod';

const json = (schema: z.ZodType) => ({
  content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) } },
});
const error = (description: string) => ({ description, ...json(apiErrorSchema) });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

/** OpenAPI 3.1 built from the same zod schemas the routes validate with. */
export function buildOpenApiDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'watch-party API', version: '1.0.0' },
    servers: [{ url: '/api' }],
    paths: {
      '/sessions': {
        post: {
          summary: 'Create a watch party; the caller becomes its host',
          requestBody: { required: true, ...json(createSessionBodySchema) },
          responses: {
            '201': { description: 'created', ...json(joinedSessionSchema) },
            '400': error('invalid body'),
            '413': error('body over 16 KiB'),
            '429': error('too many parties created from this address'),
          },
        },
      },
      '/sessions/{id}': {
        get: {
          summary: 'Public information about a party',
          parameters: [idParam],
          responses: { '200': { description: 'found', ...json(sessionInfoSchema) }, '404': error('no such party') },
        },
      },
      '/sessions/{id}/participants': {
        post: {
          summary: 'Join a party',
          parameters: [idParam],
          requestBody: { required: true, ...json(joinSessionBodySchema) },
          responses: {
            '201': { description: 'joined', ...json(joinedSessionSchema) },
            '400': error('invalid body'),
            '401': error('wrong or missing password'),
            '404': error('no such party'),
            '409': error('party is full'),
            '429': error('too many wrong passwords'),
          },
        },
      },
      '/media': {
        post: {
          summary: 'Upload a video (multipart, one field `file`); transcoding starts at once',
          requestBody: {
            required: true,
            content: { 'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] } } },
          },
          responses: {
            '201': { description: 'stored, processing', ...json(mediaSchema) },
            '400': error('no file'),
            '413': error('larger than MAX_UPLOAD_BYTES'),
            '415': error('not a decodable video'),
          },
        },
        get: { summary: 'The library, newest first', responses: { '200': { description: 'ok', ...json(z.array(mediaSchema)) } } },
      },
      '/media/{id}': {
        get: { summary: 'One media item', parameters: [idParam], responses: { '200': { description: 'found', ...json(mediaSchema) }, '404': error('no such item') } },
        delete: { summary: 'Delete an item, stopping its transcode', parameters: [idParam], responses: { '204': { description: 'deleted' }, '404': error('no such item') } },
      },
      '/media/{id}/file': {
        get: {
          summary: 'The original upload (Range, If-Range, ETag, Last-Modified)',
          parameters: [idParam],
          responses: { '200': { description: 'whole file' }, '206': { description: 'a range' }, '304': { description: 'not modified' }, '404': error('no such item'), '416': { description: 'range not satisfiable' } },
        },
      },
      '/media/{id}/hls/master.m3u8': {
        get: { summary: 'HLS master playlist', parameters: [idParam], responses: { '200': { description: 'playlist' }, '404': error('not playable yet') } },
      },
      '/live': {
        post: {
          summary: 'Create a live show; returns its secret stream key and ingest endpoints',
          requestBody: { required: true, ...json(createLiveBodySchema) },
          responses: { '201': { description: 'created', ...json(createdLiveShowSchema) }, '400': error('invalid body') },
        },
        get: { summary: 'Live shows, live ones first', responses: { '200': { description: 'ok', ...json(z.array(liveShowSchema)) } } },
      },
      '/live/{id}': {
        get: { summary: 'One live show', parameters: [idParam], responses: { '200': { description: 'found', ...json(liveShowSchema) }, '404': error('no such show') } },
      },
      '/live/{id}/hls/index.m3u8': {
        get: { summary: 'Live HLS playlist while on air', parameters: [idParam], responses: { '200': { description: 'playlist' }, '404': error('not live') } },
      },
      '/health': { get: { summary: 'Liveness', responses: { '200': { description: 'ok', ...json(healthSchema) } } } },
      '/health/ready': {
        get: {
          summary: 'Readiness (Redis reachable when configured)',
          responses: { '200': { description: 'ready' }, '503': error('not ready') },
        },
      },
    },
  };
}
