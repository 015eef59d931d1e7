// `bench view <run-dir>`'s server: serves a run directory read-only on 127.0.0.1 with report.html's page, which loads the task
// index up front and each task's files only when opened. Only regular files inside the run directory are served;
// a path with a `..` segment (raw or percent-encoded), a NUL, a backslash or a symlink out of the directory is refused,
// and on a loopback address so is a request whose Host is not this server (DNS rebinding).

import { createReadStream } from "node:fs";
import { readFile, realpath, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { UsageError } from "../errors.js";

export interface ViewServerOptions {
  runDir: string;
  /** @default 0 (any free port) */
  port?: number;
  /** @default 127.0.0.1 */
  host?: string;
}

export interface ViewServer {
  url: string;
  close(): Promise<void>;
}

const TYPES: Readonly<Record<string, string>> = {
  ".json": "application/json; charset=utf-8",
  ".jsonl": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".diff": "text/plain; charset=utf-8",
  ".sh": "text/plain; charset=utf-8",
  ".csv": "text/plain; charset=utf-8",
  ".html": "text/plain; charset=utf-8",
};

/**
 * The run-relative file a request path names, or a status to refuse it with. Pure: segments are percent-decoded one
 * by one, and an empty, `.` or `..` segment, or one holding `/`, `\` or NUL once decoded, is 403.
 */
export function requestedFile(urlPath: string): { file: string } | { status: 400 | 403 } {
  const raw = urlPath.split("?")[0]?.split("#")[0] ?? "";
  if (!raw.startsWith("/")) return { status: 400 };
  const segments: string[] = [];
  for (const part of raw.slice(1).split("/")) {
    let s: string;
    try {
      s = decodeURIComponent(part);
    } catch {
      return { status: 400 };
    }
    if (s === "" || s === "." || s === ".." || /[/\\\0]/.test(s)) return { status: 403 };
    segments.push(s);
  }
  return { file: segments.join("/") };
}

/** The page for the run as it is now (results.jsonl re-read per request: a run in progress shows its progress). */
async function renderPage(runDir: string): Promise<string> {
  const [{ readResults, RESULTS_FILE }, { summarize, runWallSeconds }, { renderHtmlReport }, { runCellOrder }, { latestResults }] =
    await Promise.all([import("./store.js"), import("./summary.js"), import("./html.js"), import("./write.js"), import("./latest.js")]);
  const run = JSON.parse(await readFile(path.join(runDir, "run.json"), "utf8")) as {
    run_id?: unknown;
    started_at?: string;
    finished_at?: string | null;
  };
  const runId = String(run.run_id ?? path.basename(runDir));
  const { results } = await readResults(path.join(runDir, RESULTS_FILE)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return { results: [] };
    throw err;
  });
  const latest = latestResults(results);
  let runWallS: number | null = null;
  try {
    runWallS = run.started_at ? runWallSeconds(run.started_at, run.finished_at) : null;
  } catch {
    runWallS = null;
  }
  const summary = summarize(latest, { runId, runWallS });
  return renderHtmlReport({ runId, results: latest, summary, cellOrder: await runCellOrder(runDir), detail: { source: "fetch" } });
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    "content-type": type,
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'",
  });
  res.end(body);
}

/** Host headers a loopback server answers (a page of another site rebound to 127.0.0.1 sends its own name: refused). */
function loopbackHosts(host: string, port: number): Set<string> | null {
  if (host !== "127.0.0.1" && host !== "::1" && host !== "localhost") return null;
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

async function handle(root: string, allowedHosts: Set<string> | null, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (allowedHosts !== null && !allowedHosts.has(String(req.headers.host ?? "").toLowerCase()))
    return send(res, 403, "text/plain; charset=utf-8", "forbidden host\n");
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain; charset=utf-8", "GET only\n");
  const url = req.url ?? "/";
  if (url === "/" || url.startsWith("/?") || url === "/index.html") {
    const page = await renderPage(root);
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "x-content-type-options": "nosniff", "cache-control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : page);
    return;
  }
  const wanted = requestedFile(url);
  if ("status" in wanted)
    return send(res, wanted.status, "text/plain; charset=utf-8", wanted.status === 403 ? "forbidden\n" : "bad request\n");
  let real: string;
  try {
    real = await realpath(path.join(root, wanted.file));
  } catch {
    return send(res, 404, "text/plain; charset=utf-8", "not found\n");
  }
  const rel = path.relative(root, real);
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) return send(res, 403, "text/plain; charset=utf-8", "forbidden\n");
  const info = await stat(real);
  if (!info.isFile()) return send(res, 404, "text/plain; charset=utf-8", "not found\n");
  res.writeHead(200, {
    "content-type": TYPES[path.extname(real)] ?? "application/octet-stream",
    "content-length": info.size,
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'",
  });
  if (req.method === "HEAD") return void res.end();
  createReadStream(real)
    .on("error", () => res.destroy())
    .pipe(res);
}

/** Starts the server; rejects with a UsageError when the run directory has no run.json or the address is taken. */
export async function startViewServer(options: ViewServerOptions): Promise<ViewServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 0;
  const root = await realpath(options.runDir).catch(() => {
    throw new UsageError(`bench view ${options.runDir}: no such directory`);
  });
  await stat(path.join(root, "run.json")).catch(() => {
    throw new UsageError(`bench view ${options.runDir}: not a run directory (no run.json)`);
  });
  let allowedHosts: Set<string> | null = null;
  const server: Server = createServer((req, res) => {
    handle(root, allowedHosts, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", `${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      const why = {
        EADDRINUSE: "is already in use",
        EACCES: "needs privileges this user lacks",
        EADDRNOTAVAIL: "is not an address of this machine",
      }[err.code ?? ""];
      reject(
        why
          ? new UsageError(
              `--port ${port}: ${host}:${port} ${why}; pick another --port (0: any free port)${err.code === "EADDRNOTAVAIL" ? " or --host" : ""}`,
              { cause: err },
            )
          : err,
      );
    });
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  allowedHosts = loopbackHosts(host, address.port);
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
