// The lore responder's tables: cursors per inbox epoch, every message seen (by Message-ID, so a
// cross-post to two lists is read once), reviewed series and the fingerprints they reported (for
// "still present since v(n)"), and feedback received by mail. Outbox tables live in outbox.ts.
import { migrate, type DB, type Migration } from './db.js';

export const LORE_MIGRATIONS: readonly Migration[] = [
  {
    name: 'lore/1-cursors-messages',
    sql: `
      CREATE TABLE lore_cursor (
        inbox TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        last_commit TEXT NOT NULL,
        last_time INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (inbox, epoch)
      );
      CREATE TABLE lore_message (
        msgid TEXT PRIMARY KEY,
        inbox TEXT NOT NULL,
        list TEXT NOT NULL,
        epoch INTEGER,
        git_commit TEXT,
        time INTEGER NOT NULL,
        subject TEXT NOT NULL,
        from_addr TEXT,
        in_reply_to TEXT,
        refs TEXT NOT NULL DEFAULT '[]',
        kind TEXT NOT NULL,           -- patch | cover | reply | other | skipped
        status TEXT NOT NULL,         -- pending | reviewed | superseded | skipped | deleted | done
        reason TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        idx INTEGER NOT NULL DEFAULT 0,
        total INTEGER NOT NULL DEFAULT 0,
        resend INTEGER NOT NULL DEFAULT 0,
        series_key TEXT,              -- change-id, else normalised subject + author: links v1 and v2
        diff_hash TEXT,
        raw BLOB,
        series_id INTEGER,
        received_at INTEGER NOT NULL
      );
      CREATE INDEX lore_message_status ON lore_message(status, kind);
      CREATE INDEX lore_message_irt ON lore_message(in_reply_to);
      CREATE TABLE lore_skip (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        inbox TEXT NOT NULL,
        epoch INTEGER,
        git_commit TEXT,
        msgid TEXT,
        reason TEXT NOT NULL,
        at INTEGER NOT NULL
      );
    `,
  },
  {
    name: 'lore/2-series-findings-feedback',
    sql: `
      CREATE TABLE lore_series (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        list TEXT NOT NULL,
        series_key TEXT NOT NULL,
        version INTEGER NOT NULL,
        subject TEXT NOT NULL,
        cover_msgid TEXT,
        total INTEGER NOT NULL,
        arrived INTEGER NOT NULL,
        state TEXT NOT NULL,          -- reviewed | failed
        notes TEXT NOT NULL DEFAULT '[]',
        reviewed_at INTEGER NOT NULL
      );
      CREATE INDEX lore_series_key ON lore_series(series_key, version);
      CREATE TABLE lore_finding (
        series_id INTEGER NOT NULL REFERENCES lore_series(id),
        fingerprint TEXT NOT NULL,
        rule TEXT NOT NULL,
        file TEXT NOT NULL,
        function TEXT,
        patch_msgid TEXT,
        mailed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (series_id, fingerprint)
      );
      CREATE TABLE lore_reviewed_patch (
        diff_hash TEXT PRIMARY KEY,
        msgid TEXT NOT NULL,
        series_id INTEGER NOT NULL
      );
      CREATE TABLE lore_feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        msgid TEXT NOT NULL,
        list TEXT NOT NULL,
        from_addr TEXT NOT NULL,
        kind TEXT NOT NULL,            -- ignore | false-positive
        rule TEXT NOT NULL,
        file TEXT,
        function TEXT,
        reply_to TEXT NOT NULL,        -- the bot's Message-ID the feedback answers
        received_at INTEGER NOT NULL,
        UNIQUE (msgid, rule, file, function)
      );
    `,
  },
];

export function migrateLore(db: DB): void {
  migrate(db, LORE_MIGRATIONS);
}
