// Amazon Bedrock provider: ConverseStream (default) or Converse through @aws-sdk/client-bedrock-runtime on a cached SDK
// client per region and settings (bedrock-runtime-client.ts), a deadline on every call, TTFT; credential checks.

import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, type ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import { toConverseRequest, type ConverseOptions, type GuardrailOptions } from "./bedrock-convert.js";
import { ConverseStreamAccumulator, fromConverseResponse } from "./bedrock-response.js";
import {
  defaultBedrockClientCache,
  type BedrockClientCache,
  type Credentials,
  type RuntimeClientSettings,
} from "./bedrock-runtime-client.js";
import { classifyBedrockError, CREDENTIAL_OPTIONS } from "./bedrock-errors.js";
import { regionMismatchWarning, resolveBedrockRegion } from "./bedrock-model-id.js";
import { ModelError } from "./errors.js";
import type { GenerationParams } from "./call-options.js";
import type { ModelClient, ModelRequest, ModelResponse } from "./types.js";

/**
 * On Node < 22 the AWS SDK prints a 9-line NodeVersionSupportWarning at its first client. bench says it in one line
 * instead (returned, for the caller to print once) and turns the SDK's off through the SDK's own switch; a user who set
 * that switch hears nothing. Sets `env`'s switch: pass process.env, the SDK reads it there.
 */
export function awsSdkNodeNotice(version: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env[AWS_SDK_NODE_WARNING_SWITCH] !== undefined) return undefined;
  env[AWS_SDK_NODE_WARNING_SWITCH] = "true";
  const major = Number(/^v(\d+)\./.exec(version)?.[1]);
  if (!(major < 22)) return undefined;
  return `note: Node ${version} is past its end of life; AWS SDK releases after the first week of January 2027 need Node 22 or later (bench is tested on 22, 24 and 26)`;
}

/** The AWS SDK's switch for its Node-version warning (@aws-sdk/core). */
const AWS_SDK_NODE_WARNING_SWITCH = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`warning: ${message}\n`);
}

export interface BedrockClientOptions extends GenerationParams {
  /** Model id as users write it: foundation id, inference profile (us., eu., apac., global., us-gov., jp., au.) or ARN. */
  model: string;
  /** @default AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1 */
  region?: string;
  /** Endpoint override (e.g. the mock server's URL). @default the SDK's (AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else regional) */
  endpoint?: string;
  /** Bedrock API key (bearer auth). @default none: the SDK reads AWS_BEARER_TOKEN_BEDROCK itself, else the credential chain */
  bearerToken?: string;
  /** Explicit credentials. @default the default credential chain */
  credentials?: Credentials;
  /** Extra trusted CA certificates (PEM), e.g. a test server's self-signed one. @default the default CA store (and NODE_EXTRA_CA_CERTS) */
  ca?: string | Buffer;
  /** ConverseStream (true) or Converse (false). @default true */
  stream?: boolean;
  /** Deadline for the whole call, stream body included, ms. @default 300_000 */
  timeoutMs?: number;
  /** @default none */
  stopSequences?: string[];
  additionalModelRequestFields?: Record<string, unknown>;
  /** Cache points after the system prompt and the tools where the model supports them. @default false */
  promptCaching?: ConverseOptions["promptCaching"];
  guardrail?: GuardrailOptions;
  /** @default "auto" (Claude only) */
  toolResultStatus?: "auto" | boolean;
  /** @default defaultBedrockClientCache */
  cache?: BedrockClientCache;
  /** Where warnings go (each distinct one once per client). @default stderr, once per process */
  log?: (line: string) => void;
  /** Environment for the region default. @default process.env */
  env?: NodeJS.ProcessEnv;
}

export class BedrockClient implements ModelClient {
  readonly provider = "bedrock";
  readonly model: string;
  readonly region: string;
  #options: BedrockClientOptions;
  #settings: RuntimeClientSettings;
  #cache: BedrockClientCache;
  #warn: (message: string) => void;
  #timeoutMs: number;

  constructor(options: BedrockClientOptions) {
    this.#options = options;
    this.model = options.model;
    this.region = resolveBedrockRegion(options.region, options.env ?? process.env);
    this.#timeoutMs = options.timeoutMs ?? 300_000;
    this.#settings = {
      region: this.region,
      requestTimeoutMs: this.#timeoutMs,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.bearerToken ? { bearerToken: options.bearerToken } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
    };
    this.#cache = options.cache ?? defaultBedrockClientCache;
    if (options.log) {
      const seen = new Set<string>();
      const log = options.log;
      this.#warn = (line) => {
        if (seen.has(line)) return;
        seen.add(line);
        log(`warning: ${line}`);
      };
    } else {
      this.#warn = warnOnce;
    }
    if (options.seed !== undefined) this.#warn(`bedrock/${this.model}: Converse has no seed parameter; --seed ignored`);
    const mismatch = regionMismatchWarning(this.model, this.region);
    if (mismatch) this.#warn(mismatch);
  }

  get #where(): string {
    return `bedrock/${this.model}@${this.region}`;
  }

  async generate(request: ModelRequest): Promise<ModelResponse> {
    const o = this.#options;
    const stream = o.stream ?? true;
    const { input, warnings } = toConverseRequest(request, {
      modelId: this.model,
      stream,
      ...(o.maxOutputTokens !== undefined ? { maxTokens: o.maxOutputTokens } : {}),
      ...(o.reasoningEffort !== undefined ? { reasoningEffort: o.reasoningEffort } : {}),
      ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
      ...(o.topP !== undefined ? { topP: o.topP } : {}),
      ...(o.stopSequences ? { stopSequences: o.stopSequences } : {}),
      ...(o.additionalModelRequestFields ? { additionalModelRequestFields: o.additionalModelRequestFields } : {}),
      ...(o.promptCaching !== undefined ? { promptCaching: o.promptCaching } : {}),
      ...(o.guardrail ? { guardrail: o.guardrail } : {}),
      ...(o.toolResultStatus !== undefined ? { toolResultStatus: o.toolResultStatus } : {}),
    });
    for (const w of warnings) this.#warn(w);

    const deadline = AbortSignal.timeout(this.#timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
    const lease = this.#cache.acquire(this.#settings);
    // isEventStream false: the HTTP/2 handler gives every event-stream operation (ConverseStream) a session of its own,
    // which bidirectional streams need; ConverseStream only streams its response, so it shares the pooled sessions.
    const sendOptions: { abortSignal: AbortSignal; isEventStream: boolean } = { abortSignal: signal, isEventStream: false };
    const started = performance.now();
    try {
      if (!stream) {
        const out = await lease.client.send(new ConverseCommand(input), sendOptions);
        const done = fromConverseResponse(out, this.#where);
        return {
          message: done.message,
          stopReason: done.stopReason,
          usage: done.usage,
          latencyMs: performance.now() - started,
          ...(out.$metadata.requestId ? { requestId: out.$metadata.requestId } : {}),
        };
      }
      const out = await lease.client.send(new ConverseStreamCommand(input), sendOptions);
      if (!out.stream) throw new ModelError("transient", `${this.#where}: ConverseStream answered without an event stream`);
      const acc = new ConverseStreamAccumulator();
      let ttftMs: number | undefined;
      for await (const event of untilAborted(out.stream, signal)) {
        if (ttftMs === undefined && ConverseStreamAccumulator.isContent(event)) ttftMs = performance.now() - started;
        acc.add(event);
      }
      const done = acc.finish(this.#where);
      return {
        message: done.message,
        stopReason: done.stopReason,
        usage: done.usage,
        latencyMs: performance.now() - started,
        ...(ttftMs !== undefined ? { ttftMs } : {}),
        ...(out.$metadata.requestId ? { requestId: out.$metadata.requestId } : {}),
      };
    } catch (err) {
      const error =
        deadline.aborted && !(err instanceof ModelError)
          ? new ModelError("transient", `${this.#where}: call deadline of ${this.#timeoutMs} ms exceeded`, {
              cause: err,
              staleConnection: true,
            })
          : classifyBedrockError(err, { model: this.model, region: this.region });
      // The next attempt must not reuse a connection that just failed under us.
      if (error.staleConnection) this.#cache.evict(lease);
      throw error;
    } finally {
      lease.release();
    }
  }
}

/** Iterates an event stream, rejecting as soon as the signal aborts (the SDK may otherwise wait on a stalled body). */
async function* untilAborted(source: AsyncIterable<ConverseStreamOutput>, signal: AbortSignal): AsyncGenerator<ConverseStreamOutput> {
  const iterator = source[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  let finished = false;
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
    if (!finished) void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

/**
 * Resolves credentials the way calls will (bearer token, else the default chain), so a run without any stops
 * before its first sandbox. Throws ModelError("auth") naming every option.
 */
export async function checkBedrockCredentials(options: {
  region: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}): Promise<"bearer" | "credentials"> {
  if (options.env["AWS_BEARER_TOKEN_BEDROCK"]?.trim()) return "bearer";
  const probe = new BedrockRuntimeClient({ region: options.region, maxAttempts: 1 });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`credential lookup gave no answer within ${options.timeoutMs ?? 20_000} ms`)),
        options.timeoutMs ?? 20_000,
      );
    });
    const credentials = await Promise.race([probe.config.credentials(), timeout]);
    if (!credentials.accessKeyId) throw new Error("the credential chain returned no access key");
    return "credentials";
  } catch (err) {
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ModelError("auth", `no AWS credentials for Bedrock (${reason}): ${CREDENTIAL_OPTIONS}`, { cause: err });
  } finally {
    clearTimeout(timer);
    probe.destroy();
  }
}
