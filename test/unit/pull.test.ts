// Pure parts of src/sandbox/pull.ts: image names from the template, registry of a reference, credentials from each
// Docker config shape (and a stand-in credential helper), error classification, backoff and byte formatting.

import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { InfraError, UsageError } from "../../src/errors.js";
import { DEFAULT_IMAGE_TEMPLATE, backoffDelay, officialImage } from "../../src/sandbox/pull.js";
import { classifyPullError, dockerMessage } from "../../src/sandbox/pull-errors.js";
import { formatBytes } from "../../src/sandbox/pull-stream.js";
import { authFor, dockerConfigPath, loadDockerConfig, registryOf } from "../../src/sandbox/registry-auth.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("officialImage", () => {
  test("SWE-bench's naming: __ becomes _1776_, lower-cased", () => {
    expect(DEFAULT_IMAGE_TEMPLATE).toBe("swebench/sweb.eval.x86_64.{id}:latest");
    expect(officialImage("django__django-11333")).toBe("swebench/sweb.eval.x86_64.django_1776_django-11333:latest");
    expect(officialImage("sympy__sympy-20590")).toBe("swebench/sweb.eval.x86_64.sympy_1776_sympy-20590:latest");
    expect(officialImage("Pylint-Dev__Astroid-1333")).toBe("swebench/sweb.eval.x86_64.pylint-dev_1776_astroid-1333:latest");
  });

  test("custom templates: a registry, {instance_id} as the tag, both placeholders", () => {
    expect(officialImage("django__django-11333", "registry.example.com:5000/mirror/sweb.{id}:v2")).toBe(
      "registry.example.com:5000/mirror/sweb.django_1776_django-11333:v2",
    );
    expect(officialImage("django__django-11333", "ghcr.io/me/swe:{instance_id}")).toBe("ghcr.io/me/swe:django__django-11333");
    expect(officialImage("a__b-1", "x/{id}:{instance_id}")).toBe("x/a_1776_b-1:a__b-1");
  });

  test("a template without a placeholder is a UsageError naming --image-template", () => {
    expect(() => officialImage("django__django-11333", "swebench/sweb.eval.x86_64:latest")).toThrow(UsageError);
    expect(() => officialImage("django__django-11333", "swebench/sweb.eval.x86_64:latest")).toThrow(/^--image-template: .*\{id\}/);
  });

  test("a template that makes an invalid name (upper case in the repository, unknown placeholder) is a UsageError", () => {
    expect(() => officialImage("Django__Django-1", "swebench/{instance_id}:latest")).toThrow(
      /--image-template: .*not a valid Docker image name/,
    );
    expect(() => officialImage("a__b-1", "swebench/{repo}/{id}")).toThrow(UsageError);
  });
});

describe("registryOf", () => {
  test.each([
    ["swebench/sweb.eval.x86_64.django_1776_django-11333:latest", "docker.io"],
    ["ubuntu", "docker.io"],
    ["ubuntu:22.04", "docker.io"],
    ["library/ubuntu", "docker.io"],
    ["docker.io/library/ubuntu", "docker.io"],
    ["index.docker.io/swebench/x:latest", "docker.io"],
    ["localhost/x", "localhost"],
    ["localhost:5000/x:1", "localhost:5000"],
    ["127.0.0.1:41234/swebench/x:latest", "127.0.0.1:41234"],
    [`ghcr.io/org/image@sha256:${"a".repeat(64)}`, "ghcr.io"],
    ["Registry/x", "Registry"],
    ["my-host/x", "docker.io"],
  ])("%s → %s", (image, registry) => {
    expect(registryOf(image)).toBe(registry);
  });
});

describe("authFor", () => {
  const hubImage = "swebench/sweb.eval.x86_64.a_1776_b-1:latest";
  const hub = "https://index.docker.io/v1/";

  test("no config, or no entry for the registry: anonymous", () => {
    expect(authFor(hubImage, {})).toBeUndefined();
    expect(authFor(hubImage, { auths: { "ghcr.io": { auth: b64("u:p") } } })).toBeUndefined();
    expect(authFor(hubImage, { auths: { [hub]: {} } })).toBeUndefined();
  });

  test.each([hub, "docker.io", "index.docker.io", "https://index.docker.io/v1", "registry-1.docker.io"])("Docker Hub key %s", (key) => {
    expect(authFor(hubImage, { auths: { [key]: { auth: b64("me:pa:ss") } } })).toEqual({
      username: "me",
      password: "pa:ss",
      serveraddress: hub,
    });
  });

  test("username/password fields, identity token, keys with a scheme and path", () => {
    expect(authFor("ghcr.io/o/i:1", { auths: { "ghcr.io": { username: "u", password: "p" } } })).toEqual({
      username: "u",
      password: "p",
      serveraddress: "ghcr.io",
    });
    expect(authFor("ghcr.io/o/i:1", { auths: { "https://ghcr.io/v2/": { auth: b64("u:p"), identitytoken: "tok" } } })).toEqual({
      identitytoken: "tok",
      serveraddress: "ghcr.io",
    });
    expect(authFor("127.0.0.1:5000/o/i", { auths: { "http://127.0.0.1:5000": { auth: b64("u:p") } } })).toMatchObject({ username: "u" });
    // Port matters: another registry on the same host is another registry.
    expect(authFor("127.0.0.1:5001/o/i", { auths: { "127.0.0.1:5000": { auth: b64("u:p") } } })).toBeUndefined();
  });

  test("an auth value that is not base64 user:password: InfraError without the value", () => {
    const bad = b64("no-colon-secret");
    expect(() => authFor("ghcr.io/o/i", { auths: { "ghcr.io": { auth: bad } } })).toThrow(InfraError);
    try {
      authFor("ghcr.io/o/i", { auths: { "ghcr.io": { auth: bad } } });
    } catch (err) {
      expect((err as Error).message).toContain("docker login ghcr.io");
      expect((err as Error).message).not.toContain(bad);
      expect((err as Error).message).not.toContain("no-colon-secret");
    }
  });

  describe("credential helpers", () => {
    let dir: string;
    let savedPath: string | undefined;
    beforeEach(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-pull-unit-"));
      savedPath = process.env.PATH;
      process.env.PATH = `${dir}${path.delimiter}${savedPath ?? ""}`;
      // Answers per server address like the real helpers: JSON on success, "credentials not found" + exit 1 otherwise.
      await fs.writeFile(
        path.join(dir, "docker-credential-fake"),
        [
          "#!/bin/sh",
          '[ "$1" = get ] || exit 2',
          "read server",
          'case "$server" in',
          '  https://index.docker.io/v1/) echo \'{"ServerURL":"x","Username":"hubuser","Secret":"hub-secret"}\' ;;',
          '  ghcr.io) echo \'{"ServerURL":"ghcr.io","Username":"<token>","Secret":"refresh-token"}\' ;;',
          '  broken.example) echo "helper exploded"; exit 3 ;;',
          '  garbage.example) echo "not json hub-secret" ;;',
          '  *) echo "credentials not found in native keychain"; exit 1 ;;',
          "esac",
          "",
        ].join("\n"),
        { mode: 0o755 },
      );
    });
    afterEach(async () => {
      process.env.PATH = savedPath;
      await fs.rm(dir, { recursive: true, force: true });
    });

    test("credsStore answers for every registry; <token> means an identity token", () => {
      expect(authFor(hubImage, { credsStore: "fake" })).toEqual({ username: "hubuser", password: "hub-secret", serveraddress: hub });
      expect(authFor("ghcr.io/o/i", { credsStore: "fake" })).toEqual({ identitytoken: "refresh-token", serveraddress: "ghcr.io" });
    });

    test("credHelpers for one registry win over credsStore and auths", () => {
      const config = { credsStore: "missing-helper", credHelpers: { "ghcr.io": "fake" }, auths: { "ghcr.io": { auth: b64("u:p") } } };
      expect(authFor("ghcr.io/o/i", config)).toEqual({ identitytoken: "refresh-token", serveraddress: "ghcr.io" });
    });

    test("a helper that has no credentials: the inline entry if any, else anonymous", () => {
      expect(authFor("quay.io/o/i", { credsStore: "fake" })).toBeUndefined();
      expect(authFor("quay.io/o/i", { credsStore: "fake", auths: { "quay.io": { auth: b64("u:p") } } })).toMatchObject({ username: "u" });
    });

    test("a failing helper: InfraError with its first line; a non-JSON answer is never quoted", () => {
      expect(() => authFor("broken.example/o/i", { credsStore: "fake" })).toThrow(
        /docker-credential-fake failed for broken\.example \(exit 3\): helper exploded/,
      );
      expect(() => authFor("garbage.example/o/i", { credsStore: "fake" })).toThrow(InfraError);
      try {
        authFor("garbage.example/o/i", { credsStore: "fake" });
      } catch (err) {
        expect((err as Error).message).not.toContain("hub-secret");
      }
    });

    test("a helper that is not installed: InfraError naming the binary", () => {
      expect(() => authFor(hubImage, { credsStore: "nothere" })).toThrow(InfraError);
      expect(() => authFor(hubImage, { credsStore: "nothere" })).toThrow(/docker-credential-nothere is not installed or not on PATH/);
      expect(() => authFor("ghcr.io/o/i", { credHelpers: { "ghcr.io": "nothere" } })).toThrow(/"nothere" for ghcr\.io/);
    });
  });
});

describe("Docker config file", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-pull-config-"));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  test("path: $DOCKER_CONFIG/config.json, else ~/.docker/config.json", () => {
    expect(dockerConfigPath({ DOCKER_CONFIG: "/etc/dc" })).toBe("/etc/dc/config.json");
    expect(dockerConfigPath({})).toBe(path.join(os.homedir(), ".docker", "config.json"));
  });

  test("missing file: undefined; invalid JSON: InfraError naming the file, not its content", async () => {
    expect(loadDockerConfig(path.join(dir, "nope.json"))).toBeUndefined();
    const file = path.join(dir, "config.json");
    await fs.writeFile(file, '{"auths": {"x": {"auth": "c2VjcmV0LXRva2Vu"}');
    expect(() => loadDockerConfig(file)).toThrow(InfraError);
    try {
      loadDockerConfig(file);
    } catch (err) {
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).not.toContain("c2VjcmV0LXRva2Vu");
    }
    await fs.writeFile(file, JSON.stringify({ auths: { "ghcr.io": { auth: b64("u:p") } } }));
    expect(authFor("ghcr.io/o/i", loadDockerConfig(file))).toMatchObject({ username: "u", password: "p" });
  });
});

describe("classifyPullError", () => {
  test.each([
    // Messages as this engine reports them (seen against the test registry) and as Docker Hub does.
    ["manifest for 127.0.0.1:1/swebench/nope:latest not found: manifest unknown: manifest unknown", 404, "not-found"],
    [
      "pull access denied for swebench/nope, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
      404,
      "not-found",
    ],
    ["manifest unknown", undefined, "not-found"],
    ['Head "http://127.0.0.1:1/v2/x/manifests/latest": no basic auth credentials', 500, "auth"],
    ["unauthorized: authentication required", 500, "auth"],
    ["unauthorized: incorrect username or password", 500, "auth"],
    ["received unexpected HTTP status: 503 Service Unavailable", 500, "transient"],
    ["unavailable: injected by the test registry", 500, "transient"],
    ["toomanyrequests: You have reached your pull rate limit.", 500, "transient"],
    [
      "error pulling image configuration: download failed after attempts=6: received unexpected HTTP status: 503 Service Unavailable",
      undefined,
      "transient",
    ],
    ['Get "https://registry-1.docker.io/v2/": net/http: TLS handshake timeout', 500, "transient"],
    ["read tcp 10.0.0.2:1->1.2.3.4:443: read: connection reset by peer", 500, "transient"],
    ["dial tcp 127.0.0.1:1: connect: connection refused", 500, "transient"],
    ["failed to register layer: write /usr/lib/x: no space left on device", undefined, "fatal"],
    ["invalid reference format", 400, "fatal"],
    ["mkdir /var/lib/docker/tmp: permission denied", 500, "fatal"],
  ] as const)("%s → %s", (message, status, kind) => {
    expect(classifyPullError(message, status)).toBe(kind);
  });
});

describe("helpers", () => {
  test("backoff doubles from the base, 50–100 % jitter, capped at 30 s", () => {
    expect(backoffDelay(1000, 0, () => 0)).toBe(500);
    expect(backoffDelay(1000, 0, () => 1)).toBe(1000);
    expect(backoffDelay(1000, 3, () => 0.5)).toBe(6000);
    expect(backoffDelay(1000, 10, () => 1)).toBe(30_000);
  });

  test("formatBytes: decimal units like docker images", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(2_000_909)).toBe("2.0 MB");
    expect(formatBytes(1_234_567_890)).toBe("1.2 GB");
  });

  test("dockerMessage: the engine's words without dockerode's wrapper", () => {
    const err = Object.assign(new Error("(HTTP code 500) server error - received unexpected HTTP status: 503 Service Unavailable "), {
      statusCode: 500,
    });
    expect(dockerMessage(err)).toBe("received unexpected HTTP status: 503 Service Unavailable");
    expect(dockerMessage(Object.assign(new Error("x"), { json: { message: "conflict: in use" } }))).toBe("conflict: in use");
  });
});
