import pytest

from confkit.parsers.csvline import CSVLineError, split_csv_line


def test_plain_fields():
    assert split_csv_line("a,b,c") == ["a", "b", "c"]


def test_empty_fields():
    assert split_csv_line("a,,c,") == ["a", "", "c", ""]


def test_quoted_delimiter():
    assert split_csv_line('1,"Smith, John",3') == ["1", "Smith, John", "3"]


def test_other_delimiter():
    assert split_csv_line('a;"b;c"', delimiter=";") == ["a", "b;c"]


def test_unterminated_quote():
    with pytest.raises(CSVLineError):
        split_csv_line('a,"b')
