// Headless Chromium (Debian's `chromium` package) for the report.html tests: load a file, get the DOM
// after load and every console message; take a screenshot and read its pixels. Not a test file itself.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { inflateSync } from "node:zlib";

/** The Chromium binary: $CHROMIUM, else the first of the usual paths. Never skipped: missing is a failure. */
export function chromiumPath(): string {
  const candidates = [process.env["CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
  const found = candidates.find((c): c is string => c !== undefined && c !== "" && existsSync(c));
  if (found === undefined) {
    throw new Error("report.html tests need headless Chromium and none was found: install it (`apt-get install -y chromium`; .ci/run does) or set CHROMIUM");
  }
  return found;
}

/** Flags for a quiet, offline, throwaway browser. */
function baseArgs(profile: string): string[] {
  return [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--hide-scrollbars",
    `--user-data-dir=${profile}`,
  ];
}

function runChromium(args: string[]): { stdout: string; stderr: string } {
  const profile = mkdtempSync(path.join(os.tmpdir(), "bench-chromium-"));
  try {
    const r = spawnSync(chromiumPath(), [...baseArgs(profile), ...args], { encoding: "utf8", timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`chromium exited ${r.status}: ${r.stderr.slice(-2000)}`);
    return { stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** What a page looked like after load. */
export interface LoadedPage {
  /** document.documentElement.outerHTML after load (--dump-dom). */
  dom: string;
  /** Every console message the page produced: errors, CSP violations (blocked network or script), logs. */
  console: string[];
}

/** Loads `file` and returns its DOM and console messages (Chromium's log lines `…:CONSOLE:<line>] "…"`). */
export function loadPage(file: string): LoadedPage {
  const { stdout, stderr } = runChromium(["--enable-logging=stderr", "--v=0", "--dump-dom", pathToFileURL(file).href]);
  const console = stderr.split("\n").filter((line) => /:CONSOLE[(:]\d+\)?\]/.test(line));
  return { dom: stdout, console };
}

/** A decoded screenshot. */
export interface Png {
  width: number;
  height: number;
  /** RGB of the pixel at (x, y). */
  rgb(x: number, y: number): [number, number, number];
}

/** Screenshot of `file` at `width`×`height`, decoded. */
export function screenshot(file: string, width = 1400, height = 2400): Png {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-shot-"));
  try {
    const out = path.join(dir, "shot.png");
    runChromium([`--window-size=${width},${height}`, `--screenshot=${out}`, pathToFileURL(file).href]);
    return decodePng(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Pixels within `tolerance` (per channel) of `hex` (#rrggbb). */
export function countColour(png: Png, hex: string, tolerance = 6): number {
  const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const px = png.rgb(x, y);
      if (px.every((v, i) => Math.abs(v - (want[i] as number)) <= tolerance)) n++;
    }
  }
  return n;
}

/** Minimal PNG decoder for Chromium screenshots: 8-bit RGB or RGBA, not interlaced. */
export function decodePng(buf: Buffer): Png {
  if (buf.toString("latin1", 1, 4) !== "PNG") throw new Error("not a PNG");
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString("latin1", offset + 4, offset + 8);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colourType, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || interlace !== 0 || (colourType !== 2 && colourType !== 6)) {
        throw new Error(`unsupported PNG (depth ${depth}, colour type ${colourType}, interlace ${interlace})`);
      }
      channels = colourType === 6 ? 4 : 3;
    } else if (type === "IDAT") {
      idat.push(data);
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i] as number;
      const a = i >= channels ? (pixels[y * stride + i - channels] as number) : 0;
      const b = y > 0 ? (pixels[(y - 1) * stride + i] as number) : 0;
      const c = y > 0 && i >= channels ? (pixels[(y - 1) * stride + i - channels] as number) : 0;
      let v: number;
      switch (filter) {
        case 0: v = x; break;
        case 1: v = x + a; break;
        case 2: v = x + b; break;
        case 3: v = x + ((a + b) >> 1); break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default: throw new Error(`bad PNG filter ${filter}`);
      }
      pixels[y * stride + i] = v & 0xff;
    }
  }
  return {
    width,
    height,
    rgb: (x, y) => {
      const i = y * stride + x * channels;
      return [pixels[i] as number, pixels[i + 1] as number, pixels[i + 2] as number];
    },
  };
}

/** `data-value` of each `data-col` in the cells-table row of `cell`, from a DOM dump. */
export function cellsTableValues(dom: string, cellAttr: string): Record<string, string> {
  const row = dom.split("\n").find((line) => line.includes(`<tr data-cell="${cellAttr}">`));
  if (row === undefined) throw new Error(`no cells-table row for ${cellAttr}`);
  const out: Record<string, string> = {};
  for (const m of row.matchAll(/data-col="([a-z0-9_]+)" data-value="([^"]*)"/g)) out[m[1] as string] = m[2] as string;
  return out;
}
