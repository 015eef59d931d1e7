// The CSV column contracts of docs/ARCHITECTURE.md and the value sets of a TaskResult (result-schema.ts).
// Column lists are append-only: add at the end, never reorder.

export const REPORT_COLUMNS = [
  "run_id",
  "cell",
  "provider",
  "model",
  "region",
  "instance_id",
  "status",
  "resolved",
  "end_reason",
  "error_class",
  "error_message",
  "iterations",
  "fake_user_responses",
  "tool_calls",
  "llm_calls",
  "llm_retries",
  "throttle_wait_s",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "cost_usd",
  "cost_source",
  "llm_latency_s_total",
  "llm_latency_s_p50",
  "llm_latency_s_p95",
  "ttft_s_p50",
  "sandbox_start_s",
  "agent_s",
  "grading_s",
  "wall_s",
  "patch_lines",
  "fail_to_pass",
  "pass_to_pass",
  "started_at",
  "finished_at",
] as const;

export const SUMMARY_COLUMNS = [
  "run_id",
  "cell",
  "provider",
  "model",
  "region",
  "tasks",
  "resolved",
  "unresolved",
  "errors",
  "resolve_rate",
  "resolve_rate_ci_low",
  "resolve_rate_ci_high",
  "cost_usd_total",
  "cost_usd_mean",
  "cost_per_resolved",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "llm_calls",
  "llm_retries",
  "throttle_events",
  "throttle_wait_s",
  "llm_latency_s_p50",
  "llm_latency_s_p95",
  "ttft_s_p50",
  "wall_s_p50",
  "wall_s_p95",
  "run_wall_s",
] as const;

export type ReportColumn = (typeof REPORT_COLUMNS)[number];
export type SummaryColumn = (typeof SUMMARY_COLUMNS)[number];

export const TASK_STATUSES = ["resolved", "unresolved", "error"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const END_REASONS = [
  "finished",
  "max_iterations",
  "max_fake_responses",
  "budget_exceeded",
  "task_timeout",
  "context_overflow",
  "prediction",
  "error",
] as const;
export type EndReason = (typeof END_REASONS)[number];
export const COST_SOURCES = ["price_table", "override", "unknown"] as const;
export type CostSource = (typeof COST_SOURCES)[number];

/** One finished task attempt, as appended to results.jsonl: defined once, by its schema (result-schema.ts). */
export type { TaskResult } from "./result-schema.js";

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
