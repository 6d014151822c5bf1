import {
  apiErrorSchema,
  createSessionBodySchema,
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
