// The editor's `view` of image files in a real Docker workspace: an image part for vision models, a text note
// with --no-vision, and clear refusals for oversized or fake images.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultTools, type EditorTool } from "../../src/agent/tools.js";
import { startMockServer } from "../../src/mock/index.js";
import { OpenAIChatClient } from "../../src/models/openai-chat.js";
import { OpenAIResponsesClient } from "../../src/models/openai-responses.js";
import type { Message } from "../../src/models/types.js";
import type { Sandbox } from "../../src/sandbox/types.js";
import { MINI_TASK, provider, sandboxImage } from "./helpers.js";

// A 1×1 PNG.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from("JFIF fake body")]);
const GIF = Buffer.from("GIF89a\x01\x00\x01\x00\x00\x00\x00;", "latin1");
const WEBP = Buffer.concat([Buffer.from("RIFF"), Buffer.from([0x1a, 0, 0, 0]), Buffer.from("WEBPVP8 fake")]);

let sandbox: Sandbox;
let editor: EditorTool;
let blind: EditorTool;

beforeAll(async () => {
  sandbox = await provider(`test-images-${process.pid}`).create({
    image: sandboxImage(),
    labels: { "bench.task-id": "images" },
    repoDir: MINI_TASK.repoDir!,
  });
  editor = defaultTools(sandbox)[1] as EditorTool;
  blind = defaultTools(sandbox, { vision: false })[1] as EditorTool;
  await sandbox.writeFile("/testbed/img/dot.png", PNG);
  await sandbox.writeFile("/testbed/img/photo.jpeg", JPEG);
  await sandbox.writeFile("/testbed/img/anim.gif", GIF);
  await sandbox.writeFile("/testbed/img/pic.webp", WEBP);
  // A PNG saved under a .jpg name: the bytes decide the media type.
  await sandbox.writeFile("/testbed/img/misnamed.jpg", PNG);
  await sandbox.writeFile("/testbed/img/notes.png", "just text\n");
  // 16 MB of PNG: about 21 MB as a base64 data URL, over the 20 MB limit.
  const big = await sandbox.exec(
    "printf '\\211PNG\\r\\n\\032\\n' > /testbed/img/big.png && head -c 16000000 /dev/zero >> /testbed/img/big.png && stat -c %s /testbed/img/big.png",
  );
  expect(big.stdout.trim()).toBe("16000008");
});
afterAll(async () => {
  await sandbox?.remove();
});

describe("str_replace_editor view of images", () => {
  it.each([
    ["dot.png", PNG, "image/png"],
    ["photo.jpeg", JPEG, "image/jpeg"],
    ["anim.gif", GIF, "image/gif"],
    ["pic.webp", WEBP, "image/webp"],
    ["misnamed.jpg", PNG, "image/png"],
  ])("%s is returned as an image part (base64, media type from its bytes)", async (name, bytes, mediaType) => {
    const p = `/testbed/img/${name}`;
    expect(await editor.execute({ command: "view", path: p })).toEqual({
      content: [
        { type: "text", text: `Image ${p} (${mediaType}, ${bytes.length} bytes):` },
        { type: "image", mediaType, data: bytes.toString("base64") },
      ],
      isError: false,
    });
  });

  it("with vision off (--no-vision) an image becomes a text note", async () => {
    expect(await blind.execute({ command: "view", path: "/testbed/img/dot.png" })).toEqual({
      content: [
        {
          type: "text",
          text: `[/testbed/img/dot.png is an image (image/png, ${PNG.length} bytes); it is not shown because vision is off for this run (--no-vision).]`,
        },
      ],
      isError: false,
    });
  });

  it("refuses an image whose data URL would pass 20 MB, with a clear error", async () => {
    expect(await editor.execute({ command: "view", path: "/testbed/img/big.png" })).toEqual({
      content: [
        {
          type: "text",
          text:
            "Error: /testbed/img/big.png is 15.3 MB; as a base64 data URL it would be 20.3 MB, over the 20.0 MB limit for images sent to the model. " +
            "Make a smaller copy (e.g. scale it down with Python) and view that instead.",
        },
      ],
      isError: true,
    });
  });

  it("refuses a file with an image extension that is no image", async () => {
    const out = await editor.execute({ command: "view", path: "/testbed/img/notes.png" });
    expect(out.isError).toBe(true);
    expect(out.content).toEqual([
      {
        type: "text",
        text: "Error: /testbed/img/notes.png has an image extension but is not a PNG, JPEG, GIF or WebP image; view it with `bash` (e.g. `file /testbed/img/notes.png`) instead.",
      },
    ]);
  });

  it("a missing image is the usual missing-path error", async () => {
    expect(await editor.execute({ command: "view", path: "/testbed/img/none.png" })).toEqual({
      content: [{ type: "text", text: "Error: the path /testbed/img/none.png does not exist." }],
      isError: true,
    });
  });

  it("the viewed image reaches the model request of both providers", async () => {
    const out = await editor.execute({ command: "view", path: "/testbed/img/dot.png" });
    const url = `data:image/png;base64,${PNG.toString("base64")}`;
    const call = { id: "call_view", name: "str_replace_editor", arguments: '{"command":"view","path":"/testbed/img/dot.png"}' };
    const messages: Message[] = [
      { role: "user", content: [{ type: "text", text: "What is in the image?" }] },
      { role: "assistant", text: "", toolCalls: [call] },
      { role: "tool", toolCallId: call.id, toolName: call.name, content: out.content, isError: out.isError },
    ];
    const server = await startMockServer();
    try {
      const baseURL = `${server.url}/v1`;
      await new OpenAIResponsesClient({ model: "gpt-4o", apiKey: "test", baseURL }).generate({ system: "", messages, tools: [] });
      await new OpenAIChatClient({ model: "gpt-4o", apiKey: "test", baseURL }).generate({ system: "", messages, tools: [] });
      const [responses, chat] = server.requests.map((r) => JSON.stringify(r.body));
      expect(responses).toContain(
        `{"type":"function_call_output","call_id":"call_view","output":[{"type":"input_text","text":"Image /testbed/img/dot.png (image/png, ${PNG.length} bytes):"},{"type":"input_image","image_url":"${url}","detail":"auto"}]}`,
      );
      expect(chat).toContain(`{"type":"image_url","image_url":{"url":"${url}"}}`);
      expect(server.requests.map((r) => r.status)).toEqual([200, 200]);
    } finally {
      await server.close();
    }
  });
});
