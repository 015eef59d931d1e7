// The agent loop: ask the model, run its tool calls, feed back observations, until an end reason.
// Every exit of runAgent() yields an AgentOutcome with its end_reason (through end()). The deadline, iteration, token
// and cost limits are checked before each model call (limitReached); the fake-user limit when an answer has no tool call.

import type { Task } from "../datasets/types.js";
import { toModelError } from "../models/errors.js";
import {
  type AssistantMessage,
  addUsage,
  emptyUsage,
  type Message,
  type ModelRequest,
  type ModelResponse,
  type ToolCall,
  type Usage,
} from "../models/types.js";
import type { EndReason } from "../report/types.js";
import { fakeUserResponse, SYSTEM_PROMPT, taskPrompt } from "./prompts.js";
import type { Tool, ToolOutput } from "./tools.js";
import type { TrajectorySink } from "./trajectory.js";

export interface AgentLimits {
  /** Model calls per task. @default 100 */
  maxIterations: number;
  /** Fake user replies before the task ends with max_fake_responses. @default 10 */
  maxFakeResponses: number;
  /** USD per task: once the accumulated cost reaches it, the task ends with budget_exceeded (needs costOf). @default none */
  maxCostUsd?: number;
  /** Tokens per task (input + cache + output): once reached, the task ends with budget_exceeded. @default none */
  maxTokens?: number;
}

/** Calls the model (through the retry layer); throws ModelError when the call finally fails. */
export type CallModel = (request: ModelRequest) => Promise<ModelResponse>;

export interface AgentOutcome {
  endReason: EndReason;
  finishMessage?: string;
  error?: { errorClass: string; message: string };
  iterations: number;
  fakeUserResponses: number;
  toolCalls: number;
  /** All calls' usage summed. */
  usage: Usage;
  /** Each successful call's usage, in order (prices apply per call: long-context tiers). */
  callUsages: Usage[];
  latenciesS: number[];
  ttftsS: number[];
}

export interface AgentInput {
  task: Task;
  tools: Tool[];
  callModel: CallModel;
  limits: AgentLimits;
  trajectory: TrajectorySink;
  signal?: AbortSignal;
  /** Aborts when the task's wall clock runs out: the task ends with task_timeout, even inside a hung tool call. */
  deadline?: AbortSignal;
  /** Cost of the calls so far in USD (their summed usage, and each call's), null when unknown (then maxCostUsd is not enforced). */
  costOf?: (usage: Usage, calls: readonly Usage[]) => number | null;
  /** One call's price in USD (recorded in its model_call event), null when unknown. @default not recorded */
  callCostOf?: (call: Usage) => number | null;
  /**
   * The tools' workspace while it starts (the agent's first model call does not wait for it). When it fails, the model
   * call in flight (or the tool call waiting for it) is abandoned and the agent ends with `error`, class
   * `sandbox_start`, keeping the usage of the calls already answered. @default already started
   */
  workspace?: Promise<unknown>;
}

export async function runAgent(input: AgentInput): Promise<AgentOutcome> {
  const run = startRun(input);
  for (;;) {
    const stopped = checkBeforeCall(run);
    if (stopped) return stopped;
    const answer = await askModel(run);
    if ("ended" in answer) return answer.ended;
    const ended = answer.reply.toolCalls.length === 0 ? fakeUserReply(run) : await runToolCalls(run, answer.reply.toolCalls);
    if (ended) return ended;
  }
}

/** One agent run's state: the conversation so far, the outcome being built, the signals a model call listens to. */
interface AgentRun {
  input: AgentInput;
  byName: Map<string, Tool>;
  messages: Message[];
  outcome: AgentOutcome;
  /** Aborts with the workspace's start failure (only when `input.workspace` is given). */
  startFailed: AbortController;
  /** The run's signal, the deadline and the start failure, as one. */
  callSignal: AbortSignal | undefined;
}

/** A step that either goes on with a value or ends the run (its `end` event already written). */
type Step<T> = T | { ended: AgentOutcome };

/** The run's state, its `start` event written. */
function startRun(input: AgentInput): AgentRun {
  const { task, tools, trajectory, signal, deadline } = input;
  const run: AgentRun = {
    input,
    byName: new Map(tools.map((t) => [t.spec.name, t])),
    messages: [{ role: "user", content: [{ type: "text", text: taskPrompt(task) }] }],
    outcome: {
      endReason: "error",
      iterations: 0,
      fakeUserResponses: 0,
      toolCalls: 0,
      usage: emptyUsage(),
      callUsages: [],
      latenciesS: [],
      ttftsS: [],
    },
    startFailed: new AbortController(),
    callSignal: undefined,
  };
  trajectory.write({
    type: "start",
    instance_id: task.instance_id,
    system: SYSTEM_PROMPT,
    prompt: { role: "user", content: [{ type: "text", text: taskPrompt(task) }] },
  });
  input.workspace?.catch((err: unknown) => run.startFailed.abort(err));
  const signals = [signal, deadline, input.workspace ? run.startFailed.signal : undefined].filter((s) => s !== undefined);
  run.callSignal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  return run;
}

/** Every exit: the outcome gets its end reason, the trajectory its `end` event. */
function end(run: AgentRun, reason: EndReason, extra: Partial<AgentOutcome> = {}): AgentOutcome {
  Object.assign(run.outcome, extra, { endReason: reason });
  run.input.trajectory.write({
    type: "end",
    end_reason: reason,
    ...(extra.error ? { error: extra.error } : {}),
    ...(extra.finishMessage !== undefined ? { finish_message: extra.finishMessage } : {}),
  });
  return run.outcome;
}

const interrupted = (run: AgentRun): AgentOutcome => end(run, "error", { error: { errorClass: "aborted", message: "run interrupted" } });

/** The workspace failed to start: the run ends with `error`, class `sandbox_start`. */
function startError(run: AgentRun): AgentOutcome {
  const reason: unknown = run.startFailed.signal.reason;
  return end(run, "error", { error: { errorClass: "sandbox_start", message: reason instanceof Error ? reason.message : String(reason) } });
}

/** Before every model call (the last answer's tool calls have run): a limit reached or the run interrupted ends it. */
function checkBeforeCall(run: AgentRun): AgentOutcome | undefined {
  const limit = limitReached(run);
  if (limit) return end(run, limit);
  if (run.input.signal?.aborted) return interrupted(run);
  return undefined;
}

/** The deadline, iteration, token and cost limits; the deadline also ends a model call or tool run it interrupts. */
function limitReached({ input, outcome }: AgentRun): EndReason | undefined {
  const { limits } = input;
  if (input.deadline?.aborted) return "task_timeout";
  if (outcome.iterations >= limits.maxIterations) return "max_iterations";
  const u = outcome.usage;
  if (limits.maxTokens !== undefined && u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens + u.outputTokens >= limits.maxTokens)
    return "budget_exceeded";
  const cost = limits.maxCostUsd !== undefined ? input.costOf?.(u, outcome.callUsages) : undefined;
  if (limits.maxCostUsd !== undefined && cost !== undefined && cost !== null && cost >= limits.maxCostUsd) return "budget_exceeded";
  return undefined;
}

/** One model call: its answer recorded (usage, latency, `model_call` event), or the run's end when the call fails. */
async function askModel(run: AgentRun): Promise<Step<{ reply: AssistantMessage }>> {
  const { input, messages, callSignal } = run;
  const { callModel, tools } = input;
  let response: ModelResponse;
  try {
    response = await callModel({
      system: SYSTEM_PROMPT,
      messages,
      tools: tools.map((t) => t.spec),
      toolChoice: "auto",
      ...(callSignal ? { signal: callSignal } : {}),
    });
  } catch (err) {
    return { ended: modelCallFailed(run, err) };
  }
  return { reply: recordCall(run, response) };
}

/** A failed model call: the workspace's start failure, an interruption or the deadline first, else the model's error. */
function modelCallFailed(run: AgentRun, err: unknown): AgentOutcome {
  const { input, outcome } = run;
  if (run.startFailed.signal.aborted) return startError(run);
  if (input.signal?.aborted) return interrupted(run);
  if (input.deadline?.aborted) return end(run, "task_timeout");
  const e = toModelError(err);
  input.trajectory.write({ type: "model_error", iteration: outcome.iterations + 1, error_class: e.errorClass, message: e.message });
  const error = { errorClass: e.errorClass, message: e.message };
  return end(run, e.errorClass === "context_overflow" ? "context_overflow" : "error", { error });
}

/** Counts an answered call (iterations, usage, latency, ttft), appends its message and writes its `model_call` event. */
function recordCall(run: AgentRun, response: ModelResponse): AssistantMessage {
  const { input, outcome, messages } = run;
  outcome.iterations++;
  outcome.usage = addUsage(outcome.usage, response.usage);
  outcome.callUsages.push(response.usage);
  outcome.latenciesS.push(response.latencyMs / 1000);
  if (response.ttftMs !== undefined) outcome.ttftsS.push(response.ttftMs / 1000);
  const callCost = input.callCostOf?.(response.usage);
  const reply = response.message;
  messages.push(reply);
  input.trajectory.write({
    type: "model_call",
    iteration: outcome.iterations,
    request: { messages: messages.length - 1, last_role: messages.at(-2)?.role },
    response: { text: reply.text, tool_calls: reply.toolCalls, ...(reply.reasoning ? { reasoning: reply.reasoning } : {}) },
    stop_reason: response.stopReason,
    usage: response.usage,
    latency_s: response.latencyMs / 1000,
    ...(response.ttftMs !== undefined ? { ttft_s: response.ttftMs / 1000 } : {}),
    ...(response.requestId ? { request_id: response.requestId } : {}),
    ...(callCost !== undefined ? { cost_usd: callCost } : {}),
  });
  return reply;
}

/** An answer without a tool call: the fake user's nudge, or max_fake_responses once they are used up. */
function fakeUserReply(run: AgentRun): AgentOutcome | undefined {
  const { outcome } = run;
  if (outcome.fakeUserResponses >= run.input.limits.maxFakeResponses) return end(run, "max_fake_responses");
  outcome.fakeUserResponses++;
  const text = fakeUserResponse(outcome.fakeUserResponses);
  run.messages.push({ role: "user", content: [{ type: "text", text }] });
  run.input.trajectory.write({ type: "fake_user", count: outcome.fakeUserResponses, text });
  return undefined;
}

/** Parallel tool calls: run all of them, in order, and answer each call id before the next model call. */
async function runToolCalls(run: AgentRun, calls: readonly ToolCall[]): Promise<AgentOutcome | undefined> {
  const { trajectory } = run.input;
  let finished: { message: string } | undefined;
  for (const call of calls) {
    run.outcome.toolCalls++;
    trajectory.write({ type: "tool_call", id: call.id, name: call.name, arguments: call.arguments });
    const started = performance.now();
    const executed = await executeCall(run, call);
    if ("ended" in executed) return executed.ended;
    const { result } = executed;
    if ("finished" in result && result.finished) finished = result.finished;
    run.messages.push({ role: "tool", toolCallId: call.id, toolName: call.name, content: result.content, isError: result.isError });
    trajectory.write({
      type: "observation",
      id: call.id,
      name: call.name,
      is_error: result.isError,
      content: result.content.map((p) =>
        p.type === "text" ? p : { type: "image", mediaType: p.mediaType, bytes: Math.floor((p.data.length * 3) / 4) },
      ),
      duration_s: (performance.now() - started) / 1000,
    });
  }
  if (finished) return end(run, "finished", { finishMessage: finished.message });
  return undefined;
}

/** One tool call's output (an error observation for an unknown tool or bad arguments), or the run's end at the deadline. */
async function executeCall(run: AgentRun, call: ToolCall): Promise<Step<{ result: ToolOutput }>> {
  const tool = run.byName.get(call.name);
  if (!tool) {
    const available = [...run.byName.keys()].join(", ");
    const text = `Error: unknown tool ${JSON.stringify(call.name)}; available: ${available}.`;
    return { result: { content: [{ type: "text" as const, text }], isError: true } };
  }
  const args = parseArguments(call.arguments);
  if (typeof args === "string") return { result: { content: [{ type: "text" as const, text: args }], isError: true } };
  let result: ToolOutput | undefined;
  try {
    result = await beforeDeadline(tool.execute(args), run.input.deadline);
  } catch (err) {
    if (run.startFailed.signal.aborted) return { ended: startError(run) }; // the tool waited for a workspace that never came
    throw err;
  }
  // A command still running at the deadline is left behind: removing the workspace kills it.
  if (result === undefined) return { ended: end(run, "task_timeout") };
  return { result };
}

/** The promise's value, or undefined once the deadline passes first (the promise's own failure is then ignored). */
export async function beforeDeadline<T>(work: Promise<T>, deadline: AbortSignal | undefined): Promise<T | undefined> {
  if (!deadline) return work;
  if (deadline.aborted) {
    work.catch(() => undefined);
    return undefined;
  }
  let onAbort: (() => void) | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    deadline.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    deadline.removeEventListener("abort", onAbort!);
    work.catch(() => undefined);
  }
}

/** Parses tool-call arguments; returns an error text for the model when they are not a JSON object. */
export function parseArguments(raw: string): Record<string, unknown> | string {
  if (raw.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    return `Error: tool arguments must be a JSON object, got ${Array.isArray(value) ? "an array" : typeof value}.`;
  } catch (err) {
    return `Error: tool arguments are not valid JSON (${(err as Error).message}).`;
  }
}
