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
}

export interface Dataset {
  name: string;
  /** Folder (local dataset) or the JSONL file's folder. */
  dir: string;
  /** The tasks.jsonl / *.jsonl file that was read. */
  file: string;
  tasks: Task[];
  /** sha256 of the tasks file and every repository file: resume refuses a changed dataset. */
  hash: string;
}
