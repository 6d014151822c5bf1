import * as z from 'zod';
import type { PlaybackState } from '@watch-party/sync-core';
import type { Media, MediaProgress } from './media';
import {
  controlPolicySchema,
  idSchema,
  type QueueItem,
  queuePolicySchema,
  sourceSchema,
  type SessionInfo,
} from './rest';

export const roleSchema = z.enum(['host', 'controller', 'viewer']);
export type Role = z.infer<typeof roleSchema>;

/** `ended`: the source played to its end here; `error`: it cannot play here (see `error`). */
export const participantStatusSchema = z.enum(['ready', 'buffering', 'playing', 'paused', 'ended', 'error']);
export type ParticipantStatus = z.infer<typeof participantStatusSchema>;

export type { PlaybackAction, PlaybackState } from '@watch-party/sync-core';

export interface Participant {
  id: string;
  name: string;
  role: Role;
  connected: boolean;
  status: ParticipantStatus;
  driftMs: number | null;
  /** why the source cannot play for this participant (status "error") */
  error?: string;
}

export const activityEventSchema = z.enum([
  'join',
  'leave',
  'kick',
  'role',
  'host',
  'play',
  'pause',
  'seek',
  'rate',
  'source',
  'queue',
]);
export type ActivityEvent = z.infer<typeof activityEventSchema>;

/** What a system message reports: who did what (`by` null: the server itself). */
export interface ActivityInfo {
  event: ActivityEvent;
  by: string | null;
  detail?: string;
}

/**
 * A chat line. `kind: "system"` lines are written by the server for what happens in the party
 * (`participantId`/`name` are whoever did it, empty for the server); a quick repeat by the same
 * person is merged into the previous line: the same `id` arrives again with new text.
 */
export interface ChatMessage {
  id: string;
  participantId: string;
  name: string;
  text: string;
  at: number;
  kind: 'user' | 'system';
  system?: ActivityInfo;
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

/** Longest reason a participant may give for status "error". */
export const MAX_STATUS_ERROR = 200;
/** Longest queue item title. */
export const MAX_QUEUE_TITLE = 120;

export const participantStatusPayloadSchema = z.strictObject({
  status: participantStatusSchema,
  position,
  driftMs: z.number().finite().min(-1e9).max(1e9).optional(),
  error: z.string().max(MAX_STATUS_ERROR, { error: `must be at most ${MAX_STATUS_ERROR} characters` }).optional(),
  /**
   * The playback `rev` this report is about (added to the contract): an "ended" for an older rev
   * is news about a source or state the group has already left, and moves nothing on.
   */
  rev: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

/** Longest chat clientId (the sender's own id for a message, so a retry is not a second message). */
export const CHAT_CLIENT_ID_MAX = 64;

export const chatSendSchema = z.strictObject({
  text: z.string().trim().min(1, { error: 'must not be empty' }).max(500),
  clientId: z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(CHAT_CLIENT_ID_MAX, { error: `must be at most ${CHAT_CLIENT_ID_MAX} characters` })
    .optional(),
});

export const roleSetSchema = z.strictObject({ participantId: idSchema, role: roleSchema });

export const sessionSettingsSchema = z.strictObject({
  controlPolicy: controlPolicySchema.optional(),
  waitForBuffering: z.boolean().optional(),
  queuePolicy: queuePolicySchema.optional(),
  /** a locked party refuses every new join; its participants stay and reconnect */
  locked: z.boolean().optional(),
});

export const participantKickSchema = z.strictObject({
  participantId: idSchema,
  /** also refuse later joins from that participant's device */
  ban: z.boolean().optional(),
});

export const queueAddSchema = z.strictObject({
  source: sourceSchema,
  title: z
    .string()
    .trim()
    .max(MAX_QUEUE_TITLE, { error: `must be at most ${MAX_QUEUE_TITLE} characters` })
    .optional(),
});

export const queueRemoveSchema = z.strictObject({ itemId: idSchema });

export const queueMoveSchema = z.strictObject({
  itemId: idSchema,
  /** the item's new place; past the end means last */
  index: z.number().int().min(0).max(1e6),
});

export const queueNextSchema = z.strictObject({});

/** The reactions anyone may send; nothing else is accepted. */
export const REACTION_EMOJIS = ['👍', '😂', '😮', '😢', '❤️', '🔥', '👏', '🎉'] as const;
export type ReactionEmoji = (typeof REACTION_EMOJIS)[number];

export const reactionSendSchema = z.strictObject({
  emoji: z.enum(REACTION_EMOJIS, { error: `must be one of ${REACTION_EMOJIS.join(' ')}` }),
});

/** A reaction as everyone in the party sees it (not stored). */
export interface Reaction {
  participantId: string;
  emoji: ReactionEmoji;
  /** server epoch ms */
  at: number;
}

export type TimePing = z.infer<typeof timePingSchema>;
export type PlaybackControl = z.infer<typeof playbackControlSchema>;
export type SourceSet = z.infer<typeof sourceSetSchema>;
export type ParticipantStatusPayload = z.infer<typeof participantStatusPayloadSchema>;
export type ChatSend = z.infer<typeof chatSendSchema>;
export type RoleSet = z.infer<typeof roleSetSchema>;
export type SessionSettings = z.infer<typeof sessionSettingsSchema>;
export type ParticipantKick = z.infer<typeof participantKickSchema>;
export type QueueAdd = z.infer<typeof queueAddSchema>;
export type QueueRemove = z.infer<typeof queueRemoveSchema>;
export type QueueMove = z.infer<typeof queueMoveSchema>;
export type QueueNext = z.infer<typeof queueNextSchema>;
export type ReactionSend = z.infer<typeof reactionSendSchema>;

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
  'queue:add': (payload: QueueAdd, ack: AckFn<{ item: QueueItem }>) => void;
  'queue:remove': (payload: QueueRemove, ack: AckFn) => void;
  'queue:move': (payload: QueueMove, ack: AckFn) => void;
  'queue:next': (payload: QueueNext, ack: AckFn<{ state: PlaybackState }>) => void;
  'reaction:send': (payload: ReactionSend, ack: AckFn) => void;
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
  /** the whole queue, after every change */
  'queue:update': (queue: QueueItem[]) => void;
  reaction: (reaction: Reaction) => void;
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
  'queue:add': queueAddSchema,
  'queue:remove': queueRemoveSchema,
  'queue:move': queueMoveSchema,
  'queue:next': queueNextSchema,
  'reaction:send': reactionSendSchema,
} as const satisfies Record<keyof ClientToServerEvents, z.ZodType>;

/** Fixed protocol limits (docs/configuration.md). */
export const LIMITS = {
  socketMaxBytes: 64 * 1024,
  ingestMaxBytes: 1024 * 1024,
  controlEventsPerSec: 20,
  chatMessagesPerSec: 5,
  reactionsPerSec: 3,
  participantsPerSession: 200,
  chatHistory: 50,
  queueItems: 100,
  jsonBodyMaxBytes: 16 * 1024,
} as const;
