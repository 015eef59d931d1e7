import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { parseResults, readResults, ResultsStore, RESULTS_FILE, writeFileAtomic, writeJsonAtomic } from "../../src/report/store.js";
import { makeResult } from "./report-fixtures.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bench-report-store-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("parseResults", () => {
  it("loads whole valid lines and reports the others by line number", () => {
    const good = JSON.stringify(makeResult({ instance_id: "ok" }));
    const text = [good, "", "{not json", JSON.stringify({ cell: "c" }), good, '{"run_id":"torn'].join("\n");
    const { results, skipped } = parseResults(text);
    expect(results.map((r) => r.instance_id)).toEqual(["ok", "ok"]);
    expect(skipped.map((s) => s.line)).toEqual([3, 4, 6]);
    expect(skipped[0]?.reason).toMatch(/^invalid JSON: /);
    expect(skipped[1]?.reason).toMatch(/^not a TaskResult: /);
    expect(skipped[2]).toEqual({ line: 6, reason: "incomplete last line (no trailing newline)" });
  });

  it("treats a last line without newline as torn even when it parses", () => {
    const line = JSON.stringify(makeResult());
    expect(parseResults(`${line}\n${line}`)).toEqual({
      results: [makeResult()],
      skipped: [{ line: 2, reason: "incomplete last line (no trailing newline)" }],
    });
  });

  it("names the field that is wrong", () => {
    const bad = { ...makeResult(), status: "maybe" };
    const { skipped } = parseResults(`${JSON.stringify(bad)}\n`);
    expect(skipped[0]?.reason).toMatch(/^not a TaskResult: status: /);
  });

  it("keeps unknown fields", () => {
    const line = JSON.stringify({ ...makeResult(), future_field: 1 });
    expect(parseResults(`${line}\n`).results[0]).toEqual({ ...makeResult(), future_field: 1 });
  });

  it("an empty file holds nothing", () => {
    expect(parseResults("")).toEqual({ results: [], skipped: [] });
  });
});

describe("ResultsStore", () => {
  it("appends whole lines that read back", async () => {
    const store = new ResultsStore(dir);
    await store.append(makeResult({ instance_id: "t1" }));
    await store.append(makeResult({ instance_id: "t2" }));
    const text = await readFile(join(dir, RESULTS_FILE), "utf8");
    expect(text).toBe(`${JSON.stringify(makeResult({ instance_id: "t1" }))}\n${JSON.stringify(makeResult({ instance_id: "t2" }))}\n`);
    expect(await store.read()).toEqual({
      results: [makeResult({ instance_id: "t1" }), makeResult({ instance_id: "t2" })],
      skipped: [],
    });
  });

  it("reads nothing before the first append", async () => {
    expect(await new ResultsStore(join(dir, "new-run")).read()).toEqual({ results: [], skipped: [] });
  });

  it("never interleaves 100 concurrent appends, and keeps their order", async () => {
    const store = new ResultsStore(dir);
    // Long error messages make each line several KiB, so a torn write would show.
    const message = "x".repeat(5000);
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.append(makeResult({ instance_id: `t${i}`, error_message: message }))));
    const text = await readFile(store.file, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    expect(text.split("\n")).toHaveLength(101);
    const { results, skipped } = await readResults(store.file);
    expect(skipped).toEqual([]);
    // Serialised: the lines are in call order.
    expect(results.map((r) => r.instance_id)).toEqual(Array.from({ length: 100 }, (_, i) => `t${i}`));
  });

  it("skips a torn last line on read, and keeps the next append whole", async () => {
    const file = join(dir, RESULTS_FILE);
    const whole = JSON.stringify(makeResult({ instance_id: "t1" }));
    const torn = JSON.stringify(makeResult({ instance_id: "t2" })).slice(0, 40);
    await writeFile(file, `${whole}\n${torn}`);
    expect(await readResults(file)).toEqual({
      results: [makeResult({ instance_id: "t1" })],
      skipped: [{ line: 2, reason: "incomplete last line (no trailing newline)" }],
    });

    const store = new ResultsStore(dir);
    await store.append(makeResult({ instance_id: "t2", attempt: 2 }));
    const { results, skipped } = await store.read();
    expect(results).toEqual([makeResult({ instance_id: "t1" }), makeResult({ instance_id: "t2", attempt: 2 })]);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]?.line).toBe(2);
    expect(skipped[0]?.reason).toMatch(/^invalid JSON: /);
  });

  it("refuses an invalid result without writing, and keeps working after", async () => {
    const store = new ResultsStore(dir);
    await expect(store.append(makeResult({ wall_s: Number.NaN }))).rejects.toThrow(
      /refusing to append an invalid TaskResult \(mock\/oracle task-1\): wall_s: /,
    );
    await store.append(makeResult());
    expect(await store.read()).toEqual({ results: [makeResult()], skipped: [] });
  });

  it("a failed write does not block the appends queued after it", async () => {
    const store = new ResultsStore(join(dir, "missing-parent", "run"));
    await writeFile(join(dir, "missing-parent"), "a file where a directory should be");
    const failing = store.append(makeResult({ instance_id: "t1" }));
    const next = store.append(makeResult({ instance_id: "t2" }));
    await expect(failing).rejects.toThrow();
    await expect(next).rejects.toThrow(); // fails on its own, not stuck behind the first
  });

  it("readResults throws when the file is missing", async () => {
    await expect(readResults(join(dir, "nope.jsonl"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("writeFileAtomic / writeJsonAtomic", () => {
  it("writes and replaces a file, leaving no temporary file", async () => {
    const path = join(dir, "out.txt");
    await writeFileAtomic(path, "first");
    await writeFileAtomic(path, "second\n");
    expect(await readFile(path, "utf8")).toBe("second\n");
    await writeFileAtomic(path, new Uint8Array([104, 105]));
    expect(await readFile(path, "utf8")).toBe("hi");
    expect(await readdir(dir)).toEqual(["out.txt"]);
  });

  it("removes its temporary file when the rename fails", async () => {
    const path = join(dir, "target");
    await mkdir(join(path, "sub"), { recursive: true }); // a file cannot replace a non-empty directory
    await expect(writeFileAtomic(path, "new")).rejects.toThrow();
    expect(await readdir(dir)).toEqual(["target"]);
    expect(await readdir(path)).toEqual(["sub"]);
  });

  it("writeJsonAtomic writes indented JSON with a final newline", async () => {
    const path = join(dir, "x.json");
    await writeJsonAtomic(path, { a: 1, b: [true, null] });
    expect(await readFile(path, "utf8")).toBe('{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ]\n}\n');
  });
});
