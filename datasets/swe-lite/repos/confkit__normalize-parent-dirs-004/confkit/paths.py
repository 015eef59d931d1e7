"""POSIX-style path normalisation for paths found in configuration files."""

from __future__ import annotations


def normalize_path(path: str) -> str:
    """Collapse ``.``, ``..`` and repeated slashes without touching the file system.

    ``..`` at the start of a relative path is kept (``"../a"``); at the root of an
    absolute path it is dropped (``"/../a" -> "/a"``).
    """
    if not path:
        return "."
    absolute = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    joined = "/".join(parts)
    if absolute:
        return "/" + joined
    return joined or "."


def join_path(*parts: str) -> str:
    """Join path fragments; an absolute fragment restarts the path."""
    out = ""
    for part in parts:
        if part.startswith("/") or not out:
            out = part
        else:
            out = out.rstrip("/") + "/" + part
    return normalize_path(out)


def is_safe_relative(path: str) -> bool:
    """True if ``path`` is relative and stays inside the directory it is resolved against."""
    if path.startswith("/"):
        return False
    norm = normalize_path(path)
    return norm != ".." and not norm.startswith("../")
