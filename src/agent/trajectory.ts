// Trajectory events (one JSON object per line in tasks/<cell>/<id>/trajectory.jsonl) and their sinks.

import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import path from "node:path";

export type TrajectoryEvent = { type: string; ts?: string } & Record<string, unknown>;

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
