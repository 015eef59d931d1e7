// Parses pytest `-rA` output into per-test statuses, and decides a task's verdict from them.

export type TestStatus = "PASSED" | "FAILED" | "ERROR" | "SKIPPED" | "XFAIL" | "XPASS";

const STATUSES: readonly TestStatus[] = ["PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"];

/**
 * Reads the short test summary lines (`PASSED tests/a.py::t[x]`, `FAILED tests/a.py::t - AssertionError`).
 * Ids are matched exactly against `known` first, so a parametrized id containing " - " is not split;
 * otherwise the id ends at the first " - ". A later line for the same id wins (rerun plugins).
 */
export function parsePytestLog(log: string, known: readonly string[] = []): Map<string, TestStatus> {
  const statuses = new Map<string, TestStatus>();
  const knownByLength = [...known].sort((a, b) => b.length - a.length);
  for (const rawLine of log.split("\n")) {
    const line = rawLine.replace(/\x1b\[[0-9;]*m/g, "").trimEnd();
    const space = line.indexOf(" ");
    if (space < 0) continue;
    const status = line.slice(0, space) as TestStatus;
    if (!STATUSES.includes(status)) continue;
    const rest = line.slice(space + 1);
    if (status === "SKIPPED" && rest.startsWith("[")) continue; // "SKIPPED [1] file:line: reason" has no test id
    const exact = knownByLength.find((id) => rest === id || rest.startsWith(`${id} - `));
    const id = exact ?? rest.split(" - ")[0]!.trim();
    if (id.includes("::") || exact) statuses.set(id, status);
  }
  return statuses;
}

export interface TestTally {
  passed: number;
  total: number;
  failing: string[];
}

/** A test missing from the log counts as failed; XFAIL/SKIPPED are not passes. */
export function tally(ids: readonly string[], statuses: Map<string, TestStatus>): TestTally {
  const failing = ids.filter((id) => {
    const s = statuses.get(id);
    return s !== "PASSED" && s !== "XPASS";
  });
  return { passed: ids.length - failing.length, total: ids.length, failing };
}

export interface Verdict {
  resolved: boolean;
  failToPass: TestTally;
  passToPass: TestTally;
}

export function verdict(log: string, failToPass: readonly string[], passToPass: readonly string[]): Verdict {
  const statuses = parsePytestLog(log, [...failToPass, ...passToPass]);
  const f2p = tally(failToPass, statuses);
  const p2p = tally(passToPass, statuses);
  return { resolved: f2p.passed === f2p.total && p2p.passed === p2p.total, failToPass: f2p, passToPass: p2p };
}
