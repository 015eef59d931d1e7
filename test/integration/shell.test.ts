// The persistent shell (src/sandbox/shell.ts) and the bash tool on top of it, against a real Docker workspace.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type BashTool, defaultTools } from "../../src/agent/tools.js";
import type { Sandbox, Shell } from "../../src/sandbox/types.js";
import { MINI_TASK, provider, sandboxImage } from "./helpers.js";

let sandbox: Sandbox;
let shell: Shell;
const textOf = (out: { content: { type: string; text?: string }[] }) => out.content.map((p) => p.text ?? "").join("");

beforeAll(async () => {
  sandbox = await provider(`test-shell-${process.pid}`).create({
    image: sandboxImage(),
    labels: { "bench.task-id": "shell" },
    repoDir: MINI_TASK.repoDir!,
  });
});
afterAll(async () => {
  await sandbox?.remove();
});
// One workspace for the file, but every test its own shell (cwd /testbed, no variables or functions of another test).
beforeEach(async () => {
  shell = await sandbox.openShell!();
});
afterEach(async () => {
  await shell?.close();
});

describe("ShellSession", () => {
  it("keeps the working directory, exported and plain variables, and functions between commands", async () => {
    expect(await shell.run("cd calc && export GREETING=hello && PLAIN=1 && f() { echo in-f; }")).toMatchObject({
      exitCode: 0,
      stdout: "",
      stderr: "",
      cwd: "/testbed/calc",
      shellEnded: false,
      timedOut: false,
    });
    expect(await shell.run("pwd; echo $GREETING $PLAIN; f; bash -c 'echo child sees $GREETING'")).toMatchObject({
      exitCode: 0,
      stdout: "/testbed/calc\nhello 1\nin-f\nchild sees hello\n",
    });
  });

  it("keeps stdout and stderr apart and exact, trailing newline or not", async () => {
    expect(await shell.run("printf out; printf err >&2; false")).toMatchObject({ exitCode: 1, stdout: "out", stderr: "err" });
    expect(await shell.run("echo; echo >&2")).toMatchObject({ exitCode: 0, stdout: "\n", stderr: "\n" });
  });

  it("gives commands no stdin, so one that reads it cannot eat the next command", async () => {
    expect(await shell.run('cat; read -r line; echo "[$line] $?"')).toMatchObject({ exitCode: 0, stdout: "[] 1\n" });
    expect(await shell.run("python -c 'import sys; print(len(sys.stdin.read()))'")).toMatchObject({ exitCode: 0, stdout: "0\n" });
    expect((await shell.run("echo next")).stdout).toBe("next\n");
  });

  it("survives syntax errors, even the unterminated quote that upsets bash's parser", async () => {
    const unbalanced = await shell.run("echo 'unbalanced");
    expect(unbalanced.exitCode).toBe(2);
    expect(unbalanced.stderr).toContain("unexpected EOF while looking for matching");
    expect(unbalanced.shellEnded).toBe(false);
    expect((await shell.run("if true; then echo x")).exitCode).toBe(2);
    expect(await shell.run("echo fine")).toMatchObject({ exitCode: 0, stdout: "fine\n", shellEnded: false });
  });

  it("`exit 3` ends the shell; the next command runs in a new one with the same cwd and exported variables", async () => {
    await shell.run("cd /testbed/tests && export KEPT=yes");
    expect(await shell.run("echo bye; exit 3")).toMatchObject({ exitCode: 3, stdout: "bye\n", shellEnded: true, cwd: "/testbed/tests" });
    expect(await shell.run("echo $KEPT; pwd")).toMatchObject({ exitCode: 0, stdout: "yes\n/testbed/tests\n", shellEnded: false });
    // `set -e` and a failing command end the shell the same way.
    expect(await shell.run("set -e; false; echo not reached")).toMatchObject({ exitCode: 1, stdout: "", shellEnded: true });
    expect(await shell.run("echo $KEPT; case $- in *e*) echo errexit on;; *) echo errexit off;; esac")).toMatchObject({
      stdout: "yes\nerrexit off\n",
    });
  });

  it("a timeout kills a command that ignores SIGTERM, and the same shell carries on", async () => {
    await shell.run("export BEFORE_TIMEOUT=1");
    const ignoring = `python -c 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print("ready", flush=True); time.sleep(60)'`;
    const result = await shell.run(ignoring, { timeoutSec: 1 });
    expect(result).toMatchObject({ timedOut: true, exitCode: 137, stdout: "ready\n", shellEnded: false });
    expect(await shell.run("echo $BEFORE_TIMEOUT; pgrep -f signal.SIG_IGN || echo gone")).toMatchObject({ stdout: "1\ngone\n" });
  });

  it("commands that redefine builtins as functions (`:`, `[`, `read`, `printf`) do not break the shell's driver", async () => {
    const r = await shell.run(
      ":() { echo hijacked; }; [() { echo hijacked; }; read() { echo hijacked; }; printf() { echo hijacked; }; echo defined",
    );
    expect(r).toMatchObject({ exitCode: 0, stdout: "defined\n", shellEnded: false });
    expect(await shell.run("echo still-fine; false")).toMatchObject({ exitCode: 1, stdout: "still-fine\n", shellEnded: false });
  });

  it("a timeout also kills what left the process group (setsid) and forked subshell loops", async () => {
    // The container's own process is the lifeline, a `cat` on the entrypoint's stdin.
    const lifeline = (await shell.run("pgrep -x cat")).stdout.trim();
    expect(lifeline).toMatch(/^\d+$/);
    const result = await shell.run("setsid sleep 300 & (while :; do sleep 0.1; done) & while :; do sleep 0.1; done | cat", {
      timeoutSec: 1,
    });
    expect(result).toMatchObject({ timedOut: true, shellEnded: false });
    // Only the lifeline is left.
    expect(
      (await shell.run(`sleep 0.3; ps -eo pid=,args= | grep -E '^ *[0-9]+ (sleep|cat)' | grep -vE '^ *${lifeline} ' || echo none`)).stdout,
    ).toBe("none\n");
  });

  it("a shell stuck in a builtin loop is replaced after a timeout, in the same cwd", async () => {
    await shell.run("cd /testbed/calc");
    const result = await shell.run("while :; do :; done", { timeoutSec: 1 });
    expect(result).toMatchObject({ timedOut: true, exitCode: 137, shellEnded: true, cwd: "/testbed/calc" });
    expect(await shell.run("pwd; echo $((6 * 7))")).toMatchObject({ exitCode: 0, stdout: "/testbed/calc\n42\n", shellEnded: false });
  });

  it("background processes keep running after their command, and a later timeout spares them", async () => {
    const started = await shell.run("sleep 300 & echo $!");
    const pid = started.stdout.trim();
    expect(started).toMatchObject({ exitCode: 0, timedOut: false });
    expect((await shell.run(`kill -0 ${pid} && echo running`)).stdout).toBe("running\n");
    expect((await shell.run("sleep 30", { timeoutSec: 1 })).timedOut).toBe(true);
    expect((await shell.run(`kill -0 ${pid} && echo still running; kill ${pid}`)).stdout).toBe("still running\n");
  });

  it("bounds huge output while it streams (head and tail kept) and stays usable", async () => {
    const result = await shell.run("head -c 50000000 /dev/zero | tr '\\0' a; echo; echo tail-end", { maxOutputBytes: 10_000 });
    expect(result.exitCode).toBe(0);
    expect(result.truncatedBytes).toBe(50_000_000 + 1 + 9 - 10_000);
    expect(result.stdout.startsWith("a".repeat(5_000))).toBe(true);
    expect(result.stdout.endsWith("\ntail-end\n")).toBe(true);
    expect(result.stdout).toContain(`[... ${50_000_000 + 1 + 9 - 10_000} bytes truncated ...]`);
    expect((await shell.run("echo after")).stdout).toBe("after\n");
  });

  it("passes binary output through (invalid UTF-8 becomes U+FFFD) without losing the end marker", async () => {
    const result = await shell.run("printf 'a\\000b\\377c'; head -c 100000 /dev/urandom >/dev/stderr");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("a\u0000b\uFFFDc");
    expect(result.stderr.length).toBeGreaterThan(50_000);
    expect((await shell.run("echo after")).stdout).toBe("after\n");
  });

  it("runs concurrent calls one after the other, each with its own output", async () => {
    const results = await Promise.all([0, 1, 2, 3, 4].map((i) => shell.run(`echo start-${i}; sleep 0.1; echo end-${i}; export LAST=${i}`)));
    expect(results.map((r) => r.stdout)).toEqual([0, 1, 2, 3, 4].map((i) => `start-${i}\nend-${i}\n`));
    expect((await shell.run("echo $LAST")).stdout).toBe("4\n");
  });
});

describe("bash tool", () => {
  it("uses the persistent shell: variables persist, and `exit 3` keeps the observation format", async () => {
    const bash = defaultTools(sandbox, { commandTimeoutSec: 5 })[0] as BashTool;
    expect(textOf(await bash.execute({ command: "export X=42; cd calc" }))).toBe("[exit code: 0]");
    expect(textOf(await bash.execute({ command: "echo $X; pwd" }))).toBe("42\n/testbed/calc\n[exit code: 0]");
    expect(textOf(await bash.execute({ command: "echo out; echo err >&2; exit 3" }))).toBe("out\n[stderr]\nerr\n[exit code: 3]");
    expect(bash.cwd).toBe("/testbed/calc");
    expect(textOf(await bash.execute({ command: "echo $X" }))).toBe("42\n[exit code: 0]");
  });

  it("notes a shell restarted after a timeout", async () => {
    const bash = defaultTools(sandbox, { commandTimeoutSec: 1 })[0] as BashTool;
    expect(textOf(await bash.execute({ command: "while :; do :; done" }))).toBe(
      "[command timed out after 1 s and was killed]\n[the shell was restarted in /testbed]\n[exit code: 137]",
    );
    expect(textOf(await bash.execute({ command: "echo ok" }))).toBe("ok\n[exit code: 0]");
  });

  it("falls back to one exec per command when the sandbox has no shell or it cannot start", async () => {
    const noShell: Sandbox = {
      id: sandbox.id,
      workdir: sandbox.workdir,
      exec: (command, options) => sandbox.exec(command, options),
      readFile: (p) => sandbox.readFile(p),
      writeFile: (p, data, mode) => sandbox.writeFile(p, data, mode),
      remove: async () => {},
    };
    const failing: Sandbox = { ...noShell, openShell: () => Promise.reject(new Error("no shell here")) };
    for (const target of [noShell, failing]) {
      const bash = defaultTools(target, { commandTimeoutSec: 5 })[0] as BashTool;
      expect(textOf(await bash.execute({ command: "cd calc && export X=1" }))).toBe("[exit code: 0]");
      // cwd is carried by the tool; the environment is not (each command is its own process).
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, run by bash in the sandbox
      expect(textOf(await bash.execute({ command: 'pwd; echo "[${X:-}]"' }))).toBe("/testbed/calc\n[]\n[exit code: 0]");
    }
  });
});
