// The mock's `hostile` policy: its exact command sequence, the recovery probe's repetition, and finishing.

import { describe, expect, it } from "vitest";
import type { Message } from "../../src/models/types.js";
import { respond } from "../../src/mock/engine.js";
import {
  HOSTILE_CALM_PROCESSES,
  HOSTILE_COMMANDS,
  HOSTILE_MAX_PROBES,
  HOSTILE_PROBE,
  POLICIES,
  hostile,
  type PolicyReply,
} from "../../src/mock/policies.js";
import type { MockConversation } from "../../src/mock/wire.js";
import { parseModelSpec } from "../../src/config/model-spec.js";
import { POLICY_NAMES, resolvePolicyName } from "../../src/mock/policy-names.js";

const ALL = ["bash", "str_replace_editor", "finish"];
const user = (text: string): Message => ({ role: "user", content: [{ type: "text", text }] });

/**
 * Plays the policy against scripted observations: each tool call gets `observe(command, n)` as its result. Returns
 * every reply, the last one included (a finish or a text-only answer).
 */
function play(observe: (command: string, n: number) => string, toolNames: readonly string[] = ALL, maxSteps = 40): PolicyReply[] {
  const messages: Message[] = [user("Fix the bug.")];
  const replies: PolicyReply[] = [];
  for (let n = 0; n < maxSteps; n++) {
    const reply = hostile({ task: undefined, messages, toolNames });
    replies.push(reply);
    if (reply.toolCalls.length === 0 || reply.toolCalls.some((c) => c.name === "finish")) return replies;
    const calls = reply.toolCalls.map((c, i) => ({ id: `call-${n}-${i}`, name: c.name, arguments: JSON.stringify(c.arguments) }));
    messages.push({ role: "assistant", text: reply.text, toolCalls: calls });
    for (const [i, c] of reply.toolCalls.entries()) {
      const text = observe(String(c.arguments["command"]), n);
      messages.push({ role: "tool", toolCallId: calls[i]!.id, toolName: c.name, content: [{ type: "text", text }], isError: false });
    }
  }
  throw new Error("the policy did not finish");
}

const CALM = "probe-ok\nprocesses: 3\n[exit code: 0]";
const commands = (replies: PolicyReply[]) =>
  replies.flatMap((r) => r.toolCalls.filter((c) => c.name === "bash").map((c) => c.arguments["command"]));

describe("hostile policy", () => {
  it("is a mock policy name, on the CLI and in the mock server alike", () => {
    expect(resolvePolicyName("mock/hostile")).toBe("hostile");
    expect(resolvePolicyName("MOCK/Hostile")).toBe("hostile");
    // The one list, as docs/ARCHITECTURE.md names the policies; `--model mock/<name>` takes each, the server plays each.
    expect([...POLICY_NAMES]).toEqual(["oracle", "lazy", "chatty", "wrong", "hostile"]);
    for (const name of POLICY_NAMES) {
      expect(parseModelSpec(`mock/${name}`)).toEqual({ provider: "mock", model: name });
      expect(typeof POLICIES[name]).toBe("function");
    }
    expect(() => parseModelSpec("mock/sneaky")).toThrow(
      'unknown mock policy "sneaky" (expected one of oracle, lazy, chatty, wrong, hostile)',
    );
  });

  it("issues the hostile commands in order, one bash call per step, then the probe, then finishes", () => {
    const replies = play((command) => (command === HOSTILE_PROBE ? CALM : "[exit code: 0]"));
    expect(commands(replies)).toEqual([
      "yes",
      "trap '' TERM; sleep 600",
      "sleep 600",
      'dd if=/dev/zero of=/tmp/big bs=1M count=5120; echo "dd exit status: $?"; rm -f /tmp/big',
      "head -c 65536 /dev/urandom",
      `python3 -c "import socket; socket.create_connection(('1.1.1.1', 80), timeout=5)"`,
      "bomb() { bomb | bomb & }; bomb",
      't=$((SECONDS + 2)); while ((SECONDS < t)); do :; done; /bin/echo probe-ok; n=0; for p in /proc/[0-9]*; do n=$((n + 1)); done; echo "processes: $n"',
    ]);
    expect(replies.every((r) => r.toolCalls.length === 1)).toBe(true);
    expect(replies.at(-1)).toEqual({
      text: "",
      toolCalls: [
        { name: "finish", arguments: { message: "I ran every hostile command; the workspace answered again after 1 probe(s)." } },
      ],
    });
    expect(HOSTILE_COMMANDS).toHaveLength(7);
  });

  it("repeats the probe until it prints probe-ok with a workspace at rest", () => {
    const observations = [
      // No fork: the echo never ran (the noise names it, but no line is exactly probe-ok); the count alone is not enough.
      "processes: 3\n[stderr]\nbash: fork: retry: Resource temporarily unavailable\n/bin/echo probe-ok: not run\n[command timed out after 5 s and was killed]\n[exit code: 137]",
      // The echo ran, but the bomb still holds the pids limit.
      "probe-ok\nprocesses: 511\n[stderr]\nmain: fork: retry: Resource temporarily unavailable\n[exit code: 0]",
      // The echo ran but the count did not.
      "probe-ok\n[stderr]\nbash: fork: Resource temporarily unavailable\n[exit code: 1]",
      `probe-ok\nprocesses: ${HOSTILE_CALM_PROCESSES}\n[exit code: 0]`,
      `probe-ok\nprocesses: ${HOSTILE_CALM_PROCESSES - 1}\n[stderr]\nmain: fork: retry: Resource temporarily unavailable\n[exit code: 0]`,
    ];
    let probes = 0;
    const replies = play((command) => (command === HOSTILE_PROBE ? observations[probes++]! : "[exit code: 0]"));
    expect(commands(replies).slice(HOSTILE_COMMANDS.length)).toEqual(observations.map(() => HOSTILE_PROBE));
    expect(replies.at(-1)?.toolCalls[0]?.arguments["message"]).toBe(
      "I ran every hostile command; the workspace answered again after 5 probe(s).",
    );
    expect(HOSTILE_CALM_PROCESSES).toBe(32);
  });

  it("gives up after HOSTILE_MAX_PROBES probes and says so", () => {
    const replies = play(() => "[command timed out after 5 s and was killed]\n[exit code: 137]");
    expect(commands(replies)).toHaveLength(HOSTILE_COMMANDS.length + HOSTILE_MAX_PROBES);
    expect(HOSTILE_MAX_PROBES).toBe(8);
    expect(replies.at(-1)?.toolCalls).toEqual([
      { name: "finish", arguments: { message: "I ran every hostile command; the workspace was not itself again after 8 probes." } },
    ]);
  });

  it("answers in text when finish is not offered, and says so when bash is missing", () => {
    const replies = play((command) => (command === HOSTILE_PROBE ? CALM : ""), ["bash"]);
    expect(replies.at(-1)).toEqual({ text: "I ran every hostile command; the workspace answered again after 1 probe(s).", toolCalls: [] });
    expect(hostile({ task: undefined, messages: [user("x")], toolNames: ["finish"] })).toEqual({
      text: "I cannot work on this task: the tools I need (bash) are not offered.",
      toolCalls: [{ name: "finish", arguments: { message: "I cannot work on this task: the tools I need (bash) are not offered." } }],
    });
  });

  it("is stateless: the same conversation gets the same call, and the engine routes mock/hostile to it without a task", () => {
    const conversation: MockConversation = {
      model: "mock/hostile",
      system: "s",
      messages: [user("no known task here")],
      tools: ALL.map((name) => ({ name, description: name, parameters: { type: "object" } })),
      toolChoice: "auto",
      stream: false,
      maxTokens: undefined,
    };
    const a = respond(conversation, { tasks: [], defaultPolicy: "oracle" });
    const b = respond(conversation, { tasks: [], defaultPolicy: "oracle" });
    expect(a.policy).toBe("hostile");
    expect(a.task).toBeUndefined();
    expect(a.reply.toolCalls).toEqual(b.reply.toolCalls);
    expect(a.reply.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([["bash", { command: "yes" }]]);
  });
});
