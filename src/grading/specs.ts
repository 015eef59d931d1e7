// SWE-bench's per-repo/version test specs (v4.1.0 MAP_REPO_VERSION_TO_SPECS, the 12 Python repos), `--specs` file overrides and their loading.
//
// Transcribed from SWE-bench v4.1.0 `swebench/harness/constants/python.py` (the last release that
// ships the table; v5 rows carry their own eval script). Only the fields that shape the eval script
// or its grading are kept: `test_cmd`, `eval_commands`, `install` (re-run before the tests),
// `pre_install` and `python` (for a reader rebuilding an environment), plus the repo's log parser
// (v4.1.0 MAP_REPO_TO_PARSER, named as in v5's PARSER_REGISTRY). Environment-only fields
// (`packages`, `pip_packages`, `no_use_env`, `nano_cpus`, `execute_test_as_nonroot`) are left out:
// the harness never reads them when it evaluates. Oddities are kept as SWE-bench has them (the
// `&& &&` in matplotlib 1.x/2.x's pre_install, django 1.9 without `--settings`): changing them
// would change what a run means.

import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { UsageError, errorMessage } from "../errors.js";

export interface RepoSpec {
  /** The test command; the eval script appends the test directives (a list: the last command gets them). */
  test_cmd: string | string[];
  /** Run right after `cd /testbed`, before anything else (django's locale set-up). */
  eval_commands?: string[];
  /** Image set-up before `install`; informational here (the eval script does not run it). */
  pre_install?: string[];
  /** Re-run in the eval script after the model's patch, so compiled code and entry points follow it. */
  install?: string;
  /** Python version of the conda env. */
  python?: string;
  /** Log parser name (SWE-bench v5 PARSER_REGISTRY key, e.g. `parse_log_pytest`). */
  log_parser?: string;
}

/** `{ "<owner>/<repo>": { "<version>": RepoSpec } }`. */
export type SpecsTable = Record<string, Record<string, RepoSpec>>;

/** A `--specs` file: like SpecsTable, but an entry may set only some fields over a built-in one. */
export type SpecsOverrides = Record<string, Record<string, Partial<RepoSpec>>>;

/** The parsers the built-in table names (v4.1.0's per-repo aliases resolved to the function they alias). */
export const SWEBENCH_LOG_PARSERS = [
  "parse_log_pytest",
  "parse_log_pytest_options",
  "parse_log_pytest_v2",
  "parse_log_django",
  "parse_log_seaborn",
  "parse_log_sympy",
  "parse_log_matplotlib",
] as const;

// Test commands (v4.1.0 defines TEST_PYTEST twice; the second, plain `pytest -rA`, is the one in force).
const TEST_PYTEST = "pytest -rA";
const TEST_ASTROPY_PYTEST = "pytest -rA -vv -o console_output_style=classic --tb=no";
const TEST_DJANGO = "./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1";
const TEST_DJANGO_NO_PARALLEL = "./tests/runtests.py --verbosity 2";
const TEST_SEABORN = "pytest --no-header -rA";
const TEST_SPHINX = "tox --current-env -epy39 -v --";
const TEST_SYMPY = "PYTHONWARNINGS='ignore::UserWarning,ignore::SyntaxWarning' bin/test -C --verbose";

const PIP_INSTALL_E = "python -m pip install -e .";

/** One spec for each version; arrays are copied so no two versions share a mutable list. */
function each(versions: readonly string[], spec: RepoSpec): Record<string, RepoSpec> {
  const out: Record<string, RepoSpec> = {};
  for (const v of versions) out[v] = copySpec(spec);
  return out;
}

function copySpec(spec: RepoSpec): RepoSpec {
  const out: RepoSpec = { ...spec };
  if (Array.isArray(spec.test_cmd)) out.test_cmd = [...spec.test_cmd];
  if (spec.eval_commands) out.eval_commands = [...spec.eval_commands];
  if (spec.pre_install) out.pre_install = [...spec.pre_install];
  return out;
}

/** Applies `patch` to the listed versions of an already built repo table. */
function amend(table: Record<string, RepoSpec>, versions: readonly string[], patch: (spec: RepoSpec) => RepoSpec): void {
  for (const v of versions) {
    const spec = table[v];
    if (!spec) throw new Error(`internal: no spec for version ${v} to amend`);
    table[v] = patch(spec);
  }
}

// --- astropy -------------------------------------------------------------------------------------
const ASTROPY_INSTALL = "python -m pip install -e .[test] --verbose";
const astropy: Record<string, RepoSpec> = {
  ...each(["3.0", "3.1", "3.2", "4.1", "4.2", "4.3", "5.0", "5.1", "5.2", "v5.3"], {
    python: "3.9",
    install: ASTROPY_INSTALL,
    test_cmd: TEST_PYTEST,
  }),
  // 0.x-1.x run an old pytest: classic output, so the parser sees `path::test PASSED` lines.
  ...each(["0.1", "0.2", "0.3", "0.4", "1.1", "1.2", "1.3"], {
    python: "3.6",
    install: ASTROPY_INSTALL,
    test_cmd: TEST_ASTROPY_PYTEST,
  }),
};
amend(astropy, ["4.1", "4.2", "4.3", "5.0", "5.1", "5.2", "v5.3"], (s) => ({
  ...s,
  pre_install: [`sed -i 's/requires = \\["setuptools",/requires = \\["setuptools==68.0.0",/' pyproject.toml`],
}));
amend(astropy, ["v5.3"], (s) => ({ ...s, python: "3.10" }));

// --- django --------------------------------------------------------------------------------------
const django: Record<string, RepoSpec> = {
  ...each(["1.7", "1.8", "1.9", "1.10", "1.11", "2.0", "2.1", "2.2"], {
    python: "3.5",
    pre_install: ["apt-get update && apt-get install -y locales", "echo 'en_US UTF-8' > /etc/locale.gen", "locale-gen en_US.UTF-8"],
    install: "python setup.py install",
    eval_commands: ["export LANG=en_US.UTF-8", "export LC_ALL=en_US.UTF-8", "export PYTHONIOENCODING=utf8", "export LANGUAGE=en_US:en"],
    test_cmd: TEST_DJANGO,
  }),
  ...each(["1.4", "1.5", "1.6"], { python: "3.5", install: "python setup.py install", test_cmd: TEST_DJANGO }),
  ...each(["3.0", "3.1", "3.2"], {
    python: "3.6",
    install: PIP_INSTALL_E,
    eval_commands: [
      "sed -i '/en_US.UTF-8/s/^# //g' /etc/locale.gen && locale-gen",
      "export LANG=en_US.UTF-8",
      "export LANGUAGE=en_US:en",
      "export LC_ALL=en_US.UTF-8",
    ],
    test_cmd: TEST_DJANGO,
  }),
  ...each(["4.0"], { python: "3.8", install: PIP_INSTALL_E, test_cmd: TEST_DJANGO }),
  ...each(["4.1", "4.2"], { python: "3.9", install: PIP_INSTALL_E, test_cmd: TEST_DJANGO }),
  ...each(["5.0", "5.1", "5.2"], { python: "3.11", install: PIP_INSTALL_E, test_cmd: TEST_DJANGO }),
};
amend(django, ["1.9"], (s) => ({ ...s, test_cmd: TEST_DJANGO_NO_PARALLEL }));

// --- matplotlib ----------------------------------------------------------------------------------
const QHULL_STEPS = [
  'QHULL_URL="http://www.qhull.org/download/qhull-2020-src-8.0.2.tgz"',
  'QHULL_TAR="/tmp/qhull-2020-src-8.0.2.tgz"',
  'QHULL_BUILD_DIR="/testbed/build"',
  'wget -O "$QHULL_TAR" "$QHULL_URL"',
  'mkdir -p "$QHULL_BUILD_DIR"',
  'tar -xvzf "$QHULL_TAR" -C "$QHULL_BUILD_DIR"',
];
const matplotlib: Record<string, RepoSpec> = {
  ...each(["3.5", "3.6", "3.7", "3.8", "3.9"], {
    python: "3.11",
    install: PIP_INSTALL_E,
    pre_install: [
      "apt-get -y update && apt-get -y upgrade && DEBIAN_FRONTEND=noninteractive apt-get install -y imagemagick ffmpeg texlive texlive-latex-extra texlive-fonts-recommended texlive-xetex texlive-luatex cm-super dvipng",
      ...QHULL_STEPS,
    ],
    test_cmd: TEST_PYTEST,
  }),
  ...each(["3.1", "3.2", "3.3", "3.4"], {
    python: "3.8",
    install: PIP_INSTALL_E,
    pre_install: [
      "apt-get -y update && apt-get -y upgrade && DEBIAN_FRONTEND=noninteractive apt-get install -y imagemagick ffmpeg libfreetype6-dev pkg-config texlive texlive-latex-extra texlive-fonts-recommended texlive-xetex texlive-luatex cm-super",
      ...QHULL_STEPS,
    ],
    test_cmd: TEST_PYTEST,
  }),
  ...each(["3.0"], {
    python: "3.7",
    install: PIP_INSTALL_E,
    pre_install: [
      "apt-get -y update && apt-get -y upgrade && apt-get install -y imagemagick ffmpeg libfreetype6-dev pkg-config",
      ...QHULL_STEPS,
    ],
    test_cmd: TEST_PYTEST,
  }),
  ...each(["2.0", "2.1", "2.2", "1.0", "1.1", "1.2", "1.3", "1.4", "1.5"], {
    python: "3.5",
    install: "python setup.py build; python setup.py install",
    pre_install: ["apt-get -y update && apt-get -y upgrade && && apt-get install -y imagemagick ffmpeg"],
    test_cmd: TEST_PYTEST,
  }),
};
amend(matplotlib, ["3.8", "3.9"], (s) => ({ ...s, install: 'python -m pip install --no-build-isolation -e ".[dev]"' }));

// --- seaborn, flask, requests --------------------------------------------------------------------
const seaborn: Record<string, RepoSpec> = {
  ...each(["0.11"], { python: "3.9", install: PIP_INSTALL_E, test_cmd: TEST_SEABORN }),
  ...each(["0.12", "0.13", "0.14"], { python: "3.9", install: "python -m pip install -e .[dev]", test_cmd: TEST_SEABORN }),
};

const flask: Record<string, RepoSpec> = {
  "2.0": { python: "3.9", install: PIP_INSTALL_E, test_cmd: TEST_PYTEST },
  "2.1": { python: "3.10", install: PIP_INSTALL_E, test_cmd: TEST_PYTEST },
  ...each(["2.2", "2.3", "3.0", "3.1"], { python: "3.11", install: PIP_INSTALL_E, test_cmd: TEST_PYTEST }),
};

const requests = each(
  [
    ...["0.7", "0.8", "0.9", "0.11", "0.13", "0.14", "1.1", "1.2", "2.0", "2.2"],
    ...["2.3", "2.4", "2.5", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "2.17"],
    ...["2.18", "2.19", "2.22", "2.26", "2.25", "2.27", "2.31", "3.0"],
  ],
  { python: "3.9", install: "python -m pip install .", test_cmd: TEST_PYTEST },
);

// --- xarray, pylint, pytest ----------------------------------------------------------------------
const xarray = each(["0.12", "0.18", "0.19", "0.20", "2022.03", "2022.06", "2022.09", "2023.07", "2024.05"], {
  python: "3.10",
  install: PIP_INSTALL_E,
  test_cmd: TEST_PYTEST,
});

const pylint = each(["2.10", "2.11", "2.13", "2.14", "2.15", "2.16", "2.17", "2.8", "2.9", "3.0", "3.1", "3.2", "3.3", "4.0"], {
  python: "3.9",
  install: PIP_INSTALL_E,
  test_cmd: TEST_PYTEST,
});
amend(pylint, ["2.8"], (s) => ({ ...s, pre_install: ["apt-get update && apt-get install -y libenchant-2-dev hunspell-en-us"] }));

const pytest = each(
  [
    "4.4",
    "4.5",
    "4.6",
    "5.0",
    "5.1",
    "5.2",
    "5.3",
    "5.4",
    "6.0",
    "6.2",
    "6.3",
    "7.0",
    "7.1",
    "7.2",
    "7.4",
    "8.0",
    "8.1",
    "8.2",
    "8.3",
    "8.4",
  ],
  { python: "3.9", install: PIP_INSTALL_E, test_cmd: TEST_PYTEST },
);
amend(pytest, ["6.3"], (s) => ({ ...s, pre_install: ["sed -i 's/>=>=/>=/' setup.cfg"] }));

// --- scikit-learn --------------------------------------------------------------------------------
const SKLEARN_INSTALL = "python -m pip install -v --no-use-pep517 --no-build-isolation -e .";
const sklearn: Record<string, RepoSpec> = {
  ...each(["0.20", "0.21", "0.22"], { python: "3.6", install: SKLEARN_INSTALL, test_cmd: TEST_PYTEST }),
  ...each(["1.3", "1.4", "1.5", "1.6"], { python: "3.9", install: SKLEARN_INSTALL, test_cmd: TEST_PYTEST }),
};

// --- sphinx --------------------------------------------------------------------------------------
// `pytest -rA` goes into tox.ini so the tox run prints the summary lines the parser reads.
const sphinx = each(
  [
    ...["1.5", "1.6", "1.7", "1.8", "2.0", "2.1", "2.2", "2.3", "2.4", "3.0"],
    ...["3.1", "3.2", "3.3", "3.4", "3.5", "4.0", "4.1", "4.2", "4.3", "4.4"],
    ...["4.5", "5.0", "5.1", "5.2", "5.3", "6.0", "6.2", "7.0", "7.1", "7.2"],
    ...["7.3", "7.4", "8.0", "8.1"],
  ],
  {
    python: "3.9",
    install: "python -m pip install -e .[test]",
    pre_install: ["sed -i 's/pytest/pytest -rA/' tox.ini"],
    test_cmd: TEST_SPHINX,
  },
);
const SPHINX_PINS_3_4 = [
  "sed -i 's/Jinja2>=2.3/Jinja2<3.0/' setup.py",
  "sed -i 's/sphinxcontrib-applehelp/sphinxcontrib-applehelp<=1.0.7/' setup.py",
  "sed -i 's/sphinxcontrib-devhelp/sphinxcontrib-devhelp<=1.0.5/' setup.py",
  "sed -i 's/sphinxcontrib-qthelp/sphinxcontrib-qthelp<=1.0.6/' setup.py",
  "sed -i 's/alabaster>=0.7,<0.8/alabaster>=0.7,<0.7.12/' setup.py",
  `sed -i "s/'packaging',/'packaging', 'markupsafe<=2.0.1',/" setup.py`,
];
const addPreInstall =
  (extra: string[]) =>
  (s: RepoSpec): RepoSpec => ({ ...s, pre_install: [...(s.pre_install ?? []), ...extra] });
amend(sphinx, ["3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "4.0", "4.1", "4.2", "4.3", "4.4"], addPreInstall(SPHINX_PINS_3_4));
amend(
  sphinx,
  ["4.2", "4.3", "4.4"],
  addPreInstall([
    "sed -i 's/sphinxcontrib-htmlhelp>=2.0.0/sphinxcontrib-htmlhelp>=2.0.0,<=2.0.4/' setup.py",
    "sed -i 's/sphinxcontrib-serializinghtml>=1.1.5/sphinxcontrib-serializinghtml>=1.1.5,<=1.1.9/' setup.py",
  ]),
);
amend(
  sphinx,
  ["4.1"],
  addPreInstall([
    "grep -q 'sphinxcontrib-htmlhelp>=2.0.0' setup.py && sed -i 's/sphinxcontrib-htmlhelp>=2.0.0/sphinxcontrib-htmlhelp>=2.0.0,<=2.0.4/' setup.py || sed -i 's/sphinxcontrib-htmlhelp/sphinxcontrib-htmlhelp<=2.0.4/' setup.py",
    "grep -q 'sphinxcontrib-serializinghtml>=1.1.5' setup.py && sed -i 's/sphinxcontrib-serializinghtml>=1.1.5/sphinxcontrib-serializinghtml>=1.1.5,<=1.1.9/' setup.py || sed -i 's/sphinxcontrib-serializinghtml/sphinxcontrib-serializinghtml<=1.1.9/' setup.py",
  ]),
);
amend(
  sphinx,
  ["3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "4.0"],
  addPreInstall([
    "sed -i 's/sphinxcontrib-htmlhelp/sphinxcontrib-htmlhelp<=2.0.4/' setup.py",
    "sed -i 's/sphinxcontrib-serializinghtml/sphinxcontrib-serializinghtml<=1.1.9/' setup.py",
  ]),
);
amend(sphinx, ["7.2", "7.3", "7.4", "8.0", "8.1"], addPreInstall(["apt-get update && apt-get install -y graphviz"]));
amend(sphinx, ["8.0", "8.1"], (s) => ({ ...s, python: "3.10" }));

// --- sympy ---------------------------------------------------------------------------------------
const sympy = each(["0.7", "1.0", "1.1", "1.10", "1.11", "1.12", "1.2", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.13", "1.14"], {
  python: "3.9",
  install: PIP_INSTALL_E,
  test_cmd: TEST_SYMPY,
});

function withParser(table: Record<string, RepoSpec>, parser: (typeof SWEBENCH_LOG_PARSERS)[number]): Record<string, RepoSpec> {
  for (const spec of Object.values(table)) spec.log_parser = parser;
  return table;
}

/** The built-in table: every version SWE-bench v4.1.0 defines for the 12 Python repos of SWE-bench (193 rows). */
export const SWEBENCH_SPECS: SpecsTable = {
  "astropy/astropy": withParser(astropy, "parse_log_pytest_v2"),
  "django/django": withParser(django, "parse_log_django"),
  "matplotlib/matplotlib": withParser(matplotlib, "parse_log_matplotlib"),
  "mwaskom/seaborn": withParser(seaborn, "parse_log_seaborn"),
  "pallets/flask": withParser(flask, "parse_log_pytest"),
  "psf/requests": withParser(requests, "parse_log_pytest_options"),
  "pydata/xarray": withParser(xarray, "parse_log_pytest"),
  "pylint-dev/pylint": withParser(pylint, "parse_log_pytest_options"),
  "pytest-dev/pytest": withParser(pytest, "parse_log_pytest"),
  "scikit-learn/scikit-learn": withParser(sklearn, "parse_log_pytest_v2"),
  "sphinx-doc/sphinx": withParser(sphinx, "parse_log_pytest_v2"),
  "sympy/sympy": withParser(sympy, "parse_log_sympy"),
};

/**
 * The spec for a repo/version: an override entry's fields win over the built-in entry's, field by field
 * (so overriding `test_cmd` keeps django's locale `eval_commands`). Undefined when neither has the version,
 * or when the only entry is an override without `test_cmd`.
 */
export function specFor(repo: string, version: string, overrides?: SpecsOverrides): RepoSpec | undefined {
  const builtIn = SWEBENCH_SPECS[repo]?.[version];
  const override = overrides?.[repo]?.[version];
  if (!override) return builtIn ? copySpec(builtIn) : undefined;
  const merged = { ...(builtIn ? copySpec(builtIn) : {}), ...override };
  if (merged.test_cmd === undefined) return undefined;
  return copySpec(merged as RepoSpec);
}

// --- --specs files -------------------------------------------------------------------------------

// Messages only for wrong types: a record's own `error` would also replace its keys' messages.
const typeError = (message: string) => (issue: { code: string }) => (issue.code === "invalid_type" ? message : undefined);
const text = z.string({ error: "expected a string" });
const textList = z.array(text, { error: "expected a list of strings" });
const specEntrySchema = z.strictObject(
  {
    test_cmd: z
      .union([z.string(), z.array(z.string()).min(1, { error: "expected a non-empty list" })], {
        error: "expected a string or list of strings",
      })
      .optional(),
    eval_commands: textList.optional(),
    pre_install: textList.optional(),
    install: text.optional(),
    python: text.optional(),
    log_parser: text.min(1, { error: "expected a non-empty string" }).optional(),
  },
  { error: typeError("expected a mapping of field to value") },
);
const specsFileSchema = z.record(
  z.string().regex(/^[^/\s]+\/[^/\s]+$/, { error: "expected a repository as <owner>/<repo>" }),
  z.record(z.string().min(1, { error: "expected a non-empty version" }), specEntrySchema, {
    error: typeError("expected a mapping of version to spec"),
  }),
  { error: typeError("expected a mapping of <owner>/<repo> to versions") },
);

/**
 * Reads a `--specs` file (JSON when named `.json`, else YAML, which reads JSON too) of the shape
 * `{ "<owner/repo>": { "<version>": { test_cmd, eval_commands?, log_parser?, ... } } }`.
 * An entry for a repo/version the built-in table lacks must set `test_cmd`.
 * Bad input throws UsageError `<file>: <repo>.<version>.<field>: <problem>`.
 */
export function loadSpecsFile(file: string): SpecsOverrides {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`${file}: cannot read specs file: ${errorMessage(err)}`, { cause: err });
  }
  const raw = parseSpecsText(file, text);
  const result = specsFileSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UsageError(`${file}: ${issue ? describeIssue(issue) : "invalid specs"}`);
  }
  const table = result.data as SpecsOverrides;
  for (const [repo, versions] of Object.entries(table)) {
    for (const [version, entry] of Object.entries(versions)) {
      if (entry.test_cmd === undefined && !SWEBENCH_SPECS[repo]?.[version]) {
        throw new UsageError(`${file}: ${repo}.${version}.test_cmd: required (no built-in spec for ${repo} ${version})`);
      }
    }
  }
  return table;
}

function parseSpecsText(file: string, text: string): unknown {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".json") {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new UsageError(`${file}: not valid JSON: ${errorMessage(err)}`, { cause: err });
    }
  }
  // YAML's core schema would read `3.0:` as the number 3 and `1.10:` as 1.1, losing the version; the
  // failsafe schema keeps every scalar a string, and every field here is a string or a list of strings.
  try {
    return parseYaml(text, { schema: "failsafe", prettyErrors: true }) as unknown;
  } catch (err) {
    // The first line has the problem and its position; the rest is a source excerpt.
    const first = (errorMessage(err).split("\n")[0] ?? "").replace(/:$/, "");
    throw new UsageError(`${file}: not valid ${ext === ".yaml" || ext === ".yml" ? "YAML" : "JSON or YAML"}: ${first}`, { cause: err });
  }
}

/** `django/django.3.0.test_cmd: expected a string or list of strings`; an unknown field is named in the path. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.map((key) => (key === "" ? '""' : String(key)));
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys;
    const field =
      keys.length === 1 ? `${[...where, keys[0]].join(".")}: unknown field` : `${where.join(".")}: unknown fields ${keys.join(", ")}`;
    return `${field} (known: ${Object.keys(specEntrySchema.shape).join(", ")})`;
  }
  if (issue.code === "invalid_key") {
    // The key itself is wrong: name it, with the key schema's own message.
    return `${where.join(".")}: ${issue.issues[0]?.message ?? issue.message}`;
  }
  return where.length > 0 ? `${where.join(".")}: ${issue.message}` : issue.message;
}
