// CLI wiring only: parse flags, call one function, map errors to exit codes. Heavy modules load lazily.

import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";
import { BenchError, UsageError } from "../errors.js";

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function docker() {
  const { default: Docker } = await import("dockerode");
  return new Docker();
}

function runFlags(y: Argv) {
  return y
    .option("dataset", { type: "string", describe: "Dataset name (datasets/<name>) or path to a folder or .jsonl" })
    .option("model", { type: "string", array: true, describe: "Model spec <provider>/<model-id>[@region], repeatable (default mock/oracle)" })
    .option("region", { type: "string", array: true, describe: "AWS region for bedrock models, repeatable (one cell per region)" })
    .option("run-id", { type: "string", describe: "Run id (default: a timestamp); the run lives in <output-dir>/<run-id>" })
    .option("output-dir", { type: "string", describe: "Folder of run directories (default results)" })
    .option("instances", { type: "string", describe: "Comma-separated instance ids to run" })
    .option("limit", { type: "number", describe: "Only the first N tasks in dataset order" })
    .option("concurrency", { type: "number", describe: "Tasks at once (default 4)" })
    .option("max-iterations", { type: "number", describe: "Model calls per task (default 100)" })
    .option("max-fake-responses", { type: "number", describe: "Fake user replies per task (default 10)" })
    .option("base-url", { type: "string", describe: "OpenAI-compatible endpoint for openai/* models" })
    .option("api-key-env", { type: "string", describe: "Environment variable with the API key for openai/* (default OPENAI_API_KEY)" })
    .option("stream", { type: "boolean", describe: "Stream model responses (default true; --no-stream to disable)" })
    .option("command-timeout", { type: "number", describe: "Seconds per agent bash command (default 120)" })
    .option("grading-timeout", { type: "number", describe: "Seconds for the grading test run (default 900)" })
    .option("llm-timeout", { type: "number", describe: "Deadline of one model call in seconds, stream included (default 300)" })
    .option("llm-retries", { type: "number", describe: "Retries of one model call on rate limits and transient errors (default 8)" })
    .option("mock-latency-ms", { type: "number", describe: "Latency the built-in mock adds per answer (default 0)" })
    .option("config", { type: "string", describe: "Config file (default bench.config.yaml|yml|json if present)" })
    .option("json", { type: "boolean", describe: "Print one JSON summary on stdout and nothing else there" });
}

async function runCommand(argv: Record<string, unknown>): Promise<number> {
  const { readConfigFile, envOptions, resolveRunOptions } = await import("../config/options.js");
  const num = (k: string) => {
    const v = argv[k];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || Number.isNaN(v)) throw new UsageError(`--${k}: expected a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const flags = {
    dataset: argv["dataset"],
    model: argv["model"],
    region: argv["region"],
    runId: argv["run-id"],
    outputDir: argv["output-dir"],
    instances: typeof argv["instances"] === "string" ? argv["instances"].split(",").map((s) => s.trim()).filter(Boolean) : undefined,
    limit: num("limit"),
    concurrency: num("concurrency"),
    maxIterations: num("max-iterations"),
    maxFakeResponses: num("max-fake-responses"),
    baseUrl: argv["base-url"],
    apiKeyEnv: argv["api-key-env"],
    stream: argv["stream"],
    commandTimeout: num("command-timeout"),
    gradingTimeout: num("grading-timeout"),
    llmTimeout: num("llm-timeout"),
    llmRetries: num("llm-retries"),
    mockLatencyMs: num("mock-latency-ms"),
    json: argv["json"],
  };
  const config = readConfigFile(argv["config"] as string | undefined);
  if (flags.dataset === undefined && config["dataset"] === undefined) throw new UsageError("--dataset: required (e.g. --dataset swe-lite)");
  const options = resolveRunOptions(flags, config, envOptions(process.env));
  const { executeRun } = await import("../runner/run.js");

  const controller = new AbortController();
  let removeAll: (() => Promise<void>) | undefined;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      log(`\n${sig}: stopping — no new tasks; removing workspaces; finished results are kept (press Ctrl-C again to exit now)`);
      controller.abort(new Error(`interrupted by ${sig}`));
      void removeAll?.();
      return;
    }
    log(`${sig} again: removing workspaces and exiting now`);
    void (removeAll?.() ?? Promise.resolve()).finally(() => process.exit(sig === "SIGINT" ? 130 : 143));
  };
  let caught: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    caught ??= sig;
    onSignal(sig);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  try {
    const outcome = await executeRun(options, {
      docker: await docker(),
      log,
      env: process.env,
      cwd: process.cwd(),
      signal: controller.signal,
      onSandboxes: (tracker) => {
        removeAll = () => tracker.removeAll();
      },
    });
    if (options.json) process.stdout.write(`${JSON.stringify({ run_id: outcome.runId, run_dir: outcome.runDir, cells: outcome.summary })}\n`);
    if (outcome.interrupted) return caught === "SIGTERM" ? 143 : 130;
    return 0;
  } finally {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  }
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const parser = yargs(argv)
    .scriptName("bench")
    .usage("$0 <command> [options]\n\nA headless harness that measures LLM coding agents in Docker sandboxes.")
    .command(
      "run",
      "Run a dataset against one or more models (cells = model × region)",
      (y) => runFlags(y),
      async (args) => {
        code = await runCommand(args as Record<string, unknown>);
      },
    )
    .command(
      "report <run-dir>",
      "Rebuild report.csv, summary.csv and summary.json from results.jsonl",
      (y) => y.positional("run-dir", { type: "string", demandOption: true }),
      async (args) => {
        const { rebuildReports, formatSummaryTable } = await import("../report/write.js");
        const rebuilt = await rebuildReports(String(args["run-dir"]));
        for (const s of rebuilt.skipped) log(`warning: results.jsonl line ${s.line} skipped (${s.reason})`);
        log(formatSummaryTable(rebuilt.summary));
      },
    )
    .command("images <action>", "Build or list sandbox images", (y) =>
      y.positional("action", { choices: ["build", "list"] as const, demandOption: true }),
      async (args) => {
        const images = await import("../sandbox/images.js");
        const { pingDocker } = await import("../runner/run.js");
        const d = await docker();
        await pingDocker(d);
        if (args.action === "build") {
          const tag = await images.ensureImage(d, "python", { onProgress: log });
          log(`sandbox image ready: ${tag}`);
        } else {
          for (const img of await images.listImages(d)) process.stdout.write(`${JSON.stringify(img)}\n`);
        }
      },
    )
    .command(
      "datasets <action> [path]",
      "List the built-in datasets, or validate one (gold patch resolves every task, empty patch none)",
      (y) =>
        y
          .positional("action", { choices: ["list", "validate"] as const, demandOption: true })
          .positional("path", { type: "string", describe: "Dataset name or path (validate)" })
          .option("concurrency", { type: "number", default: 4 }),
      async (args) => {
        const { listDatasets, validateDataset } = await import("../datasets/validate.js");
        if (args.action === "list") {
          for (const d of listDatasets()) process.stdout.write(`${d.name}\t${d.tasks} tasks\t${d.dir}\n`);
          return;
        }
        if (!args.path) throw new UsageError("bench datasets validate <path>: a dataset name or path is required");
        const { pingDocker } = await import("../runner/run.js");
        const d = await docker();
        await pingDocker(d);
        const report = await validateDataset(String(args.path), d, { concurrency: args.concurrency, log });
        if (report.problems.length > 0) {
          throw new UsageError(`dataset ${report.file}: ${report.problems.length} problem(s):\n  ${report.problems.join("\n  ")}`);
        }
        log(`dataset ${report.file}: all ${report.tasks} task(s) valid (gold patch resolves, empty patch does not)`);
      },
    )
    .command(
      "mock-server",
      "Serve the mock LLM (OpenAI Chat Completions wire protocol) for local tests",
      (y) =>
        y
          .option("port", { type: "number", default: 8080 })
          .option("host", { type: "string", default: "127.0.0.1" })
          .option("policy", { type: "string", default: "oracle", choices: ["oracle", "lazy", "chatty", "wrong"] })
          .option("dataset", { type: "string", default: "swe-lite", describe: "Tasks the policies solve" })
          .option("latency-ms", { type: "number", default: 0 }),
      async (args) => {
        const { loadDataset } = await import("../datasets/load.js");
        const { startMockServer } = await import("../mock/server.js");
        const dataset = loadDataset(args.dataset);
        const server = await startMockServer({
          tasks: dataset.tasks,
          port: args.port,
          host: args.host,
          defaultPolicy: args.policy,
          latencyMs: args["latency-ms"],
        });
        log(`mock server listening on ${server.url} (OpenAI base URL ${server.url}/v1, default policy ${args.policy})`);
        await new Promise<void>((resolve) => {
          const stop = () => void server.close().then(resolve);
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
        });
      },
    )
    .demandCommand(1, "Name a command (e.g. bench run --dataset swe-lite); see bench --help")
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof BenchError) {
      log(`bench: ${err.message}`);
      return err.exitCode;
    }
    log(`bench: internal error: ${err instanceof Error ? (process.env["BENCH_DEBUG"] ? err.stack : err.message) : String(err)}`);
    return 1;
  }
  return code;
}

// Exit explicitly: idle keep-alive sockets (Docker API, HTTP agents) must not hold the process open.
main(hideBin(process.argv)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`bench: internal error: ${String(err)}`);
    process.exit(1);
  },
);
