// SWE-bench's verdict on an evaluation log (harness/grading.py and infra_failure.py, v5.0.2), rewritten: the log
// markers, which logs can be graded, the per-list test report, the resolution status, and the per-instance
// report.json. HEAD's rules are implemented; where v4.1.0 differs it is said at the spot.

import { LogParserCrash, PY_WHITESPACE, parseTestLog, type LogParserName, type ParsedStatus, type StatusMap } from "./log-parsers.js";

// ---------------------------------------------------------------------------------------------------------------
// Markers (harness/constants), byte for byte: logs written by SWE-bench and by our eval scripts are read alike.

export const START_TEST_OUTPUT = ">>>>> Start Test Output";
export const END_TEST_OUTPUT = ">>>>> End Test Output";
export const APPLY_PATCH_FAIL = ">>>>> Patch Apply Failed";
export const APPLY_PATCH_PASS = ">>>>> Applied Patch";
export const RESET_FAILED = ">>>>> Reset Failed";
export const TESTS_ERROR = ">>>>> Tests Errored";
export const TESTS_TIMEOUT = ">>>>> Tests Timed Out";
/** SWE-bench HEAD's marker for the test command's own exit status (v4.1.0 had none). Note: "Test", not "Tests". */
export const TEST_EXIT_CODE = ">>>>> Test Exit Code";
/** The line prefix an eval script prints, followed by the status: `>>>>> Test Exit Code: 1`. */
export const TESTS_EXIT_CODE_MARKER = `${TEST_EXIT_CODE}: `;
/** The shell variable SWE-bench's eval scripts keep `$?` in. */
export const TEST_EXIT_CODE_VAR = "SWEBENCH_TEST_EXIT_CODE";

/**
 * The eval-script lines SWE-bench (record_test_exit_code) puts around the end marker: `$?` is taken right after the
 * test command, and echoed *after* the end marker so that no parser sees it. The script runs without `set -e` and ends
 * with a `git checkout` of the test files, so its own exit status is the checkout's, not the tests'.
 */
export function testExitCodeScriptLines(endMarkerLine = `: '${END_TEST_OUTPUT}'`): string[] {
  return [`${TEST_EXIT_CODE_VAR}=$?`, endMarkerLine, `echo "${TESTS_EXIT_CODE_MARKER}$${TEST_EXIT_CODE_VAR}"`];
}

const S = `[${PY_WHITESPACE}]`;
const EXIT_CODE_RE = new RegExp(`>>>>> Test Exit Code:${S}*(-?\\p{Nd}+)`, "u");

/**
 * The first recorded test exit status in a log, or null. SWE-bench searches the whole log, so a line printed by the
 * tests themselves before the real one would win there too.
 */
export function parseTestExitCode(log: string): number | null {
  const match = EXIT_CODE_RE.exec(log);
  if (!match) return null;
  // Python's `\d` and int() take any Unicode decimal digit, not only ASCII ones.
  const digits = [...match[1]!].map((ch) => (ch === "-" ? ch : String(digitValue(ch)))).join("");
  return Number(digits);
}

/** Unicode encodes decimal digits in runs of ten, 0 to 9, so a digit's value is its offset in its run of digits. */
function digitValue(ch: string): number {
  const cp = ch.codePointAt(0)!;
  let offset = 0;
  while (/\p{Nd}/u.test(String.fromCodePoint(cp - offset - 1))) offset++;
  return offset % 10;
}

// ---------------------------------------------------------------------------------------------------------------
// Which logs can be graded (get_logs_eval)

/**
 * Evidence that a test runner ran, for a log whose parser found nothing (HEAD only). Every count must be non-zero:
 * "Executed 0 of 0" is a runner that lost its browser, not a clean run. None of these runners is Python's; the check
 * matters to the Python repos only in that an empty result with no such line is not gradable.
 */
const SUITE_RAN = new RegExp(
  [
    "Executed [1-9]\\p{Nd}* of \\p{Nd}+",
    "TOTAL: [1-9]\\p{Nd}* (?:SUCCESS|FAILED)",
    "[1-9]\\p{Nd}* passing",
    `Tests:${S}+[1-9]\\p{Nd}*`,
    `Test Suites:${S}+(?:\\p{Nd}+ [\\p{L}\\p{N}_]+, )*[1-9]\\p{Nd}* total`,
    "(?<![^\\n])# tests [1-9]\\p{Nd}*",
    "[1-9]\\p{Nd}* specs?, \\p{Nd}+ failures?",
    "': ok(?![^\\n])",
  ].join("|"),
  "u",
);

export type LogsEvalFailure =
  | "apply_patch_failed"
  | "reset_failed"
  | "tests_errored"
  | "tests_timed_out"
  | "markers_missing"
  | "no_results"
  | "exit_code_contradicts_log";

export type LogsEval = { ok: true; statuses: StatusMap } | { ok: false; reason: LogsEvalFailure; detail: string };

const BAD_MARKERS: ReadonlyArray<readonly [string, LogsEvalFailure]> = [
  [APPLY_PATCH_FAIL, "apply_patch_failed"],
  [RESET_FAILED, "reset_failed"],
  [TESTS_ERROR, "tests_errored"],
  [TESTS_TIMEOUT, "tests_timed_out"],
];

/**
 * Python's text-mode read (universal newlines): "\r\n" and a lone "\r" become "\n". SWE-bench reads test_output.txt
 * that way before parsing, so a "\r"-joined progress line splits into lines there too.
 */
export function normalizeNewlines(log: string): string {
  return log.replace(/\r\n?/g, "\n");
}

/**
 * SWE-bench's get_logs_eval on the whole evaluation log: refuse a log with a failure marker or without both test
 * output markers; parse between the first start marker and the next end marker, or the whole log when that finds
 * nothing (results can land outside the markers when stdout and stderr interleave; v4.1.0 had this fallback too);
 * then (HEAD only) refuse an empty result with no sign the suite ran, and a log that reports no FAILED/ERROR while the
 * recorded test exit status is non-zero (a patch can print its own PASSED lines, SWE-bench #620).
 * Throws LogParserCrash where SWE-bench's parser raises.
 */
export function getLogsEval(log: string, parser: LogParserName): LogsEval {
  const content = normalizeNewlines(log);
  const bad = BAD_MARKERS.find(([marker]) => content.includes(marker));
  if (bad) return { ok: false, reason: bad[1], detail: `the log contains "${bad[0]}"` };
  if (!(content.includes(START_TEST_OUTPUT) && content.includes(END_TEST_OUTPUT))) {
    return { ok: false, reason: "markers_missing", detail: `the log lacks "${START_TEST_OUTPUT}" or "${END_TEST_OUTPUT}"` };
  }
  // Python's content.split(START)[1].split(END)[0]: up to a second start marker, then up to the first end marker.
  const section = content.split(START_TEST_OUTPUT)[1]!.split(END_TEST_OUTPUT)[0]!;
  let statuses = parseTestLog(parser, section);
  if (statuses.size === 0) statuses = parseTestLog(parser, content);
  if (statuses.size === 0 && !SUITE_RAN.test(content)) {
    return { ok: false, reason: "no_results", detail: "no test results in the log and no sign the test suite ran" };
  }
  const exitCode = parseTestExitCode(content);
  if (exitCode !== null && exitCode !== 0 && statuses.size > 0) {
    const anyFailure = [...statuses.values()].some((s) => s === "FAILED" || s === "ERROR");
    if (!anyFailure) {
      return {
        ok: false,
        reason: "exit_code_contradicts_log",
        detail: `the tests exited ${exitCode} but the log reports no FAILED or ERROR test`,
      };
    }
  }
  return { ok: true, statuses };
}

// ---------------------------------------------------------------------------------------------------------------
// Per-test verdicts

/**
 * The status-map key for a listed id. 676 ids of SWE-bench_Verified are cut inside a parameter
 * (`test_x[log(photon`, SWE-bench #290); only for an id with more "[" than "]", the first log id it prefixes is used
 * when all such log ids agree on pass versus not-pass (PASSED and XFAIL agree). HEAD only: v4.1.0 matched exactly.
 */
export function resolveCase(id: string, statuses: StatusMap): string | null {
  if (statuses.has(id)) return id;
  if (count(id, "[") > count(id, "]")) {
    const matches = [...statuses.keys()].filter((key) => key.startsWith(id));
    const outcomes = new Set(matches.map((key) => isPass(statuses.get(key)!)));
    if (matches.length > 0 && outcomes.size === 1) return matches[0]!;
  }
  return null;
}

function count(text: string, ch: string): number {
  return text.split(ch).length - 1;
}

function isPass(status: ParsedStatus): boolean {
  return status === "PASSED" || status === "XFAIL";
}

/** PASSED or XFAIL. There is no XPASS status: such a test is not in the map, so it is missing. */
export function testPassed(id: string, statuses: StatusMap): boolean {
  const key = resolveCase(id, statuses);
  return key !== null && isPass(statuses.get(key)!);
}

/** PASS_TO_PASS: a skipped test is not a regression (HEAD, SWE-bench #545; v4.1.0 put it in neither list). */
export function testMaintained(id: string, statuses: StatusMap): boolean {
  const key = resolveCase(id, statuses);
  return testPassed(id, statuses) || (key !== null && statuses.get(key) === "SKIPPED");
}

/**
 * Missing, FAILED, ERROR, or (HEAD) SKIPPED: a skipped FAIL_TO_PASS test is no resolution (v4.1.0 put it in neither
 * list, so an all-skipped FAIL_TO_PASS resolved). A status outside the enum is neither passed nor failed.
 */
export function testFailed(id: string, statuses: StatusMap): boolean {
  const key = resolveCase(id, statuses);
  if (key === null) return true;
  const status = statuses.get(key);
  return status === "FAILED" || status === "ERROR" || status === "SKIPPED";
}

// ---------------------------------------------------------------------------------------------------------------
// Reports

export interface TestLists {
  success: string[];
  failure: string[];
}

/** SWE-bench's tests_status, keys in its order. */
export interface TestsReport {
  FAIL_TO_PASS: TestLists;
  PASS_TO_PASS: TestLists;
  FAIL_TO_FAIL: TestLists;
  PASS_TO_FAIL: TestLists;
}

export interface GoldTests {
  FAIL_TO_PASS: readonly string[];
  PASS_TO_PASS: readonly string[];
  FAIL_TO_FAIL?: readonly string[];
  PASS_TO_FAIL?: readonly string[];
}

/**
 * "pass_and_fail" for every Python repository; "fail_only" (v5 rows of a few JavaScript repositories whose parsers
 * record failures only): a test fails only when the log says FAILED, matched exactly.
 */
export type EvalType = "pass_and_fail" | "fail_only";

export interface EvalTestsOptions {
  evalType?: EvalType;
  /** Grade FAIL_TO_FAIL and PASS_TO_FAIL too; SWE-bench's report never does, so they stay empty. */
  calculateToFail?: boolean;
}

/**
 * SWE-bench's get_eval_tests_report. A test lands in `success`, in `failure`, or (a status outside the enum) in
 * neither, which then does not count in the ratios either.
 */
export function evalTestsReport(statuses: StatusMap, gold: GoldTests, options: EvalTestsOptions = {}): TestsReport {
  const failOnly = options.evalType === "fail_only";
  const grade = (ids: readonly string[], kept: (id: string) => boolean): TestLists => {
    const lists: TestLists = { success: [], failure: [] };
    for (const id of ids) {
      if (failOnly) {
        (statuses.get(id) === "FAILED" ? lists.failure : lists.success).push(id);
      } else if (kept(id)) lists.success.push(id);
      else if (testFailed(id, statuses)) lists.failure.push(id);
    }
    return lists;
  };
  const passed = (id: string) => testPassed(id, statuses);
  const maintained = (id: string) => testMaintained(id, statuses);
  const toFail = options.calculateToFail === true;
  return {
    FAIL_TO_PASS: grade(gold.FAIL_TO_PASS, passed),
    PASS_TO_PASS: grade(gold.PASS_TO_PASS, maintained),
    FAIL_TO_FAIL: toFail ? grade(gold.FAIL_TO_FAIL ?? [], passed) : { success: [], failure: [] },
    PASS_TO_FAIL: toFail ? grade(gold.PASS_TO_FAIL ?? [], passed) : { success: [], failure: [] },
  };
}

export type ResolutionStatus = "RESOLVED_FULL" | "RESOLVED_PARTIAL" | "RESOLVED_NO";

function ratio(lists: TestLists): number {
  const total = lists.success.length + lists.failure.length;
  return total === 0 ? 1 : lists.success.length / total;
}

/**
 * FULL: every FAIL_TO_PASS and PASS_TO_PASS test kept; PARTIAL: some but not all FAIL_TO_PASS, every PASS_TO_PASS;
 * otherwise NO. An empty list counts as all kept. Only FULL is "resolved".
 */
export function resolutionStatus(report: Pick<TestsReport, "FAIL_TO_PASS" | "PASS_TO_PASS">): ResolutionStatus {
  const f2p = ratio(report.FAIL_TO_PASS);
  const p2p = ratio(report.PASS_TO_PASS);
  if (f2p === 1 && p2p === 1) return "RESOLVED_FULL";
  if (f2p > 0 && f2p < 1 && p2p === 1) return "RESOLVED_PARTIAL";
  return "RESOLVED_NO";
}

// ---------------------------------------------------------------------------------------------------------------
// Infrastructure failures (HEAD's infra_failure.py): advisory, never changes `resolved`

export type InfraTier = "environment" | "ambiguous";

export interface InfraFailure {
  reason: string;
  tier: InfraTier;
}

const INFRA_SIGNATURES: ReadonlyArray<readonly [string, InfraTier, RegExp]> = [
  ["browser_launch_failed", "environment", /Failed to launch|Failed to connect to the bus/u],
  ["display_unavailable", "environment", /cannot open display|Missing X server|unable to open X display/u],
  ["out_of_memory", "environment", /Cannot allocate memory|OutOfMemoryError|(?<![^\n])Killed(?![^\n])/u],
  ["container_unavailable", "environment", /Error response from daemon|Cannot connect to the Docker daemon/u],
  ["network_unreachable", "environment", /Could not resolve host|Temporary failure in name resolution/u],
  ["missing_module", "ambiguous", /Cannot find module|MODULE_NOT_FOUND|ModuleNotFoundError/u],
  ["no_tests_collected", "ambiguous", /no tests ran|collected 0 items/u],
  ["tests_timed_out", "ambiguous", /Timeout error: \p{Nd}+ seconds exceeded/u],
];

/** The first matching signature in a log SWE-bench could not grade, or null. */
export function classifyInfraFailure(log: string): InfraFailure | null {
  const text = normalizeNewlines(log);
  if (text === "") return null;
  for (const [reason, tier, pattern] of INFRA_SIGNATURES) if (pattern.test(text)) return { reason, tier };
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// One instance

export interface GradeInput {
  /** The whole evaluation log (SWE-bench's test_output.txt), markers included. */
  log: string;
  parser: LogParserName;
  failToPass: readonly string[];
  passToPass: readonly string[];
  evalType?: EvalType;
  /** The test run hit its time limit: SWE-bench appends "Timeout error: …" and writes no report.json. */
  timedOut?: boolean;
}

export interface GradeResult {
  resolved: boolean;
  status: ResolutionStatus;
  /** SWE-bench's tests_status; null exactly where its report.json has none (the log could not be graded). */
  testsStatus: TestsReport | null;
  /** Per listed id (FAIL_TO_PASS, then PASS_TO_PASS): the status found for it, "MISSING" when none (or no grading). */
  statuses: Record<string, ParsedStatus | "MISSING">;
  /** SWE-bench's `patch_successfully_applied`: the log could be graded. */
  gradable: boolean;
  /** False where SWE-bench writes no report.json at all (time-out, parser crash): the instance is an error. */
  reportable: boolean;
  /** Why the log could not be graded. */
  error?: string;
  /** HEAD's advisory classification of a log that could not be graded. */
  infraFailure: InfraFailure | null;
}

/** Grades one evaluation log as SWE-bench HEAD does (get_eval_report for a prediction whose patch is not None). */
export function gradeLog(input: GradeInput): GradeResult {
  const ids = [...input.failToPass, ...input.passToPass];
  const missing = () => Object.fromEntries(ids.map((id) => [id, "MISSING" as const]));
  const ungraded = (error: string, reportable: boolean, log: string): GradeResult => ({
    resolved: false,
    status: "RESOLVED_NO",
    testsStatus: null,
    statuses: missing(),
    gradable: false,
    reportable,
    error,
    infraFailure: reportable ? classifyInfraFailure(log) : null,
  });
  if (input.timedOut) return ungraded("the tests timed out", false, input.log);
  let logs: LogsEval;
  try {
    logs = getLogsEval(input.log, input.parser);
  } catch (err) {
    if (err instanceof LogParserCrash) return ungraded(err.message, false, input.log);
    throw err;
  }
  if (!logs.ok) return ungraded(`${logs.reason}: ${logs.detail}`, true, input.log);
  const evalType = input.evalType ?? "pass_and_fail";
  const testsStatus = evalTestsReport(logs.statuses, { FAIL_TO_PASS: input.failToPass, PASS_TO_PASS: input.passToPass }, { evalType });
  const status = resolutionStatus(testsStatus);
  const statuses: Record<string, ParsedStatus | "MISSING"> = {};
  for (const id of ids) {
    const key = evalType === "fail_only" ? (logs.statuses.has(id) ? id : null) : resolveCase(id, logs.statuses);
    statuses[id] = key === null ? "MISSING" : logs.statuses.get(key)!;
  }
  return { resolved: status === "RESOLVED_FULL", status, testsStatus, statuses, gradable: true, reportable: true, infraFailure: null };
}

export interface InstanceReportInput {
  patchIsNone: boolean;
  patchExists: boolean;
  patchApplied: boolean;
  resolved: boolean;
  testsStatus: TestsReport | null;
  infraFailure?: InfraFailure | null;
}

export interface InstanceReportEntry {
  patch_is_None: boolean;
  patch_exists: boolean;
  patch_successfully_applied: boolean;
  resolved: boolean;
  infra_failure: boolean;
  infra_failure_reason?: string;
  tests_status?: TestsReport;
}

/**
 * The per-instance report.json, keys in SWE-bench HEAD's order. A None patch reports nothing else; tests_status is
 * there only for a graded log; infra_failure (HEAD; v4.1.0 had no such key) is true only for an environment-tier
 * classification, whose reason is then given, as is an ambiguous one's.
 */
export function instanceReport(instanceId: string, input: InstanceReportInput): Record<string, InstanceReportEntry> {
  const entry: InstanceReportEntry = {
    patch_is_None: input.patchIsNone,
    patch_exists: !input.patchIsNone && input.patchExists,
    patch_successfully_applied: false,
    resolved: false,
    infra_failure: false,
  };
  if (!input.patchIsNone) {
    entry.patch_successfully_applied = input.patchApplied;
    if (input.patchApplied) {
      entry.resolved = input.resolved;
      if (input.testsStatus) entry.tests_status = input.testsStatus;
    } else if (input.infraFailure) {
      entry.infra_failure = input.infraFailure.tier === "environment";
      entry.infra_failure_reason = input.infraFailure.reason;
    }
  }
  return { [instanceId]: entry };
}
