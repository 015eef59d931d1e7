// SWE-bench's Python log parsers as ported in src/grading/log-parsers.ts: the cases of SWE-bench's own parser tests
// (tests/test_log_parsers_*.py at v5.0.2, restated), lines cut from real harness logs, and the Python quirks kept.

import { describe, expect, it } from "vitest";
import {
  knownParserNames,
  LogParserCrash,
  parserFromName,
  parseTestLog,
  pySplit,
  pyStrip,
  REPO_LOG_PARSER,
  SWEBENCH_PARSER_NAMES,
  type LogParserName,
} from "../../src/grading/log-parsers.js";

const parse = (parser: LogParserName, log: string) => Object.fromEntries(parseTestLog(parser, log));

describe("SWE-bench's own parser tests, restated", () => {
  it("seaborn reads progress lines, PASSED and FAILED summary lines", () => {
    const log = "test_a.py::test_one PASSED [ 50%]\nPASSED test_b.py::test_two\nFAILED test_c.py::test_three\n";
    expect(parse("seaborn", log)).toEqual({
      "test_a.py::test_one": "PASSED",
      "test_b.py::test_two": "PASSED",
      "test_c.py::test_three": "FAILED",
    });
  });

  it("seaborn skips a status word alone on its line instead of failing (v4.1.0 raised)", () => {
    const log = "test_a.py::test_one PASSED [ 50%]\nPASSED\nFAILED\n PASSED\ntest_b.py::test_two PASSED [100%]\n";
    expect(parse("seaborn", log)).toEqual({ "test_a.py::test_one": "PASSED", "test_b.py::test_two": "PASSED" });
  });

  it("pytest_v2 keeps an id with spaces whole", () => {
    const id = "astropy/units/tests/test_format.py::test_unicode[m⁻\xb9-unit3 extra]";
    expect(parse("pytest_v2", `PASSED ${id}`)).toEqual({ [id]: "PASSED" });
  });

  it("pytest_v2 keeps the spaces of an id in the status-last form", () => {
    expect(parse("pytest_v2", "tests/test_a.py::test_x[a b] PASSED")).toEqual({ "tests/test_a.py::test_x[a b]": "PASSED" });
  });

  it("pytest_v2 leaves a FAILED line's ' - message' out of the id", () => {
    expect(parse("pytest_v2", "FAILED tests/test_a.py::test_x[a b] - AssertionError: expected 1 got 2")).toEqual({
      "tests/test_a.py::test_x[a b]": "FAILED",
    });
  });

  it("pytest_v2 records no empty id for a bare status line", () => {
    expect(parse("pytest_v2", "PASSED\nFAILED\ntests/test_a.py::test_y PASSED")).toEqual({ "tests/test_a.py::test_y": "PASSED" });
  });

  it("pytest_v2 strips colour codes", () => {
    expect(parse("pytest_v2", "\x1b[32mPASSED\x1b[0m tests/test_a.py::\x1b[1mtest_z\x1b[0m")).toEqual({
      "tests/test_a.py::test_z": "PASSED",
    });
  });

  const skipLog =
    "SKIPPED [1] tests/test_a.py:12: needs network\nPASSED tests/test_a.py::test_real\nSKIPPED [23] tests/test_b.py:4: unsupported platform\n";
  it.each<LogParserName>(["pytest", "pytest_options", "pytest_v2", "matplotlib"])(
    "%s drops pytest's 'SKIPPED [N] file:line' summary",
    (parser) => {
      expect(parse(parser, skipLog)).toEqual({ "tests/test_a.py::test_real": "PASSED" });
    },
  );

  it("a real SKIPPED <nodeid> line is still recorded", () => {
    expect(parse("pytest", "SKIPPED tests/test_a.py::test_flaky")).toEqual({ "tests/test_a.py::test_flaky": "SKIPPED" });
  });

  it("a wrapped 'PASSED [100%]' stays: pytest-dev__pytest-5262 and -7521 list '[100%]' in PASS_TO_PASS", () => {
    expect(parse("pytest", "PASSED [100%]")).toEqual({ "[100%]": "PASSED" });
  });
});

describe("pytest (flask, xarray, pytest)", () => {
  it("takes the second token as the id, cutting an id at its first space", () => {
    expect(
      parse("pytest", "PASSED tests/test_a.py::test_p[a b]\nXFAIL tests/test_a.py::test_x - reason\nERROR tests/test_a.py::test_e - E"),
    ).toEqual({
      "tests/test_a.py::test_p[a": "PASSED",
      "tests/test_a.py::test_x": "XFAIL",
      "tests/test_a.py::test_e": "ERROR",
    });
  });

  it("turns every ' - ' of a FAILED line into a space before splitting", () => {
    expect(parse("pytest", "FAILED tests/t.py::test_a[x - y] - AssertionError")).toEqual({ "tests/t.py::test_a[x": "FAILED" });
  });

  it("keeps the raw first token of a line that only starts with a status, as SWE-bench does", () => {
    expect(parse("pytest", "ERROR collecting tests/test_a.py\nPASSED: tests/t.py::b\nXPASS tests/t.py::c")).toEqual({
      collecting: "ERROR",
      "tests/t.py::b": "PASSED:",
    });
  });

  it("reads a real pytest-dev__pytest-5103 summary (SWE-bench 5.x run)", () => {
    const log = [
      "PASSED testing/test_assertrewrite.py::test_source_mtime_long_long[-1]",
      "PASSED testing/test_assertrewrite.py::TestEarlyRewriteBailout::test_cwd_changed",
      "SKIPPED [1] testing/test_assertrewrite.py:954: python 2 only",
      "FAILED testing/test_assertrewrite.py::TestAssertionRewrite::test_unroll_expression",
      "================ 3 failed, 64 passed, 5 skipped in 2.86 seconds ================",
    ].join("\n");
    expect(parse("pytest", log)).toEqual({
      "testing/test_assertrewrite.py::test_source_mtime_long_long[-1]": "PASSED",
      "testing/test_assertrewrite.py::TestEarlyRewriteBailout::test_cwd_changed": "PASSED",
      "testing/test_assertrewrite.py::TestAssertionRewrite::test_unroll_expression": "FAILED",
    });
  });
});

describe("pytest_options (requests, pylint)", () => {
  it("shortens an absolute-path parameter to its last part", () => {
    const log = [
      "PASSED tests/test_a.py::test_x[/tmp/pytest-of-root/pytest-0/abc/file.txt]",
      "PASSED tests/test_a.py::test_y[//server/share]",
      "PASSED tests/test_a.py::test_z[/tmp/*.py]",
      "PASSED tests/test_a.py::test_w[rel/path]",
      "PASSED tests/test_a.py::test_v[a][b]tail",
    ].join("\n");
    expect(parse("pytest_options", log)).toEqual({
      "tests/test_a.py::test_x[/file.txt]": "PASSED",
      "tests/test_a.py::test_y[//server/share]": "PASSED",
      "tests/test_a.py::test_z[/tmp/*.py]": "PASSED",
      "tests/test_a.py::test_w[rel/path]": "PASSED",
      "tests/test_a.py::test_v[a][b]": "PASSED",
    });
  });

  it("reads a real pylint-dev__pylint-6506 summary, messages cut off", () => {
    const log = [
      "PASSED tests/config/test_config.py::test_short_verbose",
      "FAILED tests/config/test_config.py::test_unknown_option_name - AssertionError...",
      "FAILED tests/config/test_config.py::test_unknown_short_option_name - Assertio...",
    ].join("\n");
    expect(parse("pytest_options", log)).toEqual({
      "tests/config/test_config.py::test_short_verbose": "PASSED",
      "tests/config/test_config.py::test_unknown_option_name": "FAILED",
      "tests/config/test_config.py::test_unknown_short_option_name": "FAILED",
    });
  });
});

describe("pytest_v2 (astropy, scikit-learn, sphinx)", () => {
  it("reads real astropy__astropy-14182 lines, colour codes and all", () => {
    const log = [
      "\x1b[32mPASSED\x1b[0m astropy/io/ascii/tests/test_rst.py::\x1b[1mtest_read_normal_names_include\x1b[0m",
      "\x1b[32mPASSED\x1b[0m astropy/io/ascii/tests/test_rst.py::\x1b[1mtest_rst_with_header_rows\x1b[0m",
      "\x1b[32m============================== \x1b[32m\x1b[1m10 passed\x1b[0m\x1b[32m in 0.06s\x1b[0m\x1b[32m ==============================\x1b[0m",
    ].join("\n");
    expect(parse("pytest_v2", log)).toEqual({
      "astropy/io/ascii/tests/test_rst.py::test_read_normal_names_include": "PASSED",
      "astropy/io/ascii/tests/test_rst.py::test_rst_with_header_rows": "PASSED",
    });
  });

  it("reads old pytest's status-last lines and drops tabs with the other control characters", () => {
    // "PASSED\t<id>" loses its tab and becomes one token: no id, nothing recorded.
    expect(
      parse("pytest_v2", "astropy/io/tests/test_x.py::test_a PASSED\nPASSED\tsklearn/t.py::test_b\nsklearn/t.py::test_c XFAIL"),
    ).toEqual({
      "astropy/io/tests/test_x.py::test_a": "PASSED",
      "sklearn/t.py::test_c": "XFAIL",
    });
  });

  it("removes '[<digits>m' even without an escape, but not '[1;31m'", () => {
    expect(parse("pytest_v2", "PASSED a.py::t[12m]\nPASSED b.py::u\x1b[1;31m")).toEqual({
      "a.py::t]": "PASSED",
      "b.py::u[1;31m": "PASSED",
    });
  });
});

describe("django", () => {
  it("reads '... ok', skipped, FAIL, ERROR lines and the failure headers (keyed by method name only)", () => {
    const log = [
      "test_migrate_backwards (auth_tests.test_migrations.ProxyModelWithSameAppLabelTests) ... ok",
      "test_migrate_with_existing_target_permission (auth_tests.test_migrations.ProxyModelWithSameAppLabelTests) ... FAIL",
      'test_mixed_comparisons1 (expressions.tests.FTimeDeltaTests) ... skipped "Database doesn\'t support feature(s): supports_mixed_date_datetime_comparisons"',
      "test_broken (m.Tests) ... ERROR",
      "test_loud (m.Tests) ...  OK",
      "======================================================================",
      "FAIL: test_migrate_with_existing_target_permission (auth_tests.test_migrations.ProxyModelWithSameAppLabelTests)",
      "ERROR: test_order_by_multiline_sql (expressions.tests.BasicExpressionsTests) (qs=<QuerySet []>)",
    ].join("\n");
    expect(parse("django", log)).toEqual({
      "test_migrate_backwards (auth_tests.test_migrations.ProxyModelWithSameAppLabelTests)": "PASSED",
      "test_migrate_with_existing_target_permission (auth_tests.test_migrations.ProxyModelWithSameAppLabelTests)": "FAILED",
      "test_mixed_comparisons1 (expressions.tests.FTimeDeltaTests)": "SKIPPED",
      "test_broken (m.Tests)": "ERROR",
      "test_loud (m.Tests)": "PASSED",
      test_migrate_with_existing_target_permission: "FAILED",
      test_order_by_multiline_sql: "ERROR",
    });
  });

  it("names a test by its docstring's first line when it has one (django__django-12700)", () => {
    const log = [
      "test_template_loader_postmortem (view_tests.tests.test_debug.DebugViewTests)",
      "Tests for not existing file ... ok",
      "test_disallowed_host (view_tests.tests.test_debug.ExceptionReporterTests)",
      "An exception report can be generated even for a disallowed host. ... ok",
    ].join("\n");
    expect(parse("django", log)).toEqual({
      "Tests for not existing file": "PASSED",
      "An exception report can be generated even for a disallowed host.": "PASSED",
    });
  });

  it("gives an 'ok' printed on a later line to the last test with ' ... ' (django__django-12286)", () => {
    const log = [
      "test_valid_variant_consistent_language_settings (check_framework.test_translation.TranslationCheckTests) ... Testing against Django installed in '/testbed/django'",
      "Importing application check_framework",
      "Skipping setup of unused database(s): default, other.",
      "System check identified no issues (0 silenced).",
      "ok",
    ].join("\n");
    expect(parse("django", log)).toEqual({
      "test_valid_variant_consistent_language_settings (check_framework.test_translation.TranslationCheckTests)": "PASSED",
    });
  });

  it("runs two tests together when the first one's result went to the failure report (django__django-12308)", () => {
    // Neither test is found under its own name: SWE-bench reported both FAIL_TO_PASS tests as failures.
    const log = [
      "test_json_display_for_field (admin_utils.tests.UtilsTests) ... test_label_for_field (admin_utils.tests.UtilsTests) ... ok",
      "ERROR: test_json_display_for_field (admin_utils.tests.UtilsTests) (value={('a', 'b'): 'c'})",
    ].join("\n");
    expect(parse("django", log)).toEqual({
      "test_json_display_for_field (admin_utils.tests.UtilsTests) ... test_label_for_field (admin_utils.tests.UtilsTests)": "PASSED",
      test_json_display_for_field: "ERROR",
    });
  });

  it("matches the three known interruptions of an 'ok' across lines", () => {
    const log = [
      "test_a (m.T) ... Testing against Django installed in '/testbed/django'",
      "Skipping setup of unused database(s): other.",
      "System check identified no issues (0 silenced).",
      "ok",
      "test_b (m.T) ... Internal Server Error: /view/",
      "ok",
      "test_c (m.T) ... System check identified no issues (0 silenced)",
      "ok",
    ].join("\n");
    expect(parse("django", log)).toEqual({ "test_a (m.T)": "PASSED", "test_b (m.T)": "PASSED", "test_c (m.T)": "PASSED" });
  });

  it("keeps the django__django-7188 and '--version' special cases", () => {
    const log = [
      "Applying sites.0002_alter_domain_unique...test_no_migrations (migrations.test_commands.T) ... ok",
      "test_version (admin_scripts.tests.CommandTypes)",
      "--version is equivalent to version ... ok",
    ].join("\n");
    expect(parse("django", log)).toEqual({
      "test_no_migrations (migrations.test_commands.T)": "PASSED",
      "--version is equivalent to version": "PASSED",
    });
  });

  it("raises where SWE-bench raises (a 'FAIL:' line with nothing after it)", () => {
    expect(() => parseTestLog("django", "test_a (m.T) ... ok\nFAIL:\n")).toThrow(LogParserCrash);
    expect(() => parseTestLog("django", "ERROR:  ")).toThrow(LogParserCrash);
  });
});

describe("sympy", () => {
  it("reads real sympy__sympy-20590 lines", () => {
    const log = [
      "sympy/core/tests/test_basic.py[23] ",
      "test__aresame ok",
      "test_immutable ok",
      "test_replace_exceptions ok                                                  [OK]",
      "================== tests finished: 23 passed, in 0.20 seconds ==================",
    ].join("\n");
    expect(parse("sympy", log)).toEqual({ test__aresame: "PASSED", test_immutable: "PASSED" });
  });

  it("reads F and E, and marks the tests named in failure-report headers FAILED", () => {
    const log = [
      "test_atomic E",
      "test_as_dummy F",
      "__________________ sympy/core/tests/test_basic.py:test_atomic __________________",
      " sympy/core/tests/test_basic.py:test_literal_evalf_is_number_is_zero_is_comparable ",
    ].join("\n");
    expect(parse("sympy", log)).toEqual({
      "sympy/core/tests/test_basic.py:test_atomic": "FAILED",
      "sympy/core/tests/test_basic.py:test_literal_evalf_is_number_is_zero_is_comparable": "FAILED",
      test_atomic: "ERROR",
      test_as_dummy: "FAILED",
    });
  });
});

describe("matplotlib", () => {
  it("writes MouseButton.LEFT/RIGHT in ids as 1/3", () => {
    expect(
      parse("matplotlib", "PASSED lib/matplotlib/tests/test_widgets.py::test_span_selector_drag[MouseButton.LEFT-MouseButton.RIGHT]"),
    ).toEqual({
      "lib/matplotlib/tests/test_widgets.py::test_span_selector_drag[1-3]": "PASSED",
    });
  });
});

describe("Python string semantics", () => {
  it("splits and strips on what str.isspace() accepts, and only that", () => {
    expect(pySplit(" a\xa0b\x1cc\u3000d\ufeffe ")).toEqual(["a", "b", "c", "d\ufeffe"]);
    expect(pyStrip("\x85\t x \u2028")).toBe("x");
    expect(parse("pytest", "PASSED\xa0tests/a.py::t")).toEqual({ "tests/a.py::t": "PASSED" });
  });

  it("Python's '.' and '^' do not stop at '\\r' in the django patterns", () => {
    // The "ok" goes to "mid" (the last line with " ... "); only the multi-line pattern credits the first test.
    const log = "a\rb (m.T) ... Testing against Django installed in '/t'\nmid ... dle\nSystem check identified no issues (0 silenced).\nok";
    expect(parse("django", log)).toEqual({ mid: "PASSED", "a\rb (m.T)": "PASSED" });
  });
});

describe("parser names", () => {
  it("maps the 12 SWE-bench repositories as SWE-bench does", () => {
    expect(REPO_LOG_PARSER).toEqual({
      "astropy/astropy": "pytest_v2",
      "django/django": "django",
      "matplotlib/matplotlib": "matplotlib",
      "mwaskom/seaborn": "seaborn",
      "pallets/flask": "pytest",
      "psf/requests": "pytest_options",
      "pydata/xarray": "pytest",
      "pylint-dev/pylint": "pytest_options",
      "pytest-dev/pytest": "pytest",
      "scikit-learn/scikit-learn": "pytest_v2",
      "sphinx-doc/sphinx": "pytest_v2",
      "sympy/sympy": "sympy",
    });
  });

  it("reads SWE-bench's registry names (a v5 row's log_parser) and ours", () => {
    expect(parserFromName("parse_log_scikit")).toBe("pytest_v2");
    expect(parserFromName("parse_log_requests")).toBe("pytest_options");
    expect(parserFromName("parse_log_django")).toBe("django");
    expect(parserFromName("seaborn")).toBe("seaborn");
    expect(parserFromName("parse_log_jest")).toBeUndefined();
    expect(parserFromName("toString")).toBeUndefined();
    expect(Object.keys(SWEBENCH_PARSER_NAMES)).toHaveLength(20);
    expect(knownParserNames().slice(0, 7)).toEqual(["pytest", "pytest_options", "pytest_v2", "django", "sympy", "matplotlib", "seaborn"]);
  });
});
