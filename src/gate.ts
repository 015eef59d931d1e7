// A counting semaphore: at most `limit` holders at once, waiters served in arrival order.

export class Gate {
  readonly #limit: number;
  #held = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isFinite(limit) || limit < 1) throw new RangeError(`Gate limit: expected a number ≥ 1, got ${limit}`);
    this.#limit = Math.floor(limit);
  }

  /** Holders right now. */
  get held(): number {
    return this.#held;
  }

  /** Waits for a place; resolves to its release function (idempotent). */
  async acquire(): Promise<() => void> {
    if (this.#held < this.#limit) this.#held++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve)); // the releaser hands its place over
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#held--;
    };
  }

  /** Runs `work` holding a place. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }
}
