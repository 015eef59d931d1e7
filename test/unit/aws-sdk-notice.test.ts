import { describe, expect, it } from "vitest";
import { awsSdkNodeNotice } from "../../src/models/bedrock.js";

describe("awsSdkNodeNotice", () => {
  it("on Node 20: one line of bench's, the SDK's 9-line warning switched off", () => {
    const env: NodeJS.ProcessEnv = {};
    expect(awsSdkNodeNotice("v20.20.2", env)).toBe(
      "note: Node v20.20.2 is past its end of life; AWS SDK releases after the first week of January 2027 need Node 22 or later (bench is tested on 22, 24 and 26)",
    );
    expect(env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"]).toBe("true");
    expect(awsSdkNodeNotice("v20.20.2", env)).toBeUndefined(); // once
  });

  it("on Node 22 and later nothing is said; a user's own switch is left alone", () => {
    expect(awsSdkNodeNotice("v22.12.0", {})).toBeUndefined();
    expect(awsSdkNodeNotice("v24.1.0", {})).toBeUndefined();
    const env: NodeJS.ProcessEnv = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "false" };
    expect(awsSdkNodeNotice("v20.1.0", env)).toBeUndefined();
    expect(env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"]).toBe("false");
  });
});
