// A token bucket on an injectable clock: the static --rpm / --tpm caps of the endpoint limiter and the mock
// server's quota both use it, so "N per minute" means the same on both sides of a test.

export interface TokenBucketOptions {
  /** Tokens added per minute (the quota). */
  perMinute: number;
  /** Most tokens the bucket holds (the burst); it starts full. @default perMinute / 60 (one second's worth), at least 1 */
  capacity?: number;
  /** Clock in ms. @default performance.now */
  now?: () => number;
}

export class TokenBucket {
  readonly perMinute: number;
  readonly capacity: number;
  #level: number;
  #last: number;
  readonly #now: () => number;

  constructor(options: TokenBucketOptions) {
    if (!(Number.isFinite(options.perMinute) && options.perMinute > 0)) {
      throw new RangeError(`token bucket: expected perMinute > 0, got ${JSON.stringify(options.perMinute)}`);
    }
    const capacity = options.capacity ?? Math.max(1, options.perMinute / 60);
    if (!(Number.isFinite(capacity) && capacity > 0))
      throw new RangeError(`token bucket: expected capacity > 0, got ${JSON.stringify(capacity)}`);
    this.perMinute = options.perMinute;
    this.capacity = capacity;
    this.#now = options.now ?? (() => performance.now());
    this.#level = capacity;
    this.#last = this.#now();
  }

  /** Tokens available now (negative while in debt). */
  get level(): number {
    this.#refill();
    return this.#level;
  }

  /**
   * Ms until `amount` tokens can be taken; 0 = now. An amount above the capacity only needs a full bucket
   * (it then leaves the bucket in debt), so a call larger than the burst is delayed, never refused forever.
   */
  waitMs(amount = 1): number {
    this.#refill();
    const need = Math.min(amount, this.capacity) - this.#level;
    if (need <= 0) return 0;
    return Math.ceil((need * 60_000) / this.perMinute);
  }

  /** Takes `amount` tokens when waitMs(amount) is 0; true when taken. */
  tryTake(amount = 1): boolean {
    if (this.waitMs(amount) > 0) return false;
    this.#level -= amount;
    return true;
  }

  /** Adds tokens back (an estimate that was too high), or takes more (negative: it was too low); capped at capacity. */
  adjust(delta: number): void {
    this.#refill();
    this.#level = Math.min(this.capacity, this.#level + delta);
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#level = Math.min(this.capacity, this.#level + (elapsed * this.perMinute) / 60_000);
  }
}
