import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterFileWork } from '../common/testing/after-file-work';
import { FakeClock } from '../common/testing/fake-clock';
import { INCOMING_SWEEP_EVERY_MS, MediaStorage, STALE_INCOMING_MS } from './media-storage';

const MINUTE_MS = 60_000;

describe('MediaStorage: uploads cut short leave nothing behind', () => {
  let dir: string;
  let incoming: string;
  let clock: FakeClock;
  let storage: MediaStorage | null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wp-storage-unit-'));
    incoming = join(dir, '.incoming');
    mkdirSync(incoming);
    clock = new FakeClock();
    storage = null;
  });

  afterEach(() => {
    storage?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A file in `.incoming` last written `ageMs` ago (by the fake clock). */
  function leftover(name: string, ageMs: number) {
    const path = join(incoming, name);
    writeFileSync(path, 'x');
    const at = (clock.now() - ageMs) / 1000;
    utimesSync(path, at, at);
  }

  it('alone on MEDIA_DIR, empties .incoming at start and sweeps no more', async () => {
    leftover('fresh.part', 0);
    leftover('note.txt', STALE_INCOMING_MS * 2);
    storage = new MediaStorage(dir, { shared: false, clock });
    await storage.init();
    expect(readdirSync(incoming)).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it(`shared by replicas, removes only .part files untouched for ${STALE_INCOMING_MS / MINUTE_MS} minutes, at start and every ${INCOMING_SWEEP_EVERY_MS / MINUTE_MS} minutes`, async () => {
    leftover('stale.part', STALE_INCOMING_MS + MINUTE_MS);
    leftover('fresh.part', MINUTE_MS);
    leftover('note.txt', STALE_INCOMING_MS * 2);
    storage = new MediaStorage(dir, { shared: true, clock });
    await storage.init();
    expect(readdirSync(incoming).sort()).toEqual(['fresh.part', 'note.txt']);

    // fresh.part is 6 minutes old at the next sweep: kept; 11 at the one after: removed.
    await clock.advance(INCOMING_SWEEP_EVERY_MS);
    expect(await storage.sweepIncoming()).toBe(0);
    expect(existsSync(join(incoming, 'fresh.part'))).toBe(true);
    await clock.advance(INCOMING_SWEEP_EVERY_MS);
    await afterFileWork(() => !existsSync(join(incoming, 'fresh.part')), 'the second sweep');
    expect(readdirSync(incoming)).toEqual(['note.txt']);
  });

  it('spares a .part that is still being written to', async () => {
    storage = new MediaStorage(dir, { shared: true, clock });
    await storage.init();
    leftover('writing.part', 0);
    for (let i = 0; i < 4; i++) {
      await clock.advance(INCOMING_SWEEP_EVERY_MS);
      leftover('writing.part', 0); // the upload keeps writing
      expect(await storage.sweepIncoming()).toBe(0);
    }
    expect(readdirSync(incoming)).toEqual(['writing.part']);
  });

  it('stops sweeping once closed', async () => {
    storage = new MediaStorage(dir, { shared: true, clock });
    await storage.init();
    expect(clock.pending).toBe(1);
    storage.close();
    expect(clock.pending).toBe(0);
  });
});
