from textkit import contains_ignore_case, equals_ignore_case, sort_ignore_case


def test_equals_ascii():
    assert equals_ignore_case("Hello", "hELLO")


def test_not_equal():
    assert not equals_ignore_case("hello", "help")


def test_contains():
    assert contains_ignore_case("The Quick Brown Fox", "quick BROWN")


def test_sort_ignore_case_is_stable():
    assert sort_ignore_case(["b", "B", "a", "A"]) == ["a", "A", "b", "B"]
