/**
 * The schema, as an ordered list: entry i takes the database from version i to i + 1
 * (`PRAGMA user_version`). Append new entries; never edit one that has shipped.
 *
 * Records are stored whole as JSON beside the few columns that are queried, so a new
 * optional field of a record round-trips without a migration.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );

  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_by_expiry ON sessions (expires_at);

  CREATE TABLE participants (
    session_id TEXT NOT NULL,
    id TEXT NOT NULL,
    joined_at INTEGER NOT NULL,
    record TEXT NOT NULL,
    UNIQUE (session_id, id)
  );
  CREATE INDEX participants_by_join ON participants (session_id, joined_at);

  CREATE TABLE chat (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    message TEXT NOT NULL
  );
  CREATE INDEX chat_by_session ON chat (session_id, seq);

  CREATE TABLE media (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    record TEXT NOT NULL
  );
  CREATE INDEX media_by_created ON media (created_at);

  CREATE TABLE live_shows (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    record TEXT NOT NULL
  );
  CREATE INDEX live_shows_by_key ON live_shows (key_hash);
  CREATE INDEX live_shows_by_created ON live_shows (created_at);
  `,
  // 2: rate-limit windows of a minute or more (uploads per hour, password attempts) outlive a restart.
  `
  CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    reset_at INTEGER NOT NULL
  );
  CREATE INDEX rate_limits_by_reset ON rate_limits (reset_at);
  `,
  // 3: the party's moderation and chat retries: devices banned from a party, and the message
  // each chat clientId produced (a retry answers with it), kept for a while.
  `
  CREATE TABLE session_bans (
    session_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    PRIMARY KEY (session_id, device_id)
  ) WITHOUT ROWID;

  CREATE TABLE chat_client_ids (
    session_id TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    message TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, participant_id, client_id)
  ) WITHOUT ROWID;
  CREATE INDEX chat_client_ids_by_expiry ON chat_client_ids (expires_at);
  `,
];

/** `PRAGMA application_id` of a watch-party database ("WPty"): tells ours from a foreign file. */
export const APPLICATION_ID = 0x57507479;
