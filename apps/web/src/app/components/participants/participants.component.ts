import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterRenderEffect,
  computed,
  inject,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';
import type { Participant, ParticipantStatus, Role } from '@watch-party/contracts';
import { formatDrift } from '../../util/format';
import { MenuButtonComponent, type MenuItem } from '../menu/menu-button.component';

const STATUS_LABEL: Record<ParticipantStatus, string> = {
  ready: 'Ready',
  buffering: 'Buffering',
  playing: 'Playing',
  paused: 'Paused',
  ended: 'Finished',
  error: "Can't play",
};

const ROLE_ORDER: Record<Participant['role'], number> = { host: 0, controller: 1, viewer: 2 };

/** What the host can do to someone from the participant list. */
export type ParticipantAction =
  | { kind: 'role'; participantId: string; role: Role }
  | { kind: 'kick'; participantId: string; ban: boolean };

/** Who is in the party: host first, then connected people, each with live status and drift. */
@Component({
  selector: 'wp-participants',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MenuButtonComponent],
  templateUrl: './participants.component.html',
  styleUrl: './participants.component.scss',
})
export class ParticipantsComponent {
  readonly participants = input.required<Participant[]>();
  readonly youId = input<string | null>(null);
  /** True until the first snapshot: shows skeleton rows. */
  readonly loading = input(false);
  /** The connection is down: the list is the last known state, not live (no count, statuses unknown). */
  readonly stale = input(false);
  /** The viewer is the host: show a per-person actions menu. */
  readonly canManage = input(false);
  readonly action = output<ParticipantAction>();

  /** Who the host is about to remove: removing is asked twice, since a ban cannot be undone here. */
  protected readonly confirming = signal<Participant | null>(null);
  private readonly cancelButton = viewChild<ElementRef<HTMLButtonElement>>('cancelButton');
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);

  constructor() {
    afterRenderEffect(() => {
      // The question takes the focus so a keyboard user answers it first.
      if (this.confirming()) this.cancelButton()?.nativeElement.focus();
    });
  }

  protected readonly sorted = computed(() =>
    [...this.participants()].sort(
      (a, b) =>
        ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || Number(b.connected) - Number(a.connected),
    ),
  );
  protected readonly onlineCount = computed(
    () => this.participants().filter((p) => p.connected).length,
  );

  protected statusLabel(participant: Participant): string {
    return participant.connected ? STATUS_LABEL[participant.status] : 'Offline';
  }

  /** The colour of the status badge: what needs attention stands out. */
  protected statusTone(participant: Participant): 'off' | 'ok' | 'wait' | 'done' | 'bad' {
    if (!participant.connected) return 'off';
    switch (participant.status) {
      case 'error':
        return 'bad';
      case 'buffering':
        return 'wait';
      case 'ended':
        return 'done';
      case 'ready':
      case 'playing':
      case 'paused':
        return 'ok';
    }
  }

  /** Why someone can't play (their player's reason), as the badge's tooltip and description. */
  protected statusDetail(participant: Participant): string | null {
    if (!participant.connected || participant.status !== 'error') return null;
    const reason = participant.error?.trim();
    return reason ? `Can't play: ${reason}` : "Can't play this video";
  }

  /** Drift only means something while connected and following a playing or paused group. */
  protected drift(participant: Participant): string | null {
    const ms = participant.driftMs;
    if (!participant.connected || ms === null || !Number.isFinite(ms)) return null;
    if (participant.status !== 'playing' && participant.status !== 'paused') return null;
    return formatDrift(ms);
  }

  protected menuItems(participant: Participant): MenuItem[] {
    const items: MenuItem[] = [];
    if (participant.role === 'viewer') items.push({ value: 'controller', label: 'Make controller' });
    if (participant.role === 'controller') items.push({ value: 'viewer', label: 'Make viewer' });
    items.push({ value: 'host', label: 'Make host' });
    items.push({ value: 'kick', label: 'Remove from party', danger: true });
    return items;
  }

  protected onMenu(participant: Participant, value: string): void {
    if (value === 'kick') {
      this.confirming.set(participant);
    } else if (value === 'host' || value === 'controller' || value === 'viewer') {
      this.action.emit({ kind: 'role', participantId: participant.id, role: value });
    }
  }

  protected confirmRemove(ban: boolean): void {
    const participant = this.confirming();
    this.closeConfirm();
    if (participant) this.action.emit({ kind: 'kick', participantId: participant.id, ban });
  }

  protected cancelRemove(): void {
    this.closeConfirm();
  }

  /** Hands the focus back to the actions button the question came from. */
  private closeConfirm(): void {
    const participant = this.confirming();
    this.confirming.set(null);
    if (!participant) return;
    const trigger = [...this.host.nativeElement.querySelectorAll<HTMLElement>('[data-testid="participant"]')]
      .find((row) => row.dataset['participantId'] === participant.id)
      ?.querySelector<HTMLElement>('[data-testid="participant-actions"]');
    trigger?.focus();
  }
}
