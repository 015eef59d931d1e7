// TaskResult (one results.jsonl line) and the CSV column contracts of docs/ARCHITECTURE.md.
// Column lists are append-only: add at the end, never reorder.

export const REPORT_COLUMNS = [
  "run_id", "cell", "provider", "model", "region", "instance_id", "status", "resolved", "end_reason",
  "error_class", "error_message", "iterations", "fake_user_responses", "tool_calls", "llm_calls", "llm_retries",
  "throttle_wait_s", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
  "reasoning_tokens", "cost_usd", "cost_source", "llm_latency_s_total", "llm_latency_s_p50",
  "llm_latency_s_p95", "ttft_s_p50", "sandbox_start_s", "agent_s", "grading_s", "wall_s", "patch_lines",
  "fail_to_pass", "pass_to_pass", "started_at", "finished_at",
] as const;

export const SUMMARY_COLUMNS = [
  "run_id", "cell", "provider", "model", "region", "tasks", "resolved", "unresolved", "errors", "resolve_rate",
  "resolve_rate_ci_low", "resolve_rate_ci_high", "cost_usd_total", "cost_usd_mean", "cost_per_resolved",
  "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
  "llm_calls", "llm_retries", "throttle_events", "throttle_wait_s", "llm_latency_s_p50", "llm_latency_s_p95",
  "ttft_s_p50", "wall_s_p50", "wall_s_p95", "run_wall_s",
] as const;

export type ReportColumn = (typeof REPORT_COLUMNS)[number];
export type SummaryColumn = (typeof SUMMARY_COLUMNS)[number];

export type TaskStatus = "resolved" | "unresolved" | "error";
export type EndReason =
  | "finished"
  | "max_iterations"
  | "max_fake_responses"
  | "budget_exceeded"
  | "task_timeout"
  | "context_overflow"
  | "prediction"
  | "error";
export type CostSource = "price_table" | "override" | "unknown";

/**
 * One finished task attempt, as appended to results.jsonl. Field names are the report.csv columns;
 * `null` means "not known / not measured" and renders as a blank cell, never as 0.
 * The raw per-call arrays at the end let cell percentiles be computed exactly.
 */
export interface TaskResult {
  run_id: string;
  cell: string;
  provider: string;
  model: string;
  region: string | null;
  instance_id: string;
  status: TaskStatus;
  resolved: boolean;
  end_reason: EndReason;
  error_class: string | null;
  error_message: string | null;
  iterations: number;
  fake_user_responses: number;
  tool_calls: number;
  llm_calls: number;
  llm_retries: number | null;
  throttle_wait_s: number | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_usd: number | null;
  cost_source: CostSource;
  llm_latency_s_total: number;
  llm_latency_s_p50: number | null;
  llm_latency_s_p95: number | null;
  ttft_s_p50: number | null;
  sandbox_start_s: number | null;
  agent_s: number | null;
  grading_s: number | null;
  wall_s: number;
  patch_lines: number;
  /** "passed/total" */
  fail_to_pass: string | null;
  pass_to_pass: string | null;
  started_at: string;
  finished_at: string;
  /** Not CSV columns: raw figures for exact percentiles and for audit. */
  attempt: number;
  /** Seconds the task waited for its image to be pulled (--pull); absent when nothing was pulled for it. */
  pull_wait_s?: number | null;
  /** The model patch applied in grading (SWE-bench's patch_successfully_applied; true for an empty patch left unrun is false). */
  patch_applied?: boolean;
  /** Every listed test (FAIL_TO_PASS, then PASS_TO_PASS) and its status in the grading log (`MISSING`: not in it). */
  tests?: Record<string, string>;
  llm_latencies_s: number[];
  ttfts_s: number[];
  throttle_events: number;
}

/** Identity of a cell: model × region. */
export interface CellInfo {
  cell: string;
  provider: string;
  model: string;
  region: string | null;
}

/** Folder-safe form of a cell name: a task's files live in tasks/<cellDirName>/<instance_id>/. */
export function cellDirName(cell: string): string {
  return cell.replace(/[^A-Za-z0-9._@-]+/g, "_");
}
