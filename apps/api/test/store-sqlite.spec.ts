import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { MIGRATIONS } from '../src/store/migrations';
import { BUSY_TIMEOUT_MS, DB_FILE_NAME, LOCK_WAIT_MS, OWNER_FILE_NAME, SqliteStore, StoreError } from '../src/store/sqlite-store';

let dir: string;
const stores: SqliteStore[] = [];
const open = (d = dir) => {
  const s = SqliteStore.open(d);
  stores.push(s);
  return s;
};
const pragma = (s: SqliteStore, name: string) => Object.values(s.prepare(`PRAGMA ${name}`).get() as Record<string, unknown>)[0];
const refusal = (d: string): StoreError => {
  try {
    open(d);
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error('the store opened');
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wp-store-'));
});
afterEach(() => {
  stores.splice(0).forEach((s) => s.close());
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteStore', () => {
  it('creates DATA_DIR/watch-party.db durable: WAL, synchronous FULL, current schema', () => {
    const data = join(dir, 'nested', 'data');
    const store = open(data);
    expect(store.path).toBe(join(data, DB_FILE_NAME));
    expect(statSync(store.path).isFile()).toBe(true);
    expect(pragma(store, 'journal_mode')).toBe('wal');
    expect(pragma(store, 'synchronous')).toBe(2); // FULL
    expect(pragma(store, 'locking_mode')).toBe('exclusive');
    expect(pragma(store, 'busy_timeout')).toBe(BUSY_TIMEOUT_MS);
    expect(pragma(store, 'user_version')).toBe(MIGRATIONS.length);
    expect(readFileSync(join(data, OWNER_FILE_NAME), 'utf8').trim()).toBe(String(process.pid));
  });

  it('keeps what was written across close and reopen, and the app secret once generated', () => {
    const first = open();
    expect(first.metaGetOrSet('app-secret', 'first')).toBe('first');
    first.close();
    expect(readdirSync(dir)).toEqual([DB_FILE_NAME]); // clean close: WAL checkpointed, pid file gone
    const second = open();
    expect(second.metaGetOrSet('app-secret', 'second')).toBe('first');
    expect(pragma(second, 'user_version')).toBe(MIGRATIONS.length);
  });

  it('commits a transaction whole or not at all', () => {
    const store = open();
    expect(() =>
      store.transaction(() => {
        store.prepare("INSERT INTO meta (key, value) VALUES ('a', '1')").run();
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(store.prepare("SELECT value FROM meta WHERE key = 'a'").get()).toBeUndefined();
    store.relaxed(() => store.prepare("INSERT INTO meta (key, value) VALUES ('b', '2')").run());
    expect(store.prepare("SELECT value FROM meta WHERE key = 'b'").get()).toEqual({ value: '2' });
    expect(pragma(store, 'synchronous')).toBe(2); // back to FULL after a relaxed write
  });

  it('refuses a second opener of the same data dir while the first holds it, naming the holder', () => {
    open();
    const started = Date.now();
    const err = refusal(dir);
    expect(err.message).toBe(
      `${join(dir, DB_FILE_NAME)} is in use by another watch-party process (pid ${process.pid}): one process per DATA_DIR (set REDIS_URL to run several replicas)`,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(LOCK_WAIT_MS - 100); // it waited for a predecessor to let go
  });

  it('refuses a file that is not a database, naming it and leaving it untouched', () => {
    const path = join(dir, DB_FILE_NAME);
    const junk = Buffer.from('these are my holiday notes, not a database. '.repeat(200));
    writeFileSync(path, junk);
    const err = refusal(dir);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/not a readable watch-party database .*left untouched/);
    expect(readFileSync(path).equals(junk)).toBe(true);
    expect(readdirSync(dir)).toEqual([DB_FILE_NAME]);
  });

  it("refuses another program's SQLite file, leaving it untouched", () => {
    const path = join(dir, DB_FILE_NAME);
    const foreign = new DatabaseSync(path);
    foreign.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ann')");
    foreign.close();
    const before = readFileSync(path);
    const err = refusal(dir);
    expect(err.message).toBe(
      `${path} is not a watch-party database (another program's SQLite file); it was left untouched: move it away or set DATA_DIR to another directory`,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a database written by a newer schema (no downgrade)', () => {
    open().close();
    stores.length = 0;
    const path = join(dir, DB_FILE_NAME);
    const raw = new DatabaseSync(path);
    raw.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    const before = readFileSync(path);
    const err = refusal(dir);
    expect(err.message).toBe(
      `${path} has schema version ${MIGRATIONS.length + 1}, newer than this build knows (${MIGRATIONS.length}): it was written by a newer watch-party; run that version (no downgrade)`,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a damaged database, naming it and leaving it untouched', () => {
    const store = open();
    store.transaction(() => {
      const insert = store.prepare('INSERT INTO media (id, created_at, record) VALUES (?, ?, ?)');
      for (let i = 0; i < 200; i++) insert.run(`m${i}`, String(i), JSON.stringify({ padding: 'x'.repeat(500) }));
    });
    store.close();
    const path = join(dir, DB_FILE_NAME);
    const bytes = readFileSync(path);
    const pageSize = bytes.readUInt16BE(16);
    // Scribble over the pages after the schema page: the b-trees no longer parse.
    for (let i = pageSize; i < Math.min(bytes.length, pageSize * 6); i++) bytes[i] = (i * 7) & 0xff;
    writeFileSync(path, bytes);
    const err = refusal(dir);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/(corrupt|not a readable watch-party database).*left untouched/);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('explains a DATA_DIR it cannot use', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    expect(refusal(file).message).toMatch(new RegExp(`^DATA_DIR ${file} is not a (writable )?directory`));
    expect(refusal(join(file, 'below')).message).toMatch(/^DATA_DIR .*below is not a writable directory \(ENOTDIR/);
    // A directory where the database file should be.
    const asDir = join(dir, 'db-is-a-dir');
    mkdirSync(join(asDir, DB_FILE_NAME), { recursive: true });
    expect(refusal(asDir).message).toBe(
      `the database ${join(asDir, DB_FILE_NAME)} is not a regular file; move it away or set DATA_DIR to another directory`,
    );
  });
});
