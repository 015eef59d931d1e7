#!/usr/bin/env node
// Entry point of the `bench` command. In a source checkout it first installs dependencies and
// compiles src/ when dist/ is missing or older than the sources, so a fresh clone runs with one command.
import { execSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const entry = path.join(root, "dist", "cli", "main.js");
const say = (line) => process.stderr.write(`bench: ${line}\n`);

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

if (existsSync(path.join(root, "src"))) {
  if (!existsSync(path.join(root, "node_modules", ".package-lock.json"))) {
    say("installing dependencies (first use)…");
    execSync("npm ci --no-audit --no-fund --loglevel=error", { cwd: root, stdio: ["ignore", 2, 2] });
  }
  const stale = !existsSync(entry) || newestMtime(path.join(root, "src")) > statSync(entry).mtimeMs;
  if (stale) {
    say("compiling TypeScript (first use or sources changed)…");
    execSync("npm run --silent build", { cwd: root, stdio: ["ignore", 2, 2] });
  }
}
await import(pathToFileURL(entry).href);
