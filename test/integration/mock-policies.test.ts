// Each mock policy driven end to end by a tiny agent loop over the real openai SDK, with the tools run
// for real against a temporary git repository standing in for /testbed.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import OpenAI from "openai";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Task } from "../../src/datasets/types.js";
import { startMockServer, type MockServer } from "../../src/mock/index.js";

const BUGGY = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n";
const FIXED = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n";

const GOLD_PATCH = `diff --git a/calc/ops.py b/calc/ops.py
index 1111111..2222222 100644
--- a/calc/ops.py
+++ b/calc/ops.py
@@ -1,5 +1,5 @@
 def add(a, b):
-    return a - b
+    return a + b
 
 
 def mul(a, b):
`;

const TEST_PATCH = `diff --git a/tests/test_ops.py b/tests/test_ops.py
new file mode 100644
--- /dev/null
+++ b/tests/test_ops.py
@@ -0,0 +1,5 @@
+from calc.ops import add
+
+
+def test_add():
+    assert add(2, 3) == 5
`;

const TASK: Task = {
  instance_id: "calc__calc-1",
  repo: "bench/calc",
  problem_statement: "add() returns the difference of its arguments\ninstead of their sum.",
  patch: GOLD_PATCH,
  test_patch: TEST_PATCH,
  FAIL_TO_PASS: ["tests/test_ops.py::test_add"],
  PASS_TO_PASS: [],
  test_framework: "pytest",
};

const TOOLS: ChatCompletionTool[] = [
  {
    type: "function",
    function: { name: "bash", parameters: { type: "object", properties: { command: { type: "string" } }, required: ["command"] } },
  },
  {
    type: "function",
    function: {
      name: "str_replace_editor",
      parameters: {
        type: "object",
        properties: {
          command: { type: "string", enum: ["view", "create", "str_replace", "insert", "undo_edit"] },
          path: { type: "string" },
          file_text: { type: "string" },
          old_str: { type: "string" },
          new_str: { type: "string" },
          insert_line: { type: "integer" },
          view_range: { type: "array", items: { type: "integer" } },
        },
        required: ["command", "path"],
      },
    },
  },
  {
    type: "function",
    function: { name: "finish", parameters: { type: "object", properties: { message: { type: "string" } }, required: ["message"] } },
  },
];

const CONTINUE = "Please continue working on the task. Use the finish tool when you are done. DO NOT ask for human help.";

/** A workspace on the host: /testbed and /tmp/bench_fix.patch are mapped into a temporary folder. */
class Workspace {
  readonly root = mkdtempSync(join(tmpdir(), "bench-mock-"));
  readonly testbed = join(this.root, "testbed");

  constructor(opsContent: string) {
    mkdirSync(join(this.testbed, "calc"), { recursive: true });
    writeFileSync(join(this.testbed, "calc", "ops.py"), opsContent);
    writeFileSync(join(this.testbed, "calc", "__init__.py"), "");
    this.sh("git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm base");
  }

  map(text: string): string {
    return text.replace(/\/testbed|\/tmp\//g, (m) => (m === "/testbed" ? this.testbed : `${this.root}/`));
  }

  sh(command: string): { out: string; code: number } {
    const r = spawnSync("bash", ["-c", command], { cwd: this.testbed, encoding: "utf8" });
    return { out: `${r.stdout}${r.stderr}`, code: r.status ?? 1 };
  }

  /** Runs one tool call the way a harness would; returns the observation text. */
  execute(name: string, args: Record<string, unknown>): string {
    if (name === "bash") {
      const { out, code } = this.sh(this.map(String(args["command"])));
      return code === 0 ? out : `${out}\n[exit code: ${code}]`;
    }
    if (name === "str_replace_editor") {
      const path = this.map(String(args["path"]));
      switch (args["command"]) {
        case "view":
          if (statSync(path).isDirectory()) return readdirSync(path).join("\n");
          return readFileSync(path, "utf8")
            .split("\n")
            .map((l, i) => `${String(i + 1).padStart(6)}\t${l}`)
            .join("\n");
        case "create":
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, String(args["file_text"]));
          return `File created successfully at: ${String(args["path"])}`;
        case "insert": {
          const lines = readFileSync(path, "utf8").split("\n");
          lines.splice(Number(args["insert_line"]), 0, String(args["new_str"]));
          writeFileSync(path, lines.join("\n"));
          return `The file ${String(args["path"])} has been edited.`;
        }
        default:
          return `Error: unsupported command ${String(args["command"])}`;
      }
    }
    return `Error: unknown tool ${name}`;
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

interface Turn {
  text: string;
  tools: string[];
}

interface AgentRun {
  turns: Turn[];
  finished: boolean;
  finishMessage?: string;
  fakeUserReplies: number;
}

/** The smallest agent loop: call the model, run its tool calls, answer text with the fake user message. */
async function runAgent(
  client: OpenAI,
  model: string,
  ws: Workspace,
  options: { stream: boolean; maxTurns: number; firstUser?: string },
): Promise<AgentRun> {
  const messages: ChatCompletionMessageParam[] = [
    { role: "system", content: "You are a software engineer. The repository is at /testbed." },
    { role: "user", content: options.firstUser ?? `<issue>\n${TASK.problem_statement}\n</issue>\nFix the issue.` },
  ];
  const run: AgentRun = { turns: [], finished: false, fakeUserReplies: 0 };
  while (run.turns.length < options.maxTurns) {
    const completion = options.stream
      ? await client.chat.completions
          .stream({ model, messages, tools: TOOLS, stream_options: { include_usage: true } })
          .finalChatCompletion()
      : await client.chat.completions.create({ model, messages, tools: TOOLS });
    const message = completion.choices[0]!.message;
    const calls = (message.tool_calls ?? []).flatMap((c) => (c.type === "function" ? [c] : []));
    run.turns.push({ text: message.content ?? "", tools: calls.map((c) => c.function.name) });
    messages.push({ role: "assistant", content: message.content, ...(calls.length > 0 ? { tool_calls: calls } : {}) });
    if (calls.length === 0) {
      messages.push({ role: "user", content: CONTINUE });
      run.fakeUserReplies++;
      continue;
    }
    for (const call of calls) {
      const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
      if (call.function.name === "finish") {
        run.finished = true;
        run.finishMessage = String(args["message"]);
      }
      messages.push({
        role: "tool",
        tool_call_id: call.id,
        content: call.function.name === "finish" ? "Finished." : ws.execute(call.function.name, args),
      });
    }
    if (run.finished) break;
  }
  return run;
}

let server: MockServer;
let client: OpenAI;
let ws: Workspace;

beforeAll(async () => {
  server = await startMockServer({ tasks: [TASK] });
  client = new OpenAI({ apiKey: "test", baseURL: `${server.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => ws.dispose());

describe.each([{ stream: false }, { stream: true }])("policies (stream: $stream)", ({ stream }) => {
  beforeEach(() => {
    ws = new Workspace(BUGGY);
  });

  it("oracle: one text-only turn, two parallel looks, writes and applies the patch, checks, finishes", async () => {
    const run = await runAgent(client, "oracle", ws, { stream, maxTurns: 10 });
    expect(run.turns).toEqual([
      { text: "Let me look at the repository first.", tools: [] },
      { text: expect.any(String), tools: ["bash", "str_replace_editor"] },
      { text: "", tools: ["str_replace_editor", "bash"] },
      { text: "", tools: ["bash"] },
      { text: "", tools: ["finish"] },
    ]);
    expect(run.turns.filter((t) => t.tools.length === 0)).toHaveLength(1);
    expect(run.fakeUserReplies).toBe(1);
    expect(run.finished).toBe(true);
    expect(readFileSync(join(ws.testbed, "calc", "ops.py"), "utf8")).toBe(FIXED);
    expect(existsSync(join(ws.root, "bench_fix.patch"))).toBe(false);
    expect(ws.sh("git status --porcelain").out.trim()).toBe("M calc/ops.py");
    expect(server.requests.at(-1)).toMatchObject({ policy: "oracle", taskId: "calc__calc-1" });
  });

  it("oracle: still finishes when the patch does not apply", async () => {
    ws.dispose();
    ws = new Workspace("def add(x, y):\n    return x - y\n");
    const run = await runAgent(client, "mock/oracle", ws, { stream, maxTurns: 10 });
    expect(run.turns.map((t) => t.tools)).toEqual([[], ["bash", "str_replace_editor"], ["str_replace_editor", "bash"], ["finish"]]);
    expect(run.finishMessage).toMatch(/did not apply/);
  });

  it("wrong: makes a real edit that leaves the bug, then finishes", async () => {
    const run = await runAgent(client, "wrong", ws, { stream, maxTurns: 10 });
    expect(run.turns).toEqual([
      { text: expect.any(String), tools: ["str_replace_editor"] },
      { text: "", tools: ["finish"] },
    ]);
    const ops = readFileSync(join(ws.testbed, "calc", "ops.py"), "utf8");
    expect(ops).toBe(`# bench mock: reviewed this file\n${BUGGY}`);
    expect(ws.sh("git status --porcelain").out.trim()).toBe("M calc/ops.py");
  });

  it("lazy: one bash call per turn, forever", async () => {
    const run = await runAgent(client, "lazy", ws, { stream, maxTurns: 8 });
    expect(run.turns).toEqual(Array.from({ length: 8 }, () => ({ text: "", tools: ["bash"] })));
    expect(run.finished).toBe(false);
  });

  it("chatty: only talks; every turn gets the fake user reply", async () => {
    const run = await runAgent(client, "chatty", ws, { stream, maxTurns: 5 });
    expect(run.turns.every((t) => t.tools.length === 0 && t.text.length > 0)).toBe(true);
    expect(run.fakeUserReplies).toBe(5);
    expect(new Set(run.turns.map((t) => t.text)).size).toBe(5);
  });

  it("an unknown task: says so and finishes at once", async () => {
    const run = await runAgent(client, "oracle", ws, { stream, maxTurns: 5, firstUser: "Fix the flux capacitor." });
    expect(run.turns).toEqual([{ text: expect.stringMatching(/can't find the task/), tools: ["finish"] }]);
    expect(ws.sh("git status --porcelain").out.trim()).toBe("");
  });
});
