import { accessSync, constants, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { APPLICATION_ID, MIGRATIONS } from './migrations';

export const DB_FILE_NAME = 'watch-party.db';
/** Beside the database: the pid of the process holding it, so a refused start can name it. */
export const OWNER_FILE_NAME = 'watch-party.db.pid';
/** How long a start waits for a previous process on the same data dir to let go of it. */
export const LOCK_WAIT_MS = 2000;
/** SQLite busy timeout once open (only this process writes; a checkpoint may still be busy). */
export const BUSY_TIMEOUT_MS = 5000;
/** The WAL file is truncated back to this size after a checkpoint. */
const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

// SQLite primary result codes (https://sqlite.org/rescode.html)
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_CORRUPT = 11;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

/** The store cannot be opened: printed as one line at startup, and the process exits. */
export class StoreError extends Error {}

/**
 * The embedded durable store (no REDIS_URL): one SQLite file, `DATA_DIR/watch-party.db`.
 *
 * - Durable: WAL with synchronous=FULL, so a write that returned is on disk; callers answer
 *   clients only after it returns (DatabaseSync is synchronous).
 * - One writer: the connection holds SQLite's exclusive lock (locking_mode=EXCLUSIVE) for
 *   its whole life. The OS releases it when the process dies, so kill -9 leaves no stale
 *   lock, and a second process on the same file is refused at start.
 * - Never touches a file that is not ours: identity and schema version are read before the
 *   first write; a foreign, corrupt or newer file stops the start with its path in the message.
 */
export class SqliteStore {
  private constructor(
    /** absolute path of the database file */
    readonly path: string,
    private readonly db: DatabaseSync,
  ) {}

  static open(dataDir: string): SqliteStore {
    const dir = resolve(dataDir);
    prepareDir(dir);
    const path = join(dir, DB_FILE_NAME);
    checkFile(path);
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { timeout: LOCK_WAIT_MS });
    } catch (err) {
      throw explain(err, path, dir);
    }
    try {
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      const version = inspect(db, path);
      setPragma(db, 'journal_mode', 'WAL', 'wal', path);
      db.exec('PRAGMA synchronous = FULL');
      db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
      const store = new SqliteStore(path, db);
      // The first write takes the exclusive lock; it is held until close.
      store.transaction(() => {
        for (let v = version; v < MIGRATIONS.length; v++) {
          db.exec(MIGRATIONS[v]);
          db.exec(`PRAGMA user_version = ${v + 1}`);
        }
        if (version === 0) db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
        db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(
          'opened',
          JSON.stringify({ pid: process.pid, at: new Date().toISOString() }),
        );
      });
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      writeOwner(dir);
      return store;
    } catch (err) {
      db.close();
      throw err instanceof StoreError ? err : explain(err, path, dir);
    }
  }

  get isOpen(): boolean {
    return this.db.isOpen;
  }

  prepare(sql: string): StatementSync {
    return this.db.prepare(sql);
  }

  /** Runs `fn` as one committed transaction (or nothing, if it throws). */
  transaction<T>(fn: () => T): T {
    if (this.db.isTransaction) return fn();
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /**
   * A transaction that is not flushed to the disk on commit (synchronous=NORMAL): it survives
   * the process being killed (the OS holds it) but not a power cut until the next durable
   * commit. For the high-rate writes nobody waits for as a promise of permanence: expiry
   * refreshes and playback status reports, which would otherwise cost an fsync each.
   */
  relaxed<T>(fn: () => T): T {
    if (this.db.isTransaction) return fn();
    this.db.exec('PRAGMA synchronous = NORMAL');
    try {
      return this.transaction(fn);
    } finally {
      this.db.exec('PRAGMA synchronous = FULL');
    }
  }

  /** The value under `key`, storing `fresh` first if there is none (e.g. the app secret). */
  metaGetOrSet(key: string, fresh: string): string {
    return this.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(key, fresh);
      const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string };
      return row.value;
    });
  }

  close(): void {
    if (!this.db.isOpen) return;
    this.db.close();
    const owner = join(resolve(this.path, '..'), OWNER_FILE_NAME);
    if (readOwner(owner) === process.pid) rmSync(owner, { force: true });
  }
}

function prepareDir(dir: string) {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new StoreError(`DATA_DIR ${dir} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(`DATA_DIR ${dir} is not a writable directory (${(err as Error).message}); set DATA_DIR to one this process may write`);
  }
}

function checkFile(path: string) {
  let isFile = true;
  try {
    isFile = statSync(path).isFile();
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new StoreError(`the database ${path} cannot be read and written (${(err as Error).message})`);
  }
  if (!isFile) throw new StoreError(`the database ${path} is not a regular file; move it away or set DATA_DIR to another directory`);
}

/** Reads identity and schema version without writing; returns the version to migrate from. */
function inspect(db: DatabaseSync, path: string): number {
  const appId = pragmaNumber(db, 'application_id');
  const version = pragmaNumber(db, 'user_version');
  const objects = (db.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n;
  const fresh = appId === 0 && version === 0 && objects === 0;
  if (appId !== APPLICATION_ID && !fresh) {
    throw new StoreError(
      `${path} is not a watch-party database (another program's SQLite file); it was left untouched: move it away or set DATA_DIR to another directory`,
    );
  }
  if (version > MIGRATIONS.length) {
    throw new StoreError(
      `${path} has schema version ${version}, newer than this build knows (${MIGRATIONS.length}): it was written by a newer watch-party; run that version (no downgrade)`,
    );
  }
  if (!fresh) {
    const problems = (db.prepare('PRAGMA quick_check').all() as { quick_check: string }[]).map((r) => r.quick_check);
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new StoreError(
        `${path} is corrupt (${problems.slice(0, 3).join('; ')}); it was left untouched: restore it from a backup or move it away`,
      );
    }
  }
  return version;
}

function pragmaNumber(db: DatabaseSync, name: string): number {
  const row = db.prepare(`PRAGMA ${name}`).get() as Record<string, number>;
  return row[name];
}

function setPragma(db: DatabaseSync, name: string, value: string, expect: string, path: string) {
  const row = db.prepare(`PRAGMA ${name} = ${value}`).get() as Record<string, string>;
  if (String(row[name]).toLowerCase() !== expect) {
    throw new StoreError(`${path}: could not set ${name} to ${value} (got ${row[name]})`);
  }
}

function explain(err: unknown, path: string, dir: string): StoreError {
  const e = err as { errcode?: number; errstr?: string; message?: string };
  const code = (e.errcode ?? 0) & 0xff;
  const why = e.errstr ?? e.message ?? String(err);
  if (code === SQLITE_BUSY || code === SQLITE_LOCKED) {
    const pid = readOwner(join(dir, OWNER_FILE_NAME));
    return new StoreError(
      `${path} is in use by another watch-party process${pid ? ` (pid ${pid})` : ''}: one process per DATA_DIR (set REDIS_URL to run several replicas)`,
    );
  }
  if (code === SQLITE_NOTADB || code === SQLITE_CORRUPT) {
    return new StoreError(`${path} is not a readable watch-party database (${why}); it was left untouched: move it away or set DATA_DIR to another directory`);
  }
  if (code === SQLITE_READONLY || code === SQLITE_CANTOPEN) {
    return new StoreError(`the database ${path} cannot be opened for writing (${why}); check DATA_DIR ${dir} and its permissions`);
  }
  return new StoreError(`the database ${path} cannot be opened (${why})`);
}

function writeOwner(dir: string) {
  try {
    writeFileSync(join(dir, OWNER_FILE_NAME), `${process.pid}\n`);
  } catch {
    // Only used to name the holder in a refusal message.
  }
}

function readOwner(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
