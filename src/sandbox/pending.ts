// A workspace still starting, handed to the agent's tools so the first model call need not wait for it: every call
// waits for the workspace and fails with its start error. The runner ends the agent at once when the start fails.

import type { ExecOptions, ExecResult, Sandbox, Shell } from "./types.js";

export class PendingSandbox implements Sandbox {
  readonly #ready: Promise<Sandbox>;
  #sandbox: Sandbox | undefined;

  /** `workdir`: the workdir the workspace will have (its spec's), known before it starts. */
  constructor(
    ready: Promise<Sandbox>,
    readonly workdir: string,
  ) {
    this.#ready = ready;
    ready.then(
      (sandbox) => {
        this.#sandbox = sandbox;
      },
      () => undefined, // reported by whoever awaits it
    );
  }

  /** The container id once started; empty before. */
  get id(): string {
    return this.#sandbox?.id ?? "";
  }

  async exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    return (await this.#ready).exec(command, options);
  }

  async openShell(): Promise<Shell> {
    const sandbox = await this.#ready;
    if (!sandbox.openShell) throw new Error("this workspace has no persistent shell");
    return sandbox.openShell();
  }

  async readFile(path: string): Promise<Buffer> {
    return (await this.#ready).readFile(path);
  }

  async writeFile(path: string, data: Buffer | string, mode?: number): Promise<void> {
    return (await this.#ready).writeFile(path, data, mode);
  }

  /** Waits for the start to end, then removes what it made; nothing when the start failed. */
  async remove(): Promise<void> {
    const sandbox = await this.#ready.catch(() => undefined);
    await sandbox?.remove();
  }
}
