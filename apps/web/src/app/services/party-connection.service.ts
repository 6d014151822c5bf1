import { Injectable, computed, effect, inject, signal, untracked } from '@angular/core';
import type { AckError, HandshakeErrorCode, JoinedSession, JoinSessionBody } from '@watch-party/contracts';
import { ApiService } from './api.service';
import { DeviceIdService } from './device-id.service';
import { IdentityStoreService, type Identity } from './identity-store.service';
import { type ConnectionStatus, SessionSocketService, isCredentialRejection } from './session-socket.service';

/** Why this browser lost its place in the party: the host removed it, or its pass stopped working. */
export type PartyDrop = { kind: 'kicked'; reason: string } | { kind: 'pass-invalid'; problem: string };

/**
 * This browser's place in one party, shared by the watch and live-show pages: the identity kept
 * in storage, joining, the socket connection, and what happens when the host removes us or the
 * server no longer accepts our pass (the identity is forgotten and the name kept for joining
 * again). Provide it per page, next to SessionSocketService.
 */
@Injectable()
export class PartyConnectionService {
  private readonly api = inject(ApiService);
  private readonly identities = inject(IdentityStoreService);
  private readonly device = inject(DeviceIdService);
  readonly socket = inject(SessionSocketService);

  private readonly sessionId = signal<string | null>(null);
  /** Bumped by open()/close(): a join that finishes after it belongs to another party. */
  private generation = 0;

  /** Who we are in the open party; null until joined (or after being dropped). */
  readonly identity = signal<Identity | null>(null);
  /** Prefill for name fields: the dropped identity's name, else the last name used. */
  readonly name = signal(this.identities.lastName());
  readonly dropped = signal<PartyDrop | null>(null);
  readonly joining = signal(false);

  /** What to tell the user while the connection is down and being retried; null otherwise. */
  readonly banner = computed(() => {
    const status = this.socket.status();
    if (status === 'reconnecting') return 'Connection lost. Reconnecting…';
    if (status === 'connecting' && this.socket.problem()) return "Can't reach the server. Retrying…";
    return null;
  });

  constructor() {
    effect(() => {
      const status = this.socket.status();
      const problem = this.socket.problem() ?? '';
      const rejection = this.socket.rejection();
      untracked(() => this.onStatus(status, problem, rejection));
    });
  }

  /** Switches to party `sessionId`: leaves the previous one and reconnects with a stored pass, if any. */
  open(sessionId: string): void {
    this.close();
    this.sessionId.set(sessionId);
    const stored = this.identities.get(sessionId);
    if (stored) this.connect(stored);
  }

  /** Leaves the party (disconnects; the stored pass stays for next time). */
  close(): void {
    this.generation++;
    this.socket.disconnect();
    this.sessionId.set(null);
    this.identity.set(null);
    this.dropped.set(null);
  }

  /**
   * Joins the open party as a new participant, keeps the pass and connects. Resolves with the
   * server's answer, or null when another party was opened meanwhile; rejects with the API's
   * error (ApiRequestError) otherwise.
   */
  async join(body: JoinSessionBody): Promise<JoinedSession | null> {
    const sessionId = this.sessionId();
    if (sessionId === null) return null;
    const generation = this.generation;
    this.joining.set(true);
    try {
      const joined = await this.api.joinSession(sessionId, { ...body, deviceId: this.device.get() });
      if (generation !== this.generation) return null;
      const identity: Identity = { token: joined.token, participantId: joined.participantId, name: body.name };
      this.identities.set(sessionId, identity);
      this.connect(identity);
      return joined;
    } catch (error) {
      if (generation !== this.generation) return null;
      throw error;
    } finally {
      if (generation === this.generation) this.joining.set(false);
    }
  }

  /** Tries the same pass again (after a refusal that was not about the pass). */
  reconnect(): void {
    const identity = this.identity();
    if (identity) this.socket.connect(identity.token);
  }

  /** The user read why they were dropped and wants the join form. */
  dismissDrop(): void {
    this.dropped.set(null);
  }

  /** `clientId` makes a resend after a timeout or a drop land as the same message, not a second one. */
  async sendChat(text: string, clientId?: string): Promise<{ ok: true } | AckError> {
    const ack = await this.socket.request('chat:send', clientId === undefined ? { text } : { text, clientId });
    return ack.ok ? { ok: true } : ack;
  }

  private connect(identity: Identity): void {
    this.identity.set(identity);
    this.dropped.set(null);
    this.socket.connect(identity.token);
  }

  private onStatus(status: ConnectionStatus, problem: string, rejection: HandshakeErrorCode | null): void {
    if (status === 'kicked') this.drop({ kind: 'kicked', reason: problem });
    else if (status === 'rejected' && isCredentialRejection(rejection)) this.drop({ kind: 'pass-invalid', problem });
  }

  private drop(reason: PartyDrop): void {
    const sessionId = this.sessionId();
    const dropped = this.identity();
    if (!sessionId || !dropped) return;
    this.name.set(dropped.name);
    this.identities.clear(sessionId);
    this.identity.set(null);
    this.dropped.set(reason);
  }
}
