// Trajectory events (one JSON object per line in tasks/<cell>/<id>/trajectory.jsonl) and their sinks.
// The union below is the on-disk contract (docs/ARCHITECTURE.md "Run directory"): field names are snake_case,
// event types snake_case nouns; the report viewer (src/report/html/) reads the same types.

import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import path from "node:path";
import type { ReasoningPart, ToolCall, Usage } from "../models/types.js";

/** A content part of a message as recorded: text, or an image's media type and size (the bytes are not kept). */
export type RecordedPart = { type: "text"; text: string } | { type: "image"; mediaType: string; bytes: number };

export interface StartEvent {
  type: "start";
  instance_id: string;
  system: string;
  /** The first user message: the task prompt (the issue inside `<issue>…</issue>`). */
  prompt: { role: "user"; content: RecordedPart[] };
}
export interface SandboxEvent { type: "sandbox"; container: string; start_s: number }
export interface ModelCallEvent {
  type: "model_call";
  iteration: number;
  request: { messages: number; last_role: string | undefined };
  response: { text: string; tool_calls: ToolCall[]; reasoning?: ReasoningPart[] };
  stop_reason: string;
  usage: Usage;
  latency_s: number;
  ttft_s?: number;
  request_id?: string;
  /** This call's price in USD; null when the cell has no price (absent in runs before it was recorded). */
  cost_usd?: number | null;
}
export interface RetryEvent { type: "retry"; attempt: number; error_class: string; message: string; delay_s: number }
export interface ModelErrorEvent { type: "model_error"; iteration: number; error_class: string; message: string }
export interface ToolCallEvent { type: "tool_call"; id: string; name: string; arguments: string }
export interface ObservationEvent {
  type: "observation";
  id: string;
  name: string;
  is_error: boolean;
  content: RecordedPart[];
  duration_s: number;
}
export interface FakeUserEvent { type: "fake_user"; count: number; text: string }
export interface EndEvent {
  type: "end";
  end_reason: string;
  error?: { errorClass: string; message: string };
  finish_message?: string;
}
export interface PredictionEvent { type: "prediction"; patch_lines: number }
export interface GradingEvent { type: "grading"; workspace: "new" | "reset"; reason?: string }
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

export interface TrajectorySink {
  write(event: TrajectoryEvent): void;
  close(): Promise<void>;
}

/** Appends events to a JSONL file through one write stream; close() waits for the flush. */
export class FileTrajectory implements TrajectorySink {
  readonly #stream: WriteStream;
  constructor(file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.#stream = createWriteStream(file, { flags: "a" });
  }
  write(event: TrajectoryEvent): void {
    this.#stream.write(`${JSON.stringify({ ts: new Date().toISOString(), ...event })}\n`);
  }
  close(): Promise<void> {
    return new Promise((resolve, reject) => this.#stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/** Keeps events in memory (tests). */
export class MemoryTrajectory implements TrajectorySink {
  readonly events: TrajectoryEvent[] = [];
  write(event: TrajectoryEvent): void {
    this.events.push(event);
  }
  async close(): Promise<void> {}
}
