// The tools' contract: a Tool is a name, a JSON schema and an execute() returning a ToolOutput; the options defaultTools
// resolves for them; the observation helpers they share (a text observation, an over-long one cut in the middle).

import type { ContentPart, ToolSpec } from "../models/types.js";

export interface ToolOutput {
  content: ContentPart[];
  isError: boolean;
  /** Set by `finish`: the loop ends after this round of tool calls. */
  finished?: { message: string };
}

export interface Tool {
  spec: ToolSpec;
  execute(args: Record<string, unknown>): Promise<ToolOutput>;
}

export interface ToolOptions {
  /** Per-command timeout of the bash tool, seconds. @default 120 */
  commandTimeoutSec?: number;
  /** Cap on one observation's characters; the middle is cut. @default 30_000 */
  maxObservationChars?: number;
  /** The editor's `view` of an image file returns the image; false: a text note instead (--no-vision). @default true */
  vision?: boolean;
}

/** A text observation. */
export const textOutput = (t: string, isError = false): ToolOutput => ({ content: [{ type: "text", text: t }], isError });

/** Keeps head and tail of an over-long observation and says how much was cut. */
export function truncateMiddle(value: string, max: number): string {
  if (value.length <= max) return value;
  const half = Math.floor(max / 2);
  const cut = value.length - 2 * half;
  return `${value.slice(0, half)}\n[... ${cut} characters truncated ...]\n${value.slice(value.length - half)}`;
}
