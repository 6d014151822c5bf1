import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';
import type { ControlPolicy, QueuePolicy, SessionInfo, SessionSettings } from '@watch-party/contracts';

const POLICIES: readonly { value: ControlPolicy; label: string }[] = [
  { value: 'host', label: 'You and the controllers you choose' },
  { value: 'everyone', label: 'Everyone' },
];

const QUEUE_POLICIES: readonly { value: QueuePolicy; label: string }[] = [
  { value: 'everyone', label: 'Everyone' },
  { value: 'controllers', label: 'Only those who control playback' },
];

/** The host's party settings; reflects `session:update`, changes go out as `session:settings`. */
@Component({
  selector: 'wp-host-settings',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="panel" aria-labelledby="settings-heading">
      <header class="panel-header">
        <h2 id="settings-heading" class="panel-title">Party settings</h2>
      </header>
      <fieldset class="settings-group">
        <legend class="label">Who can play, pause and seek</legend>
        @for (policy of policies; track policy.value) {
          <label class="choice">
            <input
              type="radio"
              name="controlPolicy"
              [value]="policy.value"
              [attr.data-testid]="'policy-' + policy.value"
              [checked]="session().controlPolicy === policy.value"
              [disabled]="busy()"
              (change)="changed.emit({ controlPolicy: policy.value })"
            />
            <span>{{ policy.label }}</span>
          </label>
        }
      </fieldset>
      <fieldset class="settings-group">
        <legend class="label">Who can add to the queue</legend>
        @for (policy of queuePolicies; track policy.value) {
          <label class="choice">
            <input
              type="radio"
              name="queuePolicy"
              [value]="policy.value"
              [attr.data-testid]="'queue-policy-' + policy.value"
              [checked]="session().queuePolicy === policy.value"
              [disabled]="busy()"
              (change)="changed.emit({ queuePolicy: policy.value })"
            />
            <span>{{ policy.label }}</span>
          </label>
        }
      </fieldset>
      <label class="choice">
        <input
          #wait
          type="checkbox"
          data-testid="wait-for-buffering"
          aria-describedby="wait-hint"
          [checked]="session().waitForBuffering"
          [disabled]="busy()"
          (change)="changed.emit({ waitForBuffering: wait.checked })"
        />
        <span>Wait for anyone buffering</span>
      </label>
      <p id="wait-hint" class="hint">Pauses everyone while someone's video loads, for up to 10 seconds.</p>
      <label class="choice">
        <input
          #lock
          type="checkbox"
          data-testid="lock-party"
          aria-describedby="lock-hint"
          [checked]="session().locked"
          [disabled]="busy()"
          (change)="changed.emit({ locked: lock.checked })"
        />
        <span>Lock the party (nobody new can join)</span>
      </label>
      <p id="lock-hint" class="hint">People already here stay and can come back.</p>
    </section>
  `,
  styles: `
    .settings-group {
      margin: 0 0 0.75rem;
      padding: 0;
      border: 0;
    }
    legend {
      padding: 0;
    }
    .choice {
      display: flex;
      align-items: center;
      gap: 0.6rem;
      min-height: 2.25rem;
      cursor: pointer;
    }
    input {
      width: 1.1rem;
      height: 1.1rem;
      margin: 0;
      accent-color: var(--accent);
    }
  `,
})
export class HostSettingsComponent {
  readonly session = input.required<SessionInfo>();
  readonly busy = input(false);
  readonly changed = output<SessionSettings>();

  protected readonly policies = POLICIES;
  protected readonly queuePolicies = QUEUE_POLICIES;
}
