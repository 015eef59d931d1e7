// Helpers the command files share: the stderr log, the Docker client, what a flag was given (for messages), and
// the exit rule of a finished run (gates, then cells that measured nothing).

import { UsageError } from "../errors.js";
import type { GateReport } from "../report/gates.js";

/** Progress, notices and warnings: stderr. Final results go to stdout (see README "Output streams"). */
export const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Results on stdout. */
export const out = (text: string): void => {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
};

export async function docker() {
  const { default: Docker } = await import("dockerode");
  return new Docker();
}

/** A Docker client whose engine answered a ping (InfraError otherwise). */
export async function pingedDocker() {
  const { pingDocker } = await import("../sandbox/engine.js");
  const d = await docker();
  await pingDocker(d);
  return d;
}

/** What a flag was given, for its error message: the typed text (rawFlagValue), else the parsed value. */
export type GivenText = (name: string, parsed: unknown) => string;
export async function givenTextOf(raw: readonly string[]): Promise<GivenText> {
  const { rawFlagValue } = await import("../config/options.js");
  return (name, parsed) => {
    const typed = rawFlagValue(raw, name);
    return typed === "" ? "no value" : JSON.stringify(typed ?? parsed);
  };
}

/** Logs every failed gate on its own line; exit 1 when the infrastructure-error gate failed, else 3. */
async function gateExit(gates: GateReport | null, say: (line: string) => void): Promise<number> {
  if (!gates) return 0;
  const failed = gates.results.filter((r) => !r.passed);
  if (failed.length === 0) {
    say(`gates: all ${gates.results.length} passed`);
    return 0;
  }
  for (const r of failed) say(`gate failed: ${r.message}`);
  const { GateError, InfraError } = await import("../errors.js");
  if (gates.exitCode === 1) throw new InfraError("too many tasks ended in error (--max-infra-errors): the results cannot be trusted");
  throw new GateError(`${failed.length} gate(s) failed`);
}

/**
 * The exit rule of a finished run: gate lines first, then one `run failed:` line per cell that measured nothing
 * (runFailures); such a cell is exit 1 whatever the gates said, since its numbers cannot be trusted.
 */
export async function failureExit(failures: readonly string[], gates: GateReport | null, say: (line: string) => void): Promise<number> {
  if (failures.length === 0) return gateExit(gates, say);
  try {
    await gateExit(gates, say);
  } catch {
    // A failed gate already printed its lines; the run failure below decides the exit code (1 over 3).
  }
  for (const f of failures) say(`run failed: ${f}`);
  const { InfraError } = await import("../errors.js");
  throw new InfraError(
    `${failures.length} cell(s) have no graded task: every attempted task ended in an infrastructure error; fix the cause above and rerun (--resume DIR --rerun-errors)`,
  );
}

/** A positional `<action>` missing: name the valid choices (yargs would only say "Not enough arguments"). */
export function missingAction(command: string, choices: readonly string[], example: string): UsageError {
  return new UsageError(`${command}: expected an action: ${choices.join(" | ")} (e.g. ${example})`);
}
