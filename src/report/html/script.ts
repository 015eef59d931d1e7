// The page's one inline script: every function story.ts and client.ts export (their compiled text) and a call of
// viewerMain, with the CSP source that lets exactly that script run. Deterministic for a given build.

import { createHash } from "node:crypto";
import * as client from "./client.js";
import * as story from "./story.js";

let cached: { text: string; hash: string } | undefined;

/** The script text and its CSP source ('sha256-…'). */
export function pageScript(): { text: string; hash: string } {
  if (cached) return cached;
  // Namespace objects list their exports in name order: the same text every time.
  const functions = [...Object.values(story), ...Object.values(client)].filter(
    (f): f is (...args: never[]) => unknown => typeof f === "function",
  );
  const text = `\n"use strict";\n${functions.map((f) => f.toString()).join("\n")}\nviewerMain();\n`;
  cached = { text, hash: `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'` };
  return cached;
}
