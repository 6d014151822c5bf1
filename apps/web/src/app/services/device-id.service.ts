import { DOCUMENT, Injectable, inject } from '@angular/core';
import { DEVICE_ID_MAX } from '@watch-party/contracts';
import { randomId } from '../util/random-id';
import { BrowserStorageService } from './browser-storage.service';

export const DEVICE_ID_KEY = 'wp.deviceId';

/**
 * A random id for this browser, kept in storage and sent with every join: when the host bans
 * someone, the server refuses later joins that carry the same id.
 */
@Injectable({ providedIn: 'root' })
export class DeviceIdService {
  private readonly store = inject(BrowserStorageService);
  private readonly crypto = inject(DOCUMENT).defaultView?.crypto ?? null;

  get(): string {
    const kept = this.store.read(DEVICE_ID_KEY);
    if (kept && kept.length <= DEVICE_ID_MAX) return kept;
    const fresh = randomId(this.crypto);
    this.store.write(DEVICE_ID_KEY, fresh);
    return fresh;
  }
}

