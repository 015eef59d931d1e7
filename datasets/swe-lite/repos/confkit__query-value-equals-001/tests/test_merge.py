from confkit.merge import deep_merge, merge_layers


def test_override_scalar():
    assert deep_merge({"a": 1, "b": 2}, {"b": 3}) == {"a": 1, "b": 3}


def test_nested_merge():
    base = {"db": {"host": "localhost", "port": 5432}}
    assert deep_merge(base, {"db": {"port": 6543}}) == {"db": {"host": "localhost", "port": 6543}}


def test_override_replaces_non_dict():
    assert deep_merge({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}


def test_merge_layers():
    assert merge_layers({"a": 1}, {"b": 2}, {"a": 3}) == {"a": 3, "b": 2}
