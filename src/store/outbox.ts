// The outbox: every reply is stored (pending) before any attempt to deliver it, each attempt is
// recorded before it starts, and the answer (SMTP reply / maildir path) is stored after. The
// Message-ID is the row's key and is deterministic, so a copy sent again after a crash between
// the server's 250 and our commit is recognisably the same message.
import { migrate, type DB, type Migration } from './db.js';

export const OUTBOX_MIGRATIONS: readonly Migration[] = [
  {
    name: 'outbox/1-messages',
    sql: `
      CREATE TABLE outbox (
        message_id TEXT PRIMARY KEY,
        list TEXT NOT NULL,
        series_id INTEGER,
        in_reply_to TEXT NOT NULL,
        author TEXT,
        envelope_from TEXT NOT NULL,
        recipients TEXT NOT NULL,       -- JSON array of addresses (envelope)
        raw BLOB NOT NULL,
        findings TEXT NOT NULL DEFAULT '[]', -- JSON [{rule, file, function, fingerprint}]
        state TEXT NOT NULL,            -- pending | sending | sent | failed | cancelled
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before INTEGER NOT NULL,    -- ms epoch: embargo / backoff
        last_error TEXT,
        response TEXT,
        created_at INTEGER NOT NULL,
        sent_at INTEGER
      );
      CREATE INDEX outbox_state ON outbox(state, not_before);
      CREATE INDEX outbox_list ON outbox(list, created_at);
    `,
  },
];

export type OutboxState = 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled';

export interface OutboxRow {
  message_id: string;
  list: string;
  series_id: number | null;
  in_reply_to: string;
  author: string | null;
  envelope_from: string;
  recipients: string;
  raw: Buffer;
  findings: string;
  state: OutboxState;
  attempts: number;
  not_before: number;
  last_error: string | null;
  response: string | null;
  created_at: number;
  sent_at: number | null;
}

export function migrateOutbox(db: DB): void {
  migrate(db, OUTBOX_MIGRATIONS);
}
