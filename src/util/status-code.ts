// The HTTP status an error carries as `statusCode` (dockerode's errors, Node's http errors), or undefined.

export function statusCodeOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : undefined;
}
