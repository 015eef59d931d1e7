// SWE-bench's verdict as ported in src/grading/swebench-grading.ts: the cases of SWE-bench's grading tests
// (tests/test_grading_*.py at v5.0.2, restated), excerpts of real harness logs with the verdicts their report.json
// gave, and the report.json shape.

import { describe, expect, it } from "vitest";
import type { StatusMap } from "../../src/grading/log-parsers.js";
import {
  APPLY_PATCH_FAIL,
  classifyInfraFailure,
  END_TEST_OUTPUT,
  evalTestsReport,
  getLogsEval,
  gradeLog,
  instanceReport,
  parseTestExitCode,
  resolutionStatus,
  resolveCase,
  RESET_FAILED,
  START_TEST_OUTPUT,
  testExitCodeScriptLines,
  testFailed,
  testMaintained,
  testPassed,
  TESTS_ERROR,
  TESTS_EXIT_CODE_MARKER,
  TESTS_TIMEOUT,
} from "../../src/grading/swebench-grading.js";

const sm = (entries: Record<string, string>): StatusMap => new Map(Object.entries(entries));
const empty = { success: [], failure: [] };

describe("markers", () => {
  it("are SWE-bench's strings", () => {
    expect([
      START_TEST_OUTPUT,
      END_TEST_OUTPUT,
      APPLY_PATCH_FAIL,
      RESET_FAILED,
      TESTS_ERROR,
      TESTS_TIMEOUT,
      TESTS_EXIT_CODE_MARKER,
    ]).toEqual([
      ">>>>> Start Test Output",
      ">>>>> End Test Output",
      ">>>>> Patch Apply Failed",
      ">>>>> Reset Failed",
      ">>>>> Tests Errored",
      ">>>>> Tests Timed Out",
      ">>>>> Test Exit Code: ",
    ]);
  });

  it("the exit status is taken right after the test command and echoed after the end marker", () => {
    expect(testExitCodeScriptLines()).toEqual([
      "SWEBENCH_TEST_EXIT_CODE=$?",
      ": '>>>>> End Test Output'",
      'echo ">>>>> Test Exit Code: $SWEBENCH_TEST_EXIT_CODE"',
    ]);
  });

  it("parses the recorded exit status (the first one in the log)", () => {
    expect(parseTestExitCode(">>>>> Test Exit Code: 0")).toBe(0);
    expect(parseTestExitCode(">>>>> Test Exit Code: 137")).toBe(137);
    expect(parseTestExitCode("+ echo '>>>>> Test Exit Code: 1'\n>>>>> Test Exit Code: 1")).toBe(1);
    expect(parseTestExitCode(">>>>> Test Exit Code:-2")).toBe(-2);
    expect(parseTestExitCode(">>>>> Test Exit Code: \u0661\u0662")).toBe(12);
    expect(parseTestExitCode(">>>>> Tests Exit Code: 1")).toBeNull();
    expect(parseTestExitCode("no marker here")).toBeNull();
  });
});

describe("getLogsEval: SWE-bench's marker and fallback tests, restated", () => {
  it("uses the results between the markers", () => {
    const r = getLogsEval(`${START_TEST_OUTPUT}\nPASSED tests/test_a.py::test_in\n${END_TEST_OUTPUT}\n`, "pytest");
    expect(r.ok && Object.fromEntries(r.statuses)).toEqual({ "tests/test_a.py::test_in": "PASSED" });
  });

  it("falls back to the whole log when nothing is between the markers", () => {
    const r = getLogsEval(`PASSED tests/test_a.py::test_outside\n${START_TEST_OUTPUT}\n${END_TEST_OUTPUT}\n`, "pytest");
    expect(r.ok && Object.fromEntries(r.statuses)).toEqual({ "tests/test_a.py::test_outside": "PASSED" });
  });

  it("refuses a log without the markers", () => {
    expect(getLogsEval("PASSED tests/test_a.py::test_x\n", "pytest")).toMatchObject({ ok: false, reason: "markers_missing" });
  });

  it("refuses an empty result with no sign the suite ran", () => {
    const log = `${START_TEST_OUTPUT}\nChrome failed 2 times (cannot start). Giving up.\n${END_TEST_OUTPUT}\n`;
    expect(getLogsEval(log, "pytest")).toMatchObject({ ok: false, reason: "no_results" });
  });

  it("accepts an empty result when a runner summary shows the suite ran", () => {
    for (const evidence of [
      "Executed 1339 of 1346 (skipped 7) SUCCESS\nTOTAL: 1339 SUCCESS",
      "Started\n.....\n\n658 specs, 0 failures",
      "# tests 12",
    ]) {
      const r = getLogsEval(`${START_TEST_OUTPUT}\n${evidence}\n${END_TEST_OUTPUT}\n`, "pytest");
      expect(r.ok && r.statuses.size).toBe(0);
    }
  });

  it("does not take a zero count as evidence", () => {
    const log = `${START_TEST_OUTPUT}\nChrome 120: Executed 0 of 0 DISCONNECTED\n${END_TEST_OUTPUT}\n`;
    expect(getLogsEval(log, "pytest").ok).toBe(false);
  });

  it.each([
    [APPLY_PATCH_FAIL, "apply_patch_failed"],
    [RESET_FAILED, "reset_failed"],
    [TESTS_ERROR, "tests_errored"],
    [TESTS_TIMEOUT, "tests_timed_out"],
  ])("refuses a log containing %s anywhere", (marker, reason) => {
    const log = `${START_TEST_OUTPUT}\nPASSED a.py::t\n${END_TEST_OUTPUT}\nlater: ${marker}\n`;
    expect(getLogsEval(log, "pytest")).toMatchObject({ ok: false, reason });
  });

  it("parses up to a second start marker and the first end marker after the first start", () => {
    const log = `${END_TEST_OUTPUT}\n${START_TEST_OUTPUT}\nPASSED a.py::in\n${START_TEST_OUTPUT}\nPASSED a.py::after\n${END_TEST_OUTPUT}\n`;
    const r = getLogsEval(log, "pytest");
    expect(r.ok && [...r.statuses.keys()]).toEqual(["a.py::in"]);
  });

  it("reads the log as Python's text mode does: '\\r\\n' and a lone '\\r' end lines", () => {
    const log = `${START_TEST_OUTPUT}\r\nprogress 10%\rPASSED a.py::t\r\ntest_x (m.T) ... ok\r\n${END_TEST_OUTPUT}\r\n`;
    const r = getLogsEval(log, "pytest");
    expect(r.ok && Object.fromEntries(r.statuses)).toEqual({ "a.py::t": "PASSED" });
  });
});

describe("getLogsEval: SWE-bench's spoofed-output tests, restated", () => {
  const log = (body: string, exitCode?: number) =>
    [
      START_TEST_OUTPUT,
      body,
      END_TEST_OUTPUT,
      ...(exitCode === undefined ? [] : [`>>>>> Test Exit Code: ${exitCode}`]),
      "git checkout abc123 tests/test_new.py",
    ].join("\n");

  it("refuses PASSED lines when the tests exited non-zero", () => {
    expect(getLogsEval(log("PASSED test_a", 1), "pytest")).toMatchObject({ ok: false, reason: "exit_code_contradicts_log" });
  });

  it("grades a genuine pass, a genuine failure, and a log without a recorded status", () => {
    for (const [body, code, want] of [
      ["PASSED test_a", 0, "PASSED"],
      ["FAILED test_a", 1, "FAILED"],
      ["PASSED test_a", undefined, "PASSED"],
    ] as const) {
      const r = getLogsEval(log(body, code), "pytest");
      expect(r.ok && Object.fromEntries(r.statuses)).toEqual({ test_a: want });
    }
  });

  it("is not misled by a failing reset after a passing run", () => {
    const text = `${START_TEST_OUTPUT}\nPASSED test_a\n${END_TEST_OUTPUT}\n>>>>> Test Exit Code: 0\ngit checkout abc123 tests/test_new.py\nerror: pathspec 'tests/test_new.py' did not match any file(s) known to git\n`;
    expect(getLogsEval(text, "pytest").ok).toBe(true);
  });

  it("an ERROR status is a recorded failure too; an empty result with a non-zero status needs only evidence", () => {
    expect(getLogsEval(log("ERROR test_a", 2), "pytest").ok).toBe(true);
    expect(getLogsEval(log("5 passing", 1), "pytest").ok).toBe(true);
  });
});

describe("per-test verdicts: SWE-bench's truncated-id and skip tests, restated", () => {
  it("matches well-formed ids exactly", () => {
    const s = sm({ "tests/test_a.py::test_x[case-1]": "PASSED" });
    expect(testPassed("tests/test_a.py::test_x[case-1]", s)).toBe(true);
    expect(testFailed("tests/test_a.py::test_x[case-1]", s)).toBe(false);
    const other = sm({ "tests/test_a.py::test_x[case-1-extended]": "PASSED" });
    expect(testPassed("tests/test_a.py::test_x[case-1]", other)).toBe(false);
    expect(testFailed("tests/test_a.py::test_x[case-1]", other)).toBe(true);
  });

  it("matches an id cut inside a parameter by prefix", () => {
    const cut = "astropy/units/tests/test_format.py::test_ogip_grammar_fail[log(photon";
    const s = sm({ [`${cut} / m**2 s)]`]: "PASSED" });
    expect(testPassed(cut, s)).toBe(true);
    expect(testFailed(cut, s)).toBe(false);
    expect(testFailed("tests/test_a.py::test_x[log(photon", sm({ "tests/test_b.py::test_y[other]": "PASSED" }))).toBe(true);
    const failed = sm({ "tests/test_a.py::test_x[log(photon / m**2 s)]": "FAILED" });
    expect(testPassed("tests/test_a.py::test_x[log(photon", failed)).toBe(false);
    expect(testFailed("tests/test_a.py::test_x[log(photon", failed)).toBe(true);
  });

  it("accepts several prefix matches only when they agree on pass versus not-pass", () => {
    const cut = "tests/test_a.py::test_x[args1-No";
    const agree = sm({ "tests/test_a.py::test_x[args1-None]": "PASSED", "tests/test_a.py::test_x[args1-No-value]": "PASSED" });
    expect(testPassed(cut, agree)).toBe(true);
    const mixed = sm({ "tests/test_a.py::test_x[args1-None]": "PASSED", "tests/test_a.py::test_x[args1-No-value]": "FAILED" });
    expect(testPassed(cut, mixed)).toBe(false);
    expect(testFailed(cut, mixed)).toBe(true);
    const cut2 = "tests/test_text.py::test_callable_analyzer_error[file-AttributeError-'str'";
    const xfailMix = sm({
      [`${cut2} object has no attribute 'read'-CountVectorizer]`]: "PASSED",
      [`${cut2} object has no attribute 'read'-TfidfVectorizer]`]: "PASSED",
      [`${cut2} object has no attribute 'read'-HashingVectorizer]`]: "XFAIL",
    });
    expect(testPassed(cut2, xfailMix)).toBe(true);
    expect(testFailed(cut2, xfailMix)).toBe(false);
  });

  it("never prefix-matches an id with a surplus ']'", () => {
    const s = sm({ "handles foo] gracefully and more": "PASSED" });
    expect(testPassed("handles foo] gracefully", s)).toBe(false);
    expect(testFailed("handles foo] gracefully", s)).toBe(true);
  });

  it("uses the first matching log id when several non-passing ones agree", () => {
    const s = sm({ "t[a-1]": "SKIPPED", "t[a-2]": "FAILED" });
    expect(resolveCase("t[a", s)).toBe("t[a-1]");
    expect(testMaintained("t[a", s)).toBe(true);
  });

  it("a skipped FAIL_TO_PASS test fails, a skipped PASS_TO_PASS test is kept", () => {
    expect(testFailed("t", sm({ t: "SKIPPED" }))).toBe(true);
    expect(testMaintained("t", sm({ t: "SKIPPED" }))).toBe(true);
    expect(testMaintained("t", sm({ t: "PASSED" }))).toBe(true);
    expect(testMaintained("t", sm({ t: "FAILED" }))).toBe(false);
  });

  it("XFAIL passes; XPASS is no status, so the test is missing", () => {
    expect(testPassed("t", sm({ t: "XFAIL" }))).toBe(true);
    expect(testFailed("t", sm({}))).toBe(true);
  });
});

describe("evalTestsReport and resolutionStatus", () => {
  const gold = (f2p: string[], p2p: string[]) => ({ FAIL_TO_PASS: f2p, PASS_TO_PASS: p2p });

  it("an all-skipped FAIL_TO_PASS is not resolved (SWE-bench #545)", () => {
    const report = evalTestsReport(sm({ t_a: "SKIPPED", t_b: "SKIPPED", t_c: "PASSED" }), gold(["t_a", "t_b"], ["t_c"]));
    expect(report).toEqual({
      FAIL_TO_PASS: { success: [], failure: ["t_a", "t_b"] },
      PASS_TO_PASS: { success: ["t_c"], failure: [] },
      FAIL_TO_FAIL: empty,
      PASS_TO_FAIL: empty,
    });
    expect(resolutionStatus(report)).toBe("RESOLVED_NO");
  });

  it("a skipped PASS_TO_PASS test does not block resolution", () => {
    const report = evalTestsReport(sm({ t_a: "PASSED", t_c: "SKIPPED" }), gold(["t_a"], ["t_c"]));
    expect(report.PASS_TO_PASS.success).toEqual(["t_c"]);
    expect(resolutionStatus(report)).toBe("RESOLVED_FULL");
  });

  it("FULL, PARTIAL and NO; empty lists count as all kept", () => {
    const s = sm({ a: "PASSED", b: "FAILED", c: "PASSED", d: "ERROR" });
    expect(resolutionStatus(evalTestsReport(s, gold([], [])))).toBe("RESOLVED_FULL");
    expect(resolutionStatus(evalTestsReport(s, gold(["a", "b"], ["c"])))).toBe("RESOLVED_PARTIAL");
    expect(resolutionStatus(evalTestsReport(s, gold(["a", "b"], ["c", "d"])))).toBe("RESOLVED_NO");
    expect(resolutionStatus(evalTestsReport(s, gold(["b"], ["c"])))).toBe("RESOLVED_NO");
    expect(resolutionStatus(evalTestsReport(s, gold(["a"], ["missing"])))).toBe("RESOLVED_NO");
  });

  it("a status outside the enum lands in neither list and so does not count", () => {
    const report = evalTestsReport(sm({ x: "PASSED:" }), gold(["x"], []));
    expect(report.FAIL_TO_PASS).toEqual(empty);
    expect(resolutionStatus(report)).toBe("RESOLVED_FULL");
  });

  it("fail_only: only an exact FAILED fails", () => {
    const report = evalTestsReport(sm({ a: "FAILED", "b[x]": "FAILED" }), gold(["a", "b[", "c"], []), { evalType: "fail_only" });
    expect(report.FAIL_TO_PASS).toEqual({ success: ["b[", "c"], failure: ["a"] });
  });

  it("grades FAIL_TO_FAIL and PASS_TO_FAIL only when asked", () => {
    const s = sm({ a: "PASSED", b: "FAILED" });
    const g = { FAIL_TO_PASS: [], PASS_TO_PASS: [], FAIL_TO_FAIL: ["a"], PASS_TO_FAIL: ["b"] };
    expect(evalTestsReport(s, g).FAIL_TO_FAIL).toEqual(empty);
    const full = evalTestsReport(s, g, { calculateToFail: true });
    expect([full.FAIL_TO_FAIL, full.PASS_TO_FAIL]).toEqual([
      { success: ["a"], failure: [] },
      { success: [], failure: ["b"] },
    ]);
  });
});

describe("gradeLog on excerpts of real SWE-bench 5.x logs (m1o0/swe-bench-lite-37), with their report.json verdicts", () => {
  it("django__django-12308: two FAIL_TO_PASS tests share a line, neither is found; unresolved", () => {
    const log = [
      "+ : '>>>>> Start Test Output'",
      "+ ./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1 admin_utils.tests",
      "test_flatten (admin_utils.tests.UtilsTests) ... ok",
      "test_json_display_for_field (admin_utils.tests.UtilsTests) ... test_label_for_field (admin_utils.tests.UtilsTests) ... ok",
      "test_values_from_lookup_field (admin_utils.tests.UtilsTests) ... Testing against Django installed in '/testbed/django'",
      "System check identified no issues (0 silenced).",
      "ok",
      "ERROR: test_json_display_for_field (admin_utils.tests.UtilsTests) (value={('a', 'b'): 'c'})",
      "FAILED (errors=1)",
      ">>>>> Test Exit Code: 1",
      "+ SWEBENCH_TEST_EXIT_CODE=1",
      "+ : '>>>>> End Test Output'",
      "+ echo '>>>>> Test Exit Code: 1'",
    ].join("\n");
    const f2p = ["test_json_display_for_field (admin_utils.tests.UtilsTests)", "test_label_for_field (admin_utils.tests.UtilsTests)"];
    const p2p = ["test_flatten (admin_utils.tests.UtilsTests)", "test_values_from_lookup_field (admin_utils.tests.UtilsTests)"];
    const r = gradeLog({ log, parser: "django", failToPass: f2p, passToPass: p2p });
    expect(r).toMatchObject({ resolved: false, status: "RESOLVED_NO", gradable: true, reportable: true });
    expect(r.testsStatus).toEqual({
      FAIL_TO_PASS: { success: [], failure: f2p },
      PASS_TO_PASS: { success: p2p, failure: [] },
      FAIL_TO_FAIL: empty,
      PASS_TO_FAIL: empty,
    });
    expect(r.statuses).toEqual({ [f2p[0]!]: "MISSING", [f2p[1]!]: "MISSING", [p2p[0]!]: "PASSED", [p2p[1]!]: "PASSED" });
  });

  it("django__django-12286: the FAIL_TO_PASS test's 'ok' comes after the runner's banner; resolved", () => {
    const log = [
      "+ : '>>>>> Start Test Output'",
      "test_valid_languages_bidi (check_framework.test_translation.TranslationCheckTests) ... ok",
      "test_valid_variant_consistent_language_settings (check_framework.test_translation.TranslationCheckTests) ... Testing against Django installed in '/testbed/django'",
      "Importing application check_framework",
      "Skipping setup of unused database(s): default, other.",
      "System check identified no issues (0 silenced).",
      "ok",
      "OK",
      "+ SWEBENCH_TEST_EXIT_CODE=0",
      "+ : '>>>>> End Test Output'",
      "+ echo '>>>>> Test Exit Code: 0'",
      "+ git checkout 979f61abd322507aafced9627702362e541ec34e tests/check_framework/test_translation.py",
      ">>>>> Test Exit Code: 0",
    ].join("\n");
    const r = gradeLog({
      log,
      parser: "django",
      failToPass: ["test_valid_variant_consistent_language_settings (check_framework.test_translation.TranslationCheckTests)"],
      passToPass: ["test_valid_languages_bidi (check_framework.test_translation.TranslationCheckTests)"],
    });
    expect(r).toMatchObject({ resolved: true, status: "RESOLVED_FULL", gradable: true });
  });

  it("pytest-dev__pytest-5103: the exit status lands inside the section; real FAILED lines keep the log gradable", () => {
    const log = [
      "+ : '>>>>> Start Test Output'",
      "PASSED testing/test_assertrewrite.py::TestAssertionRewrite::test_place_initial_imports",
      "SKIPPED [1] testing/test_assertrewrite.py:954: python 2 only",
      "FAILED testing/test_assertrewrite.py::TestAssertionRewrite::test_unroll_expression",
      "================ 3 failed, 64 passed, 5 skipped in 2.86 seconds ================",
      ">>>>> Test Exit Code: 1",
      "+ SWEBENCH_TEST_EXIT_CODE=1",
      "+ : '>>>>> End Test Output'",
    ].join("\n");
    const r = gradeLog({
      log,
      parser: "pytest",
      failToPass: ["testing/test_assertrewrite.py::TestAssertionRewrite::test_unroll_expression"],
      passToPass: ["testing/test_assertrewrite.py::TestAssertionRewrite::test_place_initial_imports"],
    });
    expect(r).toMatchObject({ resolved: false, gradable: true });
    expect(r.testsStatus?.FAIL_TO_PASS.failure).toEqual(["testing/test_assertrewrite.py::TestAssertionRewrite::test_unroll_expression"]);
  });

  it("pylint-dev__pylint-5859: all listed tests pass, exit status 0; resolved", () => {
    const log = [
      "+ : '>>>>> Start Test Output'",
      "+ pytest -rA tests/checkers/unittest_misc.py",
      "tests/checkers/unittest_misc.py ...........                              [100%]",
      "PASSED tests/checkers/unittest_misc.py::TestFixme::test_fixme_with_message",
      "PASSED tests/checkers/unittest_misc.py::TestFixme::test_non_alphanumeric_codetag",
      "======================== 11 passed, 1 warning in 0.02s =========================",
      "+ SWEBENCH_TEST_EXIT_CODE=0",
      "+ : '>>>>> End Test Output'",
      "+ echo '>>>>> Test Exit Code: 0'",
      ">>>>> Test Exit Code: 0",
    ].join("\n");
    const r = gradeLog({
      log,
      parser: "pytest_options",
      failToPass: ["tests/checkers/unittest_misc.py::TestFixme::test_non_alphanumeric_codetag"],
      passToPass: ["tests/checkers/unittest_misc.py::TestFixme::test_fixme_with_message"],
    });
    expect(r).toMatchObject({ resolved: true, status: "RESOLVED_FULL" });
  });

  it("sympy__sympy-20590 (validate-gold run): resolved", () => {
    const log = [
      "+ : '>>>>> Start Test Output'",
      "+ bin/test -C --verbose sympy/core/tests/test_basic.py",
      "test__aresame ok",
      "test_immutable ok",
      "test_replace_exceptions ok                                                  [OK]",
      "================== tests finished: 23 passed, in 0.20 seconds ==================",
      "+ : '>>>>> End Test Output'",
    ].join("\n");
    const r = gradeLog({ log, parser: "sympy", failToPass: ["test_immutable"], passToPass: ["test__aresame"] });
    expect(r).toMatchObject({ resolved: true, statuses: { test_immutable: "PASSED", test__aresame: "PASSED" } });
  });
});

describe("gradeLog: logs that cannot be graded", () => {
  const lists = { failToPass: ["a.py::t"], passToPass: ["a.py::u"] };

  it("a log without markers: no tests_status, every listed test MISSING, reportable", () => {
    const r = gradeLog({ log: "PASSED a.py::t\n", parser: "pytest", ...lists });
    expect(r).toMatchObject({
      resolved: false,
      status: "RESOLVED_NO",
      testsStatus: null,
      gradable: false,
      reportable: true,
      infraFailure: null,
    });
    expect(r.error).toMatch(/^markers_missing: /);
    expect(r.statuses).toEqual({ "a.py::t": "MISSING", "a.py::u": "MISSING" });
  });

  it("classifies why an ungradable log failed (advisory)", () => {
    const log = `${START_TEST_OUTPUT}\ncollected 0 items\n${END_TEST_OUTPUT}\n`;
    expect(gradeLog({ log, parser: "pytest", ...lists }).infraFailure).toEqual({ reason: "no_tests_collected", tier: "ambiguous" });
    expect(classifyInfraFailure("a\nKilled\nb")).toEqual({ reason: "out_of_memory", tier: "environment" });
    expect(classifyInfraFailure("not Killed here")).toBeNull();
    expect(classifyInfraFailure("Timeout error: 1800 seconds exceeded.")).toEqual({ reason: "tests_timed_out", tier: "ambiguous" });
  });

  it("a parser crash or a time-out: SWE-bench writes no report.json", () => {
    const crash = gradeLog({ log: `${START_TEST_OUTPUT}\nFAIL:\n${END_TEST_OUTPUT}`, parser: "django", ...lists });
    expect(crash).toMatchObject({ gradable: false, reportable: false, testsStatus: null });
    expect(crash.error).toMatch(/IndexError/);
    expect(gradeLog({ log: "", parser: "pytest", timedOut: true, ...lists })).toMatchObject({
      reportable: false,
      error: "the tests timed out",
    });
  });
});

describe("instanceReport", () => {
  const tests = {
    FAIL_TO_PASS: { success: ["a"], failure: [] },
    PASS_TO_PASS: { success: [], failure: [] },
    FAIL_TO_FAIL: empty,
    PASS_TO_FAIL: empty,
  };

  it("a graded instance, keys in SWE-bench's order", () => {
    const report = instanceReport("x__y-1", {
      patchIsNone: false,
      patchExists: true,
      patchApplied: true,
      resolved: true,
      testsStatus: tests,
    });
    expect(JSON.stringify(report)).toBe(
      JSON.stringify({
        "x__y-1": {
          patch_is_None: false,
          patch_exists: true,
          patch_successfully_applied: true,
          resolved: true,
          infra_failure: false,
          tests_status: tests,
        },
      }),
    );
  });

  it("a log that could not be graded: no tests_status; an environment-tier reason sets infra_failure", () => {
    const base = { patchIsNone: false, patchExists: true, patchApplied: false, resolved: false, testsStatus: null };
    expect(instanceReport("x__y-1", base)).toEqual({
      "x__y-1": { patch_is_None: false, patch_exists: true, patch_successfully_applied: false, resolved: false, infra_failure: false },
    });
    expect(instanceReport("x__y-1", { ...base, infraFailure: { reason: "out_of_memory", tier: "environment" } })["x__y-1"]).toMatchObject({
      infra_failure: true,
      infra_failure_reason: "out_of_memory",
    });
    expect(
      instanceReport("x__y-1", { ...base, infraFailure: { reason: "no_tests_collected", tier: "ambiguous" } })["x__y-1"],
    ).toMatchObject({
      infra_failure: false,
      infra_failure_reason: "no_tests_collected",
    });
  });

  it("a None patch reports nothing else", () => {
    expect(
      instanceReport("x__y-1", { patchIsNone: true, patchExists: true, patchApplied: true, resolved: true, testsStatus: tests }),
    ).toEqual({
      "x__y-1": { patch_is_None: true, patch_exists: false, patch_successfully_applied: false, resolved: false, infra_failure: false },
    });
  });
});
