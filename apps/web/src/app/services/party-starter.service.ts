import { Injectable, inject } from '@angular/core';
import { Router } from '@angular/router';
import type { CreateSessionBody } from '@watch-party/contracts';
import { ApiService } from './api.service';
import { isApiRequestError } from './http';
import { IdentityStoreService } from './identity-store.service';

/** What to tell a host whose new party was not created. */
export function startPartyErrorMessage(error: unknown): string {
  if (!isApiRequestError(error)) return 'Something went wrong, try again.';
  if (error.isNetworkError) return 'Server unreachable. Check your connection and try again.';
  if (error.statusCode === 429) return 'Too many parties created from here, wait a minute.';
  return error.message;
}

/** Starts a party with this browser as its host: creates it, keeps the pass, opens its watch page. */
@Injectable({ providedIn: 'root' })
export class PartyStarterService {
  private readonly api = inject(ApiService);
  private readonly identities = inject(IdentityStoreService);
  private readonly router = inject(Router);

  /** Rejects with the API's error (ApiRequestError) when the party was not created. */
  async start(body: CreateSessionBody): Promise<void> {
    const joined = await this.api.createSession(body);
    const pass = { token: joined.token, participantId: joined.participantId, name: body.hostName };
    this.identities.set(joined.session.id, pass);
    await this.router.navigate(['/watch', joined.session.id]);
  }
}
