// Scripted "models": pure functions of (task, conversation so far, tools offered) -> reply.
// Stateless: the step is derived from the conversation, so a retried call gets the same answer.

import type { Task } from "../datasets/types.js";
import type { Message } from "../models/types.js";
import type { PolicyName } from "./policy-names.js";

export interface PolicyToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

export interface PolicyReply {
  text: string;
  toolCalls: PolicyToolCall[];
}

export interface PolicyContext {
  /** The task whose problem statement the first user message holds; undefined when none matches. */
  task: Task | undefined;
  messages: readonly Message[];
  /** Names of the tools the request offers (empty when tool_choice is "none"). */
  toolNames: readonly string[];
}

export type Policy = (ctx: PolicyContext) => PolicyReply;

/** Where the agent's workspace holds the repository (the tool contract). */
export const REPO_DIR = "/testbed";
/** Scratch file the oracle writes the gold patch to before applying it. */
export const PATCH_FILE = "/tmp/bench_fix.patch";

function userText(message: Message): string {
  if (message.role !== "user") return "";
  return message.content.map((p) => (p.type === "text" ? p.text : "")).join("\n");
}

const squash = (s: string): string => s.replace(/\s+/g, " ").trim();

/**
 * The task whose problem_statement occurs in the first user message (exactly, or else with runs of
 * whitespace collapsed, since prompt templates often re-wrap it). The longest match wins, so a
 * statement that is a substring of another does not shadow it.
 */
export function findTask(tasks: readonly Task[], messages: readonly Message[]): Task | undefined {
  const first = messages.find((m) => m.role === "user");
  if (first === undefined) return undefined;
  const text = userText(first);
  const squashed = squash(text);
  let best: Task | undefined;
  for (const task of tasks) {
    const statement = task.problem_statement.trim();
    if (statement === "") continue;
    if (text.includes(statement) || squashed.includes(squash(statement))) {
      if (best === undefined || statement.length > best.problem_statement.trim().length) best = task;
    }
  }
  return best;
}

export interface PatchedFile {
  /** Repository-relative path. */
  path: string;
  isNew: boolean;
  isDeleted: boolean;
}

/** Files a unified diff touches, in order (git diffs and plain `--- a/x` / `+++ b/x` diffs). */
export function patchedFiles(patch: string): PatchedFile[] {
  const files: PatchedFile[] = [];
  const lines = patch.split("\n");
  const strip = (p: string): string => p.replace(/\t.*$/, "").replace(/^[ab]\//, "");
  let current: PatchedFile | undefined;
  // Header lines only count between "diff --git" and the first hunk: a hunk line may start with "--- ".
  let inHeader = false;
  const isGit = lines.some((l) => l.startsWith("diff --git "));
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const git = /^diff --git a\/(\S+) b\/(\S+)/.exec(line);
    if (git) {
      current = { path: git[2] ?? "", isNew: false, isDeleted: false };
      files.push(current);
      inHeader = true;
    } else if (line.startsWith("@@")) {
      inHeader = false;
    } else if (line.startsWith("--- ") && (lines[i + 1] ?? "").startsWith("+++ ") && (inHeader || !isGit)) {
      const from = line.slice(4);
      const to = (lines[i + 1] ?? "").slice(4);
      if (!inHeader) {
        // A plain diff: the ---/+++ pair itself starts a file.
        current = { path: "", isNew: false, isDeleted: false };
        files.push(current);
      }
      if (current === undefined) continue;
      current.isNew ||= from.startsWith("/dev/null");
      current.isDeleted ||= to.startsWith("/dev/null");
      current.path = current.isDeleted ? strip(from) : strip(to);
      i++;
      inHeader = false;
    } else if (inHeader && current !== undefined) {
      if (line.startsWith("new file mode")) current.isNew = true;
      if (line.startsWith("deleted file mode")) current.isDeleted = true;
    }
  }
  return files;
}

export function isTestPath(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return /(^|\/)(tests?|testing|__tests__)\//.test(path) || /^(test_.*|.*_test\.[^.]+|.*\.(test|spec)\.[^.]+|conftest\.py)$/.test(base);
}

/** A one-line comment in the file's language; harmless wherever it is inserted at the top. */
function commentLine(path: string): string {
  const text = "bench mock: reviewed this file";
  const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  if (
    ["js", "mjs", "cjs", "ts", "tsx", "jsx", "go", "java", "c", "h", "cc", "cpp", "hpp", "rs", "kt", "swift", "scala", "cs"].includes(ext)
  ) {
    return `// ${text}`;
  }
  if (["sql", "lua", "hs"].includes(ext)) return `-- ${text}`;
  if (["html", "xml", "md", "rst"].includes(ext)) return `<!-- ${text} -->`;
  return `# ${text}`;
}

const assistantTurns = (messages: readonly Message[]): number => messages.filter((m) => m.role === "assistant").length;

function toolResultText(message: Message): string {
  if (message.role !== "tool") return "";
  return message.content.map((p) => (p.type === "text" ? p.text : "")).join("\n");
}

const APPLY_FAILED =
  /\berror:|\bfatal:|patch failed|does not apply|corrupt patch|no such file|command not found|exit (code|status):? *[1-9]/i;

/**
 * Whether the latest tool round that ran `git apply` reported a failure (an error result or
 * failure text in any of its observations).
 */
export function patchApplyFailed(messages: readonly Message[]): boolean {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== "assistant" || !m.toolCalls.some((c) => c.arguments.includes("git apply"))) continue;
    const ids = new Set(m.toolCalls.map((c) => c.id));
    const results = messages.slice(i + 1).filter((r) => r.role === "tool" && ids.has(r.toolCallId));
    return results.some((r) => (r.role === "tool" && r.isError) || APPLY_FAILED.test(toolResultText(r)));
  }
  return false;
}

function finishOrText(toolNames: readonly string[], message: string): PolicyReply {
  return toolNames.includes("finish")
    ? { text: "", toolCalls: [{ name: "finish", arguments: { message } }] }
    : { text: message, toolCalls: [] };
}

function missingTools(toolNames: readonly string[], needed: readonly string[]): PolicyReply | undefined {
  const missing = needed.filter((n) => !toolNames.includes(n));
  if (missing.length === 0) return undefined;
  const text = `I cannot work on this task: the tools I need (${missing.join(", ")}) are not offered.`;
  return toolNames.includes("finish") ? { text, toolCalls: [{ name: "finish", arguments: { message: text } }] } : { text, toolCalls: [] };
}

function noTask(toolNames: readonly string[]): PolicyReply {
  const text = "I can't find the task: no known problem statement occurs in the first user message.";
  return toolNames.includes("finish") ? { text, toolCalls: [{ name: "finish", arguments: { message: text } }] } : { text, toolCalls: [] };
}

const bash = (command: string): PolicyToolCall => ({ name: "bash", arguments: { command } });

/**
 * Solves the task with the gold patch, the way a model would: one text-only turn, one turn of two
 * parallel looks, one turn that writes and applies the patch, one check, then finish.
 */
export const oracle: Policy = ({ task, messages, toolNames }) => {
  if (task === undefined) return noTask(toolNames);
  const missing = missingTools(toolNames, ["bash"]);
  if (missing) return missing;
  const editor = toolNames.includes("str_replace_editor");
  const step = assistantTurns(messages) + 1;
  const files = patchedFiles(task.patch);
  const first = files.find((f) => !f.isNew);
  switch (step) {
    case 1:
      return { text: "Let me look at the repository first.", toolCalls: [] };
    case 2: {
      const look = first === undefined ? `${REPO_DIR}` : `${REPO_DIR}/${first.path}`;
      return {
        text: "I'll check the repository state and the file the issue is about.",
        toolCalls: [
          bash(`cd ${REPO_DIR} && git status && ls`),
          editor
            ? { name: "str_replace_editor", arguments: { command: "view", path: look } }
            : bash(first === undefined ? `ls ${look}` : `cat ${look}`),
        ],
      };
    }
    case 3: {
      const patch = task.patch.endsWith("\n") ? task.patch : `${task.patch}\n`;
      const apply = `cd ${REPO_DIR} && git apply --whitespace=nowarn ${PATCH_FILE} && rm ${PATCH_FILE}`;
      if (editor) {
        return {
          text: "",
          toolCalls: [{ name: "str_replace_editor", arguments: { command: "create", path: PATCH_FILE, file_text: patch } }, bash(apply)],
        };
      }
      return { text: "", toolCalls: [bash(`cat > ${PATCH_FILE} <<'BENCH_PATCH_EOF'\n${patch}BENCH_PATCH_EOF\n${apply}`)] };
    }
    case 4:
      if (patchApplyFailed(messages)) {
        return finishOrText(toolNames, "I could not apply my fix; the patch did not apply cleanly.");
      }
      return { text: "", toolCalls: [bash(`cd ${REPO_DIR} && git diff --stat`)] };
    default:
      return finishOrText(toolNames, "I fixed the issue and checked the diff.");
  }
};

/** Never finishes: the same look around, forever (exercises max_iterations). */
export const lazy: Policy = ({ toolNames }) => {
  if (!toolNames.includes("bash")) return { text: "Let me think about where to look next.", toolCalls: [] };
  return { text: "", toolCalls: [bash(`ls ${REPO_DIR}`)] };
};

/** Only talks, never calls a tool (exercises the fake-user loop and max_fake_responses). */
export const chatty: Policy = ({ messages }) => {
  const step = assistantTurns(messages) + 1;
  return {
    text: `I am still thinking about how to approach this problem (thought ${step}). I believe the fix is close, but I want to be sure before I touch any file.`,
    toolCalls: [],
  };
};

/** Makes a real edit that leaves the bug in place, then claims success (exercises grading of a wrong fix). */
export const wrong: Policy = ({ task, messages, toolNames }) => {
  if (task === undefined) return noTask(toolNames);
  const missing = missingTools(toolNames, ["bash"]);
  if (missing) return missing;
  const step = assistantTurns(messages) + 1;
  if (step >= 2) return finishOrText(toolNames, "I fixed the issue.");
  const target = patchedFiles(task.patch).find((f) => !f.isNew && !f.isDeleted && !isTestPath(f.path));
  const text = "I see the problem; let me fix it.";
  if (target === undefined) {
    const note = `${REPO_DIR}/BENCH_NOTES.md`;
    return toolNames.includes("str_replace_editor")
      ? { text, toolCalls: [{ name: "str_replace_editor", arguments: { command: "create", path: note, file_text: "Reviewed.\n" } }] }
      : { text, toolCalls: [bash(`echo Reviewed. > ${note}`)] };
  }
  const path = `${REPO_DIR}/${target.path}`;
  const comment = commentLine(target.path);
  return toolNames.includes("str_replace_editor")
    ? { text, toolCalls: [{ name: "str_replace_editor", arguments: { command: "insert", path, insert_line: 0, new_str: comment } }] }
    : { text, toolCalls: [bash(`sed -i '1i ${comment}' ${path}`)] };
};

/**
 * The hostile commands, one `bash` call each, in this order. Each must end in bounded time with a clear observation:
 * `yes` floods stdout until the command timeout kills it; the TERM-ignoring sleep must be KILLed (the trap stays set in
 * the persistent shell, so every later command's processes ignore TERM too); `sleep 600` outlives the timeout; `dd`
 * asks for 5 GiB and stops at the sandbox's file-size limit (RLIMIT_FSIZE, 1 GiB: "File size limit exceeded", status
 * 153), and the file is removed in the same command; 64 KiB of random bytes come back as text; the sandbox has no
 * network ("Network is unreachable"); the fork bomb backgrounds itself, so its command returns at once and the pids
 * limit bounds it. None assumes root: all run as an unprivileged user in /testbed.
 */
export const HOSTILE_COMMANDS: readonly string[] = [
  "yes",
  "trap '' TERM; sleep 600",
  "sleep 600",
  'dd if=/dev/zero of=/tmp/big bs=1M count=5120; echo "dd exit status: $?"; rm -f /tmp/big',
  "head -c 65536 /dev/urandom",
  `python3 -c "import socket; socket.create_connection(('1.1.1.1', 80), timeout=5)"`,
  "bomb() { bomb | bomb & }; bomb",
];
/**
 * After the commands: is the workspace itself again? First a 1–2 s wait with builtins only (a fork bomb started just
 * before fills the pids limit meanwhile, so it cannot pass for gone), then an external echo (it needs a fork; the
 * builtin would not), then the workspace's processes, counted with builtins only (that works at the pids limit too).
 */
export const HOSTILE_PROBE = [
  "t=$((SECONDS + 2)); while ((SECONDS < t)); do :; done",
  "/bin/echo probe-ok",
  'n=0; for p in /proc/[0-9]*; do n=$((n + 1)); done; echo "processes: $n"',
].join("; ");
/** Probes made at most, one per step, until one finds the workspace itself again (a fork bomb may hold it a while). */
export const HOSTILE_MAX_PROBES = 8;
/** Fewer processes than this is a workspace at rest (its init, entrypoint and shells); a fork bomb holds the pids limit. */
export const HOSTILE_CALM_PROCESSES = 32;

/** The probe's observation shows a started program and a workspace at rest. */
function probeRecovered(observation: string): boolean {
  const processes = /^processes: (\d+)$/m.exec(observation);
  return /^probe-ok$/m.test(observation) && processes !== null && Number(processes[1]) < HOSTILE_CALM_PROCESSES;
}

/** Text of the tool result that answers the last tool call of the conversation ("" when there is none). */
function lastToolResultText(messages: readonly Message[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== "assistant" || m.toolCalls.length === 0) continue;
    const id = m.toolCalls.at(-1)?.id;
    const result = messages.slice(i + 1).find((r) => r.role === "tool" && r.toolCallId === id);
    return result === undefined ? "" : toolResultText(result);
  }
  return "";
}

/**
 * Runs HOSTILE_COMMANDS one per step, then HOSTILE_PROBE until its observation has a `probe-ok` line and fewer than
 * HOSTILE_CALM_PROCESSES processes (at most HOSTILE_MAX_PROBES times), then finishes. The step is the number of tool
 * calls already made. Needs no task.
 */
export const hostile: Policy = ({ messages, toolNames }) => {
  const missing = missingTools(toolNames, ["bash"]);
  if (missing) return missing;
  const made = messages.reduce((n, m) => n + (m.role === "assistant" ? m.toolCalls.length : 0), 0);
  const command = HOSTILE_COMMANDS[made];
  if (command !== undefined) return { text: "", toolCalls: [bash(command)] };
  const probes = made - HOSTILE_COMMANDS.length;
  if (probes > 0 && probeRecovered(lastToolResultText(messages))) {
    return finishOrText(toolNames, `I ran every hostile command; the workspace answered again after ${probes} probe(s).`);
  }
  if (probes >= HOSTILE_MAX_PROBES) {
    return finishOrText(toolNames, `I ran every hostile command; the workspace was not itself again after ${probes} probes.`);
  }
  return { text: "", toolCalls: [bash(HOSTILE_PROBE)] };
};

export const POLICIES: Readonly<Record<PolicyName, Policy>> = { oracle, lazy, chatty, wrong, hostile };

/** One-line descriptions, e.g. for a model listing or `bench mock-server --help`. */
export const POLICY_DESCRIPTIONS: Readonly<Record<PolicyName, string>> = {
  oracle: "applies the task's gold patch through the tools, then finishes",
  lazy: "runs `ls` forever and never finishes",
  chatty: "only talks, never calls a tool",
  wrong: "makes a harmless edit that leaves the bug in place, then finishes",
  hostile:
    "runs hostile commands (stdout flood, TERM-ignoring and over-long sleeps, a 5 GB write, binary output, a network call, a fork bomb), probes the workspace, then finishes",
};
