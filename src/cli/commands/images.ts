// `bench images build|list`: build the sandbox image (progress on stderr) or list the built ones (a table on
// stdout, --json: one object per line).

import type { SandboxImageInfo } from "../../sandbox/images.js";
import type { BenchCommand } from "../command.js";
import { log, missingAction, out, pingedDocker } from "../shared.js";

const ACTIONS = ["build", "list"] as const;

/** The `bench images list` table: tag, recipe, current or old, size, created (UTC, to the minute). */
export async function formatImageTable(images: readonly SandboxImageInfo[]): Promise<string> {
  const { formatTable } = await import("../../report/format.js");
  if (images.length === 0) return "no sandbox image built yet (bench images build)";
  return formatTable(
    ["image", "recipe", "state", "size", "created"],
    images.map((i) => [
      i.tag,
      i.recipe,
      i.current ? "current" : "old",
      `${(i.sizeBytes / 1e6).toFixed(0)} MB`,
      i.createdAt.toISOString().slice(0, 16).replace("T", " "),
    ]),
    new Set([3]),
  );
}

export const imagesCommand: BenchCommand = {
  command: "images [action]",
  describe: "Build or list sandbox images (build | list)",
  builder: (y) =>
    y
      .positional("action", {
        type: "string",
        choices: ACTIONS,
        describe: "build: build the sandbox image if missing; list: the built images",
      })
      .option("json", { type: "boolean", default: false, describe: "list: one JSON object per image on stdout instead of the table" }),
  run: async (args) => {
    if (args["action"] === undefined) throw missingAction("images", ACTIONS, "bench images list");
    const images = await import("../../sandbox/images.js");
    const d = await pingedDocker();
    if (args["action"] === "build") {
      const tag = await images.ensureImage(d, "python", { onProgress: log });
      log(`sandbox image ready: ${tag}`);
      return 0;
    }
    const list = await images.listImages(d);
    if (args["json"]) for (const img of list) out(JSON.stringify(img));
    else out(await formatImageTable(list));
    return 0;
  },
};
