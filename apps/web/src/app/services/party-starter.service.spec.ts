import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import type { JoinedSession } from '@watch-party/contracts';
import { ApiService } from './api.service';
import { ApiRequestError, networkError } from './http';
import { IdentityStoreService } from './identity-store.service';
import { PartyStarterService, startPartyErrorMessage } from './party-starter.service';

const JOINED = {
  session: { id: 'NewParty_0000001' },
  participantId: 'host-1',
  token: 'pass-1',
} as JoinedSession;

describe('PartyStarterService', () => {
  let createSession: jest.Mock;

  beforeEach(() => {
    localStorage.clear();
    createSession = jest.fn().mockResolvedValue(JOINED);
    TestBed.configureTestingModule({
      providers: [provideRouter([]), { provide: ApiService, useValue: { createSession } }],
    });
  });

  it("creates the party, keeps the host's pass for it and opens its watch page", async () => {
    const navigate = jest.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    await TestBed.inject(PartyStarterService).start({ hostName: 'Ann', source: { kind: 'media', mediaId: 'Media_000000001' } });
    expect(createSession).toHaveBeenCalledWith({ hostName: 'Ann', source: { kind: 'media', mediaId: 'Media_000000001' } });
    expect(TestBed.inject(IdentityStoreService).get(JOINED.session.id)).toEqual({ token: 'pass-1', participantId: 'host-1', name: 'Ann' });
    expect(navigate).toHaveBeenCalledWith(['/watch', JOINED.session.id]);
  });

  it('keeps nothing and opens nothing when the server refuses', async () => {
    const navigate = jest.spyOn(TestBed.inject(Router), 'navigate');
    createSession.mockRejectedValue(new ApiRequestError(429, 'Too many requests', 'Too Many Requests'));
    await expect(TestBed.inject(PartyStarterService).start({ hostName: 'Ann' })).rejects.toBeInstanceOf(ApiRequestError);
    expect(TestBed.inject(IdentityStoreService).get(JOINED.session.id)).toBeNull();
    expect(navigate).not.toHaveBeenCalled();
  });
});

describe('startPartyErrorMessage', () => {
  it('says why a party was not created: no answer, too many, or the server’s own words', () => {
    expect(startPartyErrorMessage(networkError())).toBe('Server unreachable. Check your connection and try again.');
    expect(startPartyErrorMessage(new ApiRequestError(429, 'Too many requests', 'Too Many Requests'))).toBe(
      'Too many parties created from here, wait a minute.',
    );
    expect(startPartyErrorMessage(new ApiRequestError(400, 'hostName: must not be empty', 'Bad Request'))).toBe(
      'hostName: must not be empty',
    );
    expect(startPartyErrorMessage(new Error('boom'))).toBe('Something went wrong, try again.');
  });
});
