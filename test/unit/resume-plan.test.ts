// Resume never changes the plan: a narrower, wider or different --limit / --instances / --shard is refused, from
// run.json's dataset.instance_ids when recorded, else from the recorded config.
import { describe, expect, it } from "vitest";
import { checkResumePlan } from "../../src/runner/resume.js";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `t${i + 1}`);
const HINT = "Resume without --limit, --instances and --shard (the run's own selection applies), or start a new run with a new --run-id.";

describe("checkResumePlan with dataset.instance_ids", () => {
  const previous = { config: { limit: 10 }, dataset: { instance_ids: ids(10) } };

  it("accepts the same tasks, however they are selected", () => {
    expect(() => checkResumePlan(previous, { limit: 10 }, ids(10), "/r/x")).not.toThrow();
    expect(() => checkResumePlan(previous, { limit: 20 }, ids(10), "/r/x")).not.toThrow();
  });

  it("refuses a narrower --limit, naming the recorded and the given values", () => {
    expect(() => checkResumePlan(previous, { limit: 2 }, ids(2), "/r/x")).toThrowError(
      `cannot resume /r/x: it was planned with --limit 10 (10 task(s)); --limit 2 selects 2 task(s) (8 planned task(s) left out). ${HINT}`,
    );
  });

  it("refuses a wider or different selection", () => {
    expect(() => checkResumePlan(previous, { limit: 12 }, ids(12), "/r/x")).toThrowError(
      /--limit 12 selects 12 task\(s\) \(2 task\(s\) not in the plan added\)/,
    );
    expect(() => checkResumePlan(previous, { instances: ["t1", "t11"] }, ["t1", "t11"], "/r/x")).toThrowError(
      "--instances t1,t11 selects 2 task(s) (9 planned task(s) left out, 1 task(s) not in the plan added)",
    );
    expect(() => checkResumePlan({ config: {}, dataset: { instance_ids: ids(4) } }, { shard: "1/2" }, ["t1", "t3"], "/r/y")).toThrowError(
      "cannot resume /r/y: it was planned with no --limit/--instances/--shard (4 task(s)); --shard 1/2 selects 2 task(s) (2 planned task(s) left out)",
    );
  });
});

describe("checkResumePlan without dataset.instance_ids (older runs)", () => {
  const previous = { config: { limit: 10, instances: undefined }, dataset: { tasks: 10 } };

  it("compares the recorded selection flags", () => {
    expect(() => checkResumePlan(previous, { limit: 10 }, ids(10), "/r/old")).not.toThrow();
    expect(() => checkResumePlan(previous, { limit: 2 }, ids(2), "/r/old")).toThrowError(
      `cannot resume /r/old: it was planned with --limit 10; given --limit 2. ${HINT}`,
    );
    expect(() => checkResumePlan(previous, { limit: 10, shard: "2/2" }, ids(5), "/r/old")).toThrowError("given --limit 10 --shard 2/2");
  });
});
