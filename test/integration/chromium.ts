// Headless Chromium (Debian's `chromium` package) for the report.html tests: load a file, get the DOM
// after load and every console message; take a screenshot and read its pixels; drive a page through the
// DevTools protocol (Browser / CdpPage: click, wait for a selector, read the console). Not a test file itself.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { inflateSync } from "node:zlib";

/** The Chromium binary: $CHROMIUM, else the first of the usual paths. Never skipped: missing is a failure. */
export function chromiumPath(): string {
  const candidates = [process.env["CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
  const found = candidates.find((c): c is string => c !== undefined && c !== "" && existsSync(c));
  if (found === undefined) {
    throw new Error(
      "report.html tests need headless Chromium and none was found: install it (`apt-get install -y chromium`; .ci/run does) or set CHROMIUM",
    );
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
    const r = spawnSync(chromiumPath(), [...baseArgs(profile), ...args], {
      encoding: "utf8",
      timeout: 90_000,
      maxBuffer: 64 * 1024 * 1024,
    });
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
        case 0:
          v = x;
          break;
        case 1:
          v = x + a;
          break;
        case 2:
          v = x + b;
          break;
        case 3:
          v = x + ((a + b) >> 1);
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          throw new Error(`bad PNG filter ${filter}`);
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

// ---------------------------------------------------------------------------------------------------------------
// A browser driven through the DevTools protocol over a pipe (--remote-debugging-pipe: fd 3 carries commands to the
// browser, fd 4 its messages, each JSON message ended by a NUL byte): open pages, evaluate, click, wait for a
// condition with a deadline, collect every console message, log entry and uncaught exception, take screenshots.

type CdpMessage = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
};

/** A headless Chromium under DevTools-protocol control. Close it (it removes its profile). */
export class Browser {
  readonly #child: ChildProcess;
  readonly #profile: string;
  readonly #pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void; method: string }>();
  readonly #listeners = new Set<(m: CdpMessage) => void>();
  #nextId = 1;
  #buffer = "";
  #exited: Error | null = null;

  private constructor(child: ChildProcess, profile: string) {
    this.#child = child;
    this.#profile = profile;
    const input = child.stdio[4] as NodeJS.ReadableStream;
    input.setEncoding("utf8");
    input.on("data", (chunk: string) => this.#receive(chunk));
    child.on("exit", (code) => {
      this.#exited = new Error(`chromium exited (${code})`);
      for (const p of this.#pending.values()) p.reject(this.#exited);
      this.#pending.clear();
    });
  }

  static async launch(): Promise<Browser> {
    const profile = mkdtempSync(path.join(os.tmpdir(), "bench-cdp-"));
    const child = spawn(chromiumPath(), [...baseArgs(profile), "--remote-debugging-pipe", "about:blank"], {
      stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const browser = new Browser(child, profile);
    await browser.send("Browser.getVersion").catch((err: Error) => {
      throw new Error(`chromium did not answer on the DevTools pipe: ${err.message}\n${stderr}`);
    });
    return browser;
  }

  #receive(chunk: string): void {
    this.#buffer += chunk;
    for (let end = this.#buffer.indexOf("\0"); end >= 0; end = this.#buffer.indexOf("\0")) {
      const msg = JSON.parse(this.#buffer.slice(0, end)) as CdpMessage;
      this.#buffer = this.#buffer.slice(end + 1);
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p?.resolve(msg.result ?? {});
      } else {
        for (const l of this.#listeners) l(msg);
      }
    }
  }

  /** Sends a command (to a page when `sessionId` is given) and resolves with its result. */
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    if (this.#exited) return Promise.reject(this.#exited);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, method });
      (this.#child.stdio[3] as NodeJS.WritableStream).write(
        `${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`,
      );
    });
  }

  /** Calls `listener` with every event until the returned function is called. */
  on(listener: (m: CdpMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A new tab of `width`×`height` CSS px, attached, with console / log / exception capture on. */
  async newPage(width = 1400, height = 900): Promise<CdpPage> {
    const { targetId } = (await this.send("Target.createTarget", { url: "about:blank" })) as { targetId: string };
    const { sessionId } = (await this.send("Target.attachToTarget", { targetId, flatten: true })) as { sessionId: string };
    const page = new CdpPage(this, sessionId);
    await Promise.all(["Page.enable", "Runtime.enable", "Log.enable"].map((m) => this.send(m, {}, sessionId)));
    await page.setViewport(width, height);
    return page;
  }

  async close(): Promise<void> {
    if (!this.#exited) {
      const exited = new Promise((resolve) => this.#child.once("exit", resolve));
      await this.send("Browser.close").catch(() => undefined);
      await exited;
    }
    rmSync(this.#profile, { recursive: true, force: true });
  }
}

/** One tab. `messages` holds every console call, log entry (CSP violations, failed loads) and uncaught exception. */
export class CdpPage {
  readonly messages: string[] = [];
  readonly #browser: Browser;
  readonly #session: string;

  constructor(browser: Browser, session: string) {
    this.#browser = browser;
    this.#session = session;
    browser.on((m) => {
      if (m.sessionId !== session) return;
      const p = m.params ?? {};
      if (m.method === "Runtime.consoleAPICalled") {
        const args = (p["args"] as { value?: unknown; description?: string }[]).map((a) => String(a.value ?? a.description ?? ""));
        this.messages.push(`console.${String(p["type"])}: ${args.join(" ")}`);
      } else if (m.method === "Log.entryAdded") {
        const e = p["entry"] as { level: string; source: string; text: string; url?: string };
        this.messages.push(`log ${e.level} ${e.source}: ${e.text}${e.url ? ` (${e.url})` : ""}`);
      } else if (m.method === "Runtime.exceptionThrown") {
        const d = p["exceptionDetails"] as { text: string; exception?: { description?: string } };
        this.messages.push(`exception: ${d.text} ${d.exception?.description ?? ""}`);
      }
    });
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.#browser.send(method, params, this.#session);
  }

  async setViewport(width: number, height: number): Promise<void> {
    await this.send("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false });
  }

  /** Navigates and resolves once the load event fired (or rejects after `timeoutMs`). */
  async goto(url: string, timeoutMs = 60_000): Promise<void> {
    let off = (): void => undefined;
    const loaded = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${url}: no load event within ${timeoutMs} ms`)), timeoutMs);
      off = this.#browser.on((m) => {
        if (m.sessionId === this.#session && m.method === "Page.loadEventFired") {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    try {
      const r = (await this.send("Page.navigate", { url })) as { errorText?: string };
      if (r.errorText) throw new Error(`${url}: ${r.errorText}`);
      await loaded;
    } finally {
      off();
    }
  }

  /** The value of a JavaScript expression in the page (promises awaited); a thrown error rejects. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = (await this.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true })) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails)
      throw new Error(`evaluate(${expression.slice(0, 80)}): ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Polls `expression` until it is truthy and returns its value; rejects at the deadline. */
  async waitFor<T>(expression: string, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.evaluate<T>(expression);
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${expression}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Clicks the first element matching `selector` (a DOM click: links navigate, handlers run). */
  async click(selector: string): Promise<void> {
    const ok = await this.evaluate<boolean>(
      `(() => { const e = document.querySelector(${JSON.stringify(selector)}); if (!e) return false; e.click(); return true; })()`,
    );
    if (!ok) throw new Error(`click: no element matches ${selector}`);
  }

  /** A PNG of the whole page (beyond the viewport), optionally written to `file`. */
  async screenshot(file?: string): Promise<Buffer> {
    const { data } = (await this.send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true })) as { data: string };
    const png = Buffer.from(data, "base64");
    if (file !== undefined) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, png);
    }
    return png;
  }
}
