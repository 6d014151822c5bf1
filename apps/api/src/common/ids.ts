import { randomBytes } from 'node:crypto';

/** 96 random bits, URL-safe: unguessable ids for sessions, participants, messages, media. */
export function newId(): string {
  return randomBytes(12).toString('base64url');
}
