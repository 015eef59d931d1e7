// Run-level limits: --max-cost and --deadline (stop scheduling; the deadline also stops running agents), which
// errors --task-retries re-runs, and the checks of the limit flags that must fail before anything starts.

import type { RunOptions } from "../config/options.js";
import { UsageError } from "../errors.js";
import { mockFaultSettings, type MockFaultSettings } from "../mock/flags.js";
import type { TaskResult } from "../report/types.js";

/**
 * Error classes that say nothing about the model: the sandbox or Docker failed, grading failed, or a model call
 * ran out of retries on rate limits or transient errors. Only these are re-run by --task-retries.
 */
export const INFRA_ERROR_CLASSES: ReadonlySet<string> = new Set(["sandbox_start", "sandbox", "grading", "rate_limit", "transient"]);

export function isInfrastructureError(result: Pick<TaskResult, "status" | "error_class">): boolean {
  return result.status === "error" && result.error_class !== null && INFRA_ERROR_CLASSES.has(result.error_class);
}

/** Wait before task attempt `attempt + 1`: full jitter under 2 s × 2^(attempt-1), at most 30 s. */
export function taskRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(30_000, 2000 * 2 ** (attempt - 1)));
}

export type StopReason = "max_cost" | "deadline";

export interface RunLimitOptions {
  /** USD: stop scheduling once the run's cost reaches it. */
  maxCost?: number | undefined;
  /** Seconds from now: stop scheduling, and abort `deadline`. */
  deadlineSec?: number | undefined;
  /** Cost of results already in the run (a resumed run counts them). @default 0 */
  spentUsd?: number;
  log: (line: string) => void;
}

/** Tracks the run's cost and wall clock; `stopped` is set once either limit is reached (first one wins). */
export class RunLimits {
  /** Aborts at the run deadline: running agents end with task_timeout. */
  readonly deadline: AbortSignal;
  stopped: { reason: StopReason; at: string } | undefined;
  #spent: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #controller = new AbortController();
  readonly #options: RunLimitOptions;
  readonly #listeners: (() => void)[] = [];

  constructor(options: RunLimitOptions) {
    this.#options = options;
    this.#spent = options.spentUsd ?? 0;
    this.deadline = this.#controller.signal;
    if (options.deadlineSec !== undefined) {
      this.#timer = setTimeout(() => {
        this.#stop(
          "deadline",
          `--deadline ${options.deadlineSec} s reached: no new tasks; running tasks stop now (task_timeout) and are graded`,
        );
        this.#controller.abort(new Error(`run deadline of ${options.deadlineSec} s reached`));
      }, options.deadlineSec * 1000);
      this.#timer.unref?.();
    }
    if (options.maxCost !== undefined && this.#spent >= options.maxCost) {
      this.#stop("max_cost", `--max-cost ${options.maxCost} USD already reached (${this.#spent.toFixed(4)} USD spent): no tasks start`);
    }
  }

  /** Called once when the run stops scheduling (immediately if it already has). */
  onStop(listener: () => void): void {
    if (this.stopped) listener();
    else this.#listeners.push(listener);
  }

  /** The run's cost so far, USD (unknown costs are not counted). */
  get spentUsd(): number {
    return this.#spent;
  }

  /** Adds a finished attempt's cost; reaching --max-cost stops scheduling. */
  addCost(cost: number | null): void {
    if (cost === null) return;
    this.#spent += cost;
    const max = this.#options.maxCost;
    if (max !== undefined && this.#spent >= max) {
      this.#stop("max_cost", `--max-cost ${max} USD reached (${this.#spent.toFixed(4)} USD spent): no new tasks; running tasks finish`);
    }
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
  }

  #stop(reason: StopReason, line: string): void {
    if (this.stopped) return;
    this.stopped = { reason, at: new Date().toISOString() };
    this.#options.log(line);
    for (const listener of this.#listeners.splice(0)) listener();
  }
}

/** The built-in mock's quota, faults and latency from the --mock-* options. */
export function mockSettingsOf(options: RunOptions): MockFaultSettings {
  return mockFaultSettings({
    rpm: options.mockRpm,
    tpm: options.mockTpm,
    retryHints: options.mockRetryHints,
    faultRate: options.mockFaultRate,
    resetRate: options.mockResetRate,
    cutRate: options.mockCutRate,
    hangRate: options.mockHangRate,
    latency: options.mockLatency,
  });
}

/** Checks across options that the schema cannot make; UsageError (exit 2) before anything starts. */
export function checkLimitOptions(options: RunOptions): void {
  if (options.llmBackoffCapMs < options.llmBackoffBaseMs) {
    throw new UsageError(
      `--llm-backoff-cap-ms: expected at least --llm-backoff-base-ms (${options.llmBackoffBaseMs}), got ${options.llmBackoffCapMs}`,
    );
  }
  mockSettingsOf(options);
}
