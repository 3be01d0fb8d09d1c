// Background work serialised per pull request, behind one small interface with two
// implementations: PrQueue here (in-process: the webhook is answered at once, the review runs
// afterwards in the same process) and RedisReviewQueue (src/github/redis-queue.ts: the webhook
// server stores the job in Redis and `modreview worker` processes anywhere take it). Both give
// the same guarantees: two reviews of the same PR never overlap, and while one runs, newer
// requests for the same PR collapse into one (the latest wins: an older head would be stale).

/** Work keyed by pull request (owner/repo#number). */
export interface KeyedQueue<P> {
  /** Queue `payload` for `key`; a newer payload for a key supersedes a pending older one. */
  push(key: string, payload: P): void | Promise<void>;
  /** Work held by this process: jobs queued or running here (PrQueue), pushes not yet stored (Redis). */
  readonly size: number;
  /** Resolves when this process holds no work (for tests and graceful shutdown). */
  idle(): Promise<void>;
  /** Stop taking work, let what is held finish, release connections. */
  close(): Promise<void>;
}

export type Job = () => Promise<void>;

interface Lane {
  running: Promise<void>;
  pending: Job | null;
}

export class PrQueue implements KeyedQueue<Job> {
  readonly #lanes = new Map<string, Lane>();
  readonly #onError: (err: unknown, key: string) => void;
  #closed = false;

  constructor(onError: (err: unknown, key: string) => void = () => {}) {
    this.#onError = onError;
  }

  /** Queue `job` for `key` (owner/repo#number). */
  push(key: string, job: Job): void {
    if (this.#closed) throw new Error(`${key}: queue closed; job not accepted`);
    const lane = this.#lanes.get(key);
    if (lane) {
      lane.pending = job;
      return;
    }
    this.#start(key, job);
  }

  #start(key: string, job: Job): void {
    const lane: Lane = { running: Promise.resolve(), pending: null };
    this.#lanes.set(key, lane);
    const loop = async (): Promise<void> => {
      let next: Job | null = job;
      while (next) {
        try {
          await next();
        } catch (err) {
          this.#onError(err, key);
        }
        next = lane.pending;
        lane.pending = null;
      }
      this.#lanes.delete(key);
    };
    // Start on a later tick so the webhook answer goes out first.
    lane.running = new Promise<void>((resolve) => setImmediate(resolve)).then(loop);
  }

  get size(): number {
    return this.#lanes.size;
  }

  /** Resolves when no job is queued or running (for tests and graceful shutdown). */
  async idle(): Promise<void> {
    while (this.#lanes.size) await Promise.all([...this.#lanes.values()].map((l) => l.running));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }
}
