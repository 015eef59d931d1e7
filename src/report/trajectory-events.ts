// The trajectory's on-disk contract: one JSON object per line in tasks/<cell>/<id>/trajectory.jsonl
// (docs/ARCHITECTURE.md "Run directory"). Written by the agent (src/agent/trajectory.ts), read by the report viewer
// (src/report/html/). Event types are snake_case nouns, their fields snake_case; `usage` keeps the camelCase keys
// it has always had on disk (Usage), so older runs read the same. The model shapes below are the recorded ones:
// src/models/types.ts's ToolCall, ReasoningPart and Usage fit them.

/** A tool call as recorded: the raw JSON text of its arguments. */
export interface RecordedToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** Reasoning as recorded (provider fields kept as the provider gave them). */
export interface RecordedReasoning {
  type: "reasoning";
  text: string;
  signature?: string;
  redacted?: string;
  id?: string;
  encrypted?: string;
  provider?: string;
}

/** Token usage of one model call (camelCase keys, as on disk since the first runs). */
export interface RecordedUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

/** A content part of a message as recorded: text, or an image's media type and size (the bytes are not kept). */
export type RecordedPart = { type: "text"; text: string } | { type: "image"; mediaType: string; bytes: number };

export interface StartEvent {
  type: "start";
  instance_id: string;
  system: string;
  /** The first user message: the task prompt (the issue inside `<issue>…</issue>`). */
  prompt: { role: "user"; content: RecordedPart[] };
}
export interface SandboxEvent {
  type: "sandbox";
  container: string;
  start_s: number;
}
export interface ModelCallEvent {
  type: "model_call";
  iteration: number;
  request: { messages: number; last_role: string | undefined };
  response: { text: string; tool_calls: RecordedToolCall[]; reasoning?: RecordedReasoning[] };
  stop_reason: string;
  usage: RecordedUsage;
  latency_s: number;
  ttft_s?: number;
  request_id?: string;
  /** This call's price in USD; null when the cell has no price (absent in runs before it was recorded). */
  cost_usd?: number | null;
}
export interface RetryEvent {
  type: "retry";
  attempt: number;
  error_class: string;
  message: string;
  delay_s: number;
}
export interface ModelErrorEvent {
  type: "model_error";
  iteration: number;
  error_class: string;
  message: string;
}
export interface ToolCallEvent {
  type: "tool_call";
  id: string;
  name: string;
  arguments: string;
}
export interface ObservationEvent {
  type: "observation";
  id: string;
  name: string;
  is_error: boolean;
  content: RecordedPart[];
  duration_s: number;
}
export interface FakeUserEvent {
  type: "fake_user";
  count: number;
  text: string;
}
export interface EndEvent {
  type: "end";
  end_reason: string;
  error?: { errorClass: string; message: string };
  finish_message?: string;
}
export interface PredictionEvent {
  type: "prediction";
  patch_lines: number;
}
export interface GradingEvent {
  type: "grading";
  workspace: "new" | "reset";
  reason?: string;
}
export interface GradingResultEvent {
  type: "grading_result";
  resolved: boolean;
  patch_applied: boolean;
  failure: string | null;
  tests: Record<string, string>;
}

/** Every event a trajectory holds, as written (FileTrajectory adds `ts`). */
export type TrajectoryEvent =
  | StartEvent
  | SandboxEvent
  | ModelCallEvent
  | RetryEvent
  | ModelErrorEvent
  | ToolCallEvent
  | ObservationEvent
  | FakeUserEvent
  | EndEvent
  | PredictionEvent
  | GradingEvent
  | GradingResultEvent;

/** An event as read back from trajectory.jsonl: its ISO timestamp added. */
export type RecordedEvent = TrajectoryEvent & { ts?: string };

export type TrajectoryEventType = TrajectoryEvent["type"];
