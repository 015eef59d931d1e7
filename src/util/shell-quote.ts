// Quoting for POSIX shells: the one definition every command line bench builds uses.

/** `value` as one single-quoted shell word (a `'` inside becomes `'\''`). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** As is when it holds only characters the shell takes literally (every ordinary path), else single-quoted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : shellQuote(word);
}
