// Feedback by mail, and the patchwork check reporter (nock, payloads shaped like patchwork's API).
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type DB } from '../../src/store/db.js';
import { listFeedback, parseFeedback } from '../../src/lore/feedback.js';
import { memoryLog } from '../../src/lore/log.js';
import { maildirTransport } from '../../src/lore/outbox.js';
import { parsePolicy } from '../../src/lore/policy.js';
import { Responder } from '../../src/lore/responder.js';
import { cleanup, fakeReview, mail, patchBody, scratch } from './helpers.js';

const BOT = { name: 'modreview', address: 'bot@modreview.example' };

describe('feedback by mail', () => {
  let dir: string;
  let db: DB;
  const log = memoryLog();
  let responder: Responder;
  const queued = () => db.prepare(`SELECT message_id, in_reply_to FROM outbox WHERE state != 'cancelled' ORDER BY created_at`).all() as { message_id: string; in_reply_to: string }[];

  beforeAll(() => {
    dir = scratch();
    db = openStore(join(dir, 'state.sqlite'));
    responder = new Responder(
      { db, policy: parsePolicy({ lists: { dm: { mute: false, reply_all: true, rate_limit: { per_list_per_hour: 50, per_author_per_hour: 50 } } } }), review: fakeReview, log },
      { bot: BOT, cacheDir: join(dir, 'cache') },
    );
  });
  afterAll(() => {
    db.close();
    cleanup(dir);
  });

  it('parses commands outside quotes only', () => {
    expect(parseFeedback('> #modreview ignore quoted\nThanks.\n#modreview false-positive module-init-eexist\n  #modreview ignore ops-missing-owner please')).toEqual([
      { kind: 'false-positive', rule: 'module-init-eexist' },
      { kind: 'ignore', rule: 'ops-missing-owner' },
    ]);
  });

  it('records feedback from a recipient, ignores a stranger, and mutes the rule for that function', async () => {
    const patch = (id: string, subject: string) =>
      mail({ msgid: id, subject, to: ['dm-devel@lists.linux.dev'], cc: ['maint@example.org'], body: patchBody({ file: 'drivers/md/foo.c', fn: 'foo_register', eexist: true, tag: id }) });
    await responder.ingestMbox(Buffer.from(patch('p1@example.org', '[PATCH] foo: one')), 'dm');
    await responder.processPending();
    await responder.deliver(maildirTransport(join(dir, 'out')));
    const [ours] = queued();
    expect(ours?.in_reply_to).toBe('p1@example.org');

    const answer = (from: string, id: string) =>
      mail({ msgid: id, from, subject: 'Re: [PATCH] foo: one', inReplyTo: ours!.message_id, references: ['p1@example.org', ours!.message_id], body: `> modreview found one possible problem\n\n#modreview false-positive module-init-eexist\n\nThe caller maps it.\n` });
    await responder.ingestMbox(Buffer.from(answer('Eve <eve@evil.example>', 'eve@example.org')), 'dm');
    expect(listFeedback(db)).toHaveLength(0);
    expect(log.entries.some((e) => /not a recipient/.test(e.msg))).toBe(true);
    await responder.ingestMbox(Buffer.from(answer('Maint <maint@example.org>', 'fb@example.org')), 'dm');
    const fb = listFeedback(db);
    expect(fb).toHaveLength(1);
    expect(fb[0]).toMatchObject({ kind: 'false-positive', rule: 'module-init-eexist', file: 'drivers/md/foo.c', function: 'foo_register', from_addr: 'maint@example.org', list: 'dm' });

    // The same finding in another patch of that function is not mailed again.
    await responder.ingestMbox(Buffer.from(patch('p2@example.org', '[PATCH] foo: two')), 'dm');
    await responder.processPending();
    expect(queued().map((q) => q.in_reply_to)).toEqual(['p1@example.org']);
    expect(log.entries.some((e) => e.msg === 'lore: finding muted by feedback')).toBe(true);
  });
});

describe('feedback: who may mute, and for how long', () => {
  let dir: string;
  let db: DB;
  let now = Date.parse('2025-01-15T10:00:00Z');
  const DAY = 86400_000;
  let log = memoryLog();

  const patch = (id: string, subject: string) =>
    mail({ msgid: id, subject, to: ['dm-devel@lists.linux.dev'], cc: ['maint@example.org'], body: patchBody({ file: 'drivers/md/foo.c', fn: 'foo_register', eexist: true, tag: id }) });
  const replyTo = (id: string) => (db.prepare('SELECT message_id FROM outbox WHERE in_reply_to = ?').pluck().get(id) as string | undefined)!;
  const answer = (from: string, id: string, ours: string, patchId: string) =>
    mail({ msgid: id, from, subject: 'Re: [PATCH] foo', inReplyTo: ours, references: [patchId, ours], body: '#modreview false-positive module-init-eexist\n' });

  function responder(feedback: Record<string, unknown>): Responder {
    return new Responder(
      { db, policy: parsePolicy({ lists: { dm: { mute: false, feedback, rate_limit: { per_list_per_hour: 0, per_author_per_hour: 0 } } } }), review: fakeReview, log, now: () => now },
      { bot: BOT, cacheDir: join(dir, 'cache') },
    );
  }
  /** Send a patch, get our reply out, and answer it from `from`; true when the answer was recorded. */
  async function muteFrom(r: Responder, tag: string, from: string): Promise<boolean> {
    await r.ingestMbox(Buffer.from(patch(`${tag}@example.org`, `[PATCH] foo: ${tag}`)), 'dm');
    await r.processPending();
    await r.deliver(maildirTransport(join(dir, 'out')));
    const before = listFeedback(db).length;
    await r.ingestMbox(Buffer.from(answer(from, `${tag}-fb@example.org`, replyTo(`${tag}@example.org`), `${tag}@example.org`)), 'dm');
    return listFeedback(db).length > before;
  }
  /** Whether a new patch with the same finding gets a reply now. */
  async function mailedAgain(r: Responder, tag: string): Promise<boolean> {
    await r.ingestMbox(Buffer.from(patch(`${tag}@example.org`, `[PATCH] foo: ${tag}`)), 'dm');
    await r.processPending();
    return replyTo(`${tag}@example.org`) !== undefined;
  }

  beforeEach(() => {
    dir = scratch();
    db = openStore(join(dir, 'state.sqlite'));
    now = Date.parse('2025-01-15T10:00:00Z');
    log = memoryLog();
  });
  afterEach(() => {
    db.close();
    cleanup(dir);
  });

  it('a mute expires after 90 days by default, or after feedback.expire_days', async () => {
    const r = responder({});
    expect(await muteFrom(r, 'e1', 'Jane Developer <jane@example.org>')).toBe(true);
    now += 89 * DAY;
    expect(await mailedAgain(r, 'e2')).toBe(false);
    now += 2 * DAY;
    expect(await mailedAgain(r, 'e3')).toBe(true);

    const short = responder({ expire_days: 7 });
    expect(await muteFrom(short, 's1', 'Maint <maint@example.org>')).toBe(true);
    now += 6 * DAY;
    expect(await mailedAgain(short, 's2')).toBe(false);
    now += 2 * DAY;
    expect(await mailedAgain(short, 's3')).toBe(true);
  });

  it('mute_by: author lets only the patch author mute', async () => {
    const r = responder({ mute_by: 'author' });
    expect(await muteFrom(r, 'a1', 'Maint <maint@example.org>')).toBe(false);
    expect(log.entries.some((e) => e.msg === 'lore: feedback ignored: sender is not the patch author')).toBe(true);
    expect(await muteFrom(r, 'a2', 'Jane Developer <jane@example.org>')).toBe(true);
  });

  it('mute_by: maintainers lets only the listed maintainers mute (the author cannot)', async () => {
    const r = responder({ mute_by: 'maintainers', maintainers: ['agk@redhat.com'] });
    expect(await muteFrom(r, 'm1', 'Jane Developer <jane@example.org>')).toBe(false);
    expect(await muteFrom(r, 'm2', 'Maint <maint@example.org>')).toBe(false);
    expect(log.entries.filter((e) => e.msg === 'lore: feedback ignored: sender is not a maintainer listed in the policy')).toHaveLength(2);
    expect(await mailedAgain(r, 'm3')).toBe(true);
    expect(await muteFrom(r, 'm4', 'Alasdair Kergon <agk@redhat.com>')).toBe(true);
    expect(await mailedAgain(r, 'm5')).toBe(false);
  });

  it('mute_by: maintainers without maintainers is a policy error', () => {
    expect(() => parsePolicy({ lists: { dm: { feedback: { mute_by: 'maintainers' } } } }, 'policy.yaml')).toThrow(
      'policy.yaml: lists.dm.feedback.maintainers: mute_by is maintainers but no maintainer is listed (nobody could mute a rule)',
    );
  });
});

describe('patchwork checks', () => {
  let dir: string;
  let db: DB;
  beforeAll(() => {
    nock.disableNetConnect();
    dir = scratch();
    db = openStore(join(dir, 'state.sqlite'));
  });
  afterEach(() => nock.cleanAll());
  afterAll(() => {
    nock.enableNetConnect();
    db.close();
    cleanup(dir);
  });

  it('finds each patch by Message-ID and posts a modreview check (muted list: no mail)', async () => {
    const responder = new Responder(
      { db, policy: parsePolicy({ lists: { netdev: { patchwork: { url: 'https://patchwork.example.org', token: 's3cret', target_url: 'https://example.org/modreview' } } } }), review: fakeReview, log: memoryLog() },
      { bot: BOT, cacheDir: join(dir, 'cache') },
    );
    const posted: unknown[] = [];
    const pw = nock('https://patchwork.example.org')
      .get('/api/patches/')
      .query({ msgid: 'n1@example.org' })
      .reply(200, [{ id: 4242, url: 'https://patchwork.example.org/api/patches/4242/', msgid: '<n1@example.org>', name: 'qux: report duplicates', state: 'new', check: 'pending' }])
      .post('/api/patches/4242/checks/', (b) => {
        posted.push(b);
        return true;
      })
      .matchHeader('authorization', 'Token s3cret')
      .reply(201, { id: 1, context: 'modreview', state: 'fail' })
      .get('/api/patches/')
      .query({ msgid: 'n2@example.org' })
      .reply(200, [{ id: 4243, msgid: '<n2@example.org>' }])
      .post('/api/patches/4243/checks/', (b) => {
        posted.push(b);
        return true;
      })
      .reply(201, { id: 2 });
    await responder.ingestMbox(Buffer.from(mail({ msgid: 'n1@example.org', subject: '[PATCH net-next] qux: report duplicates', body: patchBody({ file: 'net/qux.c', fn: 'qux_register', eexist: true }) })), 'netdev');
    await responder.ingestMbox(Buffer.from(mail({ msgid: 'n2@example.org', subject: '[PATCH net-next] qux: tidy', body: patchBody({ file: 'net/qux.c', fn: 'qux_register', eexist: false }) })), 'netdev');
    const r = await responder.processPending();
    expect(pw.isDone()).toBe(true);
    expect(posted).toEqual([
      { state: 'fail', context: 'modreview', description: '1 finding: module-init-eexist', target_url: 'https://example.org/modreview' },
      { state: 'success', context: 'modreview', description: 'no module-lifecycle problem found', target_url: 'https://example.org/modreview' },
    ]);
    expect(r.muted).toBe(1); // the list is muted by default: the check is the only channel
    expect(db.prepare('SELECT COUNT(*) AS n FROM outbox').get()).toEqual({ n: 0 });
  });
});
