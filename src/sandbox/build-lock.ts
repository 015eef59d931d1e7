// A lock between processes on one machine (image builds): a file in os.tmpdir() created exclusively, holding its
// owner's pid; the lock of a dead owner is taken over.

import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { InfraError, errorMessage } from "../errors.js";
import { pidAlive } from "../util/process.js";

const LOCK_POLL_MS = 500;
/** A lock file without a readable pid that is older than this belongs to a process that died while creating it. */
const LOCK_UNREADABLE_STALE_MS = 10_000;

/**
 * Cross-process lock `<tmpdir>/<name>.lock`: a file created with O_EXCL holding the owner's pid; a lock whose pid is
 * dead is taken over. Resolves to the release function; `what` names the locked work in the timeout error.
 */
export async function acquireLock(name: string, timeoutMs: number, what = name): Promise<() => Promise<void>> {
  const file = path.join(os.tmpdir(), `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await fs.open(file, "wx");
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      return async () => {
        await fs.rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new InfraError(`cannot create image build lock ${file}: ${errorMessage(err)}`, { cause: err });
      }
    }
    const stale = await staleLockContent(file);
    if (stale !== undefined) {
      // Take the stale file away by renaming it (atomic); if what we moved is not the file we judged stale
      // (a waiter beside us took over first and made a fresh lock), put it back. Losing this race costs at
      // worst a duplicate build of the same tag, never a broken image.
      const grave = `${file}.stale-${process.pid}`;
      if (
        await fs.rename(file, grave).then(
          () => true,
          () => false,
        )
      ) {
        const moved = await fs.readFile(grave, "utf8").catch(() => stale);
        if (moved !== stale) await fs.link(grave, file).catch(() => {});
        await fs.rm(grave, { force: true });
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new InfraError(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for another process building ${what} (lock ${file})`);
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

/** The lock file's content when its owner is gone (dead pid, or no pid long after creation), else undefined. */
async function staleLockContent(file: string): Promise<string | undefined> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, { mtimeMs }] = await Promise.all([fs.readFile(file, "utf8"), fs.stat(file)]);
  } catch {
    return undefined; // gone already: the next open will tell
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return Date.now() - mtimeMs > LOCK_UNREADABLE_STALE_MS ? text : undefined;
  return pidAlive(pid) ? undefined : text;
}
