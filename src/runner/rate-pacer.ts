// The endpoint limiter's request-rate pacer: learns the rate a server accepts from the calls it accepted between two
// 429s, and spaces admissions evenly just below it, probing upward slowly. Pure logic on an injectable clock.

export interface RatePacerOptions {
  /** Clock, ms. */
  now: () => number;
  /** Share of the estimated rate admissions are paced at: below it the server's bucket refills between calls. @default 0.97 */
  headroom?: number;
  /** Shortest time between two 429s whose accepted calls estimate the rate, ms (±1 call over it is the error). @default 2000 */
  minSpanMs?: number;
  /** How far back 429s and admissions are kept for the estimate, ms. @default 30_000 */
  windowMs?: number;
  /** Factor applied to the pace on a 429 while no span is long enough to estimate from. @default 0.8 */
  decrease?: number;
  /** Growth of the pace per probe period without a 429 while calls queue for it. @default 0.01 */
  probe?: number;
  /** The same before the first estimate: a guess that was cut too far finds the quota again within seconds. @default 0.05 */
  firstProbe?: number;
  /** Probe period, ms. @default 1000 */
  probeEveryMs?: number;
}

/** One admission the pacer counts; settle it once its outcome is known. */
export interface PacedCall {
  readonly at: number;
  /** Pace epoch at admission: only a call admitted after the last cut cuts again (one burst counts once). */
  readonly epoch: number;
  state: "pending" | "accepted" | "rejected";
}

/**
 * A server's quota is a token bucket: between two 429s (bucket empty both times, level in [0, 1)) it accepted
 * rate × span ± 1 calls. So the calls accepted between the oldest 429 of the window and the newest, over that span,
 * is the rate, more exactly the longer the span; it also holds for a server that limits calls in flight (what it
 * accepts is what counts). Pacing evenly at 0.97 of it keeps a bucket with a burst of a few calls from running dry;
 * +1% per second while calls queue finds a higher quota, and the next 429 re-estimates.
 * Before the first 429 nothing is paced (the in-flight AIMD alone); until a span is long enough, each 429 burst
 * cuts the pace ×0.8 (not below the rate accepted since the first 429) from a first guess: the calls not refused in
 * the second before the first 429; a guess grows +5% per second, so one cut too far costs seconds, not the run.
 */
export class RatePacer {
  /** Calls per ms; undefined = not paced yet. */
  #rate: number | undefined;
  #next = Number.NEGATIVE_INFINITY;
  #epoch = 0;
  #estimated = false;
  #changedAt = Number.NEGATIVE_INFINITY;
  #calls: PacedCall[] = [];
  #rejections: number[] = [];
  readonly #o: Required<Omit<RatePacerOptions, "now">>;
  readonly #now: () => number;

  constructor(options: RatePacerOptions) {
    this.#now = options.now;
    this.#o = {
      headroom: options.headroom ?? 0.97,
      minSpanMs: options.minSpanMs ?? 2000,
      windowMs: options.windowMs ?? 30_000,
      decrease: options.decrease ?? 0.8,
      probe: options.probe ?? 0.01,
      firstProbe: options.firstProbe ?? 0.05,
      probeEveryMs: options.probeEveryMs ?? 1000,
    };
  }

  /** The pace, calls per minute; undefined before the first 429. */
  get perMinute(): number | undefined {
    return this.#rate === undefined ? undefined : this.#rate * 60_000;
  }

  /** Ms until the next call may start; 0 = now. */
  waitMs(): number {
    return this.#rate === undefined ? 0 : Math.max(0, Math.ceil(this.#next - this.#now()));
  }

  /** Counts an admission (call when waitMs() is 0). `backlogged`: more calls wait behind it, so the pace binds. */
  admit(backlogged: boolean): PacedCall {
    const now = this.#now();
    this.#forget(now);
    if (this.#rate !== undefined) {
      if (backlogged && now - this.#changedAt >= this.#o.probeEveryMs) {
        this.#set(this.#rate * (1 + (this.#estimated ? this.#o.probe : this.#o.firstProbe)), now, false);
      }
      const interval = 1 / this.#rate;
      // A timer that fired late may catch up by a quarter interval, so lateness does not add up to a lower rate.
      this.#next = Math.max(this.#next, now - interval / 4) + interval;
    }
    const call: PacedCall = { at: now, epoch: this.#epoch, state: "pending" };
    this.#calls.push(call);
    return call;
  }

  /** Learns from a call's outcome: anything but a 429 was accepted (a reset or cut call still used the quota). */
  settle(call: PacedCall, rejected: boolean): void {
    if (call.state !== "pending") return;
    call.state = rejected ? "rejected" : "accepted";
    if (!rejected) return;
    const now = this.#now();
    const first = this.#rejections.find((t) => t < call.at);
    this.#rejections.push(call.at);
    this.#rejections.sort((a, b) => a - b);
    // Calls still in flight count as accepted: a 429 comes back at once, so they are past the quota check.
    const acceptedSince = (from: number) => this.#calls.filter((c) => c.at > from && c.at < call.at && c.state !== "rejected").length;
    if (first !== undefined && call.at - first >= this.#o.minSpanMs) {
      const estimate = (this.#o.headroom * Math.max(acceptedSince(first), 1)) / (call.at - first);
      // A span in which the server's bucket filled up (calls paced too slowly, or none to send) underestimates
      // the rate; this 429 says the pace was above it, so one estimate takes off at most 10%.
      this.#estimated = true;
      this.#set(this.#rate === undefined ? estimate : Math.max(estimate, 0.9 * this.#rate), now, true);
      return;
    }
    if (this.#rate === undefined) {
      const recent = this.#calls.filter((c) => c.at > call.at - 1000 && c.state !== "rejected").length;
      this.#set(Math.max(recent, 1) / 1000, now, true);
    } else if (call.epoch === this.#epoch) {
      // A short span is a rough estimate, but it keeps a cut from going far below what the server accepted.
      const rough = first === undefined ? 0 : (this.#o.headroom * acceptedSince(first)) / (call.at - first);
      this.#set(Math.max(this.#rate * this.#o.decrease, rough), now, true);
    }
  }

  #set(rate: number, now: number, throttled: boolean): void {
    this.#rate = rate;
    this.#changedAt = now;
    if (!throttled) return;
    this.#epoch++;
    // The server's bucket is empty now: the next call waits a full interval.
    this.#next = Math.max(this.#next, now + 1 / rate);
  }

  #forget(now: number): void {
    const horizon = now - this.#o.windowMs;
    while (this.#calls.length > 0 && this.#calls[0]!.at < horizon && this.#calls[0]!.state !== "pending") this.#calls.shift();
    while (this.#rejections.length > 0 && this.#rejections[0]! < horizon) this.#rejections.shift();
  }
}
