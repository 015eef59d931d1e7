// One image pull's response as the engine streams it: JSON progress lines counted into downloaded bytes per layer,
// throttled progress lines, a stall deadline, and failures carried out with what their classification needs.

import { performance } from "node:perf_hooks";
import { getOrInsert } from "../util/maps.js";
import { LineSplitter } from "./streams.js";

export interface ProgressEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/** Layer states in the engine's pull events (ids of other events are tags or digests, not layers). */
const LAYER_STATUSES = new Set([
  "Pulling fs layer",
  "Waiting",
  "Downloading",
  "Verifying Checksum",
  "Download complete",
  "Extracting",
  "Pull complete",
]);

export interface AttemptFailure {
  message: string;
  statusCode?: number | undefined;
  /** The engine itself did not answer (not the registry): retrying the registry cannot help. */
  engine: boolean;
  cause: unknown;
}

/** Carries one attempt's failure out of #pullOnce with what classification needs. */
export class PullFailure extends Error {
  readonly failure: AttemptFailure;
  constructor(failure: AttemptFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

/** Decimal units as `docker images` prints them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Per-layer download progress, from the engine's layer events. */
class LayerTally {
  readonly #layers = new Map<string, { current: number; total: number; complete: boolean }>();

  get size(): number {
    return this.#layers.size;
  }

  count(event: ProgressEvent): void {
    const status = event.status ?? "";
    if (event.id === undefined || !LAYER_STATUSES.has(status)) return;
    const layer = getOrInsert(this.#layers, event.id, () => ({ current: 0, total: 0, complete: false }));
    if (status === "Downloading") {
      layer.current = event.progressDetail?.current ?? layer.current;
      layer.total = event.progressDetail?.total ?? layer.total;
    } else if (status === "Download complete" || status === "Extracting" || status === "Pull complete") {
      layer.complete = true;
      layer.current = layer.total;
    }
  }

  totals(): { done: number; total: number; complete: number } {
    let done = 0;
    let total = 0;
    let complete = 0;
    for (const layer of this.#layers.values()) {
      done += layer.complete ? layer.total : layer.current;
      total += layer.total;
      if (layer.complete) complete++;
    }
    return { done, total, complete };
  }
}

export interface PullStreamOptions {
  /** Names the image in progress lines. */
  image: string;
  /** No progress event for this long abandons the attempt (a PullFailure, retried by the caller). */
  stallTimeoutMs: number;
  /** At most one progress line this often. */
  progressIntervalMs: number;
  onProgress: (line: string) => void;
}

/** Reads a pull response to its end; resolves with the downloaded bytes, rejects with a PullFailure (a stream `error` event included). */
export function readPullStream(stream: NodeJS.ReadableStream, options: PullStreamOptions): Promise<number> {
  const layers = new LayerTally();
  let lastLine = performance.now();
  return new Promise<number>((resolve, reject) => {
    let streamError: string | undefined;
    let settled = false;
    let stall: NodeJS.Timeout | undefined;
    const finish = (err?: PullFailure) => {
      if (settled) return;
      settled = true;
      clearTimeout(stall);
      if (err !== undefined) reject(err);
      else if (streamError !== undefined) reject(new PullFailure({ message: streamError, engine: false, cause: undefined }));
      else resolve(layers.totals().done);
    };
    const armStall = () => {
      clearTimeout(stall);
      stall = setTimeout(() => {
        finish(
          new PullFailure({
            message: `no progress for ${Math.round(options.stallTimeoutMs / 1000)}s (timeout)`,
            engine: false,
            cause: undefined,
          }),
        );
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      }, options.stallTimeoutMs);
      stall.unref?.();
    };
    const onEvent = (event: ProgressEvent) => {
      // Errors met mid-pull arrive as an event in a 200 response, not as a rejected request.
      if (event.error !== undefined || event.errorDetail !== undefined) {
        streamError ??= event.errorDetail?.message ?? event.error ?? "unknown error";
        return;
      }
      layers.count(event);
      const now = performance.now();
      if (now - lastLine >= options.progressIntervalMs && layers.size > 0) {
        lastLine = now;
        const { done, total, complete } = layers.totals();
        options.onProgress(`pulling ${options.image}: ${formatBytes(done)} / ${formatBytes(total)}, ${complete}/${layers.size} layers`);
      }
    };
    const onLine = (line: string) => {
      if (line.trim() === "") return;
      let event: ProgressEvent;
      try {
        event = JSON.parse(line) as ProgressEvent;
      } catch {
        return; // not one of the engine's JSON lines: nothing to count
      }
      onEvent(event);
    };
    armStall();
    const lines = new LineSplitter(onLine);
    stream.on("data", (chunk: Buffer | string) => {
      armStall();
      lines.push(chunk);
    });
    stream.on("end", () => {
      lines.end();
      finish();
    });
    stream.on("error", (err: Error) => finish(new PullFailure({ message: err.message, engine: false, cause: err })));
    // Closed without an end: the engine dropped the response mid-pull.
    stream.on("close", () => {
      finish(new PullFailure({ message: "the engine closed the pull stream early (connection reset)", engine: false, cause: undefined }));
    });
  });
}
