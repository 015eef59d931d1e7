from textkit import count_occurrences, highlight


def test_highlight_word():
    assert highlight("Find me if you can", "me") == "Find [me] if you can"


def test_highlight_is_case_insensitive():
    assert highlight("Python and PYTHON", "python") == "[Python] and [PYTHON]"


def test_custom_markers():
    assert highlight("a cat", "cat", "<b>", "</b>") == "a <b>cat</b>"


def test_empty_term():
    assert highlight("text", "") == "text"
    assert count_occurrences("text", "") == 0


def test_count():
    assert count_occurrences("spam spam SPAM eggs", "spam") == 3
