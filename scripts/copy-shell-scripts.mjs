// Build step after tsc: copies src/sandbox/scripts/*.sh to dist/sandbox/scripts/, where the compiled
// src/sandbox/shell-scripts.ts looks for them (the same relative place as in src/, so vitest and the CLI agree).
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const from = path.join(root, "src", "sandbox", "scripts");
const to = path.join(root, "dist", "sandbox", "scripts");
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) if (name.endsWith(".sh")) copyFileSync(path.join(from, name), path.join(to, name));
