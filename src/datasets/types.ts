// A loaded, validated task in SWE-bench field names (docs/ARCHITECTURE.md "Dataset format").

export interface Task {
  instance_id: string;
  repo: string;
  base_commit?: string;
  problem_statement: string;
  /** Gold fix (unified diff). */
  patch: string;
  /** Adds/changes the tests that expose the bug (unified diff). */
  test_patch: string;
  FAIL_TO_PASS: string[];
  PASS_TO_PASS: string[];
  hints_text?: string;
  /** Sandbox image; the dataset's default when absent. */
  image?: string;
  /** User the agent's commands and the grading run as: `root`, `uid[:gid]` or names the image knows. Default: see taskUser(). */
  user?: string;
  /** The workspace gets a network (bridge); default none. */
  network?: boolean;
  /** Test command; default `python -m pytest -rA <files the test patch touches>`. */
  test_cmd?: string;
  test_framework: "pytest";
  created_at?: string;
  version?: string;
  /** Absolute host path of the base repository (local datasets); absent when the image holds it at /testbed. */
  repoDir?: string;
  /** SWE-bench: the commit the environment was built at (recorded, not used for grading). */
  environment_setup_commit?: string;
  /** SWE-bench v5 rows: the row's own eval script, run as is instead of one made from a spec. */
  eval_script?: string;
  /** SWE-bench v5 rows: the log parser the row names (SWE-bench's name, e.g. `parse_log_pytest`). */
  log_parser?: string;
  /** SWE-bench v5 rows: `pass_and_fail` (default) or `fail_only`. */
  eval_type?: string;
}

/** A loaded dataset; `T`: its tasks as completed when loading (e.g. with their gradings: src/grading/task-grading.ts). */
export interface Dataset<T extends Task = Task> {
  name: string;
  /** Folder (local dataset) or the rows file's folder. */
  dir: string;
  /** The tasks.jsonl / .jsonl / .json / .parquet file that was read. */
  file: string;
  tasks: T[];
  /** sha256 of the tasks file and every repository file: resume refuses a changed dataset. */
  hash: string;
  /** A named dataset downloaded from the Hugging Face hub: where from, at which revision (recorded in run.json). */
  source?: { repo: string; revision: string; commit: string | null; split: string; url: string; sha256: string };
}
