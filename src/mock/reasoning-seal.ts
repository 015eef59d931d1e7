// The mock's "encrypted" reasoning on the Responses wire: a sealed, checkable token holding a reasoning item's id and
// summary, shaped like the real service's Fernet tokens; written into answers, verified when a client sends it back.

import { createHash } from "node:crypto";
import { isObject } from "./wire.js";

/** Prefix of Fernet tokens, which is what the real service's encrypted_content looks like. */
const SEALED_PREFIX = "gAAAAAB";

/** The mock's "encrypted" reasoning: a sealed, checkable token holding the item id and its summary. */
export function sealReasoning(id: string, summary: string): string {
  const payload = Buffer.from(JSON.stringify({ id, summary })).toString("base64url");
  const mac = createHash("sha256").update(`bench-mock:${payload}`).digest("base64url").slice(0, 16);
  return `${SEALED_PREFIX}${payload}.${mac}`;
}

/** The item id and summary a sealed token holds; undefined when the token is not one of ours or was altered. */
export function unsealReasoning(token: string): { id: string; summary: string } | undefined {
  if (!token.startsWith(SEALED_PREFIX)) return undefined;
  const [payload = "", mac] = token.slice(SEALED_PREFIX.length).split(".");
  if (createHash("sha256").update(`bench-mock:${payload}`).digest("base64url").slice(0, 16) !== mac) return undefined;
  try {
    const value = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown;
    if (isObject(value) && typeof value["id"] === "string" && typeof value["summary"] === "string") {
      return { id: value["id"], summary: value["summary"] };
    }
  } catch {
    // Falls through: not ours.
  }
  return undefined;
}
