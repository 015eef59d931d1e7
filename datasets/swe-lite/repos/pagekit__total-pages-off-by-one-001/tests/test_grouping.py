from pagekit import count_by, group_by

PLAYERS = [
    {"name": "ann", "team": "red"},
    {"name": "bob", "team": "blue"},
    {"name": "cid", "team": "red"},
]


def test_group_by():
    groups = group_by(PLAYERS, "team")
    assert {k: [r["name"] for r in v] for k, v in groups.items()} == {
        "red": ["ann", "cid"],
        "blue": ["bob"],
    }


def test_group_by_accumulates_into_given_dict():
    acc = {}
    group_by(PLAYERS[:1], "team", into=acc)
    group_by(PLAYERS[1:], "team", into=acc)
    assert sorted(acc) == ["blue", "red"]
    assert len(acc["red"]) == 2


def test_count_by():
    assert count_by(PLAYERS, "team") == {"red": 2, "blue": 1}
