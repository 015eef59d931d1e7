import { describe, expect, it } from "vitest";
import { parsePytestLog, tally, verdict } from "../../src/grading/pytest-log.js";

const LOG = `============================= test session starts ==============================
collected 6 items

tests/test_a.py ..F.                                                     [ 66%]
tests/unit/parsers/test_q.py .E                                          [100%]

=========================== short test summary info ============================
PASSED tests/test_a.py::test_one
PASSED tests/test_a.py::test_param[1-2]
PASSED tests/test_a.py::test_param[a - b]
FAILED tests/test_a.py::test_two - AssertionError: assert 1 == 2
PASSED tests/unit/parsers/test_q.py::TestQuery::test_empty
ERROR tests/unit/parsers/test_q.py::TestQuery::test_broken - NameError: x
SKIPPED [1] tests/test_a.py:40: needs network
XFAIL tests/test_a.py::test_known - flaky
\x1b[32mPASSED\x1b[0m tests/test_a.py::test_colored
==================== 1 failed, 4 passed, 1 error in 0.12s =====================`;

describe("parsePytestLog", () => {
  it("reads statuses, keeps parametrized ids whole and strips messages", () => {
    const known = ["tests/test_a.py::test_param[a - b]"];
    expect(Object.fromEntries(parsePytestLog(LOG, known))).toEqual({
      "tests/test_a.py::test_one": "PASSED",
      "tests/test_a.py::test_param[1-2]": "PASSED",
      "tests/test_a.py::test_param[a - b]": "PASSED",
      "tests/test_a.py::test_two": "FAILED",
      "tests/unit/parsers/test_q.py::TestQuery::test_empty": "PASSED",
      "tests/unit/parsers/test_q.py::TestQuery::test_broken": "ERROR",
      "tests/test_a.py::test_known": "XFAIL",
      "tests/test_a.py::test_colored": "PASSED",
    });
  });

  it("counts a missing test as failed", () => {
    const statuses = parsePytestLog(LOG);
    expect(tally(["tests/test_a.py::test_one", "tests/test_a.py::test_missing"], statuses)).toEqual({
      passed: 1,
      total: 2,
      failing: ["tests/test_a.py::test_missing"],
    });
  });

  it("resolves only when every FAIL_TO_PASS and PASS_TO_PASS test passes", () => {
    expect(verdict(LOG, ["tests/test_a.py::test_param[a - b]"], ["tests/test_a.py::test_one"]).resolved).toBe(true);
    const v = verdict(LOG, ["tests/test_a.py::test_two"], ["tests/test_a.py::test_one", "tests/test_a.py::test_known"]);
    expect(v).toEqual({
      resolved: false,
      failToPass: { passed: 0, total: 1, failing: ["tests/test_a.py::test_two"] },
      passToPass: { passed: 1, total: 2, failing: ["tests/test_a.py::test_known"] },
    });
  });
});
