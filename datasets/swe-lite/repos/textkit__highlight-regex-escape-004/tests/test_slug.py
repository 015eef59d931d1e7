from textkit import slugify, unique_slug


def test_basic_slug():
    assert slugify("Hello, World!") == "hello-world"


def test_collapses_runs_and_strips_edges():
    assert slugify("  --Release   notes: v2.0--  ") == "release-notes-v2-0"


def test_custom_separator():
    assert slugify("Hello World", sep="_") == "hello_world"


def test_max_length_cuts_at_separator():
    assert slugify("the quick brown fox", max_length=12) == "the-quick"


def test_unique_slug_appends_counter():
    assert unique_slug("Hello", {"hello", "hello-2"}) == "hello-3"


def test_unique_slug_empty_text():
    assert unique_slug("!!!", set()) == "item"
