import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { Participant, ParticipantStatus } from '@watch-party/contracts';

const STATUS_LABEL: Record<ParticipantStatus, string> = {
  ready: 'Ready',
  buffering: 'Buffering',
  playing: 'Playing',
  paused: 'Paused',
};

const ROLE_ORDER: Record<Participant['role'], number> = { host: 0, controller: 1, viewer: 2 };

/** Who is in the party: host first, then connected people, each with live status. */
@Component({
  selector: 'wp-participants',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './participants.component.html',
  styleUrl: './participants.component.scss',
})
export class ParticipantsComponent {
  readonly participants = input.required<Participant[]>();
  readonly youId = input<string | null>(null);
  /** True until the first snapshot: shows skeleton rows. */
  readonly loading = input(false);

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
}
