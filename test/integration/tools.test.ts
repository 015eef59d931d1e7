// The agent's tools against a real Docker workspace.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type BashTool, type EditorTool, FinishTool, defaultTools } from "../../src/agent/tools.js";
import type { Sandbox } from "../../src/sandbox/types.js";
import { MINI_TASK, provider, sandboxImage } from "./helpers.js";

let sandbox: Sandbox;
let bash: BashTool;
let editor: EditorTool;
const textOf = (out: { content: { type: string; text?: string }[] }) => out.content.map((p) => p.text ?? "").join("");

beforeAll(async () => {
  sandbox = await provider(`test-tools-${process.pid}`).create({
    image: sandboxImage(),
    labels: { "bench.task-id": "tools" },
    repoDir: MINI_TASK.repoDir!,
  });
});
afterAll(async () => {
  await sandbox?.remove();
});
// One workspace for the file, reset before every test: the repository as committed, and tools of the test's own
// (a new shell in /testbed, no edit history).
beforeEach(async () => {
  expect(await sandbox.exec("git checkout -q -- . && git clean -fdxq && git status --porcelain")).toMatchObject({
    exitCode: 0,
    stdout: "",
  });
  const tools = defaultTools(sandbox, { commandTimeoutSec: 5 });
  bash = tools[0] as BashTool;
  editor = tools[1] as EditorTool;
});

describe("bash tool", () => {
  it("keeps the working directory between calls and reports exit codes and stderr", async () => {
    expect(textOf(await bash.execute({ command: "cd calc && pwd" }))).toBe("/testbed/calc\n[exit code: 0]");
    expect(bash.cwd).toBe("/testbed/calc");
    expect(textOf(await bash.execute({ command: "ls" }))).toBe("__init__.py\nops.py\n[exit code: 0]");
    const failed = await bash.execute({ command: "echo out; echo err >&2; exit 3" });
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toBe("out\n[stderr]\nerr\n[exit code: 3]");
    expect(bash.cwd).toBe("/testbed/calc");
  });

  it("kills a command past its timeout and keeps working", async () => {
    const started = Date.now();
    const out = await bash.execute({ command: "sleep 60" });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(textOf(out)).toContain("[command timed out after 5 s and was killed]");
    expect(textOf(await bash.execute({ command: "echo alive" }))).toContain("alive");
  });

  it("rejects a missing command", async () => {
    expect(await bash.execute({})).toEqual({
      content: [{ type: "text", text: "Error: `command` must be a non-empty string." }],
      isError: true,
    });
  });
});

describe("str_replace_editor", () => {
  it("views a file with line numbers, a range, and a directory", async () => {
    const view = textOf(await editor.execute({ command: "view", path: "/testbed/calc/ops.py", view_range: [1, 2] }));
    expect(view).toBe(
      'Here\'s the result of running `cat -n` on /testbed/calc/ops.py:\n     1\tdef clamp(value, low, high):\n     2\t    """Limit value to the closed range [low, high]."""\n',
    );
    const dir = textOf(await editor.execute({ command: "view", path: "/testbed" }));
    expect(dir).toContain("/testbed/calc/ops.py");
    expect(dir).not.toContain(".git");
    const bad = await editor.execute({ command: "view", path: "/testbed/calc/ops.py", view_range: [5, 99] });
    expect(bad.isError).toBe(true);
  });

  it("refuses a non-unique or absent old_str and leaves the file untouched", async () => {
    const before = (await sandbox.readFile("/testbed/calc/ops.py")).toString();
    const twice = await editor.execute({
      command: "str_replace",
      path: "/testbed/calc/ops.py",
      old_str: "return low",
      new_str: "return high",
    });
    expect(twice.isError).toBe(true);
    expect(textOf(twice)).toBe(
      "Error: no replacement was performed: old_str occurs 2 times in /testbed/calc/ops.py (lines 4, 6). Include more context to make it unique.",
    );
    const absent = await editor.execute({ command: "str_replace", path: "/testbed/calc/ops.py", old_str: "nope", new_str: "x" });
    expect(textOf(absent)).toBe("Error: no replacement was performed: old_str did not appear verbatim in /testbed/calc/ops.py.");
    expect((await sandbox.readFile("/testbed/calc/ops.py")).toString()).toBe(before);
  });

  it("replaces a unique match, inserts, and undoes edits in order", async () => {
    const original = (await sandbox.readFile("/testbed/calc/ops.py")).toString();
    const r = await editor.execute({
      command: "str_replace",
      path: "/testbed/calc/ops.py",
      old_str: "    if value > high:\n        return low",
      new_str: "    if value > high:\n        return high",
    });
    expect(r.isError).toBe(false);
    const fixed = (await sandbox.readFile("/testbed/calc/ops.py")).toString();
    expect(fixed).toBe(original.replace("    if value > high:\n        return low", "    if value > high:\n        return high"));
    await editor.execute({ command: "insert", path: "/testbed/calc/ops.py", insert_line: 0, new_str: "# header" });
    expect((await sandbox.readFile("/testbed/calc/ops.py")).toString()).toBe(`# header\n${fixed}`);
    await editor.execute({ command: "undo_edit", path: "/testbed/calc/ops.py" });
    expect((await sandbox.readFile("/testbed/calc/ops.py")).toString()).toBe(fixed);
    await editor.execute({ command: "undo_edit", path: "/testbed/calc/ops.py" });
    expect((await sandbox.readFile("/testbed/calc/ops.py")).toString()).toBe(original);
    expect(textOf(await editor.execute({ command: "undo_edit", path: "/testbed/calc/ops.py" }))).toBe(
      "Error: no edit to undo for /testbed/calc/ops.py.",
    );
  });

  it("creates new files (not over existing ones), and undo of a create removes it", async () => {
    expect(textOf(await editor.execute({ command: "create", path: "/testbed/new dir/notes.txt", file_text: "hello\n" }))).toBe(
      "File created successfully at: /testbed/new dir/notes.txt",
    );
    expect((await sandbox.readFile("/testbed/new dir/notes.txt")).toString()).toBe("hello\n");
    const again = await editor.execute({ command: "create", path: "/testbed/new dir/notes.txt", file_text: "x" });
    expect(again.isError).toBe(true);
    await editor.execute({ command: "undo_edit", path: "/testbed/new dir/notes.txt" });
    expect(textOf(await editor.execute({ command: "view", path: "/testbed/new dir/notes.txt" }))).toBe(
      "Error: the path /testbed/new dir/notes.txt does not exist.",
    );
  });

  it("answers bad arguments with an error observation", async () => {
    expect((await editor.execute({ command: "view", path: "relative.py" })).isError).toBe(true);
    expect(textOf(await editor.execute({ command: "explode", path: "/testbed/x" }))).toMatch(/unknown command "explode"/);
    expect(textOf(await editor.execute({ command: "str_replace", path: "/testbed/missing.py", old_str: "a" }))).toBe(
      "Error: the file /testbed/missing.py does not exist.",
    );
    expect(textOf(await editor.execute({ command: "insert", path: "/testbed/calc/ops.py", insert_line: 999, new_str: "x" }))).toMatch(
      /invalid insert_line 999/,
    );
  });
});

describe("finish tool", () => {
  it("marks the session finished with the message", async () => {
    expect(await new FinishTool().execute({ message: "fixed clamp" })).toEqual({
      content: [{ type: "text", text: "Task marked as finished." }],
      isError: false,
      finished: { message: "fixed clamp" },
    });
  });
});
