import {
  ChangeDetectionStrategy,
  Component,
  DOCUMENT,
  DestroyRef,
  computed,
  effect,
  inject,
  signal,
  untracked,
} from '@angular/core';
import { NgTemplateOutlet } from '@angular/common';
import { Title } from '@angular/platform-browser';
import { RouterLink } from '@angular/router';
import {
  type AckError,
  type JoinSessionBody,
  type Participant,
  type PlaybackControl,
  type SessionInfo,
  type SessionSettings,
  type Source,
} from '@watch-party/contracts';
import { PartyChatComponent } from '../../components/chat/party-chat.component';
import { HostSettingsComponent } from '../../components/host-settings/host-settings.component';
import { type InviteAccess, InviteLinkComponent } from '../../components/invite-link/invite-link.component';
import { JoinCardComponent, type JoinError } from '../../components/join-card/join-card.component';
import { PageStateComponent, UnreachablePageComponent } from '../../components/page-state/page-state.component';
import {
  type ParticipantAction,
  ParticipantsComponent,
} from '../../components/participants/participants.component';
import { PlayerComponent } from '../../components/player/player.component';
import { PartyNoticesComponent } from '../../components/party-notices/party-notices.component';
import { ReactionBurstComponent } from '../../components/reactions/reaction-burst.component';
import { ReactionsBarComponent } from '../../components/reactions/reactions-bar.component';
import { EndCardComponent } from '../../components/queue/end-card.component';
import { QueuePanelComponent } from '../../components/queue/queue-panel.component';
import { SourcePickerComponent, type SourceSetter } from '../../components/source-picker/source-picker.component';
import { ApiService } from '../../services/api.service';
import { BrowserStorageService } from '../../services/browser-storage.service';
import { CurrentMediaService } from '../../services/current-media.service';
import { isApiRequestError } from '../../services/http';
import { SyncEngineService } from '../../services/sync-engine.service';
import { transientMessage } from '../../util/transient-message';
import { PARTY_PAGE_PROVIDERS, PartyPage } from '../party-page';

/** Below this width the side panels become tabs ("People | Chat"). */
const NARROW_QUERY = '(max-width: 959.98px)';
const ACTION_ERROR_MS = 5000;
/** Theater mode is remembered per browser, for every party. */
export const THEATER_KEY = 'wp.theater';

/** Inputs that take typed text: a `t` typed there is text, not the theater shortcut. */
const NON_TEXT_INPUTS = new Set(['button', 'checkbox', 'color', 'file', 'image', 'radio', 'range', 'reset', 'submit']);

/** True when `target` takes typed characters (text inputs, text areas, selects, editable content). */
export function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLInputElement) return !NON_TEXT_INPUTS.has(target.type);
  return target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

export type SideTab = 'people' | 'chat';
const SIDE_TABS: readonly SideTab[] = ['people', 'chat'];

/** "Ann", "Ann and Bo", "Ann, Bo and Cy". */
export function joinNames(names: string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Who may press play: the hint shown to everyone else. */
export function controlHint(participants: Participant[]): string {
  const host = participants.find((p) => p.role === 'host');
  const names = [host ? `${host.name} (host)` : 'the host', ...participants.filter((p) => p.role === 'controller').map((p) => p.name)];
  return `Only ${joinNames(names)} can control playback`;
}

function actionErrorMessage(error: AckError['error']): string {
  switch (error.code) {
    case 'FORBIDDEN':
      return "You can't do that: only the host and controllers control playback.";
    case 'RATE_LIMITED':
      return 'Too many commands at once. Wait a moment.';
    default:
      return error.message;
  }
}

export type WatchView = 'loading' | 'not-found' | 'unreachable' | 'error' | 'join' | 'kicked' | 'refused' | 'room';

@Component({
  selector: 'wp-watch-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    NgTemplateOutlet,
    RouterLink,
    HostSettingsComponent,
    InviteLinkComponent,
    JoinCardComponent,
    PageStateComponent,
    PartyChatComponent,
    ParticipantsComponent,
    PlayerComponent,
    ReactionBurstComponent,
    ReactionsBarComponent,
    PartyNoticesComponent,
    EndCardComponent,
    QueuePanelComponent,
    SourcePickerComponent,
    UnreachablePageComponent,
  ],
  providers: [PARTY_PAGE_PROVIDERS, SyncEngineService, CurrentMediaService],
  templateUrl: './watch-page.component.html',
  styleUrl: './watch-page.component.scss',
})
export class WatchPageComponent extends PartyPage<SessionInfo> {
  private readonly api = inject(ApiService);
  private readonly document = inject(DOCUMENT);
  private readonly title = inject(Title);
  private readonly storage = inject(BrowserStorageService);
  protected readonly engine = inject(SyncEngineService);
  protected readonly currentMedia = inject(CurrentMediaService);

  protected readonly joinError = signal<JoinError | null>(null);
  protected readonly joinNotice = computed(() => {
    const dropped = this.party.dropped();
    return dropped?.kind === 'pass-invalid'
      ? `Your pass for this party is no longer valid (${dropped.problem}). Join again to continue.`
      : null;
  });

  /** Live session from the socket once connected, else what REST returned. */
  protected readonly session = computed(() => {
    const load = this.load();
    return this.socket.session() ?? (load.kind === 'ready' ? load.value : null);
  });

  protected readonly view = computed<WatchView>(() => {
    const load = this.load();
    if (load.kind !== 'ready') return load.kind;
    if (this.party.dropped()?.kind === 'kicked') return 'kicked';
    if (!this.party.identity()) return 'join';
    if (this.socket.status() === 'rejected') return 'refused';
    return 'room';
  });

  protected readonly inviteUrl = computed(
    () => `${this.document.location.origin}/watch/${encodeURIComponent(this.id())}`,
  );

  protected readonly inviteAccess = computed<InviteAccess>(() => {
    const session = this.session();
    if (session?.locked) return 'locked';
    return session?.hasPassword ? 'password' : 'open';
  });

  protected readonly kickedMessage = computed(() => {
    const dropped = this.party.dropped();
    const reason = (dropped?.kind === 'kicked' ? dropped.reason.trim() : '') || 'The host removed you.';
    return reason.charAt(0).toUpperCase() + reason.slice(1);
  });

  protected readonly isHost = computed(() => this.socket.you()?.role === 'host');

  /** Controllers: the host, role controller, everyone when the policy says so. */
  protected readonly canControl = computed(() => {
    const you = this.socket.you();
    if (!you) return false;
    return you.role !== 'viewer' || this.session()?.controlPolicy === 'everyone';
  });
  protected readonly controlHint = computed(() => controlHint(this.socket.participants()));
  protected readonly emptyHint = computed(() => {
    if (this.canControl()) return 'Paste a link, pick from the library or upload a video in “Pick a video”.';
    const host = this.socket.participants().find((p) => p.role === 'host');
    return `${host ? `${host.name} (host)` : 'The host'} or a controller will pick something to watch.`;
  });

  protected readonly actionError = transientMessage(ACTION_ERROR_MS);
  protected readonly settingsBusy = signal(false);

  // ---- side panels: tabs on narrow screens, both visible on wide ones ----
  protected readonly narrow = signal(false);
  protected readonly sideTabs = SIDE_TABS;
  protected readonly tab = signal<SideTab>('chat');
  /** Theater mode (wide screens): the picture as large as the window, chat beside it, people in a tab. */
  protected readonly theater = signal(this.storage.read(THEATER_KEY) === '1');
  /** People and chat share one column as tabs: on phones, and in theater mode. */
  protected readonly tabbed = computed(() => this.narrow() || this.theater());
  protected readonly chatVisible = computed(() => !this.tabbed() || this.tab() === 'chat');
  /** Id of the newest message the user has had on screen; undefined before the first snapshot. */
  private readonly seenChatId = signal<string | null | undefined>(undefined);
  protected readonly unread = computed(() => {
    const seen = this.seenChatId();
    if (seen === undefined) return 0;
    const chat = this.socket.chat();
    const youId = this.socket.you()?.id;
    const from = seen === null ? 0 : chat.findIndex((m) => m.id === seen) + 1;
    return chat.slice(from).filter((m) => m.participantId !== youId).length;
  });

  protected readonly setSource: SourceSetter = async (source: Source) => {
    const ack = await this.socket.request('source:set', { source });
    return ack.ok ? { ok: true } : ack;
  };

  constructor() {
    super();
    effect(() => {
      const name = this.session()?.name;
      this.title.setTitle(name ? `${name} · watch-party` : 'watch-party');
    });
    effect(() => {
      const chat = this.socket.chat();
      const visible = this.chatVisible();
      if (!this.socket.hasSnapshot()) return;
      untracked(() => {
        if (visible || this.seenChatId() === undefined) this.seenChatId.set(chat.at(-1)?.id ?? null);
      });
    });

    const media = this.document.defaultView?.matchMedia?.(NARROW_QUERY);
    if (media) {
      this.narrow.set(media.matches);
      const onChange = (event: MediaQueryListEvent) => this.narrow.set(event.matches);
      media.addEventListener('change', onChange);
      inject(DestroyRef).onDestroy(() => media.removeEventListener('change', onChange));
    }
    const onKey = (event: KeyboardEvent) => this.onPageKey(event);
    this.document.addEventListener('keydown', onKey);
    inject(DestroyRef).onDestroy(() => this.document.removeEventListener('keydown', onKey));
  }

  protected async onControl(control: PlaybackControl): Promise<void> {
    const ack = await this.socket.request('playback:control', control);
    if (!ack.ok) this.actionError.show(actionErrorMessage(ack.error));
  }

  protected async onParticipantAction(action: ParticipantAction): Promise<void> {
    const ack =
      action.kind === 'kick'
        ? await this.socket.request('participant:kick', action.ban ? { participantId: action.participantId, ban: true } : { participantId: action.participantId })
        : await this.socket.request('role:set', { participantId: action.participantId, role: action.role });
    if (!ack.ok) this.actionError.show(ack.error.message);
  }

  protected async onSettings(settings: SessionSettings): Promise<void> {
    this.settingsBusy.set(true);
    try {
      const ack = await this.socket.request('session:settings', settings);
      if (!ack.ok) this.actionError.show(ack.error.message);
    } finally {
      this.settingsBusy.set(false);
    }
  }

  protected toggleTheater(): void {
    const on = !this.theater();
    this.theater.set(on);
    if (on) this.storage.write(THEATER_KEY, '1');
    else this.storage.remove(THEATER_KEY);
  }

  /** `t` toggles theater mode in the room, unless it is typed into a field or used with a modifier. */
  private onPageKey(event: KeyboardEvent): void {
    if (event.key !== 't' && event.key !== 'T') return;
    if (event.defaultPrevented || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTextField(event.target) || this.view() !== 'room' || this.narrow()) return;
    event.preventDefault();
    this.toggleTheater();
  }

  protected selectTab(tab: SideTab): void {
    this.tab.set(tab);
  }

  /** Arrow keys move between tabs (WAI-ARIA tabs pattern). */
  protected onTabKey(event: KeyboardEvent): void {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    event.preventDefault();
    const next: SideTab = this.tab() === 'chat' ? 'people' : 'chat';
    this.tab.set(next);
    this.document.getElementById(`tab-${next}`)?.focus();
  }

  protected reconnect(): void {
    this.party.reconnect();
  }

  protected joinAgain(): void {
    this.party.dismissDrop();
  }

  protected async onJoin(body: JoinSessionBody): Promise<void> {
    const hasPassword = this.session()?.hasPassword ?? false;
    this.joinError.set(null);
    try {
      const joined = await this.party.join(body);
      if (joined) this.load.set({ kind: 'ready', value: joined.session });
    } catch (error) {
      if (isApiRequestError(error) && error.statusCode === 404) {
        this.load.set({ kind: 'not-found' });
      } else {
        this.joinError.set(joinErrorFor(error, hasPassword));
      }
    }
  }

  protected override find(id: string): Promise<SessionInfo> {
    return this.api.getSession(id);
  }

  protected override async open(id: string): Promise<void> {
    this.party.close();
    this.joinError.set(null);
    if (await this.loader.load(id)) this.party.open(id);
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
    case 403:
      // A lock or a ban: the server says which, and joining again will not help.
      return { message: `Can't join: ${error.message}` };
    default:
      return { message: error.message };
  }
}
