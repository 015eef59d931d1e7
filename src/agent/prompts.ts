// Prompts of the agent: the system prompt, the task message and the fake user replies.

import type { Task } from "../datasets/types.js";

export const SYSTEM_PROMPT = `You are an autonomous software engineer working in a sandboxed Linux workspace.
The repository you must fix is checked out at /testbed (a git repository; its HEAD is the base commit).
You act only through the tools you are given: \`bash\` runs shell commands, \`str_replace_editor\` views and edits files, and \`finish\` ends the session.
There is no human to answer questions: work on your own until the task is done.
Work in small steps: explore the code, reproduce the problem, make a minimal fix in the source (not in the tests), and verify it.`;

export function taskPrompt(task: Task): string {
  const hints = task.hints_text?.trim() ? `\n\n<hints>\n${task.hints_text.trim()}\n</hints>` : "";
  return `<issue>
${task.problem_statement.trim()}
</issue>${hints}

The repository ${task.repo} is at /testbed. Make the smallest change to the non-test source files that resolves the issue above.
Do not modify the existing tests. You may write scratch scripts to reproduce and verify the fix.
When you are 100% sure the issue is resolved, call the \`finish\` tool with a short summary.`;
}

export const FAKE_USER_RESPONSE = "Please continue working on the task. Use the finish tool when you are done. DO NOT ask for human help.";
export const GIVE_UP_HINT = "If you want to give up, use the finish tool.";

/** The reply sent when the model talks instead of calling a tool; `count` is 1 for the first such reply. */
export function fakeUserResponse(count: number): string {
  return count >= 3 ? `${FAKE_USER_RESPONSE} ${GIVE_UP_HINT}` : FAKE_USER_RESPONSE;
}
