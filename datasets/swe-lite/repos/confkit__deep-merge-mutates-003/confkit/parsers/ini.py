"""A small INI reader: sections, ``key = value`` pairs, ``#``/``;`` comment lines."""

from __future__ import annotations


class INIError(ValueError):
    def __init__(self, lineno: int, message: str) -> None:
        super().__init__(f"line {lineno}: {message}")
        self.lineno = lineno


def parse_ini(text: str, default_section: str = "DEFAULT") -> dict[str, dict[str, str]]:
    """Parse INI text into ``{section: {key: value}}``; keys are lower-cased."""
    data: dict[str, dict[str, str]] = {}
    section = default_section
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise INIError(lineno, "unterminated section header")
            section = line[1:-1].strip()
            data.setdefault(section, {})
            continue
        for sep in ("=", ":"):
            if sep in line:
                key, value = line.split(sep, 1)
                break
        else:
            raise INIError(lineno, f"expected 'key = value', got {line!r}")
        data.setdefault(section, {})[key.strip().lower()] = value.strip()
    return data
