// What the two OpenAI providers (openai-chat.ts, openai-responses.ts) share: their options, the SDK client, and a
// call's loop (one deadline over the whole call, the drop_params retry, the error classification). Each provider
// brings its request body and its one wire call, streamed or not.

import OpenAI from "openai";
import type { GenerationParams } from "./call-options.js";
import { ModelError } from "./errors.js";
import { OptionalParamSwitch } from "./generation.js";
import { classifyOpenAIError, isUnsupportedParamError, rejectedParamOf } from "./openai-errors.js";
import type { ModelRequest, ModelResponse } from "./types.js";

/** The options both OpenAI providers take. */
export interface OpenAIClientOptions extends GenerationParams {
  model: string;
  apiKey: string;
  /** OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1. @default the SDK's (api.openai.com) */
  baseURL?: string;
  /** @default true */
  stream?: boolean;
  /** Deadline for the whole call, stream body included. @default 300_000 */
  timeoutMs?: number;
  /** Provider name reported in results. @default the provider's own */
  provider?: string;
  /** Where the one-time drop_params notice goes. @default stderr */
  log?: (line: string) => void;
  /** Injected transport for tests. */
  fetch?: typeof fetch;
}

/** A provider's part of one call. */
export interface OpenAICallSteps<Body> {
  /** The request body, built anew for each attempt without the parameters the server rejected so far. */
  body(drop: ReadonlySet<string>): Body;
  /** The optional parameters a body carries (what a drop_params retry would leave out). */
  optionalParamsIn(body: Body): string[];
  /** One request on the wire and its answer. */
  call(body: Body, signal: AbortSignal, started: number, where: string): Promise<ModelResponse>;
}

/** The SDK client of one provider instance and the loop its calls run in. */
export class OpenAIClientCore {
  /** The openai SDK client (maxRetries 0 unless asked: the harness owns the one retry layer). */
  readonly sdk: OpenAI;
  readonly #where: string;
  readonly #options: OpenAIClientOptions;
  readonly #params: OptionalParamSwitch;

  /** `where` (`<provider>/<model>`) names the client in errors and the drop_params notice. */
  constructor(where: string, options: OpenAIClientOptions, sdkMaxRetries = 0) {
    this.#where = where;
    this.#options = options;
    this.sdk = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      maxRetries: sdkMaxRetries,
      timeout: options.timeoutMs ?? 300_000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.#params = new OptionalParamSwitch(where, options.log ?? ((line) => void process.stderr.write(`${line}\n`)));
  }

  async generate<Body>(request: ModelRequest, steps: OpenAICallSteps<Body>): Promise<ModelResponse> {
    const where = this.#where;
    const timeoutMs = this.#options.timeoutMs ?? 300_000;
    // One deadline for the call, stream body and a drop_params retry included: the SDK's own timeout stops at headers.
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
    const started = performance.now();
    for (;;) {
      const body = steps.body(this.#params.dropped);
      try {
        return await steps.call(body, signal, started, where);
      } catch (err) {
        // The SDK ends an aborted stream quietly, which reads as a cut stream: name the deadline instead.
        if (deadline.aborted && !(err instanceof ModelError && err.errorClass !== "transient")) {
          throw new ModelError("transient", `${where}: call deadline of ${timeoutMs} ms exceeded`, { cause: err, staleConnection: true });
        }
        // A server that rejects an optional parameter (drop_params): retried without it, then never sent again.
        if (
          this.#params.shouldRetryWithout(
            isUnsupportedParamError(err),
            steps.optionalParamsIn(body),
            (err as Error).message,
            rejectedParamOf(err),
          )
        )
          continue;
        throw classifyOpenAIError(err, where);
      }
    }
  }
}
