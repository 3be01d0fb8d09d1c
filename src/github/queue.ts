// Background work serialised per pull request: the webhook is answered at once, the review runs
// afterwards, and two reviews of the same PR never overlap. While one runs, newer requests for
// the same PR collapse into one (the latest wins: an older head would be stale anyway).

export type Job = () => Promise<void>;

interface Lane {
  running: Promise<void>;
  pending: Job | null;
}

export class PrQueue {
  readonly #lanes = new Map<string, Lane>();
  readonly #onError: (err: unknown, key: string) => void;

  constructor(onError: (err: unknown, key: string) => void = () => {}) {
    this.#onError = onError;
  }

  /** Queue `job` for `key` (owner/repo#number). */
  push(key: string, job: Job): void {
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
}
