import { Directive, effect, inject, input, untracked } from '@angular/core';
import { PageLoader } from '../services/page-load';
import { PartyConnectionService } from '../services/party-connection.service';
import { SessionSocketService } from '../services/session-socket.service';

/** The services a party page provides for itself (one connection per page). */
export const PARTY_PAGE_PROVIDERS = [SessionSocketService, PartyConnectionService];

/**
 * What the watch and live-show pages share: the route id, loading what it names (again when it
 * changes, or on "Try again"), and this browser's place in the party behind it. A page provides
 * PARTY_PAGE_PROVIDERS, finds what an id names, and opens the party once it is loaded.
 */
@Directive()
export abstract class PartyPage<T> {
  /** Route parameter (component input binding). */
  readonly id = input.required<string>();

  protected readonly party = inject(PartyConnectionService);
  protected readonly socket = inject(SessionSocketService);
  protected readonly loader = new PageLoader<T>((id) => this.find(id));
  protected readonly load = this.loader.state;

  constructor() {
    effect(() => {
      const id = this.id();
      untracked(() => void this.open(id));
    });
  }

  protected retry(): void {
    void this.open(this.id());
  }

  /** What `id` names; rejects with the API's error. */
  protected abstract find(id: string): Promise<T>;

  /** Leaves the party open before, loads `id` with `loader` and connects to its party. */
  protected abstract open(id: string): Promise<void>;
}
