// Sandbox recipe hashing, tags and apt source discovery: pure file-system logic, no Docker.

import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { UsageError } from "../../src/errors.js";
import { defaultSandboxesDir, imageTagFor, recipeHash } from "../../src/sandbox/images.js";
import { hostDebianSources } from "../../src/sandbox/rootfs-image.js";

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-images-test-"));
  temps.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

/** Writes files in the given order (creation order must not matter to the hash). */
async function writeRecipe(dir: string, files: Record<string, string>): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), content);
  }
  return dir;
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile build argument, expanded by docker build
const recipe = { Dockerfile: "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n", "packages.txt": "python3\ngit\n" };

describe("recipeHash", () => {
  test("is 12 hex digits and the same for the same files, whatever the folder or creation order", async () => {
    const a = await writeRecipe(await tempDir(), recipe);
    const b = await writeRecipe(await tempDir(), { "packages.txt": recipe["packages.txt"], Dockerfile: recipe.Dockerfile });
    const hashA = await recipeHash(a);
    expect(hashA).toMatch(/^[0-9a-f]{12}$/);
    expect(await recipeHash(b)).toBe(hashA);
    expect(await recipeHash(a)).toBe(hashA);
  });

  test("changes when a file's content changes, a file is renamed, added, or added in a subfolder", async () => {
    const base = await recipeHash(await writeRecipe(await tempDir(), recipe));
    const variants: Record<string, string>[] = [
      { ...recipe, "packages.txt": "python3\ngit\nless\n" },
      { Dockerfile: recipe.Dockerfile, "packages.list": recipe["packages.txt"] },
      { ...recipe, "extra.sh": "" },
      { ...recipe, "files/etc/motd": "hi" },
    ];
    const hashes = await Promise.all(variants.map(async (files) => recipeHash(await writeRecipe(await tempDir(), files))));
    expect(new Set([base, ...hashes]).size).toBe(variants.length + 1);
  });

  test("does not confuse where one file ends and the next name begins", async () => {
    const one = await recipeHash(await writeRecipe(await tempDir(), { a: "bc", d: "" }));
    const two = await recipeHash(await writeRecipe(await tempDir(), { a: "b", cd: "" }));
    expect(one).not.toBe(two);
  });

  test("rejects an empty folder", async () => {
    await expect(recipeHash(await tempDir())).rejects.toBeInstanceOf(UsageError);
  });
});

describe("imageTagFor", () => {
  test("names the image after the recipe and tags it with the recipe hash", async () => {
    const sandboxes = await tempDir();
    const dir = await writeRecipe(path.join(sandboxes, "demo"), recipe);
    expect(await imageTagFor("demo", sandboxes)).toBe(`bench-sandbox-demo:${await recipeHash(dir)}`);
  });

  test("finds the repository's sandboxes/ folder and its python recipe", async () => {
    expect(await fs.stat(path.join(defaultSandboxesDir(), "python", "Dockerfile"))).toBeTruthy();
    expect(await imageTagFor("python")).toMatch(/^bench-sandbox-python:[0-9a-f]{12}$/);
  });

  test("an unknown or malformed recipe name is a usage error naming the known recipes", async () => {
    const sandboxes = await tempDir();
    await writeRecipe(path.join(sandboxes, "demo"), recipe);
    await expect(imageTagFor("nope", sandboxes)).rejects.toThrow(/"nope".*known recipes: demo/s);
    await expect(imageTagFor("../etc", sandboxes)).rejects.toBeInstanceOf(UsageError);
  });
});

describe("hostDebianSources", () => {
  test("reuses this machine's Debian mirrors from deb822 and one-line sources", async () => {
    const apt = await tempDir();
    await writeRecipe(apt, {
      "sources.list": "# deb http://old.example/debian bookworm main\n",
      "sources.list.d/debian.sources": [
        "Types: deb",
        "# http://snapshot.debian.org/archive/debian/20250520T000000Z",
        "URIs: http://mirror.example/debian",
        "Suites: bookworm bookworm-updates",
        "Components: main",
        "",
        "Types: deb",
        "URIs: http://mirror.example/debian-security",
        "Suites: bookworm-security",
        "Components: main",
        "",
      ].join("\n"),
      "sources.list.d/other.list": "deb [arch=amd64] https://packages.example/apt stable main\n",
    });
    expect(await hostDebianSources(apt)).toEqual([
      "deb http://mirror.example/debian bookworm main",
      "deb http://mirror.example/debian bookworm-updates main",
      "deb http://mirror.example/debian-security bookworm-security main",
    ]);
  });

  test("falls back to deb.debian.org when the host is not a bookworm Debian (e.g. an Ubuntu runner)", async () => {
    const apt = await tempDir();
    await writeRecipe(apt, { "sources.list": "deb http://archive.ubuntu.com/ubuntu noble main universe\n" });
    expect(await hostDebianSources(apt)).toEqual([
      "deb http://deb.debian.org/debian bookworm main",
      "deb http://deb.debian.org/debian bookworm-updates main",
      "deb http://deb.debian.org/debian-security bookworm-security main",
    ]);
  });
});
