// The adaptive endpoint limiter: in-flight model calls bounded per endpoint key (provider + account + region + model),
// AIMD on rate limits, a request-rate pacer learnt from what the server accepts, plus optional static
// requests/tokens-per-minute caps. One limiter per key, shared by all tasks.

import { RatePacer, type PacedCall } from "./rate-pacer.js";
import { TokenBucket } from "../util/token-bucket.js";

export interface LimiterOptions {
  /** Ceiling of the limit: the run's --concurrency (no more calls can be in flight anyway). */
  max: number;
  /** Starting limit. @default max */
  initial?: number;
  /** Floor of the limit. @default 1 */
  min?: number;
  /** Factor applied to the limit on a rate limit (multiplicative decrease). @default 0.7 */
  decrease?: number;
  /** Shortest time between two cuts, ms; a longer server retry hint stretches it. @default 1000 */
  cooldownMs?: number;
  /** Largest server hint that stretches a cool-down, ms. @default 60_000 */
  maxHintMs?: number;
  /** Share of the limit that must have been in flight during a clean round for the round to grow it. @default 0.8 */
  saturation?: number;
  /** Static cap: requests per minute for this endpoint (token bucket, one second of burst). @default none */
  rpm?: number;
  /** Static cap: tokens per minute (an estimate is taken before the call, corrected by the real usage after). @default none */
  tpm?: number;
  /**
   * Pace admissions at the rate the server accepts, learnt between 429s (rate-pacer.ts); while paced, a 429 slows the
   * pace instead of cutting the in-flight limit. false = the in-flight AIMD alone (the limiter before the pacer; kept
   * for the throttling benchmark's comparison). @default true
   */
  pace?: boolean;
  /** Clock, ms. @default performance.now */
  now?: () => number;
  /**
   * Gets a line for a limit change, at most one per `logEveryMs` per endpoint: the changes in between are counted and
   * named in the next line (and in `flushLog` at the run's end); run.json keeps each one. @default none
   */
  log?: (line: string) => void;
  /** Least time between two log lines of one endpoint, ms. @default 30_000 */
  logEveryMs?: number;
  /** Limit changes kept for run.json. @default 200 */
  historyLimit?: number;
}

/** How a call that held a permit ended; only rate_limit cuts, transient pauses growth, other is neutral. */
export type CallOutcome =
  | { kind: "ok"; tokens: number }
  | { kind: "rate_limit"; hintMs?: number }
  | { kind: "transient" }
  | { kind: "other" };

export interface Permit {
  /** How long the call waited for admission, ms (0 when admitted at once). */
  readonly waitedMs: number;
  /** Ends the call's hold on the endpoint. Idempotent. */
  release(outcome: CallOutcome): void;
}

export interface LimitChange {
  at: string;
  from: number;
  to: number;
  reason: "rate_limit" | "saturated_round";
}

/** What run.json keeps per endpoint key. */
export interface LimiterSnapshot {
  limit: number;
  min: number;
  max: number;
  rpm: number | null;
  tpm: number | null;
  /** Rate-limit answers seen on this endpoint (by every task). */
  throttle_events: number;
  changes: LimitChange[];
}

interface Waiter {
  tokens: number;
  /** Age of the model call: a retry keeps its first attempt's ticket, so it goes before calls that came later. */
  ticket: number;
  /** When it queued; undefined while acquire() itself is still running (admission then costs no wait). */
  queuedAt: number | undefined;
  resolve: (permit: Permit) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

const ROUND_FLOOR = 4;

/**
 * AIMD on the number of calls in flight. A rate limit cuts the limit (×decrease) for every task on the key, but only
 * once per burst: the call must have been admitted after the previous cut, and the cool-down must have passed.
 * A clean round (max(limit, 4) successes without a rate limit or transient error) adds 1, and only when the limit
 * was actually used (peak in flight ≥ saturation × limit): an idle endpoint never inflates its limit.
 */
export class EndpointLimiter {
  readonly key: string;
  readonly min: number;
  readonly max: number;
  #limit: number;
  #inFlight = 0;
  #waiters: Waiter[] = [];
  #epoch = 0;
  #tickets = 0;
  #cooldownUntil = Number.NEGATIVE_INFINITY;
  #pausedUntil = Number.NEGATIVE_INFINITY;
  #roundOk = 0;
  #roundPeak = 0;
  #throttleEvents = 0;
  #changes: LimitChange[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #rpm: TokenBucket | undefined;
  readonly #tpm: TokenBucket | undefined;
  readonly #pacer: RatePacer | undefined;
  readonly #o: Required<Pick<LimiterOptions, "decrease" | "cooldownMs" | "maxHintMs" | "saturation" | "historyLimit">>;
  readonly #now: () => number;
  readonly #log: ((line: string) => void) | undefined;
  readonly #logEveryMs: number;
  #loggedAt: number | undefined;
  /** Changes since the last log line, not yet named in one. */
  #unlogged = { cuts: 0, raises: 0 };

  constructor(key: string, options: LimiterOptions) {
    const int = (name: string, v: number, lo: number): number => {
      if (!(Number.isInteger(v) && v >= lo))
        throw new RangeError(`limiter: expected ${name} to be an integer >= ${lo}, got ${JSON.stringify(v)}`);
      return v;
    };
    this.key = key;
    this.max = int("max", options.max, 1);
    this.min = Math.min(int("min", options.min ?? 1, 1), this.max);
    this.#limit = Math.min(this.max, Math.max(this.min, int("initial", options.initial ?? this.max, 1)));
    const decrease = options.decrease ?? 0.7;
    if (!(decrease > 0 && decrease < 1)) throw new RangeError(`limiter: expected decrease in (0, 1), got ${decrease}`);
    this.#o = {
      decrease,
      cooldownMs: options.cooldownMs ?? 1000,
      maxHintMs: options.maxHintMs ?? 60_000,
      saturation: options.saturation ?? 0.8,
      historyLimit: options.historyLimit ?? 200,
    };
    this.#now = options.now ?? (() => performance.now());
    this.#log = options.log;
    this.#logEveryMs = options.logEveryMs ?? 30_000;
    this.#rpm = options.rpm !== undefined ? new TokenBucket({ perMinute: options.rpm, now: this.#now }) : undefined;
    // One second of tokens as the burst; a call larger than that waits for a full bucket and leaves it in debt.
    this.#tpm =
      options.tpm !== undefined
        ? new TokenBucket({ perMinute: options.tpm, capacity: Math.max(options.tpm / 60, 1), now: this.#now })
        : undefined;
    this.#pacer = options.pace === false ? undefined : new RatePacer({ now: this.#now });
  }

  /** The learnt pace, calls per minute; undefined before the first 429 or without the pacer. */
  get pacePerMinute(): number | undefined {
    return this.#pacer?.perMinute;
  }

  get limit(): number {
    return this.#limit;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  get throttleEvents(): number {
    return this.#throttleEvents;
  }

  /** A new call's place in line (see acquire). */
  ticket(): number {
    return ++this.#tickets;
  }

  /**
   * Waits for a slot and, with static caps, for request and token budget. Oldest call first: pass the ticket of the
   * call's first attempt when retrying it, so a call that was throttled is not overtaken by every newer one.
   */
  acquire(estimatedTokens = 0, signal?: AbortSignal, ticket = this.ticket()): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = {
        tokens: estimatedTokens,
        ticket,
        queuedAt: undefined,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(signal?.reason);
          this.#pump();
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      let at = this.#waiters.length;
      while (at > 0 && this.#waiters[at - 1]!.ticket > ticket) at--;
      this.#waiters.splice(at, 0, waiter);
      this.#pump();
      waiter.queuedAt = this.#now();
    });
  }

  snapshot(): LimiterSnapshot {
    return {
      limit: this.#limit,
      min: this.min,
      max: this.max,
      rpm: this.#rpm?.perMinute ?? null,
      tpm: this.#tpm?.perMinute ?? null,
      throttle_events: this.#throttleEvents,
      changes: this.#changes.map((c) => ({ ...c })),
    };
  }

  #pump(): void {
    while (this.#waiters.length > 0 && this.#inFlight < this.#limit) {
      const head = this.#waiters[0]!;
      const paused = this.#pausedUntil - this.#now();
      const wait = Math.max(paused, this.#pacer?.waitMs() ?? 0, this.#rpm?.waitMs(1) ?? 0, this.#tpm?.waitMs(head.tokens) ?? 0);
      if (wait > 0) {
        // A server hint or the static caps: come back when there is room; in order, so a large call is not overtaken forever.
        this.#timer ??= setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, wait);
        return;
      }
      this.#waiters.shift();
      head.signal?.removeEventListener("abort", head.onAbort);
      this.#rpm?.tryTake(1);
      this.#tpm?.tryTake(head.tokens);
      const paced = this.#pacer?.admit(this.#waiters.length > 0);
      this.#inFlight++;
      this.#roundPeak = Math.max(this.#roundPeak, this.#inFlight);
      head.resolve(
        this.#permit(head.tokens, this.#epoch, head.queuedAt === undefined ? 0 : Math.max(0, this.#now() - head.queuedAt), paced),
      );
    }
  }

  #permit(tokens: number, epoch: number, waitedMs: number, paced: PacedCall | undefined): Permit {
    let released = false;
    return {
      waitedMs,
      release: (outcome) => {
        if (released) return;
        released = true;
        this.#inFlight--;
        this.#settle(outcome, tokens, epoch, paced);
        this.#pump();
      },
    };
  }

  #settle(outcome: CallOutcome, estimated: number, epoch: number, paced: PacedCall | undefined): void {
    // Paced before this outcome: the pacer answers a 429, not the in-flight limit (fewer calls in flight would only
    // leave the quota unused while they think).
    const wasPaced = this.#pacer?.perMinute !== undefined;
    if (paced) this.#pacer!.settle(paced, outcome.kind === "rate_limit");
    // The estimate was taken before the call: give back what it did not use (or take what it used beyond).
    this.#tpm?.adjust(estimated - (outcome.kind === "ok" ? outcome.tokens : 0));
    switch (outcome.kind) {
      case "ok":
        this.#roundOk++;
        if (this.#roundOk >= Math.max(this.#limit, ROUND_FLOOR)) {
          const saturated = this.#roundPeak >= this.#o.saturation * this.#limit;
          if (saturated && this.#limit < this.max && this.#now() >= this.#cooldownUntil) this.#change(this.#limit + 1, "saturated_round");
          this.#newRound();
        }
        return;
      case "rate_limit": {
        this.#throttleEvents++;
        const now = this.#now();
        // The server said when it will have room: nobody on the key starts a call before that.
        if (outcome.hintMs !== undefined)
          this.#pausedUntil = Math.max(this.#pausedUntil, now + Math.min(outcome.hintMs, this.#o.maxHintMs));
        // One burst counts once: calls admitted before the last cut, or inside the cool-down, do not cut again.
        if (!wasPaced && epoch === this.#epoch && now >= this.#cooldownUntil) {
          const to = Math.max(this.min, Math.floor(this.#limit * this.#o.decrease));
          if (to < this.#limit) this.#change(to, "rate_limit");
          this.#epoch++;
          this.#cooldownUntil = now + Math.max(this.#o.cooldownMs, Math.min(outcome.hintMs ?? 0, this.#o.maxHintMs));
        }
        this.#newRound();
        return;
      }
      case "transient":
        // A failing endpoint is no reason to grow: the round starts over, the limit stays.
        this.#newRound();
        return;
      case "other":
        return;
    }
  }

  #newRound(): void {
    this.#roundOk = 0;
    this.#roundPeak = this.#inFlight;
  }

  #change(to: number, reason: LimitChange["reason"]): void {
    const from = this.#limit;
    this.#limit = to;
    this.#changes.push({ at: new Date().toISOString(), from, to, reason });
    if (this.#changes.length > this.#o.historyLimit) this.#changes.splice(0, this.#changes.length - this.#o.historyLimit);
    if (!this.#log) return;
    const now = this.#now();
    if (this.#loggedAt !== undefined && now - this.#loggedAt < this.#logEveryMs) {
      this.#unlogged[to < from ? "cuts" : "raises"]++;
      return;
    }
    const unlogged = this.#takeUnlogged();
    this.#log(
      `limiter ${this.key}: in-flight limit ${from} → ${to} (${reason === "rate_limit" ? "rate limited" : "saturated clean round"})` +
        (unlogged ? `; ${unlogged.text} earlier not shown (${unlogged.detail})` : ""),
    );
    this.#loggedAt = now;
  }

  /** The changes counted since the last line (`3 changes`, `3 down, 0 up`), forgotten; undefined when none. */
  #takeUnlogged(): { text: string; detail: string } | undefined {
    const { cuts, raises } = this.#unlogged;
    this.#unlogged = { cuts: 0, raises: 0 };
    const n = cuts + raises;
    return n === 0 ? undefined : { text: `${n} change${n === 1 ? "" : "s"}`, detail: `${cuts} down, ${raises} up` };
  }

  /** Logs the changes not yet named in a line (the run's end): `limiter K: in-flight limit N at the end; M change(s) later not shown (…)`. */
  flushLog(): void {
    const unlogged = this.#log ? this.#takeUnlogged() : undefined;
    if (unlogged)
      this.#log!(
        `limiter ${this.key}: in-flight limit ${this.#limit} at the end; ${unlogged.text} later not shown (${unlogged.detail}; all in run.json)`,
      );
  }
}

/** One limiter per endpoint key, created on first use with the same options. */
export class LimiterRegistry {
  readonly #limiters = new Map<string, EndpointLimiter>();
  readonly #options: LimiterOptions;

  constructor(options: LimiterOptions) {
    this.#options = options;
  }

  get(key: string): EndpointLimiter {
    let limiter = this.#limiters.get(key);
    if (!limiter) {
      limiter = new EndpointLimiter(key, this.#options);
      this.#limiters.set(key, limiter);
    }
    return limiter;
  }

  /** Each limiter's changes not yet logged (the run's end). */
  flushLogs(): void {
    for (const limiter of this.#limiters.values()) limiter.flushLog();
  }

  snapshot(): Record<string, LimiterSnapshot> {
    return Object.fromEntries([...this.#limiters].map(([key, l]) => [key, l.snapshot()]));
  }
}
