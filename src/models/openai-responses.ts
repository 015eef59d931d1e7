// OpenAI Responses API provider (`openai-responses/<model>`): stateless calls through the openai SDK, streamed
// or not (the SDK client, the deadline and the drop_params retry are openai-client.ts's); conversion lives in
// openai-responses-convert.ts (requests) and openai-responses-stream.ts (answers).

import { OpenAIClientCore, type OpenAIClientOptions } from "./openai-client.js";
import { optionalParamsIn, toResponsesRequest, type ResponsesBody } from "./openai-responses-convert.js";
import { isContentEvent, ResponsesStreamAccumulator, type ResponsesResult } from "./openai-responses-stream.js";
import type { ModelClient, ModelRequest, ModelResponse } from "./types.js";

export interface OpenAIResponsesOptions extends OpenAIClientOptions {
  /** Provider name reported in results and stamped on reasoning parts. @default "openai-responses" */
  provider?: string;
  /** Ask for reasoning summaries and encrypted reasoning. @default guessed from the model id (or set by reasoningEffort) */
  reasoning?: boolean;
}

export class OpenAIResponsesClient implements ModelClient {
  readonly provider: string;
  readonly model: string;
  readonly region?: string;
  #core: OpenAIClientCore;
  #options: OpenAIResponsesOptions;

  constructor(options: OpenAIResponsesOptions) {
    this.#options = options;
    this.provider = options.provider ?? "openai-responses";
    this.model = options.model;
    this.#core = new OpenAIClientCore(`${this.provider}/${this.model}`, options);
  }

  generate(request: ModelRequest): Promise<ModelResponse> {
    return this.#core.generate(request, {
      body: (drop) => this.#body(request, drop),
      optionalParamsIn,
      call: (body, signal, started, where) => this.#call(body, signal, started, where),
    });
  }

  #body(request: ModelRequest, drop: ReadonlySet<string>): ResponsesBody {
    const o = this.#options;
    return toResponsesRequest(this.model, request, {
      provider: this.provider,
      drop,
      ...(o.maxOutputTokens !== undefined ? { maxOutputTokens: o.maxOutputTokens } : {}),
      ...(o.reasoningEffort !== undefined ? { reasoningEffort: o.reasoningEffort } : {}),
      ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
      ...(o.topP !== undefined ? { topP: o.topP } : {}),
      ...(o.reasoning !== undefined ? { reasoning: o.reasoning } : {}),
    });
  }

  async #call(body: ResponsesBody, signal: AbortSignal, started: number, where: string): Promise<ModelResponse> {
    const finish = (result: ResponsesResult, requestId: string | null | undefined, ttftMs?: number): ModelResponse => ({
      message: result.message,
      stopReason: result.stopReason,
      usage: result.usage,
      latencyMs: performance.now() - started,
      ...(ttftMs !== undefined ? { ttftMs } : {}),
      ...(requestId ? { requestId } : {}),
    });
    if (this.#options.stream === false) {
      const { data, request_id } = await this.#core.sdk.responses.create({ ...body, stream: false }, { signal }).withResponse();
      return finish(ResponsesStreamAccumulator.fromResponse(data, where, this.provider), request_id);
    }
    const { data: events, request_id } = await this.#core.sdk.responses.create({ ...body, stream: true }, { signal }).withResponse();
    const acc = new ResponsesStreamAccumulator(where, this.provider);
    let ttftMs: number | undefined;
    for await (const event of events) {
      if (ttftMs === undefined && isContentEvent(event)) ttftMs = performance.now() - started;
      acc.add(event);
    }
    return finish(acc.finish(), request_id, ttftMs);
  }
}
