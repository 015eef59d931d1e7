// OpenAI Responses API provider (`openai-responses/<model>`): stateless calls through the openai SDK, streamed
// or not, with a deadline over the whole call and the drop_params retry; conversion lives in openai-responses-convert.ts
// (requests) and openai-responses-stream.ts (answers).

import OpenAI from "openai";
import { ModelError } from "./errors.js";
import { OptionalParamSwitch } from "./generation.js";
import type { GenerationParams } from "./call-options.js";
import { classifyOpenAIError, isUnsupportedParamError, rejectedParamOf } from "./openai-errors.js";
import { optionalParamsIn, toResponsesRequest, type ResponsesBody } from "./openai-responses-convert.js";
import { isContentEvent, ResponsesStreamAccumulator, type ResponsesResult } from "./openai-responses-stream.js";
import type { ModelClient, ModelRequest, ModelResponse } from "./types.js";

export interface OpenAIResponsesOptions extends GenerationParams {
  model: string;
  apiKey: string;
  /** OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1. @default the SDK's (api.openai.com) */
  baseURL?: string;
  /** @default true */
  stream?: boolean;
  /** Deadline for the whole call, stream body included. @default 300_000 */
  timeoutMs?: number;
  /** Provider name reported in results and stamped on reasoning parts. @default "openai-responses" */
  provider?: string;
  /** Ask for reasoning summaries and encrypted reasoning. @default guessed from the model id (or set by reasoningEffort) */
  reasoning?: boolean;
  /** Where the one-time drop_params notice goes. @default stderr */
  log?: (line: string) => void;
  /** Injected transport for tests. */
  fetch?: typeof fetch;
}

export class OpenAIResponsesClient implements ModelClient {
  readonly provider: string;
  readonly model: string;
  readonly region?: string;
  #client: OpenAI;
  #options: OpenAIResponsesOptions;
  #params: OptionalParamSwitch;

  constructor(options: OpenAIResponsesOptions) {
    this.#options = options;
    this.provider = options.provider ?? "openai-responses";
    this.model = options.model;
    // maxRetries 0: the harness owns the one retry layer.
    this.#client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      maxRetries: 0,
      timeout: options.timeoutMs ?? 300_000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.#params = new OptionalParamSwitch(
      `${this.provider}/${this.model}`,
      options.log ?? ((line) => void process.stderr.write(`${line}\n`)),
    );
  }

  async generate(request: ModelRequest): Promise<ModelResponse> {
    const where = `${this.provider}/${this.model}`;
    const timeoutMs = this.#options.timeoutMs ?? 300_000;
    // One deadline for the call, stream body and a drop_params retry included: the SDK's own timeout stops at headers.
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
    const started = performance.now();
    const deadlineError = (cause?: unknown): ModelError =>
      new ModelError("transient", `${where}: call deadline of ${timeoutMs} ms exceeded`, { cause, staleConnection: true });
    for (;;) {
      const body = this.#body(request);
      try {
        return await this.#call(body, signal, started, where);
      } catch (err) {
        // The SDK ends an aborted stream quietly, which reads as a cut stream: name the deadline instead.
        if (deadline.aborted && !(err instanceof ModelError && err.errorClass !== "transient")) throw deadlineError(err);
        if (
          this.#params.shouldRetryWithout(
            isUnsupportedParamError(err),
            optionalParamsIn(body),
            (err as Error).message,
            rejectedParamOf(err),
          )
        )
          continue;
        throw classifyOpenAIError(err, where);
      }
    }
  }

  #body(request: ModelRequest): ResponsesBody {
    const o = this.#options;
    return toResponsesRequest(this.model, request, {
      provider: this.provider,
      drop: this.#params.dropped,
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
      const { data, request_id } = await this.#client.responses.create({ ...body, stream: false }, { signal }).withResponse();
      return finish(ResponsesStreamAccumulator.fromResponse(data, where, this.provider), request_id);
    }
    const { data: events, request_id } = await this.#client.responses.create({ ...body, stream: true }, { signal }).withResponse();
    const acc = new ResponsesStreamAccumulator(where, this.provider);
    let ttftMs: number | undefined;
    for await (const event of events) {
      if (ttftMs === undefined && isContentEvent(event)) ttftMs = performance.now() - started;
      acc.add(event);
    }
    return finish(acc.finish(), request_id, ttftMs);
  }
}
