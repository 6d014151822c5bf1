import {
  ChangeDetectionStrategy,
  Component,
  DOCUMENT,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
} from '@angular/core';
import { Title } from '@angular/platform-browser';
import { RouterLink } from '@angular/router';
import { ID_PATTERN, type JoinSessionBody, type SessionInfo } from '@watch-party/contracts';
import { InviteLinkComponent } from '../../components/invite-link/invite-link.component';
import { JoinCardComponent, type JoinError } from '../../components/join-card/join-card.component';
import { ParticipantsComponent } from '../../components/participants/participants.component';
import { PlayerComponent } from '../../components/player/player.component';
import { ApiService, isApiRequestError } from '../../services/api.service';
import { IdentityStoreService, type Identity } from '../../services/identity-store.service';
import { SessionSocketService, isCredentialRejection } from '../../services/session-socket.service';

type LoadState =
  | { kind: 'loading' }
  | { kind: 'not-found' }
  | { kind: 'unreachable' }
  | { kind: 'error'; message: string }
  | { kind: 'ready'; session: SessionInfo };

export type WatchView = 'loading' | 'not-found' | 'unreachable' | 'error' | 'join' | 'kicked' | 'refused' | 'room';

@Component({
  selector: 'wp-watch-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink, InviteLinkComponent, JoinCardComponent, ParticipantsComponent, PlayerComponent],
  providers: [SessionSocketService],
  templateUrl: './watch-page.component.html',
  styleUrl: './watch-page.component.scss',
})
export class WatchPageComponent {
  /** Route parameter `/watch/:id` (component input binding). */
  readonly id = input.required<string>();

  private readonly api = inject(ApiService);
  private readonly identities = inject(IdentityStoreService);
  private readonly document = inject(DOCUMENT);
  private readonly title = inject(Title);
  protected readonly socket = inject(SessionSocketService);

  protected readonly load = signal<LoadState>({ kind: 'loading' });
  protected readonly identity = signal<Identity | null>(null);
  protected readonly kickedReason = signal<string | null>(null);
  protected readonly joinNotice = signal<string | null>(null);
  protected readonly joinBusy = signal(false);
  protected readonly joinError = signal<JoinError | null>(null);
  /** Prefill for the join card: the dropped identity's name, else the last name used. */
  protected readonly joinName = signal(this.identities.lastName());

  /** Live session from the socket once connected, else what REST returned. */
  protected readonly session = computed(() => {
    const load = this.load();
    return this.socket.session() ?? (load.kind === 'ready' ? load.session : null);
  });

  protected readonly view = computed<WatchView>(() => {
    const load = this.load();
    if (load.kind !== 'ready') return load.kind;
    if (this.kickedReason() !== null) return 'kicked';
    if (!this.identity()) return 'join';
    if (this.socket.status() === 'rejected') return 'refused';
    return 'room';
  });

  protected readonly inviteUrl = computed(
    () => `${this.document.location.origin}/watch/${encodeURIComponent(this.id())}`,
  );

  protected readonly banner = computed(() => {
    const status = this.socket.status();
    if (status === 'reconnecting') return 'Connection lost. Reconnecting…';
    if (status === 'connecting' && this.socket.problem()) return "Can't reach the server. Retrying…";
    return null;
  });

  protected readonly kickedMessage = computed(() => {
    const reason = this.kickedReason()?.trim() || 'The host removed you.';
    return reason.charAt(0).toUpperCase() + reason.slice(1);
  });

  protected readonly isHost = computed(() => this.socket.you()?.role === 'host');

  constructor() {
    effect(() => {
      const id = this.id();
      untracked(() => void this.fetchSession(id));
    });
    effect(() => {
      const status = this.socket.status();
      const problem = this.socket.problem() ?? '';
      untracked(() => this.onSocketStatus(status, problem));
    });
    effect(() => {
      const name = this.session()?.name;
      this.title.setTitle(name ? `${name} · watch-party` : 'watch-party');
    });
  }

  protected retry(): void {
    void this.fetchSession(this.id());
  }

  protected reconnect(): void {
    const identity = this.identity();
    if (identity) this.socket.connect(identity.token);
  }

  protected joinAgain(): void {
    this.kickedReason.set(null);
    this.joinNotice.set(null);
  }

  protected async onJoin(body: JoinSessionBody): Promise<void> {
    const id = this.id();
    const hasPassword = this.session()?.hasPassword ?? false;
    this.joinBusy.set(true);
    this.joinError.set(null);
    try {
      const joined = await this.api.joinSession(id, body);
      if (id !== this.id()) return;
      const identity: Identity = { token: joined.token, participantId: joined.participantId, name: body.name };
      this.identities.set(id, identity);
      this.load.set({ kind: 'ready', session: joined.session });
      this.connect(identity);
    } catch (error) {
      if (id !== this.id()) return;
      if (isApiRequestError(error) && error.statusCode === 404) {
        this.load.set({ kind: 'not-found' });
      } else {
        this.joinError.set(joinErrorFor(error, hasPassword));
      }
    } finally {
      this.joinBusy.set(false);
    }
  }

  private async fetchSession(id: string): Promise<void> {
    this.socket.disconnect();
    this.identity.set(null);
    this.kickedReason.set(null);
    this.joinNotice.set(null);
    this.joinError.set(null);
    if (!ID_PATTERN.test(id)) {
      this.load.set({ kind: 'not-found' });
      return;
    }
    this.load.set({ kind: 'loading' });
    try {
      const session = await this.api.getSession(id);
      if (id !== this.id()) return;
      this.load.set({ kind: 'ready', session });
      const identity = this.identities.get(id);
      if (identity) this.connect(identity);
    } catch (error) {
      if (id !== this.id()) return;
      if (isApiRequestError(error) && error.statusCode === 404) this.load.set({ kind: 'not-found' });
      else if (isApiRequestError(error) && error.isNetworkError) this.load.set({ kind: 'unreachable' });
      else this.load.set({ kind: 'error', message: isApiRequestError(error) ? error.message : 'Something went wrong' });
    }
  }

  private connect(identity: Identity): void {
    this.identity.set(identity);
    this.joinNotice.set(null);
    this.socket.connect(identity.token);
  }

  private onSocketStatus(status: string, problem: string): void {
    const id = this.id();
    if (status === 'kicked') {
      const dropped = this.identity();
      if (dropped) this.joinName.set(dropped.name);
      this.identities.clear(id);
      this.identity.set(null);
      this.kickedReason.set(problem);
    } else if (status === 'rejected' && isCredentialRejection(problem)) {
      const dropped = this.identity();
      if (dropped) this.joinName.set(dropped.name);
      this.identities.clear(id);
      this.identity.set(null);
      this.joinNotice.set(`Your pass for this party is no longer valid (${problem}). Join again to continue.`);
    }
  }
}

function joinErrorFor(error: unknown, hasPassword: boolean): JoinError {
  if (!isApiRequestError(error)) return { message: 'Something went wrong, try again' };
  if (error.isNetworkError) return { message: 'Server unreachable. Check your connection and try again.' };
  switch (error.statusCode) {
    case 401:
      return hasPassword ? { message: 'Wrong password', field: 'password' } : { message: 'Wrong password' };
    case 429:
      return { message: 'Too many attempts, wait a minute' };
    default:
      return { message: error.message };
  }
}
