// Errors about a path inside a workspace, shaped like Node's fs errors (`code`): the caller's bad path, as opposed to
// a broken sandbox (InfraError). One vocabulary for the shell fast path and the archive API.

/** An Error with an fs-like `code`. */
export function fsError(target: string, code: string, what: string, cause?: unknown): Error {
  return Object.assign(new Error(`${target}: ${what}`), { code }, cause !== undefined ? { cause } : {});
}

export function notFound(target: string): Error {
  return fsError(target, "ENOENT", "no such file or directory");
}

export function notADirectory(target: string, cause?: unknown): Error {
  return fsError(target, "ENOTDIR", "a parent is not a directory", cause);
}

/** Maps a coreutils/bash error message (LC_ALL=C) about `target` to an fs-like error; undefined when it is no path problem. */
export function pathError(target: string, message: string): Error | undefined {
  if (/Not a directory|File exists/.test(message)) return notADirectory(target);
  if (/Is a directory/.test(message)) return fsError(target, "EISDIR", "is a directory");
  if (/No such file or directory/.test(message)) return notFound(target);
  if (/Too many levels of symbolic links/.test(message)) return fsError(target, "ELOOP", "too many levels of symbolic links");
  return undefined;
}
