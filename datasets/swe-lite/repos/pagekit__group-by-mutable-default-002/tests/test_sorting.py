from pagekit import sort_records


def test_single_key():
    rows = [{"n": 3}, {"n": 1}, {"n": 2}]
    assert [r["n"] for r in sort_records(rows, "n")] == [1, 2, 3]


def test_single_key_descending():
    rows = [{"n": 3}, {"n": 1}, {"n": 2}]
    assert [r["n"] for r in sort_records(rows, "-n")] == [3, 2, 1]


def test_no_keys_returns_copy():
    rows = [{"n": 2}, {"n": 1}]
    out = sort_records(rows)
    assert out == rows and out is not rows


def test_stable_on_ties():
    rows = [{"k": 1, "id": "a"}, {"k": 0, "id": "b"}, {"k": 1, "id": "c"}]
    assert [r["id"] for r in sort_records(rows, "k")] == ["b", "a", "c"]
