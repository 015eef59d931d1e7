#!/usr/bin/env node
// Import-graph check (`npm run check:imports [-- <src-dir>]`): the graph between src/ folders made by every
// relative import (static, `export … from`, `import type`, dynamic `import()`), printed with edge counts and as a
// layered text rendering for AGENTS.md; exit 1 when folders import each other in a cycle, or an import points up the
// declared ORDER (cli → runner → config → …), naming the file:line imports. Plain Node, no dependency, so it runs before anything is installed or compiled.
// Files directly in src/ (errors.ts, gate.ts) are folder ".".
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// `import … from "./x.js"`, `import "./x.js"`, `export … from "./x.js"` (possibly over several lines), and `import("./x.js")`.
const STATIC = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["'](\.{1,2}\/[^"']+)["']/g;
const DYNAMIC = /\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

/** Every .ts file below dir (sorted, so the output is stable). */
function tsFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(full));
    else if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

/** Blank out comments (keeping line breaks and string contents) so an import named in a comment is not one. */
function withoutComments(text) {
  let out = "";
  let i = 0;
  let quote = null;
  while (i < text.length) {
    const c = text[i];
    if (quote) {
      out += c;
      if (c === "\\") {
        out += text[i + 1] ?? "";
        i += 2;
        continue;
      }
      if (c === quote) quote = null;
      i++;
    } else if (c === '"' || c === "'" || c === "`") {
      quote = c;
      out += c;
      i++;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") {
        out += " ";
        i++;
      }
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (; i < stop; i++) out += text[i] === "\n" ? "\n" : " ";
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The folder of a file below srcDir: "." for files directly in it, else its first path segment. */
function folderOf(srcDir, file) {
  const rel = path.relative(srcDir, file).split(path.sep);
  return rel.length === 1 ? "." : rel[0];
}

/** Every relative import of every file below srcDir: {from, to, file, line} with from/to folders. */
export function readImports(srcDir) {
  const imports = [];
  for (const file of tsFiles(srcDir)) {
    const text = withoutComments(readFileSync(file, "utf8"));
    for (const re of [STATIC, DYNAMIC]) {
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        const target = path.resolve(path.dirname(file), m[1]);
        if (path.relative(srcDir, target).startsWith("..")) continue; // outside src/
        const at = m.index + m[0].lastIndexOf(m[1]);
        const line = text.slice(0, at).split("\n").length;
        imports.push({ from: folderOf(srcDir, file), to: folderOf(srcDir, target), file: path.relative(srcDir, file), line, spec: m[1] });
      }
    }
  }
  return imports;
}

/** Folder graph: Map from → Map to → imports (edges inside one folder are left out). */
export function folderGraph(imports) {
  const graph = new Map();
  for (const imp of imports) {
    if (!graph.has(imp.from)) graph.set(imp.from, new Map());
    if (!graph.has(imp.to)) graph.set(imp.to, new Map());
    if (imp.from === imp.to) continue;
    const edges = graph.get(imp.from);
    if (!edges.has(imp.to)) edges.set(imp.to, []);
    edges.get(imp.to).push(imp);
  }
  return graph;
}

/** Strongly connected components with more than one folder (Tarjan). */
function cyclicComponents(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v).keys()) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** The shortest cycle through start inside comp (breadth-first), as a list of folders ending where it began. */
function cycleThrough(graph, comp, start) {
  const inComp = new Set(comp);
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of [...graph.get(v).keys()].sort()) {
      if (!inComp.has(w)) continue;
      if (w === start) {
        const pathBack = [v];
        for (let p = prev.get(v); p !== null; p = prev.get(p)) pathBack.push(p);
        return [...pathBack.reverse(), start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

/** Every cycle to report: for each cyclic component, the shortest cycle through each of its folders, deduplicated. */
export function findCycles(graph) {
  const cycles = [];
  const seen = new Set();
  for (const comp of cyclicComponents(graph)) {
    for (const start of comp) {
      const cycle = cycleThrough(graph, comp, start);
      // The same cycle read from another folder: rotate it to start at its smallest folder.
      const ring = cycle.slice(0, -1);
      const m = ring.indexOf([...ring].sort()[0]);
      const key = [...ring.slice(m), ...ring.slice(0, m)].join(" → ");
      if (seen.has(key)) continue;
      seen.add(key);
      cycles.push(cycle);
    }
  }
  return cycles;
}

/** Layers: a folder sits one above the highest folder it imports (cycles are collapsed into one layer). */
export function layers(graph) {
  const depth = new Map();
  const visiting = new Set();
  const d = (v) => {
    if (depth.has(v)) return depth.get(v);
    if (visiting.has(v)) return 0; // a cycle: do not loop
    visiting.add(v);
    let best = 0;
    for (const w of graph.get(v).keys()) best = Math.max(best, d(w) + 1);
    visiting.delete(v);
    depth.set(v, best);
    return best;
  };
  for (const v of graph.keys()) d(v);
  const byDepth = [];
  for (const [v, k] of depth) {
    if (byDepth[k] === undefined) byDepth[k] = [];
    byDepth[k].push(v);
  }
  return Array.from(byDepth, (vs) => (vs ?? []).sort())
    .filter((vs) => vs.length > 0)
    .reverse();
}

/**
 * The intended direction, top to bottom: a folder imports only from its own group or groups below it. A folder not
 * listed here is a failure too (place it, on purpose, before it grows edges).
 */
export const ORDER = [
  ["cli"],
  ["runner"],
  ["config"],
  ["agent", "grading", "mock"],
  ["models", "sandbox", "datasets"],
  ["report"],
  [".", "util"],
];

/** Imports that point up the declared ORDER, and folders ORDER does not place. */
export function backwardImports(graph, order = ORDER) {
  const rank = new Map(order.flatMap((group, i) => group.map((name) => [name, i])));
  const unplaced = [...graph.keys()].filter((f) => !rank.has(f)).sort();
  const backward = [];
  for (const [from, edges] of graph) {
    for (const [to, imps] of edges) {
      if (rank.has(from) && rank.has(to) && rank.get(to) < rank.get(from)) backward.push(...imps);
    }
  }
  return { unplaced, backward: backward.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line) };
}

export function report(srcDir) {
  const imports = readImports(srcDir);
  const graph = folderGraph(imports);
  const lines = [];
  lines.push(`import graph between folders of ${srcDir} (${imports.length} relative imports; from → to (count)):`);
  for (const from of [...graph.keys()].sort()) {
    const edges = [...graph.get(from)].sort(([a], [b]) => a.localeCompare(b)).map(([to, imps]) => `${to} (${imps.length})`);
    lines.push(`  ${from.padEnd(9)} → ${edges.length > 0 ? edges.join(", ") : "(nothing)"}`);
  }
  lines.push("", "layers, top imports below (for AGENTS.md):");
  for (const layer of layers(graph)) lines.push(`  ${layer.join(", ")}`);
  const cycles = findCycles(graph);
  if (cycles.length > 0) {
    lines.push("", `${cycles.length} cycle(s) between folders:`);
    for (const cycle of cycles) {
      lines.push(`  ${cycle.join(" → ")}`);
      for (let i = 0; i + 1 < cycle.length; i++) {
        for (const imp of graph.get(cycle[i]).get(cycle[i + 1])) lines.push(`    ${imp.file}:${imp.line} imports ${imp.spec}`);
      }
    }
  } else {
    lines.push("", "no cycle between folders");
  }
  const { unplaced, backward } = backwardImports(graph);
  lines.push("", `declared order (a folder imports its own group or those below): ${ORDER.map((g) => g.join(", ")).join(" → ")}`);
  for (const folder of unplaced) lines.push(`  ${folder}: not in the declared order (scripts/check-imports.mjs ORDER)`);
  for (const imp of backward) lines.push(`  ${imp.file}:${imp.line} imports ${imp.spec}: ${imp.from} → ${imp.to} points up the order`);
  if (unplaced.length === 0 && backward.length === 0) lines.push("  every import follows it");
  return { text: lines.join("\n"), cycles, graph, failed: cycles.length > 0 || unplaced.length > 0 || backward.length > 0 };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const srcDir = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "src"));
  const { text, failed } = report(srcDir);
  console.log(text);
  process.exitCode = failed ? 1 : 0;
}
