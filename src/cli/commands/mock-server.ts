// `bench mock-server`: serve the mock LLM (OpenAI Chat Completions, Responses, Bedrock wire protocols) until
// SIGINT/SIGTERM; its address on stderr.

import { DEFAULT_POLICY, POLICY_NAMES as POLICIES } from "../../mock/policy-names.js";
import { UsageError } from "../../errors.js";
import type { BenchCommand } from "../command.js";
import { log } from "../shared.js";

/** Taken or forbidden addresses are the user's to change (exit 2), not an internal error. */
function listenError(err: NodeJS.ErrnoException, host: string, port: unknown): Error {
  const why = {
    EADDRINUSE: "is already in use (another server listens there)",
    EACCES: "needs privileges this user lacks",
    EADDRNOTAVAIL: "is not an address of this machine",
  }[err.code ?? ""];
  if (!why) return err;
  return new UsageError(
    `--port ${String(port)}: ${host}:${String(port)} ${why}; pick another --port (0: any free port)${err.code === "EADDRNOTAVAIL" ? " or --host" : ""}`,
    { cause: err },
  );
}

export const mockServerCommand: BenchCommand = {
  command: "mock-server",
  describe: "Serve the mock LLM (OpenAI Chat Completions and Responses wire protocols) for local tests",
  builder: (y) =>
    y
      .option("port", { type: "number", default: 8080 })
      .option("host", { type: "string", default: "127.0.0.1" })
      .option("policy", { type: "string", default: DEFAULT_POLICY, choices: POLICIES })
      .option("dataset", { type: "string", default: "swe-lite", describe: "Tasks the policies solve" })
      .option("latency-ms", { type: "number", default: 0 })
      .option("latency", {
        type: "string",
        describe: "Latency distribution added per call: fixed:MS, uniform:MIN:MAX or lognormal:MEDIAN_MS:SIGMA",
      })
      .option("rpm", {
        type: "number",
        describe: "Quota: model calls per minute; over it a call gets 429 (ThrottlingException on Bedrock)",
      })
      .option("tpm", { type: "number", describe: "Quota: tokens per minute" })
      .option("quota-window-ms", {
        type: "number",
        describe: "Burst window of the quota: the buckets hold this many ms of it (default 1000)",
      })
      .option("retry-hints", {
        type: "boolean",
        default: true,
        describe: "Send retry-after / retry-after-ms / x-ratelimit-reset-* with quota 429s (--no-retry-hints: none)",
      })
      .option("fault-rate", { type: "number", describe: "Share of calls answered 500/503 (0 to 1)" })
      .option("reset-rate", { type: "number", describe: "Share of calls whose connection is reset" })
      .option("cut-rate", { type: "number", describe: "Share of streamed calls cut mid-way" })
      .option("hang-rate", { type: "number", describe: "Share of calls that never answer" })
      .option("seed", { type: "number", describe: "Seed of the fault and latency draws (default 1)" }),
  run: async (args) => {
    const { loadDataset } = await import("../../datasets/load.js");
    const { startMockServer } = await import("../../mock/server.js");
    const { mockFaultSettings } = await import("../../mock/flags.js");
    const host = String(args["host"]);
    const policy = String(args["policy"]) as (typeof POLICIES)[number];
    const n = (k: string) => args[k] as number | undefined;
    const server = await startMockServer({
      tasks: loadDataset(String(args["dataset"])).tasks,
      port: Number(args["port"]),
      host,
      defaultPolicy: policy,
      latencyMs: Number(args["latency-ms"]),
      ...mockFaultSettings(
        {
          rpm: n("rpm"),
          tpm: n("tpm"),
          quotaWindowMs: n("quota-window-ms"),
          retryHints: args["retry-hints"] as boolean | undefined,
          faultRate: n("fault-rate"),
          resetRate: n("reset-rate"),
          cutRate: n("cut-rate"),
          hangRate: n("hang-rate"),
          latency: args["latency"] as string | undefined,
          seed: n("seed"),
        },
        "--",
      ),
    }).catch((err: NodeJS.ErrnoException) => {
      throw listenError(err, host, args["port"]);
    });
    log(
      `mock server listening on ${server.url} (OpenAI base URL ${server.url}/v1, --bedrock-endpoint ${server.url}, default policy ${policy})`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => void server.close().then(resolve);
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    return 0;
  },
};
