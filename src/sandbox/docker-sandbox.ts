// A started Docker workspace (the Sandbox seam): commands as its user through a persistent command shell when one is
// free (shell-io.ts), else one `docker exec` each (exec.ts); files through that shell or Docker's archive API
// (archive.ts); reset as the user (reset.ts); removal that also drops the lifeline.

import * as path from "node:path";
import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import { InfraError } from "../errors.js";
import { shellQuote } from "../util/shell-quote.js";
import { readFileViaArchive, writeFileViaArchive } from "./archive.js";
import { dockerExec, execLimits } from "./exec.js";
import { pathError } from "./path-errors.js";
import { removeQuietly } from "./removal.js";
import { resetWorkspace } from "./reset.js";
import { ShellSession, ShellStartError } from "./shell.js";
import { execInShell, readFileInShell, writeFileInShell } from "./shell-io.js";
import type { ExecOptions, ExecResult, Sandbox, Shell } from "./types.js";

/** Files up to this size are read through the command shell (base64 on its stdout); bigger ones through the archive API. */
const MAX_SHELL_READ_BYTES = 4 * 1024 ** 2;
/** Files up to this size are written through the command shell (base64 in a here-document bash reads byte by byte). */
const MAX_SHELL_WRITE_BYTES = 48 * 1024;

export interface DockerSandboxOptions {
  /** User every command runs as (exec `User`); the image's user when absent. */
  user?: string;
  /** `KEY=value` entries every exec and shell starts with (WorkspaceSpec.activate's environment). @default none */
  env?: string[];
  /** The attach connection whose stdin keeps the container alive (scripts/prepare.sh); closed after removal. */
  lifeline?: Duplex;
}

/** A started workspace container. Commands run as the workspace's user (else the image's) through `docker exec`. */
export class DockerSandbox implements Sandbox {
  readonly id: string;
  readonly workdir: string;
  readonly #container: Docker.Container;
  readonly #user: string | undefined;
  readonly #env: string[];
  readonly #lifeline: Duplex | undefined;
  #removal: Promise<void> | undefined;
  readonly #shells = new Set<Shell>();
  /** The shell behind exec() (opened on first use); null when it cannot start. */
  #commandShell: Promise<ShellSession | null> | undefined;

  constructor(container: Docker.Container, workdir: string, options: DockerSandboxOptions = {}) {
    this.#container = container;
    this.id = container.id;
    this.workdir = workdir;
    this.#user = options.user;
    this.#env = options.env ?? [];
    this.#lifeline = options.lifeline;
  }

  /** The user commands run as; undefined: the image's (root). */
  get user(): string | undefined {
    return this.#user;
  }

  /** A persistent bash in the workdir (src/sandbox/shell.ts); closed when the sandbox is removed. */
  async openShell(): Promise<Shell> {
    const shell = await ShellSession.open(this.#container, this.#shellOptions());
    this.#shells.add(shell);
    return shell;
  }

  /**
   * Through the command shell (the same `timeout … bash -c` command line, started by a shell instead of a runc exec,
   * ~65 ms of CPU each) unless that shell is busy (concurrent calls), cannot start, or the sandbox is being removed:
   * then through a docker exec.
   */
  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { timeoutSec, maxOutputBytes } = execLimits(options);
    const cwd = options.cwd ?? this.workdir;
    const env = options.env ?? {};
    const viaShell = await this.#viaCommandShell((shell) => execInShell(shell, command, { timeoutSec, maxOutputBytes, cwd, env }));
    if (viaShell !== undefined) return viaShell;
    return dockerExec(this.#container, command, {
      timeoutSec,
      maxOutputBytes,
      cwd,
      env: [...this.#env, ...Object.entries(env).map(([key, value]) => `${key}=${value}`)],
      user: this.#user,
    });
  }

  warm(): void {
    void this.#viaCommandShell(async () => undefined).catch(() => undefined);
  }

  /**
   * Runs `work` on the command shell behind exec/readFile/writeFile (opened on first use or by warm). Undefined when that shell
   * is busy, cannot start, or the sandbox is being removed, or when `work` itself declines: the caller then goes
   * through the Docker API (docker exec, archive upload/download: ~55–85 ms of daemon CPU each).
   */
  async #viaCommandShell<T>(work: (shell: ShellSession) => Promise<T | undefined>): Promise<T | undefined> {
    if (this.#removal !== undefined) return undefined;
    this.#commandShell ??= this.#track(ShellSession.open(this.#container, this.#shellOptions()));
    const shell = await this.#commandShell;
    if (shell === null || shell.busy || this.#removal !== undefined) return undefined;
    try {
      return await work(shell);
    } catch (err) {
      if (!(err instanceof ShellStartError)) throw err;
      this.#commandShell = Promise.resolve(null);
      return undefined;
    }
  }

  /** A command shell being opened, remembered for removal once open; null when it cannot start. */
  #track(opening: Promise<ShellSession>): Promise<ShellSession | null> {
    return opening.then(
      (shell) => {
        this.#shells.add(shell);
        return shell;
      },
      () => null,
    );
  }

  async readFile(filePath: string): Promise<Buffer> {
    const target = this.#resolve(filePath);
    const viaShell = await this.#viaCommandShell((shell) => readFileInShell(shell, target, MAX_SHELL_READ_BYTES));
    return viaShell ?? readFileViaArchive(this.#container, target, filePath);
  }

  async writeFile(filePath: string, data: Buffer | string, mode?: number): Promise<void> {
    const target = this.#resolve(filePath);
    const content = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    if (content.length <= MAX_SHELL_WRITE_BYTES) {
      const written = await this.#viaCommandShell((shell) => writeFileInShell(shell, target, content, mode).then(() => true));
      if (written) return;
    }
    await writeFileViaArchive(this.#container, {
      target,
      shownAs: filePath,
      content,
      mode,
      // With a workspace user, the file must be theirs: missing parents made by them, the entry carries their ids.
      ...(this.#user !== undefined ? { ownerIds: (dir: string) => this.#ownerIds(dir) } : {}),
    });
  }

  async reset(repoDir: string): Promise<void> {
    if (this.#user === undefined)
      throw new InfraError("reset: only a workspace with a non-root user can be reset (a root agent could have changed anything)");
    if (this.#removal !== undefined) throw new InfraError(`reset: sandbox ${this.id.slice(0, 12)} is being removed`);
    // Its shells die with the user's processes: forget them, the next command opens new ones.
    for (const shell of this.#shells) void shell.close();
    this.#shells.clear();
    this.#commandShell = undefined;
    const { exec, stdio } = await resetWorkspace(this.#container, { workdir: this.workdir, user: this.#user, repoDir });
    // The script execs a bash on the same stdin: that becomes the command shell (one exec less); exec() opens its
    // own should it not answer.
    const session = this.#track(ShellSession.adopt(this.#container, exec, stdio, this.#shellOptions()));
    this.#commandShell = session;
    await session;
  }

  remove(): Promise<void> {
    for (const shell of this.#shells) void shell.close();
    this.#shells.clear();
    // Concurrent calls share one request; a failed one (engine unreachable) may be retried.
    this.#removal ??= removeQuietly(this.#container).then(
      () => {
        this.#lifeline?.destroy();
      },
      (err: unknown) => {
        this.#removal = undefined;
        throw err;
      },
    );
    return this.#removal;
  }

  /** Numeric ids of the workspace user, after making `dir` (as that user) when it is missing. */
  async #ownerIds(dir: string): Promise<{ uid: number; gid: number }> {
    const r = await this.exec(`mkdir -p -- ${shellQuote(dir)} && id -u && id -g`, { timeoutSec: 30 });
    const [uid, gid] = r.stdout.trim().split("\n").map(Number);
    if (r.exitCode !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid)) {
      throw pathError(dir, r.stderr) ?? new InfraError(`cannot prepare ${dir} in sandbox: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    }
    return { uid: uid as number, gid: gid as number };
  }

  #shellOptions(): { workdir: string; user?: string; env?: string[] } {
    return {
      workdir: this.workdir,
      ...(this.#user !== undefined ? { user: this.#user } : {}),
      ...(this.#env.length > 0 ? { env: this.#env } : {}),
    };
  }

  #resolve(filePath: string): string {
    return path.posix.resolve(this.workdir, filePath);
  }
}
