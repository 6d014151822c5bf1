import {
  apiErrorSchema,
  createdLiveShowSchema,
  createLiveBodySchema,
  createSessionBodySchema,
  liveShowSchema,
  mediaSchema,
  adminMeSchema,
  endLiveBodySchema,
  healthSchema,
  renameMediaBodySchema,
  subtitleTrackSchema,
  MAX_SUBTITLE_TRACKS,
  SUBTITLE_LABEL_MAX,
  SUBTITLE_LANG_MAX,
  uploadedMediaSchema,
  joinedSessionSchema,
  joinSessionBodySchema,
  sessionInfoSchema,
} from '@watch-party/contracts';
import * as z from 'zod';

const json = (schema: z.ZodType) => ({
  content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) } },
});
const error = (description: string) => ({ description, ...json(apiErrorSchema) });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const bearer = [{ bearer: [] }];
const fileParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });

/** OpenAPI 3.1 built from the same zod schemas the routes validate with. */
export function buildOpenApiDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'watch-party API', version: '1.0.0' },
    servers: [{ url: '/api' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an owner key or the admin token' } } },
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
            '403': error('the party is locked, or the host banned this deviceId'),
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
            '201': { description: 'stored, processing; `ownerKey` is shown only here', ...json(uploadedMediaSchema) },
            '400': error('no file'),
            '401': error('PUBLISH_POLICY=admin and no admin token'),
            '413': error('larger than MAX_UPLOAD_BYTES'),
            '415': error('not a usable video: not a video, image codec, too long, too large or too fast'),
            '429': error('UPLOADS_PER_HOUR reached for this address'),
            '507': error('the library would pass MEDIA_QUOTA_BYTES'),
          },
        },
        get: { summary: 'The library, newest first', responses: { '200': { description: 'ok', ...json(z.array(mediaSchema)) } } },
      },
      '/media/{id}': {
        get: { summary: 'One media item', parameters: [idParam], responses: { '200': { description: 'found', ...json(mediaSchema) }, '404': error('no such item') } },
        patch: {
          summary: 'Rename an item (owner key or admin token)',
          parameters: [idParam],
          security: bearer,
          requestBody: { required: true, ...json(renameMediaBodySchema) },
          responses: {
            '200': { description: 'renamed', ...json(mediaSchema) },
            '400': error('invalid body'),
            '401': error('no credential'),
            '403': error('not this item\'s owner key'),
            '404': error('no such item'),
          },
        },
        delete: {
          summary: 'Delete an item, stopping its transcode (owner key or admin token)',
          parameters: [idParam],
          security: bearer,
          responses: { '204': { description: 'deleted' }, '401': error('no credential'), '403': error('not this item\'s owner key'), '404': error('no such item') },
        },
      },
      '/media/{id}/subtitles': {
        post: {
          summary: 'Add a subtitle track: a .srt (converted to WebVTT) or .vtt file, UTF-8, at most SUBTITLE_MAX_BYTES',
          description:
            `Follows PUBLISH_POLICY like uploads: anyone when "open" (at most UPLOADS_PER_HOUR subtitle files per address, counted apart from videos); the admin token or the item's owner key when "admin". At most ${MAX_SUBTITLE_TRACKS} tracks per item.`,
          parameters: [idParam],
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  properties: {
                    file: { type: 'string', format: 'binary' },
                    label: { type: 'string', minLength: 1, maxLength: SUBTITLE_LABEL_MAX },
                    lang: { type: 'string', maxLength: SUBTITLE_LANG_MAX, description: 'a BCP 47 language tag such as en or pt-BR' },
                  },
                  required: ['file', 'label'],
                },
              },
            },
          },
          responses: {
            '201': { description: 'added', ...json(subtitleTrackSchema) },
            '400': error('no file, a bad label or lang, or text without a well-formed cue'),
            '401': error('PUBLISH_POLICY=admin and neither the admin token nor the owner key'),
            '404': error('no such item'),
            '409': error(`the item already has ${MAX_SUBTITLE_TRACKS} tracks`),
            '413': error('larger than SUBTITLE_MAX_BYTES'),
            '415': error('not a .srt or .vtt file, or not UTF-8 text'),
            '429': error('UPLOADS_PER_HOUR subtitle files reached for this address'),
            '507': error('the library would pass MEDIA_QUOTA_BYTES'),
          },
        },
      },
      '/media/{id}/subtitles/{trackId}': {
        delete: {
          summary: 'Remove a subtitle track and its file (owner key or admin token)',
          parameters: [idParam, fileParam('trackId')],
          security: bearer,
          responses: { '204': { description: 'removed' }, '401': error('no credential'), '403': error('not this item\'s owner key'), '404': error('no such item or track') },
        },
      },
      '/media/{id}/subtitles/{trackId}.vtt': {
        get: {
          summary: 'A subtitle track as WebVTT (`text/vtt; charset=utf-8`; ETag, Last-Modified, Range; immutable)',
          parameters: [idParam, fileParam('trackId')],
          responses: { '200': { description: 'WebVTT' }, '304': { description: 'not modified' }, '404': error('no such item or track') },
        },
      },
      '/media/{id}/poster.jpg': {
        get: { summary: 'A still of the video', parameters: [idParam], responses: { '200': { description: 'JPEG' }, '404': error('no poster yet') } },
      },
      '/media/{id}/file': {
        get: {
          summary: 'The original upload (Range, If-Range, ETag, Last-Modified)',
          parameters: [idParam],
          responses: {
            '200': { description: 'whole file' },
            '206': { description: 'a range' },
            '304': { description: 'not modified' },
            '404': error('no such item'),
            '412': error('If-Match / If-Unmodified-Since failed'),
            '416': error('range not satisfiable'),
          },
        },
      },
      '/media/{id}/hls/master.m3u8': {
        get: { summary: 'HLS master playlist', parameters: [idParam], responses: { '200': { description: 'playlist' }, '404': error('not playable yet') } },
      },
      '/media/{id}/hls/{variant}/{file}': {
        get: {
          summary: 'Variant playlists (index.m3u8), init segments and fMP4 segments',
          parameters: [idParam, fileParam('variant'), fileParam('file')],
          responses: { '200': { description: 'playlist or segment' }, '404': error('no such file') },
        },
      },
      '/live': {
        post: {
          summary: 'Create a live show; returns its secret stream key and ingest endpoints',
          requestBody: { required: true, ...json(createLiveBodySchema) },
          responses: { '201': { description: 'created', ...json(createdLiveShowSchema) }, '400': error('invalid body'), '401': error('PUBLISH_POLICY=admin and no admin token') },
        },
        get: { summary: 'Live shows, live ones first', responses: { '200': { description: 'ok', ...json(z.array(liveShowSchema)) } } },
      },
      '/live/{id}': {
        get: { summary: 'One live show', parameters: [idParam], responses: { '200': { description: 'found', ...json(liveShowSchema) }, '404': error('no such show') } },
      },
      '/live/{id}/end': {
        post: {
          summary: 'End a show: its stream key, or `{}` with the admin token',
          parameters: [idParam],
          requestBody: { required: true, ...json(endLiveBodySchema) },
          responses: {
            '200': { description: 'ended', ...json(liveShowSchema) },
            '401': error('neither a stream key nor the admin token'),
            '403': error('wrong stream key'),
            '404': error('no such show'),
          },
        },
      },
      '/live/{id}/hls/index.m3u8': {
        get: { summary: 'Live HLS playlist while on air', parameters: [idParam], responses: { '200': { description: 'playlist' }, '404': error('not live') } },
      },
      '/live/{id}/thumbnail.jpg': {
        get: {
          summary: 'A frame of the live stream (the newest segment, at most 10 s old)',
          parameters: [idParam],
          responses: { '200': { description: 'JPEG' }, '404': error('not live, or no video') },
        },
      },
      '/live/{id}/hls/{file}': {
        get: { summary: 'Live MPEG-TS segments', parameters: [idParam, fileParam('file')], responses: { '200': { description: 'segment' }, '404': error('no such segment') } },
      },
      '/admin/me': {
        get: { summary: 'Is this the admin token?', security: bearer, responses: { '200': { description: 'yes', ...json(adminMeSchema) }, '401': error('no') } },
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
