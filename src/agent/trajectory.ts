// Trajectory sinks: the events (src/report/trajectory-events.ts, the on-disk contract) appended to
// tasks/<cell>/<id>/trajectory.jsonl, or kept in memory for tests.

import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import path from "node:path";
import type { TrajectoryEvent } from "../report/trajectory-events.js";

export type * from "../report/trajectory-events.js";

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
