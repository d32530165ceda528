"""From a suite file's bytes to text the YAML parser can take, or a located error.

A suite saved in another encoding, holding a control character, or nesting brackets thousands
deep would otherwise stop collection with a raw UnicodeDecodeError, ReaderError or
RecursionError: each is a finding with the line, what was found and what to do.
"""

from __future__ import annotations

import codecs

from pytest_optbench.suite.errors import Finding, SuiteError

# Byte-order marks of encodings other than UTF-8, which YAML files saved on Windows carry.
_OTHER_ENCODINGS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))
# Flow collections ([...] and {...}) nested deeper than this: no suite needs a tenth of it,
# and the parser's recursion ends far beyond it.
MAX_NESTING = 100


def decode(raw: bytes, file: str) -> str:
    """The text of a suite file: UTF-8 (a UTF-8 byte-order mark is allowed)."""
    for mark, name in _OTHER_ENCODINGS:
        if raw.startswith(mark):
            raise SuiteError([Finding(file, 1, "(file)", f"a {name} file (its byte-order mark)",
                                      "UTF-8 text", "save the file as UTF-8")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SuiteError([Finding(file, line, "(file)",
                                  f"the byte 0x{raw[exc.start]:02x} at column {column}, which is "
                                  f"not UTF-8", "UTF-8 text",
                                  "save the file as UTF-8 (it may be Latin-1 or Windows-1252)")
                          ]) from None
    check_characters(text, file)
    check_nesting(text, file)
    return text


def check_characters(text: str, file: str) -> None:
    """Control characters YAML refuses (NUL and the like), located."""
    for index, char in enumerate(text):
        if (ord(char) < 0x20 and char not in "\t\n\r") or char in "\x7f\ufffe\uffff":
            line = text.count("\n", 0, index) + 1
            raise SuiteError([Finding(file, line, "(file)",
                                      f"the control character U+{ord(char):04X}",
                                      "printable text", "remove it (was a binary file saved "
                                                        "under a .yaml name?)")])


def check_nesting(text: str, file: str) -> None:
    """Flow brackets nested deeper than MAX_NESTING, located where the limit is crossed.
    Brackets inside quotes are counted too: a suite with a hundred of them in one string is
    no suite."""
    depth = 0
    for index, char in enumerate(text):
        if char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                line = text.count("\n", 0, index) + 1
                raise SuiteError([Finding(file, line, "(file)",
                                          f"brackets nested more than {MAX_NESTING} deep",
                                          f"at most {MAX_NESTING} levels",
                                          "a suite needs a few; is this a generated file?")])
        elif char in "]}":
            depth = max(depth - 1, 0)
