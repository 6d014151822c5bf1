import type { SessionInfo } from '@watch-party/contracts';

/** A party as the API describes it: open, host-controlled, nothing playing, unless overridden. */
export function sessionInfo(overrides: Partial<SessionInfo> = {}): SessionInfo {
  return {
    id: 'SessIonId_1234567',
    name: 'Movie night',
    hasPassword: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    controlPolicy: 'host',
    participantCount: 1,
    source: null,
    waitForBuffering: false,
    queue: [],
    queuePolicy: 'everyone',
    locked: false,
    ...overrides,
  };
}
