// The SWE-bench v4.1.0 spec table, specFor overrides, and `--specs` file loading and its error messages.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { SWEBENCH_SPECS, loadSpecsFile, specFor } from "../../src/grading/specs.js";

const dir = mkdtempSync(path.join(tmpdir(), "bench-specs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

function loadError(name: string, text: string): string {
  const p = file(name, text);
  try {
    loadSpecsFile(p);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message.replace(`${dir}${path.sep}`, "");
  }
  throw new Error("expected loadSpecsFile to throw");
}

describe("SWEBENCH_SPECS", () => {
  it("has every version v4.1.0 defines for the 12 Python repos", () => {
    const counts = Object.fromEntries(Object.entries(SWEBENCH_SPECS).map(([repo, versions]) => [repo, Object.keys(versions).length]));
    expect(counts).toEqual({
      "astropy/astropy": 17,
      "django/django": 20,
      "matplotlib/matplotlib": 19,
      "mwaskom/seaborn": 4,
      "pallets/flask": 6,
      "psf/requests": 28,
      "pydata/xarray": 9,
      "pylint-dev/pylint": 14,
      "pytest-dev/pytest": 20,
      "scikit-learn/scikit-learn": 7,
      "sphinx-doc/sphinx": 34,
      "sympy/sympy": 15,
    });
    expect(Object.keys(SWEBENCH_SPECS["django/django"] ?? {})).toEqual(
      expect.arrayContaining(["1.4", "1.9", "1.10", "1.11", "2.2", "3.0", "3.2", "4.0", "5.2"]),
    );
  });

  it("django 3.0: locale eval_commands, pip install, the runtests command", () => {
    expect(SWEBENCH_SPECS["django/django"]?.["3.0"]).toEqual({
      python: "3.6",
      install: "python -m pip install -e .",
      eval_commands: [
        "sed -i '/en_US.UTF-8/s/^# //g' /etc/locale.gen && locale-gen",
        "export LANG=en_US.UTF-8",
        "export LANGUAGE=en_US:en",
        "export LC_ALL=en_US.UTF-8",
      ],
      test_cmd: "./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1",
      log_parser: "parse_log_django",
    });
  });

  it("django 1.x/2.x: locale exports, setup.py install; 1.9 runs without --settings/--parallel; 4.x has no eval_commands", () => {
    const d = SWEBENCH_SPECS["django/django"] ?? {};
    expect(d["2.2"]?.eval_commands).toEqual([
      "export LANG=en_US.UTF-8",
      "export LC_ALL=en_US.UTF-8",
      "export PYTHONIOENCODING=utf8",
      "export LANGUAGE=en_US:en",
    ]);
    expect(d["2.2"]?.pre_install).toEqual([
      "apt-get update && apt-get install -y locales",
      "echo 'en_US UTF-8' > /etc/locale.gen",
      "locale-gen en_US.UTF-8",
    ]);
    expect(d["2.2"]?.install).toBe("python setup.py install");
    expect(d["1.9"]?.test_cmd).toBe("./tests/runtests.py --verbosity 2");
    expect(d["1.10"]?.test_cmd).toBe("./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1");
    expect(d["1.5"]).toEqual({
      python: "3.5",
      install: "python setup.py install",
      test_cmd: "./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1",
      log_parser: "parse_log_django",
    });
    expect(d["4.2"]?.eval_commands).toBeUndefined();
    expect(d["5.0"]?.python).toBe("3.11");
  });

  it("sympy 1.1: bin/test with warnings silenced", () => {
    expect(SWEBENCH_SPECS["sympy/sympy"]?.["1.1"]).toEqual({
      python: "3.9",
      install: "python -m pip install -e .",
      test_cmd: "PYTHONWARNINGS='ignore::UserWarning,ignore::SyntaxWarning' bin/test -C --verbose",
      log_parser: "parse_log_sympy",
    });
  });

  it("astropy 0.x-1.3 run classic-style pytest, 3.x+ plain pytest -rA (with the setuptools pin from 4.1)", () => {
    const a = SWEBENCH_SPECS["astropy/astropy"] ?? {};
    expect(a["1.3"]?.test_cmd).toBe("pytest -rA -vv -o console_output_style=classic --tb=no");
    expect(a["0.4"]?.python).toBe("3.6");
    expect(a["4.3"]?.test_cmd).toBe("pytest -rA");
    expect(a["4.3"]?.pre_install).toEqual([`sed -i 's/requires = \\["setuptools",/requires = \\["setuptools==68.0.0",/' pyproject.toml`]);
    expect(a["3.0"]?.pre_install).toBeUndefined();
    expect(a["v5.3"]?.python).toBe("3.10");
    expect(a["5.2"]?.log_parser).toBe("parse_log_pytest_v2");
  });

  it("sphinx: tox in the current env, pytest -rA written into tox.ini, the 4.1 pins", () => {
    const s = SWEBENCH_SPECS["sphinx-doc/sphinx"] ?? {};
    expect(s["4.1"]?.test_cmd).toBe("tox --current-env -epy39 -v --");
    expect(s["1.5"]?.pre_install).toEqual(["sed -i 's/pytest/pytest -rA/' tox.ini"]);
    expect(s["4.1"]?.pre_install).toHaveLength(9);
    expect(s["4.1"]?.pre_install?.[8]).toBe(
      "grep -q 'sphinxcontrib-serializinghtml>=1.1.5' setup.py && sed -i 's/sphinxcontrib-serializinghtml>=1.1.5/sphinxcontrib-serializinghtml>=1.1.5,<=1.1.9/' setup.py || sed -i 's/sphinxcontrib-serializinghtml/sphinxcontrib-serializinghtml<=1.1.9/' setup.py",
    );
    expect(s["7.2"]?.pre_install).toEqual(["sed -i 's/pytest/pytest -rA/' tox.ini", "apt-get update && apt-get install -y graphviz"]);
    expect(s["8.1"]?.python).toBe("3.10");
  });

  it("other repos: commands, re-install steps and parsers", () => {
    expect(SWEBENCH_SPECS["mwaskom/seaborn"]?.["0.12"]).toEqual({
      python: "3.9",
      install: "python -m pip install -e .[dev]",
      test_cmd: "pytest --no-header -rA",
      log_parser: "parse_log_seaborn",
    });
    expect(SWEBENCH_SPECS["matplotlib/matplotlib"]?.["3.8"]?.install).toBe('python -m pip install --no-build-isolation -e ".[dev]"');
    expect(SWEBENCH_SPECS["matplotlib/matplotlib"]?.["3.5"]?.eval_commands).toBeUndefined();
    expect(SWEBENCH_SPECS["matplotlib/matplotlib"]?.["3.5"]?.pre_install?.[1]).toBe(
      'QHULL_URL="http://www.qhull.org/download/qhull-2020-src-8.0.2.tgz"',
    );
    expect(SWEBENCH_SPECS["scikit-learn/scikit-learn"]?.["0.22"]?.install).toBe(
      "python -m pip install -v --no-use-pep517 --no-build-isolation -e .",
    );
    expect(SWEBENCH_SPECS["psf/requests"]?.["2.0"]).toEqual({
      python: "3.9",
      install: "python -m pip install .",
      test_cmd: "pytest -rA",
      log_parser: "parse_log_pytest_options",
    });
    expect(SWEBENCH_SPECS["pytest-dev/pytest"]?.["6.3"]?.pre_install).toEqual(["sed -i 's/>=>=/>=/' setup.cfg"]);
    expect(SWEBENCH_SPECS["pylint-dev/pylint"]?.["2.15"]?.log_parser).toBe("parse_log_pytest_options");
    expect(SWEBENCH_SPECS["pydata/xarray"]?.["2022.06"]?.python).toBe("3.10");
    expect(SWEBENCH_SPECS["pallets/flask"]?.["2.1"]?.python).toBe("3.10");
  });
});

describe("specFor", () => {
  it("returns the built-in spec, a copy the caller may change", () => {
    const spec = specFor("django/django", "3.0");
    expect(spec?.test_cmd).toBe("./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1");
    spec?.eval_commands?.push("echo changed");
    expect(SWEBENCH_SPECS["django/django"]?.["3.0"]?.eval_commands).toHaveLength(4);
    expect(specFor("django/django", "9.9")).toBeUndefined();
    expect(specFor("acme/widgets", "1.0")).toBeUndefined();
  });

  it("lets override fields win field by field, and adds repos/versions the table lacks", () => {
    const overrides = {
      "django/django": { "3.0": { test_cmd: "./tests/runtests.py --verbosity 2", log_parser: "parse_log_django_custom" } },
      "acme/widgets": { "1.0": { test_cmd: ["make build", "pytest -rA"] } },
    };
    expect(specFor("django/django", "3.0", overrides)).toEqual({
      python: "3.6",
      install: "python -m pip install -e .",
      eval_commands: [
        "sed -i '/en_US.UTF-8/s/^# //g' /etc/locale.gen && locale-gen",
        "export LANG=en_US.UTF-8",
        "export LANGUAGE=en_US:en",
        "export LC_ALL=en_US.UTF-8",
      ],
      test_cmd: "./tests/runtests.py --verbosity 2",
      log_parser: "parse_log_django_custom",
    });
    expect(specFor("django/django", "3.1", overrides)?.test_cmd).toBe(
      "./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1",
    );
    expect(specFor("acme/widgets", "1.0", overrides)).toEqual({ test_cmd: ["make build", "pytest -rA"] });
  });
});

describe("loadSpecsFile", () => {
  it("reads YAML keeping versions as written (3.0 stays 3.0, 1.10 is not 1.1)", () => {
    const p = file(
      "specs.yaml",
      [
        "django/django:",
        "  3.0:",
        "    test_cmd: ./tests/runtests.py --verbosity 2",
        "    eval_commands: [export LANG=C.UTF-8]",
        "sympy/sympy:",
        "  1.10:",
        "    python: 3.10",
        "",
      ].join("\n"),
    );
    const overrides = loadSpecsFile(p);
    expect(overrides).toEqual({
      "django/django": { "3.0": { test_cmd: "./tests/runtests.py --verbosity 2", eval_commands: ["export LANG=C.UTF-8"] } },
      "sympy/sympy": { "1.10": { python: "3.10" } },
    });
    expect(specFor("sympy/sympy", "1.10", overrides)?.python).toBe("3.10");
    expect(specFor("django/django", "3.0", overrides)?.eval_commands).toEqual(["export LANG=C.UTF-8"]);
  });

  it("reads JSON", () => {
    const p = file("specs.json", JSON.stringify({ "acme/widgets": { "2.1": { test_cmd: "pytest -rA", log_parser: "parse_log_pytest" } } }));
    expect(loadSpecsFile(p)).toEqual({ "acme/widgets": { "2.1": { test_cmd: "pytest -rA", log_parser: "parse_log_pytest" } } });
  });

  it("names the file and the field path in every error", () => {
    expect(loadError("specs.yaml", "django/django:\n  3.0:\n    test_cmd: {a: b}\n")).toBe(
      "specs.yaml: django/django.3.0.test_cmd: expected a string or list of strings",
    );
    expect(loadError("wrong-type.json", JSON.stringify({ "django/django": { "3.0": { test_cmd: 5 } } }))).toBe(
      "wrong-type.json: django/django.3.0.test_cmd: expected a string or list of strings",
    );
    expect(loadError("unknown.yaml", "django/django:\n  3.0:\n    tst_cmd: pytest\n")).toBe(
      "unknown.yaml: django/django.3.0.tst_cmd: unknown field (known: test_cmd, eval_commands, pre_install, install, python, log_parser)",
    );
    expect(loadError("list.json", JSON.stringify({ "django/django": { "3.0": { eval_commands: ["a", 3] } } }))).toBe(
      "list.json: django/django.3.0.eval_commands.1: expected a string",
    );
    expect(loadError("entry.json", JSON.stringify({ "django/django": { "3.0": "pytest" } }))).toBe(
      "entry.json: django/django.3.0: expected a mapping of field to value",
    );
    expect(loadError("repo.json", JSON.stringify({ django: { "3.0": { test_cmd: "x" } } }))).toBe(
      "repo.json: django: expected a repository as <owner>/<repo>",
    );
    expect(loadError("top.json", "[1, 2]")).toBe("top.json: expected a mapping of <owner>/<repo> to versions");
    expect(loadError("new.yaml", "acme/widgets:\n  '1.0':\n    log_parser: parse_log_pytest\n")).toBe(
      "new.yaml: acme/widgets.1.0.test_cmd: required (no built-in spec for acme/widgets 1.0)",
    );
    expect(loadError("broken.json", "{")).toMatch(/^broken\.json: not valid JSON: /);
    expect(loadError("broken.yaml", "django/django: [\n")).toBe(
      "broken.yaml: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1",
    );
  });

  it("reports a missing file as a usage error", () => {
    expect(() => loadSpecsFile(path.join(dir, "absent.yaml"))).toThrow(UsageError);
    expect(() => loadSpecsFile(path.join(dir, "absent.yaml"))).toThrow(/absent\.yaml: cannot read specs file: ENOENT/);
  });
});
