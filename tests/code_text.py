"""The code of a module as the checks' tripwire tests read it.

``tests/test_checks_*.py`` assert that a check module computes none of the
right formulas (the package holds no answer) by searching its code for them,
with the comments and strings out of the way.
"""
import re
import tokenize

_FSTRING_PARTS = tuple(getattr(tokenize, name, -1)
                       for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END"))
_SKIPPED = (tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENCODING, tokenize.ENDMARKER)


def code_of(path, *, strings="words", spaced=True):
    """A module's code without comments, indentation or strings.

    Parameters
    ----------
    path : path-like
    strings : {"words", "S", "drop"}
        What a string becomes: "words" keeps a string that is one word (a
        config key) as that word and writes "S" for any other; "S" writes "S"
        for every string; "drop" leaves strings out.
    spaced : bool
        Put one space between two tokens that would otherwise run together
        (``return x``); False joins every token without a space.
    """
    if strings not in ("words", "S", "drop"):
        raise ValueError(f"strings must be 'words', 'S' or 'drop', got {strings!r}")
    out, last = [], None
    with open(path, "rb") as f:
        for tok in tokenize.tokenize(f.readline):
            if tok.type in _SKIPPED:
                continue
            if tok.type == tokenize.NEWLINE:
                text = "\n"
            elif tok.type == tokenize.STRING or tok.type in _FSTRING_PARTS:
                if strings == "drop":
                    continue
                word = tok.type == tokenize.STRING and strings == "words" and re.fullmatch(
                    r"[rbuRBU]?(['\"])(\w+)\1", tok.string)
                text = word.group(2) if word else "S"
            else:
                text = tok.string
            if spaced and last and (last[-1].isalnum() or last[-1] == "_") and (
                    text[0].isalnum() or text[0] == "_"):
                out.append(" ")
            out.append(text)
            last = text
    return "".join(out)
