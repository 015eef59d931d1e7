"""Layered configuration: later layers override earlier ones, nested dicts merge."""

from __future__ import annotations

import copy
from typing import Any, Mapping


def _merge_into(target: dict[str, Any], override: Mapping[str, Any]) -> None:
    for key, value in override.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            _merge_into(current, value)
        else:
            target[key] = copy.deepcopy(value)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return a new dict with ``override`` merged over ``base``; inputs are left unchanged."""
    result = copy.deepcopy(dict(base))
    _merge_into(result, override)
    return result


def merge_layers(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Merge configuration layers from lowest to highest priority."""
    result: dict[str, Any] = {}
    for layer in layers:
        result = deep_merge(result, layer)
    return result
