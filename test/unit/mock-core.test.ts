// The mock server's pure parts: task lookup, patch parsing, policies, token estimates, reply capping, fault plans.

import { describe, expect, it } from "vitest";
import type { Task } from "../../src/datasets/types.js";
import type { Message } from "../../src/models/types.js";
import { capReply, respond } from "../../src/mock/engine.js";
import { FaultPlan, faults, httpFaultError } from "../../src/mock/faults.js";
import { splitArguments, splitText } from "../../src/mock/deltas.js";
import { toNeutralMessages } from "../../src/mock/openai-chat-request.js";
import { findTask, isTestPath, lazy, oracle, patchApplyFailed, patchedFiles, wrong, chatty } from "../../src/mock/policies.js";
import { resolvePolicyName } from "../../src/mock/policy-names.js";
import { estimatePromptUsage } from "../../src/mock/tokens.js";
import type { MockConversation } from "../../src/mock/wire.js";

function task(id: string, statement: string, patch = ""): Task {
  return {
    instance_id: id,
    repo: "r",
    problem_statement: statement,
    patch,
    test_patch: "",
    FAIL_TO_PASS: [],
    PASS_TO_PASS: [],
    test_framework: "pytest",
  };
}

const user = (text: string): Message => ({ role: "user", content: [{ type: "text", text }] });
const assistant = (text: string, toolCalls: { id: string; name: string; arguments: string }[] = []): Message => ({
  role: "assistant",
  text,
  toolCalls,
});
const toolResult = (id: string, text: string, isError = false): Message => ({
  role: "tool",
  toolCallId: id,
  toolName: "bash",
  content: [{ type: "text", text }],
  isError,
});

const PATCH = `diff --git a/src/lib.py b/src/lib.py
--- a/src/lib.py
+++ b/src/lib.py
@@ -1,3 +1,3 @@
--- this removed line starts with three dashes
+++ and this added one with three pluses
 x = 1
diff --git a/tests/test_lib.py b/tests/test_lib.py
--- a/tests/test_lib.py
+++ b/tests/test_lib.py
@@ -1 +1 @@
-a
+b
diff --git a/docs/new.md b/docs/new.md
new file mode 100644
--- /dev/null
+++ b/docs/new.md
@@ -0,0 +1 @@
+hello
diff --git a/old.txt b/old.txt
deleted file mode 100644
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
`;

describe("findTask", () => {
  const tasks = [task("a", "The parser fails on empty input."), task("b", "The parser fails on empty input. It also crashes on tabs.")];

  it("finds the task whose statement occurs in the first user message, longest match first", () => {
    expect(findTask(tasks, [user("Issue:\nThe parser fails on empty input.\nPlease fix.")])?.instance_id).toBe("a");
    expect(findTask(tasks, [user("Issue: The parser fails on empty input. It also crashes on tabs.")])?.instance_id).toBe("b");
  });

  it("tolerates re-wrapped whitespace and looks only at the first user message", () => {
    expect(findTask(tasks, [user("The parser   fails\non empty\tinput.")])?.instance_id).toBe("a");
    expect(findTask(tasks, [user("hello"), user("The parser fails on empty input.")])).toBeUndefined();
    expect(findTask([task("empty", "  ")], [user("anything")])).toBeUndefined();
  });
});

describe("patchedFiles", () => {
  it("lists files in order with new/deleted flags, ignoring hunk lines that look like headers", () => {
    expect(patchedFiles(PATCH)).toEqual([
      { path: "src/lib.py", isNew: false, isDeleted: false },
      { path: "tests/test_lib.py", isNew: false, isDeleted: false },
      { path: "docs/new.md", isNew: true, isDeleted: false },
      { path: "old.txt", isNew: false, isDeleted: true },
    ]);
  });

  it("reads plain (non-git) diffs", () => {
    const plain = "--- a/x.py\t2024-01-01\n+++ b/x.py\t2024-01-01\n@@ -1 +1 @@\n-a\n+b\n--- /dev/null\n+++ b/y.py\n@@ -0,0 +1 @@\n+c\n";
    expect(patchedFiles(plain)).toEqual([
      { path: "x.py", isNew: false, isDeleted: false },
      { path: "y.py", isNew: true, isDeleted: false },
    ]);
  });

  it("tells test files from source files", () => {
    expect(["tests/test_a.py", "pkg/tests/util.py", "a_test.go", "x.spec.ts", "conftest.py", "src/testing/h.py"].map(isTestPath)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(["src/lib.py", "contest.py", "attestation.py"].map(isTestPath)).toEqual([false, false, false]);
  });
});

describe("resolvePolicyName", () => {
  it("accepts bare and prefixed names, case-insensitively", () => {
    expect(["oracle", "mock/lazy", "MOCK/Chatty", "wrong", "gpt-4o", ""].map(resolvePolicyName)).toEqual([
      "oracle",
      "lazy",
      "chatty",
      "wrong",
      undefined,
      undefined,
    ]);
  });
});

describe("policies", () => {
  const t = task("t", "Bug.", PATCH);
  const ALL = ["bash", "str_replace_editor", "finish"];

  it("oracle without an editor writes the patch with a bash heredoc", () => {
    const messages = [
      user("Bug."),
      assistant("a"),
      user("continue"),
      assistant("b", [
        { id: "1", name: "bash", arguments: "{}" },
        { id: "2", name: "bash", arguments: "{}" },
      ]),
      toolResult("1", ""),
      toolResult("2", ""),
    ];
    const reply = oracle({ task: t, messages, toolNames: ["bash", "finish"] });
    expect(reply.toolCalls).toHaveLength(1);
    const command = String(reply.toolCalls[0]!.arguments["command"]);
    expect(command).toBe(
      `cat > /tmp/bench_fix.patch <<'BENCH_PATCH_EOF'\n${PATCH}BENCH_PATCH_EOF\ncd /testbed && git apply --whitespace=nowarn /tmp/bench_fix.patch && rm /tmp/bench_fix.patch`,
    );
  });

  it("oracle and wrong say so when they lack tools or a task", () => {
    expect(oracle({ task: t, messages: [user("Bug.")], toolNames: [] })).toEqual({
      text: "I cannot work on this task: the tools I need (bash) are not offered.",
      toolCalls: [],
    });
    expect(wrong({ task: undefined, messages: [user("?")], toolNames: ALL }).toolCalls).toEqual([
      { name: "finish", arguments: { message: expect.stringMatching(/can't find the task/) } },
    ]);
  });

  it("oracle finishes forever after its script", () => {
    const msgs: Message[] = [user("Bug.")];
    for (let i = 0; i < 7; i++) msgs.push(assistant("x"), user("continue"));
    expect(oracle({ task: t, messages: msgs, toolNames: ALL }).toolCalls.map((c) => c.name)).toEqual(["finish"]);
  });

  it("wrong edits the first non-test source file, or writes a note when there is none", () => {
    const edit = wrong({ task: t, messages: [user("Bug.")], toolNames: ALL });
    expect(edit.toolCalls).toEqual([
      {
        name: "str_replace_editor",
        arguments: { command: "insert", path: "/testbed/src/lib.py", insert_line: 0, new_str: "# bench mock: reviewed this file" },
      },
    ]);
    const onlyTests = task(
      "t2",
      "Bug.",
      "diff --git a/tests/test_x.py b/tests/test_x.py\n--- a/tests/test_x.py\n+++ b/tests/test_x.py\n@@ -1 +1 @@\n-a\n+b\n",
    );
    expect(wrong({ task: onlyTests, messages: [user("Bug.")], toolNames: ["bash", "finish"] }).toolCalls).toEqual([
      { name: "bash", arguments: { command: "echo Reviewed. > /testbed/BENCH_NOTES.md" } },
    ]);
  });

  it("lazy and chatty never finish", () => {
    expect(lazy({ task: undefined, messages: [user("x")], toolNames: ALL })).toEqual({
      text: "",
      toolCalls: [{ name: "bash", arguments: { command: "ls /testbed" } }],
    });
    expect(chatty({ task: t, messages: [user("x")], toolNames: ALL }).toolCalls).toEqual([]);
  });

  it("patchApplyFailed reads the observations of the git apply round", () => {
    const apply = assistant("", [
      { id: "c", name: "str_replace_editor", arguments: "{}" },
      { id: "a", name: "bash", arguments: JSON.stringify({ command: "git apply x" }) },
    ]);
    expect(patchApplyFailed([user("x"), apply, toolResult("c", "File created"), toolResult("a", "")])).toBe(false);
    expect(patchApplyFailed([user("x"), apply, toolResult("c", "File created"), toolResult("a", "error: patch failed: a.py:1")])).toBe(
      true,
    );
    expect(patchApplyFailed([user("x"), apply, toolResult("c", "File created"), toolResult("a", "", true)])).toBe(true);
    expect(patchApplyFailed([user("x")])).toBe(false);
  });
});

describe("estimates and capping", () => {
  const conversation = (messages: Message[], maxTokens?: number): MockConversation => ({
    model: "oracle",
    system: "sys",
    messages,
    tools: [],
    toolChoice: undefined,
    stream: false,
    maxTokens,
  });

  it("reports no cached tokens before the first assistant turn, then whole 64-token blocks of the earlier prompt", () => {
    const big = user("x".repeat(2000));
    const first = estimatePromptUsage(conversation([big]));
    expect(first.cachedTokens).toBe(0);
    const next = estimatePromptUsage(conversation([big, assistant("ok"), user("more")]));
    expect(next.cachedTokens).toBe(Math.floor(first.promptTokens / 64) * 64);
    expect(next.cachedTokens).toBeGreaterThan(0);
  });

  it("counts an image at a fixed size, not by its base64 length", () => {
    const small = estimatePromptUsage(
      conversation([{ role: "user", content: [{ type: "image", mediaType: "image/png", data: "A".repeat(10) }] }]),
    );
    const large = estimatePromptUsage(
      conversation([{ role: "user", content: [{ type: "image", mediaType: "image/png", data: "A".repeat(100_000) }] }]),
    );
    expect(large.promptTokens).toBe(small.promptTokens);
    expect(small.promptTokens).toBeGreaterThan(765);
  });

  it("caps a reply at maxTokens: text first, then a partial call, later calls dropped", () => {
    const calls = [
      { id: "1", name: "bash", arguments: '{"command":"ls -la /testbed"}' },
      { id: "2", name: "bash", arguments: '{"command":"pwd"}' },
    ];
    expect(capReply("hi", calls, 1000)).toEqual({ text: "hi", toolCalls: calls, capped: false });
    expect(capReply("hello", calls, 5)).toEqual({
      text: "hello",
      toolCalls: [{ id: "1", name: "bash", arguments: '{"command":' }],
      capped: true,
    });
    expect(capReply("x".repeat(100), calls, 2)).toEqual({ text: "xxxxxxxx", toolCalls: [], capped: true });
  });

  it("answers a conversation deterministically", () => {
    const tasks = [task("t", "Bug.", PATCH)];
    const c = { ...conversation([user("Bug.")]), tools: [{ name: "bash", description: "", parameters: {} }], model: "lazy" };
    const a = respond(c, { tasks, defaultPolicy: "oracle" });
    expect(respond(c, { tasks, defaultPolicy: "oracle" })).toEqual(a);
    expect(a).toMatchObject({ policy: "lazy", task: { instance_id: "t" }, reply: { stopReason: "tool_use", text: "" } });
  });
});

describe("chat wire helpers", () => {
  it("splits text into several word-aligned pieces and arguments into fragments", () => {
    const pieces = splitText("Let me look at the repository first.");
    expect(pieces.join("")).toBe("Let me look at the repository first.");
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    const args = JSON.stringify({ command: "x".repeat(5000) });
    const frags = splitArguments(args);
    expect(frags.join("")).toBe(args);
    expect(frags.length).toBeLessThanOrEqual(48);
    expect(splitArguments("🙂".repeat(20)).every((f) => !/[\uD800-\uDBFF]$/.test(f))).toBe(true);
  });

  it("converts chat messages to neutral ones, naming tool results after their calls", () => {
    const { system, messages } = toNeutralMessages([
      { role: "developer", content: "dev" },
      { role: "system", content: [{ type: "text", text: "sys" }] },
      {
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
        ],
      },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "bash", arguments: '{"command":"ls"}' } }],
      },
      { role: "tool", tool_call_id: "call_1", content: "a.txt" },
    ]);
    expect(system).toBe("dev\n\nsys");
    expect(messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image", mediaType: "image/png", data: "AAAA" },
        ],
      },
      { role: "assistant", text: "", toolCalls: [{ id: "call_1", name: "bash", arguments: '{"command":"ls"}' }] },
      { role: "tool", toolCallId: "call_1", toolName: "bash", content: [{ type: "text", text: "a.txt" }], isError: false },
    ]);
  });
});

describe("FaultPlan", () => {
  it("hands out queued faults first, in order, then draws from the rates", () => {
    const plan = new FaultPlan({ queue: [faults.reset()], rates: [{ fault: faults.serverError(), rate: 1 }] });
    expect(plan.next()).toEqual({ kind: "reset" });
    expect(plan.next()).toEqual({ kind: "http", status: 500 });
    plan.clear();
    expect(plan.next()).toBeUndefined();
  });

  it("is reproducible for a seed and splits draws by rate", () => {
    const draw = (seed: number): string[] => {
      const plan = new FaultPlan({
        seed,
        rates: [
          { fault: faults.reset(), rate: 0.25 },
          { fault: faults.cut(), rate: 0.25 },
        ],
      });
      return Array.from({ length: 400 }, () => plan.next()?.kind ?? "none");
    };
    const a = draw(7);
    expect(draw(7)).toEqual(a);
    expect(draw(8)).not.toEqual(a);
    const count = (k: string): number => a.filter((x) => x === k).length;
    for (const k of ["reset", "cut"]) expect(count(k)).toBeGreaterThan(60);
    expect(count("none")).toBeGreaterThan(140);
  });

  it("validates with expected and received values", () => {
    expect(() => new FaultPlan({ queue: [{ kind: "boom" } as never] })).toThrow(
      /expected kind one of http, reset, cut, cut-reset, stream-error, hang, got "boom"/,
    );
    expect(() => new FaultPlan({ rates: [{ fault: faults.reset(), rate: 1.5 }] })).toThrow(/expected a rate in \[0, 1\], got 1.5/);
    expect(() => new FaultPlan({ queue: [{ kind: "cut", afterChunks: -1 }] })).toThrow(
      /expected afterChunks to be an integer >= 0, got -1/,
    );
  });

  it("fills an http fault's error from its status like the real service", () => {
    expect(httpFaultError(faults.insufficientQuota())).toMatchObject({
      status: 429,
      type: "insufficient_quota",
      code: "insufficient_quota",
      headers: { "x-should-retry": "false" },
    });
    expect(httpFaultError(faults.rateLimit({ retryAfterS: 2, retryAfterMs: 1500 }))).toMatchObject({
      status: 429,
      code: "rate_limit_exceeded",
      headers: { "retry-after": "2", "retry-after-ms": "1500" },
    });
    expect(httpFaultError({ kind: "http", status: 502 })).toMatchObject({ type: "server_error", code: null });
  });
});
