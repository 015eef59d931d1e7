// Public API of the mock LLM server: start it, script it (policies), break it (faults).

export { startMockServer, type MockServer, type MockServerOptions, type MockRequestRecord, type MockStats } from "./server.js";
export {
  FaultPlan,
  FAULT_KINDS,
  faults,
  httpFaultError,
  type Fault,
  type FaultKind,
  type FaultPlanOptions,
  type FaultRate,
  type HttpFault,
  type ResetFault,
  type CutFault,
  type CutResetFault,
  type StreamErrorFault,
  type HangFault,
} from "./faults.js";
export {
  POLICIES,
  POLICY_DESCRIPTIONS,
  PATCH_FILE,
  REPO_DIR,
  findTask,
  patchedFiles,
  type Policy,
  type PolicyContext,
  type PolicyReply,
  type PolicyToolCall,
  type PatchedFile,
} from "./policies.js";
export { seededRandom } from "../util/random.js";
export { DEFAULT_POLICY, POLICY_NAMES, resolvePolicyName, type PolicyName } from "./policy-names.js";
export { respond, type EngineOptions, type EngineResult } from "./engine.js";
export { openAiResponsesAdapter, type OpenAiResponsesAdapterOptions } from "./openai-responses.js";
export { sealReasoning, unsealReasoning } from "./reasoning-seal.js";
export { estimatePromptUsage, estimateCompletionTokens } from "./tokens.js";
export type { MockConversation, MockReply, MockUsage, MockErrorSpec, WireAdapter, WireRoute } from "./wire.js";
export { MockQuota, type MockQuotaOptions } from "./quota.js";
export { latencySampler, parseLatencySpec, type LatencySpec } from "./latency.js";
export { mockFaultSettings, type MockFaultFlags, type MockFaultSettings } from "./flags.js";
