// --docker-host parsing, dockerode options per scheme, and the choice of host by free capacity.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { resolveRunOptions } from "../../src/config/options.js";
import { dockerOptionsFor } from "../../src/sandbox/host-pool.js";
import { parseDockerHost, pickHost } from "../../src/sandbox/hosts.js";

describe("parseDockerHost", () => {
  it("reads unix, tcp (with TLS files) and ssh addresses with a capacity", () => {
    expect(parseDockerHost("unix:///var/run/docker.sock")).toEqual({
      name: "unix:///var/run/docker.sock",
      kind: "unix",
      socketPath: "/var/run/docker.sock",
    });
    expect(parseDockerHost("unix:///tmp/bench-d2.sock?capacity=3")).toEqual({
      name: "unix:///tmp/bench-d2.sock",
      kind: "unix",
      socketPath: "/tmp/bench-d2.sock",
      capacity: 3,
    });
    expect(parseDockerHost("tcp://10.0.0.5:2375")).toEqual({ name: "tcp://10.0.0.5:2375", kind: "tcp", host: "10.0.0.5", port: 2375 });
    expect(parseDockerHost("tcp://build-1:2376?capacity=8&ca=/c/ca.pem&cert=/c/cert.pem&key=/c/key.pem")).toEqual({
      name: "tcp://build-1:2376",
      kind: "tcp",
      host: "build-1",
      port: 2376,
      capacity: 8,
      tls: { ca: "/c/ca.pem", cert: "/c/cert.pem", key: "/c/key.pem" },
    });
    expect(parseDockerHost("tcp://[::1]:2376?tls=1")).toEqual({ name: "tcp://[::1]:2376", kind: "tcp", host: "::1", port: 2376, tls: {} });
    expect(parseDockerHost("ssh://ci@runner-2?capacity=2&identity=/k/id_ed25519")).toEqual({
      name: "ssh://ci@runner-2",
      kind: "ssh",
      host: "runner-2",
      username: "ci",
      capacity: 2,
      identity: "/k/id_ed25519",
    });
  });
  it("rejects the rest, saying what is wrong and what is expected", () => {
    const cases: [string, string][] = [
      ["/var/run/docker.sock", ""],
      ["http://x:1", 'unknown scheme "http:"; '],
      ["unix://docker.sock", "a unix socket needs an absolute path (three slashes); "],
      ["tcp://host", "tcp needs a port (2375, or 2376 with TLS); "],
      ["unix:///s?capacity=0", 'capacity must be a positive integer, got "0"; '],
      ["tcp://h:1?cpus=2", "unknown option cpus; "],
      ["ssh://u:pw@h", "put no password in the address (tcp: TLS certificates; ssh: a key or the agent); "],
    ];
    for (const [raw, why] of cases) {
      expect(() => parseDockerHost(raw)).toThrowError(
        `--docker-host ${JSON.stringify(raw)}: ${why}expected unix:///path/to/docker.sock, tcp://host:port or ssh://[user@]host[:port]`,
      );
    }
  });
  it("is a run option (repeatable; a config file may give one string)", () => {
    expect(resolveRunOptions({ dataset: "d" }, { dockerHost: "unix:///a.sock" }, {}).dockerHost).toEqual(["unix:///a.sock"]);
    expect(resolveRunOptions({ dataset: "d" }, {}, {}).dockerHost).toEqual([]);
    expect(() => resolveRunOptions({ dataset: "d", dockerHost: ["nope"] }, {}, {})).toThrowError(
      /^--docker-host: expected unix:\/\/\/path/,
    );
  });
});

describe("dockerOptionsFor", () => {
  it("maps each scheme to dockerode options, reading the TLS files, never inheriting DOCKER_HOST's host", () => {
    expect(dockerOptionsFor(parseDockerHost("unix:///tmp/d.sock"))).toEqual({
      socketPath: "/tmp/d.sock",
      host: undefined,
      port: undefined,
      protocol: undefined,
    });
    const dir = mkdtempSync(path.join(os.tmpdir(), "bench-tls-"));
    for (const f of ["ca.pem", "cert.pem", "key.pem"]) writeFileSync(path.join(dir, f), f);
    const tls = dockerOptionsFor(parseDockerHost(`tcp://h:2376?ca=${dir}/ca.pem&cert=${dir}/cert.pem&key=${dir}/key.pem`));
    expect({ ...tls, ca: String(tls.ca), cert: String(tls.cert), key: String(tls.key) }).toEqual({
      host: "h",
      port: 2376,
      protocol: "https",
      ca: "ca.pem",
      cert: "cert.pem",
      key: "key.pem",
    });
    expect(dockerOptionsFor(parseDockerHost("tcp://h:2375"))).toEqual({ host: "h", port: 2375, protocol: "http" });
    expect(dockerOptionsFor(parseDockerHost("ssh://ci@h"), { SSH_AUTH_SOCK: "/run/agent" })).toEqual({
      host: "h",
      port: 22,
      protocol: "ssh",
      username: "ci",
      sshOptions: { agent: "/run/agent" },
    });
    expect(() => dockerOptionsFor(parseDockerHost("tcp://h:2376?ca=/nope/ca.pem"))).toThrowError(
      /--docker-host tcp:\/\/h:2376: cannot read the CA certificate \/nope\/ca\.pem/,
    );
  });
});

describe("pickHost", () => {
  it("takes the healthy host with the most free capacity, the first on ties", () => {
    expect(
      pickHost([
        { capacity: 4, inUse: 3, healthy: true },
        { capacity: 2, inUse: 0, healthy: true },
      ]),
    ).toBe(1);
    expect(
      pickHost([
        { capacity: 2, inUse: 1, healthy: true },
        { capacity: 2, inUse: 1, healthy: true },
      ]),
    ).toBe(0);
    expect(
      pickHost([
        { capacity: 8, inUse: 0, healthy: false },
        { capacity: 1, inUse: 1, healthy: true },
      ]),
    ).toBe(1);
    // Over capacity (grading containers): still a host, the least loaded.
    expect(
      pickHost([
        { capacity: 1, inUse: 3, healthy: true },
        { capacity: 1, inUse: 2, healthy: true },
      ]),
    ).toBe(1);
    expect(pickHost([{ capacity: 1, inUse: 0, healthy: false }])).toBeNull();
    expect(pickHost([])).toBeNull();
  });
});
