// TaskResult, one results.jsonl line: its zod schema is its one definition (the type is inferred from it), checked
// on read and on append.

import { z } from "zod";

import { COST_SOURCES, END_REASONS, TASK_STATUSES } from "./types.js";

const count = z.number().int().nonnegative();
const seconds = z.number().nonnegative();
/** A field the type declares but a line is not checked for (it was never validated: old lines must keep loading). */
const unchecked = <T>() => z.custom<T>(() => true);

/**
 * One finished task attempt. Field names are the report.csv columns; `null` means "not known / not measured"
 * and renders as a blank cell, never as 0. The raw per-call arrays at the end let cell percentiles be computed exactly.
 */
const taskResultObject = z.object({
  run_id: z.string(),
  cell: z.string().min(1),
  provider: z.string(),
  model: z.string(),
  region: z.string().nullable(),
  instance_id: z.string().min(1),
  status: z.enum(TASK_STATUSES),
  resolved: z.boolean(),
  end_reason: z.enum(END_REASONS),
  error_class: z.string().nullable(),
  error_message: z.string().nullable(),
  iterations: count,
  fake_user_responses: count,
  tool_calls: count,
  llm_calls: count,
  llm_retries: count.nullable(),
  throttle_wait_s: seconds.nullable(),
  input_tokens: count,
  output_tokens: count,
  cache_read_tokens: count,
  cache_write_tokens: count,
  reasoning_tokens: count,
  cost_usd: z.number().nonnegative().nullable(),
  cost_source: z.enum(COST_SOURCES),
  llm_latency_s_total: seconds,
  llm_latency_s_p50: seconds.nullable(),
  llm_latency_s_p95: seconds.nullable(),
  ttft_s_p50: seconds.nullable(),
  sandbox_start_s: seconds.nullable(),
  agent_s: seconds.nullable(),
  grading_s: seconds.nullable(),
  wall_s: seconds,
  patch_lines: count,
  /** "passed/total" */
  fail_to_pass: z.string().nullable(),
  pass_to_pass: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string(),
  // Not CSV columns: raw figures for exact percentiles and for audit.
  attempt: count,
  /** Seconds the task waited for its image to be pulled (--pull); absent when nothing was pulled for it. */
  pull_wait_s: unchecked<number | null>().optional(),
  /** The model patch applied in grading (SWE-bench's patch_successfully_applied; true for an empty patch left unrun is false). */
  patch_applied: unchecked<boolean>().optional(),
  /** Every listed test (FAIL_TO_PASS, then PASS_TO_PASS) and its status in the grading log (`MISSING`: not in it). */
  tests: unchecked<Record<string, string>>().optional(),
  llm_latencies_s: z.array(seconds),
  ttfts_s: z.array(seconds),
  throttle_events: count,
});

export type TaskResult = z.infer<typeof taskResultObject>;

/** The check of a line. Loose: unknown keys are kept, so lines written by a newer version with extra fields still load. */
export const taskResultSchema = taskResultObject.loose();

/** "field.path: message" for the first problem, or null when `value` is a TaskResult. */
export function taskResultProblem(value: unknown): string | null {
  const parsed = taskResultSchema.safeParse(value);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  if (issue === undefined) return "invalid TaskResult";
  const path = issue.path.map(String).join(".");
  return `${path === "" ? "(line)" : path}: ${issue.message}`;
}
