// How the mock cuts a reply into stream deltas, the same on every wire: text in word-aligned pieces, tool-call
// arguments in fragments.

/** Text deltas of at least ~12 characters, cut at word ends, so a sentence arrives in several pieces. */
export function splitText(text: string): string[] {
  const pieces: string[] = [];
  let current = "";
  for (const word of text.match(/\S+\s*|\s+/g) ?? []) {
    current += word;
    if (current.length >= 12) {
      pieces.push(current);
      current = "";
    }
  }
  if (current !== "") pieces.push(current);
  return pieces;
}

/** Argument fragments: at most ~48 of them, never splitting a code point. */
export function splitArguments(args: string): string[] {
  const chars = Array.from(args);
  const size = Math.max(16, Math.ceil(chars.length / 48));
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(""));
  return pieces;
}
