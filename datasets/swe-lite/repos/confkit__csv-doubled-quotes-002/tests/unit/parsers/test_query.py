from confkit.parsers.query import build_query, parse_query, parse_query_flat


def test_simple_pairs():
    assert parse_query("a=1&b=2") == {"a": ["1"], "b": ["2"]}


def test_repeated_keys_keep_order():
    assert parse_query("tag=x&tag=y&tag=z") == {"tag": ["x", "y", "z"]}


def test_plus_and_percent_decoding():
    assert parse_query("?q=hello+world&city=S%C3%A3o%20Paulo") == {
        "q": ["hello world"],
        "city": ["S\u00e3o Paulo"],
    }


def test_key_without_value():
    assert parse_query("debug&level=2") == {"debug": [""], "level": ["2"]}
    assert parse_query("debug&level=2", keep_blank=False) == {"level": ["2"]}


def test_flat_keeps_last():
    assert parse_query_flat("a=1&a=2") == {"a": "2"}


def test_build_query():
    assert build_query({"q": "a b", "tag": ["x", "y"]}) == "q=a+b&tag=x&tag=y"
