// SWE-bench's Python test-log parsers (harness/log_parsers/python.py, v5.0.2), rewritten: test log text → id → status,
// plus which parser each of the 12 SWE-bench Python repositories uses.
//
// Behaviour, not style, is what is kept: the same ids, the same statuses, the same quirks (an id cut at the first
// whitespace, a FAIL: line keyed by its method name alone, a raw first token kept as the "status"). Python's string
// and regex semantics are reproduced on purpose where JavaScript's differ: str.split()/strip() whitespace, `.` (which
// in Python stops only at "\n"), `^`/`$` under re.MULTILINE (only "\n" ends a line) and Unicode `\d`.
//
// Where v4.1.0 differs from HEAD (v5), HEAD is implemented and the v4.1.0 behaviour is noted at the spot.

/** SWE-bench's TestStatus enum values. */
export type TestStatus = "FAILED" | "PASSED" | "SKIPPED" | "ERROR" | "XFAIL";

export const TEST_STATUSES: readonly TestStatus[] = ["FAILED", "PASSED", "SKIPPED", "ERROR", "XFAIL"];

/**
 * What a parser records for a test. The pytest-family parsers keep the first token of any line that merely *starts*
 * with a status ("ERRORS", "PASSED:"), exactly as SWE-bench does; such a status grades as neither pass nor fail.
 */
export type ParsedStatus = TestStatus | (string & {});

/** Test id → status, in first-seen order (a later line for the same id overwrites, like a Python dict). */
export type StatusMap = Map<string, ParsedStatus>;

/** Our names for SWE-bench's Python parsers (SWE-bench's per-repo aliases, e.g. parse_log_flask, map onto these). */
export type LogParserName = "pytest" | "pytest_options" | "pytest_v2" | "django" | "sympy" | "matplotlib" | "seaborn";

/**
 * SWE-bench raises (IndexError) on some lines, e.g. a django log line that is just "FAIL:". Its harness then writes no
 * report.json for the instance, which counts as an error, not as a graded failure; callers map this error the same way.
 */
export class LogParserCrash extends Error {
  constructor(parser: LogParserName, line: string) {
    super(`the ${parser} log parser cannot read the line ${JSON.stringify(line)} (SWE-bench raises IndexError here)`);
    this.name = "LogParserCrash";
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Python string semantics

/** The characters Python's str.isspace() accepts: what str.split() and str.strip() treat as whitespace. */
export const PY_WHITESPACE = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
const WS_RUN = new RegExp(`[${PY_WHITESPACE}]+`, "u");
const WS_EDGES = new RegExp(`^[${PY_WHITESPACE}]+|[${PY_WHITESPACE}]+$`, "gu");

/** Python's str.split() with no argument: runs of whitespace separate, empty fields are dropped. */
export function pySplit(s: string): string[] {
  return s.split(WS_RUN).filter((part) => part !== "");
}

/** Python's str.strip() with no argument. */
export function pyStrip(s: string): string {
  return s.replace(WS_EDGES, "");
}

/** Python's `text.rsplit(sep, 1)[0]`: everything before the last `sep` (the whole text when there is none). */
function beforeLast(text: string, sep: string): string {
  const at = text.lastIndexOf(sep);
  return at < 0 ? text : text.slice(0, at);
}

/** Python's `text.split(sep)[0]`. */
function beforeFirst(text: string, sep: string): string {
  const at = text.indexOf(sep);
  return at < 0 ? text : text.slice(0, at);
}

function startsWithStatus(line: string): boolean {
  return TEST_STATUSES.some((status) => line.startsWith(status));
}

/**
 * pytest's `SKIPPED [N] path:line: reason` summary names no test; HEAD drops it (SWE-bench #598), v4.1.0 recorded
 * "[N]" as a test id. Only for SKIPPED: `PASSED [100%]` (a wrapped progress line) stays, because two PASS_TO_PASS lists
 * (pytest-dev__pytest-5262, -7521) literally expect "[100%]".
 */
function isSkipSummary(status: string, name: string): boolean {
  return status === "SKIPPED" && /^\[\p{Nd}+\]$/u.test(name);
}

// ---------------------------------------------------------------------------------------------------------------
// The parsers

/**
 * `pytest -rA` summary lines: `<STATUS> <id>`; the id is the second whitespace-separated token, so an id holding a
 * space is cut there (the datasets' lists hold the cut id). FAILED lines first lose every " - " so the message cannot
 * shift the id.
 */
function parsePytest(log: string): StatusMap {
  return parsePytestSummary(log, (id) => id);
}

/** The `-rA` summary lines of a pytest log, each id passed through `idOf` (pytest_options shortens path parameters). */
function parsePytestSummary(log: string, idOf: (token: string) => string): StatusMap {
  const map: StatusMap = new Map();
  for (let line of log.split("\n")) {
    if (!startsWithStatus(line)) continue;
    if (line.startsWith("FAILED")) line = line.replaceAll(" - ", " ");
    const parts = pySplit(line);
    if (parts.length <= 1) continue;
    if (isSkipSummary(parts[0]!, parts[1]!)) continue;
    map.set(idOf(parts[1]!), parts[0]!);
  }
  return map;
}

/**
 * As pytest, but a parameter that is an absolute path (`test_x[/tmp/abc/file.txt]`) is shortened to its last part
 * (`test_x[/file.txt]`): requests and pylint parametrize over temporary paths that differ run to run. Text after
 * the last "]" is dropped, as SWE-bench's `(.*?)\[(.*)\]` rebuild does.
 */
function parsePytestOptions(log: string): StatusMap {
  return parsePytestSummary(log, (token) => {
    // A token holds no whitespace, so no "\n": Python's `.` and `[^\n]` agree here.
    const option = /([^\n]*?)\[([^\n]*)\]/u.exec(token);
    if (!option) return token;
    const main = option[1]!;
    let param = option[2]!;
    if (param.startsWith("/") && !param.startsWith("//") && !param.includes("*")) param = `/${param.split("/").at(-1)!}`;
    return `${main}[${param}]`;
  });
}

/**
 * Django's runner at --verbosity 2: `<description> ... ok|FAIL|ERROR|skipped '…'`, plus `FAIL:`/`ERROR:` headers of
 * the failure report (keyed by their second token, the bare method name), a bare "ok" on a later line when the test
 * printed in between, and three known interruptions of the "... ok" line (SWE-bench #167).
 */
function parseDjango(log: string): StatusMap {
  const map: StatusMap = new Map();
  let prevTest: string | null = null;
  for (const raw of log.split("\n")) {
    let line = pyStrip(raw);
    // The test of `--version` prints its description over several lines.
    if (line.includes("--version is equivalent to version")) map.set("--version is equivalent to version", "PASSED");
    if (line.includes(" ... ")) prevTest = beforeFirst(line, " ... ");
    for (const suffix of [" ... ok", " ... OK", " ...  OK"]) {
      if (!line.endsWith(suffix)) continue;
      // django__django-7188: a migration's progress line runs into the test's description.
      if (line.startsWith("Applying sites.0002_alter_domain_unique...test_no_migrations")) {
        line = pyStrip(line.slice(line.indexOf("...") + 3));
      }
      map.set(beforeLast(line, suffix), "PASSED");
      break;
    }
    if (line.includes(" ... skipped")) map.set(beforeFirst(line, " ... skipped"), "SKIPPED");
    if (line.endsWith(" ... FAIL")) map.set(beforeFirst(line, " ... FAIL"), "FAILED");
    if (line.startsWith("FAIL:")) {
      const parts = pySplit(line);
      if (parts.length < 2) throw new LogParserCrash("django", line);
      map.set(pyStrip(parts[1]!), "FAILED");
    }
    if (line.endsWith(" ... ERROR")) map.set(beforeFirst(line, " ... ERROR"), "ERROR");
    if (line.startsWith("ERROR:")) {
      const parts = pySplit(line);
      if (parts.length < 2) throw new LogParserCrash("django", line);
      map.set(pyStrip(parts[1]!), "ERROR");
    }
    // The test passed, but printed something between "..." and "ok".
    if (line.startsWith("ok") && prevTest !== null) map.set(prevTest, "PASSED");
  }
  for (const pattern of DJANGO_INTERRUPTED_OK) {
    for (const match of log.matchAll(pattern)) map.set(match[1]!, "PASSED");
  }
  return map;
}

// Python's `\s`, `.`, and `^`/`$` under re.MULTILINE, as classes and lookarounds: JavaScript's `.`, `^` and `$` also
// stop at "\r", U+2028 and U+2029, which Python's do not.
const S = `[${PY_WHITESPACE}]`;
const BOL = "(?<![^\\n])";
const EOL = "(?![^\\n])";
const DJANGO_INTERRUPTED_OK: readonly RegExp[] = [
  new RegExp(`${BOL}([^\\n]*?)${S}\\.\\.\\.${S}Testing against Django installed in ([\\s\\S]*?) silenced\\)\\.\\nok${EOL}`, "gu"),
  new RegExp(`${BOL}([^\\n]*?)${S}\\.\\.\\.${S}Internal Server Error: \\/([^\\n]*)\\/\\nok${EOL}`, "gu"),
  new RegExp(`${BOL}([^\\n]*?)${S}\\.\\.\\.${S}System check identified no issues \\(0 silenced\\)\\nok${EOL}`, "gu"),
];

/**
 * pytest for astropy, scikit-learn and sphinx: colour codes and control characters removed, and (HEAD, SWE-bench
 * #279) the id is the whole rest of the line, spaces included; a FAILED line is cut at its first " - ". Lines of
 * older pytest that end with the status (`path::test PASSED`) are read too. v4.1.0 took the second token only,
 * turned every " - " of a FAILED line into a space, and for status-last lines took the first token and the second as
 * status.
 */
function parsePytestV2(log: string): StatusMap {
  const map: StatusMap = new Map();
  for (const raw of log.split("\n")) {
    // `\[(\d+)m` leaves the ESC of "\x1b[0m" behind; the control-character pass then removes it (tabs too).
    // biome-ignore lint/suspicious/noControlCharactersInRegex: SWE-bench strips control characters (ESC, tabs) from log lines the same way
    const line = raw.replace(/\[\p{Nd}+m/gu, "").replace(/[\x01-\x1f]/g, "");
    if (startsWithStatus(line)) {
      const parts = pySplit(line.startsWith("FAILED") ? beforeFirst(line, " - ") : line);
      if (parts.length >= 2 && !isSkipSummary(parts[0]!, parts[1]!)) map.set(parts.slice(1).join(" "), parts[0]!);
    } else if (TEST_STATUSES.some((status) => line.endsWith(status))) {
      const parts = pySplit(line);
      if (parts.length >= 2) map.set(parts.slice(0, -1).join(" "), parts.at(-1)!);
    }
  }
  return map;
}

/**
 * seaborn runs `pytest --no-header -rA`: `path::test PASSED [ 50%]` progress lines, `PASSED path::test` and
 * `FAILED path::test` summary lines. HEAD skips lines of fewer than two tokens (SWE-bench #611); v4.1.0 raised on a
 * bare "FAILED"/"PASSED" line.
 */
function parseSeaborn(log: string): StatusMap {
  const map: StatusMap = new Map();
  for (const line of log.split("\n")) {
    const parts = pySplit(line);
    if (parts.length < 2) continue;
    if (line.startsWith("FAILED")) map.set(parts[1]!, "FAILED");
    else if (line.includes(" PASSED ")) {
      if (parts[1] === "PASSED") map.set(parts[0]!, "PASSED");
    } else if (line.startsWith("PASSED")) map.set(parts[1]!, "PASSED");
  }
  return map;
}

/**
 * sympy's `bin/test -C --verbose`: `test_name ok|F|E` lines; before them, any `___ path.py:test ___` header of the
 * failure report marks `path.py:test` FAILED.
 */
function parseSympy(log: string): StatusMap {
  const map: StatusMap = new Map();
  for (const match of log.matchAll(/(_*) ([^\n]*)\.py:([^\n]*) (_*)/gu)) map.set(`${match[2]!}.py:${match[3]!}`, "FAILED");
  for (const raw of log.split("\n")) {
    const line = pyStrip(raw);
    if (!line.startsWith("test_")) continue;
    if (line.endsWith(" E")) map.set(pySplit(line)[0]!, "ERROR");
    if (line.endsWith(" F")) map.set(pySplit(line)[0]!, "FAILED");
    if (line.endsWith(" ok")) map.set(pySplit(line)[0]!, "PASSED");
  }
  return map;
}

/** pytest, after `MouseButton.LEFT`/`MouseButton.RIGHT` in ids become 1/3 (the repr changed across matplotlib versions). */
function parseMatplotlib(log: string): StatusMap {
  const map: StatusMap = new Map();
  for (let line of log.split("\n")) {
    line = line.replaceAll("MouseButton.LEFT", "1").replaceAll("MouseButton.RIGHT", "3");
    if (!startsWithStatus(line)) continue;
    if (line.startsWith("FAILED")) line = line.replaceAll(" - ", " ");
    const parts = pySplit(line);
    if (parts.length <= 1) continue;
    if (isSkipSummary(parts[0]!, parts[1]!)) continue;
    map.set(parts[1]!, parts[0]!);
  }
  return map;
}

export const LOG_PARSERS: Record<LogParserName, (log: string) => StatusMap> = {
  pytest: parsePytest,
  pytest_options: parsePytestOptions,
  pytest_v2: parsePytestV2,
  django: parseDjango,
  sympy: parseSympy,
  matplotlib: parseMatplotlib,
  seaborn: parseSeaborn,
};

/** Parses a test log with one of SWE-bench's parsers. Throws LogParserCrash where SWE-bench raises. */
export function parseTestLog(parser: LogParserName, log: string): StatusMap {
  return LOG_PARSERS[parser](log);
}

/**
 * SWE-bench's registry names for its Python parsers (a v5 dataset row's `log_parser` field) → ours. The per-repo
 * names are aliases of the seven parsers in SWE-bench itself.
 */
export const SWEBENCH_PARSER_NAMES: Readonly<Record<string, LogParserName>> = {
  parse_log_pytest: "pytest",
  parse_log_pytest_options: "pytest_options",
  parse_log_django: "django",
  parse_log_pytest_v2: "pytest_v2",
  parse_log_seaborn: "seaborn",
  parse_log_sympy: "sympy",
  parse_log_matplotlib: "matplotlib",
  parse_log_astroid: "pytest",
  parse_log_flask: "pytest",
  parse_log_marshmallow: "pytest",
  parse_log_pvlib: "pytest",
  parse_log_pyvista: "pytest",
  parse_log_sqlfluff: "pytest",
  parse_log_xarray: "pytest",
  parse_log_pydicom: "pytest_options",
  parse_log_requests: "pytest_options",
  parse_log_pylint: "pytest_options",
  parse_log_astropy: "pytest_v2",
  parse_log_scikit: "pytest_v2",
  parse_log_sphinx: "pytest_v2",
};

/** Our parser for a `log_parser` value: SWE-bench's registry name, or one of ours. */
export function parserFromName(name: string): LogParserName | undefined {
  if (Object.hasOwn(SWEBENCH_PARSER_NAMES, name)) return SWEBENCH_PARSER_NAMES[name];
  return Object.hasOwn(LOG_PARSERS, name) ? (name as LogParserName) : undefined;
}

/** Every name parserFromName accepts: ours, then SWE-bench's. */
export function knownParserNames(): string[] {
  return [...Object.keys(LOG_PARSERS), ...Object.keys(SWEBENCH_PARSER_NAMES)];
}

/** Repository → parser, as SWE-bench's MAP_REPO_TO_PARSER_PY maps the 12 repositories of SWE-bench (same in v4.1.0 and HEAD). */
export const REPO_LOG_PARSER: Readonly<Record<string, LogParserName>> = {
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
};
