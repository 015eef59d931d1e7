// Wraps a SandboxProvider and remembers every live workspace, so a signal handler can remove them all.

import { withRemove, type Sandbox, type SandboxProvider, type WorkspaceSpec } from "./types.js";

export class TrackingProvider implements SandboxProvider {
  readonly #inner: SandboxProvider;
  readonly #live = new Set<Sandbox>();

  constructor(inner: SandboxProvider) {
    this.#inner = inner;
  }

  get liveCount(): number {
    return this.#live.size;
  }

  async create(spec: WorkspaceSpec): Promise<Sandbox> {
    const sandbox = await this.#inner.create(spec);
    this.#live.add(sandbox);
    const live = this.#live;
    return withRemove(sandbox, async () => {
      live.delete(sandbox);
      await sandbox.remove();
    });
  }

  /** Removes every workspace still alive; safe to call more than once. */
  async removeAll(): Promise<void> {
    const all = [...this.#live];
    this.#live.clear();
    await Promise.allSettled(all.map((s) => s.remove()));
  }
}
