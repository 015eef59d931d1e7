from textkit import char_width, display_width, ljust_display, truncate_display


def test_ascii_width():
    assert display_width("hello") == 5


def test_combining_mark_has_no_width():
    assert char_width("\u0301") == 0
    assert display_width("e\u0301") == 1


def test_ljust_ascii():
    assert ljust_display("ab", 4) == "ab  "


def test_ljust_never_truncates():
    assert ljust_display("abcdef", 3) == "abcdef"


def test_truncate_ascii():
    assert truncate_display("abcdefgh", 5) == "abcd\u2026"
    assert truncate_display("abc", 5) == "abc"
