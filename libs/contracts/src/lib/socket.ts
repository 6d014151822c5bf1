import { z } from 'zod';
import type { PlaybackState } from '@watch-party/sync-core';
import type { Media, MediaProgress } from './media';
import { controlPolicySchema, idSchema, sourceSchema, type SessionInfo } from './rest';

export const roleSchema = z.enum(['host', 'controller', 'viewer']);
export type Role = z.infer<typeof roleSchema>;

export const participantStatusSchema = z.enum(['ready', 'buffering', 'playing', 'paused']);
export type ParticipantStatus = z.infer<typeof participantStatusSchema>;

export type { PlaybackAction, PlaybackState } from '@watch-party/sync-core';

export interface Participant {
  id: string;
  name: string;
  role: Role;
  connected: boolean;
  status: ParticipantStatus;
  driftMs: number | null;
}

export interface ChatMessage {
  id: string;
  participantId: string;
  name: string;
  text: string;
  at: number;
}

export interface SessionSnapshot {
  session: SessionInfo;
  you: Participant;
  participants: Participant[];
  state: PlaybackState;
  chat: ChatMessage[];
  serverTime: number;
  /** added to the contract: the media item behind a `{kind: "media"}` source, with its URLs */
  media?: Media | null;
}

export const MIN_RATE = 0.25;
export const MAX_RATE = 4;

const position = z.number().finite().min(0).max(1e7);
const rate = z.number().finite().min(MIN_RATE).max(MAX_RATE);

// ---- client -> server payloads (validated on the server, typed on the client) ----

export const timePingSchema = z.strictObject({ t0: z.number().finite() });

export const playbackControlSchema = z
  .strictObject({
    action: z.enum(['play', 'pause', 'seek', 'rate']),
    position: position.optional(),
    rate: rate.optional(),
  })
  .refine((c) => c.action !== 'seek' || c.position !== undefined, {
    error: 'seek needs a position',
    path: ['position'],
  })
  .refine((c) => c.action !== 'rate' || c.rate !== undefined, {
    error: 'rate needs a rate',
    path: ['rate'],
  });

export const sourceSetSchema = z.strictObject({ source: sourceSchema });

export const participantStatusPayloadSchema = z.strictObject({
  status: participantStatusSchema,
  position,
  driftMs: z.number().finite().min(-1e9).max(1e9).optional(),
});

export const chatSendSchema = z.strictObject({
  text: z.string().trim().min(1, { error: 'must not be empty' }).max(500),
});

export const roleSetSchema = z.strictObject({ participantId: idSchema, role: roleSchema });

export const sessionSettingsSchema = z.strictObject({
  controlPolicy: controlPolicySchema.optional(),
  waitForBuffering: z.boolean().optional(),
});

export const participantKickSchema = z.strictObject({ participantId: idSchema });

export type TimePing = z.infer<typeof timePingSchema>;
export type PlaybackControl = z.infer<typeof playbackControlSchema>;
export type SourceSet = z.infer<typeof sourceSetSchema>;
export type ParticipantStatusPayload = z.infer<typeof participantStatusPayloadSchema>;
export type ChatSend = z.infer<typeof chatSendSchema>;
export type RoleSet = z.infer<typeof roleSetSchema>;
export type SessionSettings = z.infer<typeof sessionSettingsSchema>;
export type ParticipantKick = z.infer<typeof participantKickSchema>;

// ---- acknowledgements ----

export type AckErrorCode = 'BAD_REQUEST' | 'FORBIDDEN' | 'NOT_FOUND' | 'RATE_LIMITED' | 'INTERNAL';
export interface AckError {
  ok: false;
  error: { code: AckErrorCode; message: string };
}
export type Ack<T extends object = Record<string, never>> = ({ ok: true } & T) | AckError;
export type AckFn<T extends object = Record<string, never>> = (ack: Ack<T>) => void;

export interface ClientToServerEvents {
  'time:ping': (payload: TimePing, ack: AckFn<{ t0: number; serverTime: number }>) => void;
  'playback:control': (payload: PlaybackControl, ack: AckFn<{ state: PlaybackState }>) => void;
  'source:set': (payload: SourceSet, ack: AckFn<{ state: PlaybackState }>) => void;
  'participant:status': (payload: ParticipantStatusPayload, ack: AckFn) => void;
  'chat:send': (payload: ChatSend, ack: AckFn<{ message: ChatMessage }>) => void;
  'role:set': (payload: RoleSet, ack: AckFn) => void;
  'session:settings': (payload: SessionSettings, ack: AckFn<{ session: SessionInfo }>) => void;
  'participant:kick': (payload: ParticipantKick, ack: AckFn) => void;
}

export interface ServerToClientEvents {
  'session:snapshot': (snapshot: SessionSnapshot) => void;
  'playback:state': (state: PlaybackState) => void;
  'participants:update': (participants: Participant[]) => void;
  'chat:message': (message: ChatMessage) => void;
  'session:kicked': (payload: { reason: string }) => void;
  /** added to the contract: settings changed (control policy, waitForBuffering, source) */
  'session:update': (session: SessionInfo) => void;
  /** contract section 3 / media issue: transcoding progress of any media item */
  'media:progress': (progress: MediaProgress) => void;
}

/** Payload schema per client event; the gateway validates every event through this map. */
export const clientEventSchemas = {
  'time:ping': timePingSchema,
  'playback:control': playbackControlSchema,
  'source:set': sourceSetSchema,
  'participant:status': participantStatusPayloadSchema,
  'chat:send': chatSendSchema,
  'role:set': roleSetSchema,
  'session:settings': sessionSettingsSchema,
  'participant:kick': participantKickSchema,
} as const satisfies Record<keyof ClientToServerEvents, z.ZodType>;

/** Fixed protocol limits (docs/configuration.md). */
export const LIMITS = {
  socketMaxBytes: 64 * 1024,
  ingestMaxBytes: 1024 * 1024,
  controlEventsPerSec: 20,
  chatMessagesPerSec: 5,
  participantsPerSession: 200,
  chatHistory: 50,
  jsonBodyMaxBytes: 16 * 1024,
} as const;
