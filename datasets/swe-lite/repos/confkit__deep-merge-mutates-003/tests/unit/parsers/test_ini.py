import pytest

from confkit.parsers.ini import INIError, parse_ini

SAMPLE = """
# global settings
name = demo

[server]
Host = example.org
port: 8080
; comment
"""


def test_sections_and_keys():
    assert parse_ini(SAMPLE) == {
        "DEFAULT": {"name": "demo"},
        "server": {"host": "example.org", "port": "8080"},
    }


def test_bad_line():
    with pytest.raises(INIError) as exc:
        parse_ini("[a]\nnot a pair\n")
    assert exc.value.lineno == 2
