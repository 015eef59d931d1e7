// Runtime check of a results.jsonl line against TaskResult (types.ts), used on read and on append.

import { z } from "zod";

import type { TaskResult } from "./types.js";

const count = z.number().int().nonnegative();
const seconds = z.number().nonnegative();

/**
 * TaskResult as a zod schema. Loose: unknown keys are kept, so lines written by a newer version
 * with extra fields still load. The annotation keeps it in step with the TypeScript type.
 */
export const taskResultSchema: z.ZodType<TaskResult> = z.looseObject({
  run_id: z.string(),
  cell: z.string().min(1),
  provider: z.string(),
  model: z.string(),
  region: z.string().nullable(),
  instance_id: z.string().min(1),
  status: z.enum(["resolved", "unresolved", "error"]),
  resolved: z.boolean(),
  end_reason: z.enum([
    "finished",
    "max_iterations",
    "max_fake_responses",
    "budget_exceeded",
    "task_timeout",
    "context_overflow",
    "prediction",
    "error",
  ]),
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
  cost_source: z.enum(["price_table", "override", "unknown"]),
  llm_latency_s_total: seconds,
  llm_latency_s_p50: seconds.nullable(),
  llm_latency_s_p95: seconds.nullable(),
  ttft_s_p50: seconds.nullable(),
  sandbox_start_s: seconds.nullable(),
  agent_s: seconds.nullable(),
  grading_s: seconds.nullable(),
  wall_s: seconds,
  patch_lines: count,
  fail_to_pass: z.string().nullable(),
  pass_to_pass: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string(),
  attempt: count,
  llm_latencies_s: z.array(seconds),
  ttfts_s: z.array(seconds),
  throttle_events: count,
});

/** "field.path: message" for the first problem, or null when `value` is a TaskResult. */
export function taskResultProblem(value: unknown): string | null {
  const parsed = taskResultSchema.safeParse(value);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  if (issue === undefined) return "invalid TaskResult";
  const path = issue.path.map(String).join(".");
  return `${path === "" ? "(line)" : path}: ${issue.message}`;
}
