// A Docker registry of the tests' own on 127.0.0.1 (Debian's `docker-registry`): official image names are pushed to
// it and pulled back by bench, since no public registry is reachable. Optional basic auth (htpasswd, bcrypt) to test
// credentials from the Docker config; a proxy in front of it can fail requests on demand (a registry failing mid-run).

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface LocalRegistry {
  /** `127.0.0.1:<port>`: prefix of image names pushed here (Docker treats loopback registries as insecure-allowed). */
  address: string;
  /** Registry HTTP requests seen so far (method + path), for tests that count pulls. */
  requests: string[];
  /** Makes the next `n` requests whose path matches fail with `status` (a registry failing mid-run). */
  failNext(n: number, status?: number, match?: RegExp): void;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** Basic-auth user and its bcrypt htpasswd line (`user:$2y$…`); without it, no auth. */
  htpasswd?: string;
  /** Holds every blob download this long before answering: a registry far away (benchmarks of pull overlap). @default 0 */
  blobDelayMs?: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `docker-registry` on a free loopback port behind a small HTTP proxy (the address handed out is the proxy's):
 * the proxy records requests and can fail them. Storage in a temp folder, removed by stop().
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<LocalRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-registry-"));
  const backendPort = await freePort();
  let auth = "";
  if (options.htpasswd) {
    writeFileSync(path.join(dir, "htpasswd"), `${options.htpasswd}\n`);
    auth = `auth:\n  htpasswd:\n    realm: bench-test\n    path: ${path.join(dir, "htpasswd")}\n`;
  }
  writeFileSync(
    path.join(dir, "config.yml"),
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, "data")}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${backendPort}\n${auth}`,
  );
  const child: ChildProcess = spawn("docker-registry", ["serve", path.join(dir, "config.yml")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once("error", (err) => reject(new Error(`docker-registry could not start (apt-get install docker-registry): ${err.message}`)));
    child.once("exit", (code) => reject(new Error(`docker-registry exited with ${code}: ${stderr}`)));
  });
  exited.catch(() => undefined);
  // Ready when /v2/ answers (200, or 401 with auth).
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: "127.0.0.1", port: backendPort, path: "/v2/" }, (res) => {
        res.resume();
        resolve(res.statusCode === 200 || res.statusCode === 401);
      });
      req.once("error", () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer on 127.0.0.1:${backendPort}: ${stderr}`);
    await Promise.race([new Promise((r) => setTimeout(r, 100)), exited]);
  }

  const requests: string[] = [];
  const failures: { left: number; status: number; match: RegExp }[] = [];
  const proxy = http.createServer(async (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (options.blobDelayMs && req.method === "GET" && /\/blobs\/sha256:/.test(req.url ?? "")) {
      await new Promise((resolve) => setTimeout(resolve, options.blobDelayMs));
    }
    const failure = failures.find((f) => f.left > 0 && f.match.test(req.url ?? ""));
    if (failure) {
      failure.left--;
      req.resume();
      res.writeHead(failure.status, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: "injected by the test registry" }] }));
      return;
    }
    const upstream = http.request(
      {
        host: "127.0.0.1",
        port: backendPort,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: `127.0.0.1:${backendPort}` },
      },
      (up) => {
        // Location headers point at the backend: rewrite them to the proxy, so the client keeps coming through it.
        const headers = { ...up.headers };
        if (typeof headers.location === "string") headers.location = headers.location.replace(`127.0.0.1:${backendPort}`, address);
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    upstream.once("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const address = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;

  return {
    address,
    requests,
    failNext(n, status = 503, match = /^\/v2\/.+/) {
      failures.push({ left: n, status, match });
    },
    async stop() {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
