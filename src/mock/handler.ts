// What the mock server does with one request: record it, route it to a wire adapter, and for a model call apply the
// quota, the fault plan and the latency, let the policy answer, and send the answer whole or as frames (cut, reset,
// broken or hung as the fault says). Counts everything in the stats.

import { randomBytes } from "node:crypto";
import type { Task } from "../datasets/types.js";
import { respond } from "./engine.js";
import { RESET_GRACE_MS, sleep, type Exchange } from "./exchange.js";
import { httpFaultError, streamFaultError, type Fault, type FaultKind, type FaultPlan, type HttpFault, type ResetFault } from "./faults.js";
import type { PolicyName } from "./policy-names.js";
import type { MockQuota } from "./quota.js";
import {
  MockHttpError,
  type CallContext,
  type HttpAnswer,
  type IncomingCall,
  type MockErrorSpec,
  type MockReply,
  type ParsedCall,
  type WireAdapter,
  type WireRoute,
} from "./wire.js";

export interface MockRequestRecord {
  /** 1-based arrival order. */
  seq: number;
  /** Arrival time, ms since the epoch. */
  at: number;
  method: string;
  path: string;
  httpVersion: "1.1" | "2.0";
  /** Route name (e.g. "openai.chat.completions"); undefined for an unknown path. */
  route: string | undefined;
  /** Request headers, lower-case names (authorization, x-stainless-retry-count, user-agent, …). */
  headers: Record<string, string>;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  /** Model name the client sent. */
  model?: string;
  policy?: PolicyName;
  /** instance_id of the task the call was matched to. */
  taskId?: string;
  fault?: FaultKind;
  /** Set when the quota answered the call with a 429. */
  throttled?: boolean;
  /** Status sent; undefined when none was (reset, hang, client gone). */
  status?: number;
}

export interface MockStats {
  /** Every request, model call or not. */
  requests: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  byPolicy: Record<string, number>;
  /** Faults injected, by kind. */
  faults: Record<string, number>;
  /** Requests that arrived over HTTP/2. */
  http2Requests: number;
  connections: number;
  /** Usage reported in successful replies. */
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

export const emptyStats = (): MockStats => ({
  requests: 0,
  byRoute: {},
  byStatus: {},
  byPolicy: {},
  faults: {},
  http2Requests: 0,
  connections: 0,
  promptTokens: 0,
  completionTokens: 0,
  cachedTokens: 0,
});

/** The server's settings, resolved (defaults applied). */
export interface HandlerSettings {
  /** The first one also answers unknown paths (in the OpenAI shape, the most common client). */
  adapters: readonly WireAdapter[];
  tasks: readonly Task[];
  defaultPolicy: PolicyName;
  contextWindowTokens: number | undefined;
  latencyMs: number;
  drawLatency: (() => number) | undefined;
  chunkDelayMs: number;
  maxBody: number;
  logLimit: number;
  now: () => number;
  plan: FaultPlan;
  quota: MockQuota | undefined;
}

/** A fault that lets the call reach the policy (an HTTP error or a reset ends it before). */
type AnswerFault = Exclude<Fault, HttpFault | ResetFault>;

const bump = (counter: Record<string, number>, key: string): void => {
  counter[key] = (counter[key] ?? 0) + 1;
};

/** One request being answered: its record, its adapter (for errors), its context. */
interface Call {
  ex: Exchange;
  record: MockRequestRecord;
  adapter: WireAdapter;
  ctx: CallContext;
}

export class RequestHandler {
  readonly requests: MockRequestRecord[] = [];
  readonly stats: MockStats = emptyStats();
  readonly #s: HandlerSettings;
  #seq = 0;

  constructor(settings: HandlerSettings) {
    this.#s = settings;
  }

  async handle(ex: Exchange): Promise<void> {
    const [path = "/"] = ex.url.split("?");
    const call: Call = {
      ex,
      record: this.#recordOf(ex, path),
      adapter: this.#s.adapters[0] as WireAdapter,
      ctx: { requestId: `req_${randomBytes(16).toString("hex")}`, now: this.#s.now() },
    };
    const { record } = call;
    try {
      let route: WireRoute | undefined;
      for (const a of this.#s.adapters) {
        route = a.route(record.method, path);
        if (route) {
          call.adapter = a;
          break;
        }
      }
      const body = await ex.readBody(this.#s.maxBody);
      if (body.length > 0) {
        const text = body.toString("utf8");
        try {
          record.body = JSON.parse(text);
        } catch {
          record.body = text;
        }
      }
      if (route === undefined) {
        bump(this.stats.byRoute, "unknown");
        return this.#sendError(call, {
          status: 404,
          message: `Invalid URL (${record.method} ${path})`,
          type: "invalid_request_error",
          code: null,
          param: null,
          headers: {},
        });
      }
      record.route = route.name;
      bump(this.stats.byRoute, route.name);
      const incoming: IncomingCall = { method: record.method, path, headers: record.headers, body };
      if (route.kind === "static") return this.#send(call, route.answer(incoming, call.ctx));
      return await this.#modelCall(call, route, incoming);
    } catch (err) {
      if (err instanceof MockHttpError) return this.#sendError(call, err.spec);
      // A bug in the mock must still answer like a server, and be visible in the message.
      this.#sendError(call, {
        status: 500,
        message: `mock server internal error: ${err instanceof Error ? err.message : String(err)}`,
        type: "server_error",
        code: null,
        param: null,
        headers: {},
      });
    }
  }

  #recordOf(ex: Exchange, path: string): MockRequestRecord {
    const record: MockRequestRecord = {
      seq: ++this.#seq,
      at: this.#s.now(),
      method: ex.method,
      path,
      httpVersion: ex.httpVersion,
      route: undefined,
      headers: ex.headers(),
      body: undefined,
    };
    this.requests.push(record);
    if (this.requests.length > this.#s.logLimit) this.requests.splice(0, this.requests.length - this.#s.logLimit);
    this.stats.requests++;
    if (record.httpVersion === "2.0") this.stats.http2Requests++;
    return record;
  }

  #status(call: Call, status: number): void {
    call.record.status = status;
    bump(this.stats.byStatus, String(status));
  }

  #send(call: Call, answer: HttpAnswer): void {
    this.#status(call, answer.status);
    call.ex.send(answer);
  }

  #sendError(call: Call, error: MockErrorSpec): void {
    this.#status(call, error.status);
    call.ex.send(call.adapter.error(error, call.ctx));
  }

  #countUsage(reply: MockReply): void {
    this.stats.promptTokens += reply.usage.promptTokens;
    this.stats.completionTokens += reply.usage.completionTokens;
    this.stats.cachedTokens += reply.usage.cachedTokens;
  }

  async #modelCall(call: Call, route: Extract<WireRoute, { kind: "model" }>, incoming: IncomingCall): Promise<void> {
    const { ex, record } = call;
    // The quota answers first and at once, as a real front door does: a throttled call costs the service nothing.
    const throttled = this.#s.quota?.admit(Math.ceil(incoming.body.length / 4));
    if (throttled) {
      record.throttled = true;
      bump(this.stats.faults, "quota");
      return this.#sendError(call, throttled);
    }
    // Faults come first, as at a real service's front door: a 429 does not depend on the request being valid.
    const fault = this.#s.plan.next();
    if (fault) {
      record.fault = fault.kind;
      bump(this.stats.faults, fault.kind);
    }
    if (!(await sleep(this.#s.latencyMs + (this.#s.drawLatency?.() ?? 0), ex.signal))) return;
    if (fault?.kind === "http") return this.#sendError(call, httpFaultError(fault));
    if (fault?.kind === "reset") return ex.reset();
    if (fault?.kind === "hang" && fault.afterChunks === undefined) return;

    const parsed = route.parse(incoming, call.ctx);
    record.model = parsed.conversation.model;
    const { reply, policy, task } = respond(parsed.conversation, {
      tasks: this.#s.tasks,
      defaultPolicy: this.#s.defaultPolicy,
      contextWindowTokens: this.#s.contextWindowTokens,
    });
    record.policy = policy;
    this.#s.quota?.charge(reply.usage.completionTokens);
    bump(this.stats.byPolicy, policy);
    if (task) record.taskId = task.instance_id;
    return parsed.conversation.stream ? this.#sendStream(call, parsed, reply, fault) : this.#sendBody(call, parsed, reply, fault);
  }

  /** A whole answer; a fault can only cut it short (an in-stream error becomes a 500). */
  async #sendBody(call: Call, parsed: ParsedCall, reply: MockReply, fault: AnswerFault | undefined): Promise<void> {
    const { ex } = call;
    const answer = parsed.render.body(reply);
    if (fault === undefined) {
      this.#countUsage(reply);
      return this.#send(call, answer);
    }
    if (fault.kind === "stream-error") return this.#sendError(call, streamFaultError(fault));
    if (fault.kind === "hang") return;
    this.#status(call, answer.status);
    const bytes = typeof answer.body === "string" ? Buffer.from(answer.body) : answer.body;
    ex.head(answer.status, answer.headers);
    await ex.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
    if (fault.kind === "cut") return ex.end();
    await sleep(RESET_GRACE_MS, ex.signal);
    return ex.reset();
  }

  /** The answer's frames; a fault stops them after `afterChunks` (default: half the message) and ends the stream its way. */
  async #sendStream(call: Call, parsed: ParsedCall, reply: MockReply, fault: AnswerFault | undefined): Promise<void> {
    const { ex } = call;
    const stream = parsed.render.stream(reply);
    this.#status(call, stream.status);
    let stopAt = stream.frames.length;
    if (fault) {
      const half = Math.max(1, Math.floor(stream.messageEnd / 2));
      stopAt = Math.min(fault.afterChunks ?? half, stream.messageEnd);
    }
    ex.head(stream.status, stream.headers);
    for (let i = 0; i < stopAt; i++) {
      if (i > 0 && !(await sleep(this.#s.chunkDelayMs, ex.signal))) return;
      if (!(await ex.write(stream.frames[i] ?? ""))) return;
    }
    switch (fault?.kind) {
      case "cut":
        return ex.end();
      case "cut-reset":
        await sleep(RESET_GRACE_MS, ex.signal);
        return ex.reset();
      case "stream-error":
        await ex.write(parsed.render.streamError(streamFaultError(fault), stopAt));
        return ex.end();
      case "hang":
        return;
      default:
        this.#countUsage(reply);
        return ex.end();
    }
  }
}
