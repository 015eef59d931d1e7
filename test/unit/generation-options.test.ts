// Run options for generation (--reasoning-effort, --temperature, --top-p, --seed, --max-output-tokens, --no-vision)
// and the openai-responses provider spec.
import { describe, expect, it } from "vitest";
import { parseModelSpec } from "../../src/config/model-spec.js";
import { resolveRunOptions } from "../../src/config/options.js";
import { checkCredentials, createClient } from "../../src/models/factory.js";
import { OpenAIResponsesClient } from "../../src/models/openai-responses.js";

describe("generation run options", () => {
  it("are unset by default (the server's defaults apply) and vision is on", () => {
    const o = resolveRunOptions({ dataset: "d" }, {}, {});
    expect([o.reasoningEffort, o.temperature, o.topP, o.seed, o.maxOutputTokens, o.vision]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      true,
    ]);
  });

  it("take flags over the config file", () => {
    const o = resolveRunOptions(
      { dataset: "d", reasoningEffort: "high", seed: 3, vision: false },
      { reasoningEffort: "low", temperature: 0.2, topP: 0.5, maxOutputTokens: 2048 },
      {},
    );
    expect(o).toMatchObject({ reasoningEffort: "high", temperature: 0.2, topP: 0.5, seed: 3, maxOutputTokens: 2048, vision: false });
  });

  it.each([
    [{ reasoningEffort: "extreme" }, '--reasoning-effort: expected one of none, minimal, low, medium, high, xhigh (got "extreme")'],
    [{ temperature: 3 }, "--temperature: expected 0 to 2 (got 3)"],
    [{ topP: 0 }, "--top-p: expected above 0, up to 1 (got 0)"],
    [{ seed: 1.5 }, "--seed: expected an integer (got 1.5)"],
    [{ maxOutputTokens: 0 }, "--max-output-tokens: expected a positive integer (got 0)"],
  ])("%j is refused naming the flag", (flags, message) => {
    expect(() => resolveRunOptions({ dataset: "d", ...flags }, {}, {})).toThrowError(message);
  });
});

describe("openai-responses cells", () => {
  const cell = { ...parseModelSpec("openai-responses/o4-mini"), cell: "openai-responses/o4-mini" };

  it("parse, need a key (or a base URL) like openai cells, and get a Responses client", async () => {
    expect(parseModelSpec("openai-responses/o4-mini")).toEqual({ provider: "openai-responses", model: "o4-mini" });
    const settings = { apiKeyEnv: "MY_KEY", stream: true, timeoutMs: 1000, env: {} };
    // checkCredentials may be sync or async (other providers resolve credential chains): await either.
    const check = async (s: Parameters<typeof checkCredentials>[1]) => checkCredentials([cell], s);
    await expect(check(settings)).rejects.toThrowError(
      "openai-responses/o4-mini: no API key: set MY_KEY (or pass --api-key-env NAME), or use --base-url for a local OpenAI-compatible server",
    );
    await expect(check({ ...settings, env: { MY_KEY: "k" } })).resolves.toBeUndefined();
    await expect(check({ ...settings, baseUrl: "http://127.0.0.1:1/v1" })).resolves.toBeUndefined();
    const client = createClient(cell, { ...settings, env: { MY_KEY: "k" }, callOptions: { reasoningEffort: "low" } });
    expect(client).toBeInstanceOf(OpenAIResponsesClient);
    expect([client.provider, client.model]).toEqual(["openai-responses", "o4-mini"]);
  });
});
