// A run's pulls (src/runner/pulls.ts): which images are pulled ahead of their tasks, what --remove-images releases and
// when, and what run.json records. A fake puller.
import { describe, expect, it } from "vitest";
import type { Task } from "../../src/datasets/types.js";
import type { Job } from "../../src/runner/plan.js";
import { RunPulls } from "../../src/runner/pulls.js";
import type { ImagePuller } from "../../src/sandbox/pull.js";

const job = (id: string, image?: string): Job => ({
  cell: { cell: "mock/oracle", provider: "mock", model: "oracle" },
  task: {
    instance_id: id,
    repo: "r",
    problem_statement: "p",
    patch: "",
    test_patch: "",
    FAIL_TO_PASS: [],
    PASS_TO_PASS: [],
    test_framework: "pytest",
    ...(image ? { image } : {}),
  } as Task,
});

function fakePuller(log: string[], pulled: Set<string>): ImagePuller {
  return {
    prefetch: (image: string) => void log.push(`prefetch ${image}`),
    ensure: async (image: string) => {
      log.push(`ensure ${image}`);
      return { pulled: pulled.has(image), waitedMs: 40 };
    },
    release: async (image: string) => void log.push(`release ${image}`),
    stats: () => ({ pulls: 1, bytes: 2048, pullMs: 1500, waitedMs: 40 }),
    close: async () => void log.push("close"),
  } as unknown as ImagePuller;
}

describe("RunPulls", () => {
  const jobs = [job("a", "img:a"), job("b", "img:b"), job("c"), job("d", "img:a"), job("e", "img:e")];

  it("pulls ahead the images of the first slots + depth jobs, then depth past each started one", () => {
    const log: string[] = [];
    const pulls = new RunPulls(fakePuller(log, new Set()), jobs, { removeImages: false, depth: 1, agentSlots: 2 });
    expect(log).toEqual(["prefetch img:a", "prefetch img:b"]); // jobs 0..2; job 2 has no image
    pulls.started(0); // job 3
    pulls.started(1); // job 4
    pulls.started(2); // job 5: none
    expect(log).toEqual(["prefetch img:a", "prefetch img:b", "prefetch img:a", "prefetch img:e"]);
  });

  it("depth 0 pulls nothing ahead", () => {
    const log: string[] = [];
    const pulls = new RunPulls(fakePuller(log, new Set()), jobs, { removeImages: false, depth: 0, agentSlots: 2 });
    pulls.started(0);
    expect(log).toEqual([]);
  });

  it("--remove-images releases an image when its last job is done; run.json lists what a pull brought", async () => {
    const log: string[] = [];
    const pulls = new RunPulls(fakePuller(log, new Set(["img:a"])), jobs, { removeImages: true, depth: 0, agentSlots: 1 });
    expect(await pulls.ensure("img:a")).toBe(40);
    expect(await pulls.ensure("img:b")).toBe(40);
    await pulls.jobDone("img:a");
    await pulls.jobDone(undefined);
    expect(log).toEqual(["ensure img:a", "ensure img:b"]);
    await pulls.jobDone("img:a");
    await pulls.jobDone("img:b");
    expect(log).toEqual(["ensure img:a", "ensure img:b", "release img:a", "release img:b"]);
    expect(pulls.json()).toEqual({ pulled: ["img:a"], pulls: 1, bytes: 2048, pull_s: 1.5, waited_s: 0.04 });
    expect(pulls.summary()).toBe("images: 1 pulled (2.0 kB, 1.5 s pulling); tasks waited 0.0 s for pulls in all");
  });

  it("without --remove-images nothing is released", async () => {
    const log: string[] = [];
    const pulls = new RunPulls(fakePuller(log, new Set()), [job("a", "img:a")], { removeImages: false, depth: 0, agentSlots: 1 });
    await pulls.jobDone("img:a");
    expect(log).toEqual([]);
  });

  it("no puller under --pull never, a --docker-host pool, or jobs without images", () => {
    const docker = {} as never;
    const options = { pull: "missing" as const, pullAhead: undefined, removeImages: false };
    expect(RunPulls.forRun(docker, jobs, { ...options, pull: "never" }, 2, {}, () => undefined, false)).toBeUndefined();
    expect(RunPulls.forRun(docker, jobs, options, 2, {}, () => undefined, true)).toBeUndefined();
    expect(RunPulls.forRun(docker, [job("c")], options, 2, {}, () => undefined, false)).toBeUndefined();
  });
});
