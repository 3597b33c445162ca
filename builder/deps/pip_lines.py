"""``%pip install`` and its shell cousins in a notebook's code cells.

Recognised, on a line of their own anywhere in a code cell (also inside ``%%capture`` and the like,
and as plain commands in ``%%bash`` / ``%%sh`` cells): ``%pip install``, ``!pip install``,
``!pip3 install``, ``!python -m pip install``, ``!{sys.executable} -m pip install``,
``!uv pip install``, and ``%conda`` / ``!conda`` / ``mamba install`` (reported only). Quoted
arguments, several packages, ``&&`` chains and the usual flags are understood; ``-r FILE`` reads
that requirements file relative to the notebook's folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import nbformat

from .pep508 import parse_requirement
from .records import Found
from .requirements_file import include

SHELL_CELL_MAGICS = frozenset({"bash", "sh", "script bash", "script sh", "script zsh"})
_MAGIC = re.compile(r"^%(pip|conda|mamba|micromamba)\s+(.*)$")
_PIP = re.compile(r"^(?:.*/)?pip(?:\d+(?:\.\d+)?)?$")
_PYTHON = re.compile(r"^(?:.*/)?python(?:\d+(?:\.\d+)?)?$|^\{sys\.executable\}$|^\$sys\.executable$")
_CONDA = ("conda", "mamba", "micromamba")
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&"})
_REDIRECT = re.compile(r"^(\d*>>?&?\d*|&>>?|<)")
#: Install options that take a value: ``-t DIR``, ``--index-url URL``...
_WITH_VALUE = frozenset({"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i",
                         "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host",
                         "-t", "--target", "--prefix", "--root", "--upgrade-strategy", "--progress-bar",
                         "--platform", "--python-version", "--implementation", "--abi",
                         "--only-binary", "--no-binary", "--src", "-C", "--config-settings",
                         "--global-option", "--timeout", "--retries", "--proxy", "--cache-dir",
                         "--log", "--exists-action", "--report", "--use-feature", "--python"})
_INDEX = frozenset({"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host"})
_CONDA_WITH_VALUE = frozenset({"-c", "--channel", "-n", "--name", "-p", "--prefix", "--file"})


def scan_pip_lines(notebook: nbformat.NotebookNode, path: Path, repo: Path, label: str) -> Found:
    """Every package that ``notebook``'s install lines name; ``label`` names it in sources."""
    found = Found()
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code":
            continue
        source = "".join(cell.source) if isinstance(cell.source, list) else cell.source
        for line_no, command, prefix in _commands(source):
            where = f"{label} cell {number}, line {line_no}"
            found.add(_command(command, prefix=prefix, where=where, cell=f"{label} cell {number}",
                               base=path.parent, repo=repo))
    return found


def _commands(source: str) -> Iterator[tuple[int, str, str]]:
    """Yield ``(line number, command, prefix)`` for each ``%``/``!`` line (every line in a shell cell).

    ``prefix`` is ``%`` for a line magic, ``!`` for a shell escape, ``""`` in a shell cell.
    """
    lines = source.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    shell_cell = False
    if first is not None and lines[first].lstrip().startswith("%%"):
        words = lines[first].strip()[2:].split()
        shell_cell = " ".join(words[:2 if words[:1] == ["script"] else 1]) in SHELL_CELL_MAGICS
        lines = ["" for _ in lines[: first + 1]] + lines[first + 1:]
    number = 0
    while number < len(lines):
        start, text = number + 1, lines[number].strip()
        while text.endswith("\\") and number + 1 < len(lines):
            number += 1
            text = text[:-1] + " " + lines[number].strip()
        number += 1
        if shell_cell and text and not text.startswith("#"):
            yield start, text.lstrip("!"), ""
        elif text.startswith("!") and not text.startswith("!!"):
            yield start, text[1:], "!"
        elif text.startswith("%") and not text.startswith("%%"):
            yield start, text, "%"


def _command(command: str, *, prefix: str, where: str, cell: str, base: Path, repo: Path) -> Found:
    found = Found()
    if prefix == "%":
        magic = _MAGIC.match(command)
        if magic:
            tool, rest = magic.groups()
            first = next(iter(_segments(_tokens(rest))), [])
            found.add(_install(first, f"%{tool}", tool, where, cell, base, repo))
        return found
    for words in _segments(_tokens(command)):
        texts = [w.text for w in words]
        while texts and (texts[0] == "sudo" or re.match(r"^\w+=", texts[0])):
            texts, words = texts[1:], words[1:]
        if not texts:
            continue
        head = texts[0]
        if _PIP.match(head):
            found.add(_install(words[1:], f"{prefix}{head.rsplit('/', 1)[-1]}", "pip", where, cell, base, repo))
        elif _PYTHON.match(head) and texts[1:3] == ["-m", "pip"]:
            found.add(_install(words[3:], f"{prefix}{head} -m pip", "pip", where, cell, base, repo))
        elif head == "uv" and texts[1:2] == ["pip"]:
            found.add(_install(words[2:], f"{prefix}uv pip", "pip", where, cell, base, repo))
        elif head in _CONDA:
            found.add(_install(words[1:], f"{prefix}{head}", head, where, cell, base, repo))
    return found


class _Word(NamedTuple):
    text: str
    bare_angle: bool = False  # holds an unquoted '>' or '<' (a redirection to the shell)


def _tokens(command: str) -> list[_Word | str]:
    """Shell words (quotes removed) and separators (``&&``, ``;``, ``|``...) as plain strings.

    Stops at an unquoted ``#``. ``&`` right after or before ``>`` belongs to a redirection.
    """
    tokens: list[_Word | str] = []
    buf: list[str] = []
    quote, started, angle = None, False, False

    def flush() -> None:
        nonlocal started, angle
        if started:
            tokens.append(_Word("".join(buf), angle))
        buf.clear()
        started, angle = False, False

    index = 0
    while index < len(command):
        char = command[index]
        index += 1
        if quote:
            if char == quote:
                quote = None
            else:
                buf.append(char)
        elif char in "'\"":
            quote, started = char, True
        elif char == "\\" and index < len(command):
            buf.append(command[index])
            index, started = index + 1, True
        elif char.isspace():
            flush()
        elif char == "#" and not started:
            break
        elif char in ";&|" and not (char == "&" and (buf[-1:] == [">"] or command[index:index + 1] == ">")):
            flush()
            if tokens and isinstance(tokens[-1], str) and tokens[-1] + char in _SEPARATORS:
                tokens[-1] += char
            else:
                tokens.append(char)
        else:
            buf.append(char)
            started = True
            angle = angle or char in "<>"
    flush()
    return tokens


def _segments(tokens: list[_Word | str]) -> list[list[_Word]]:
    """Split at ``&&``, ``;``, ``|``...; drop redirections (``> log``, ``2>&1``, ``>/dev/null``)."""
    segments: list[list[_Word]] = [[]]
    skip = False
    for token in tokens:
        if isinstance(token, str):
            segments.append([])
        elif skip:
            skip = False
        elif token.bare_angle and _REDIRECT.match(token.text):
            skip = bool(_REDIRECT.fullmatch(token.text))  # "> log": the next word is the target
        else:
            segments[-1].append(token)
    return [s for s in segments if s]


def _install(words: list[_Word], tool_label: str, tool: str, where: str, cell: str, base: Path,
             repo: Path) -> Found:
    """One ``pip ...`` or ``conda ...`` invocation's arguments (after the program name)."""
    found = Found()
    source = f"{tool_label} in {cell}"
    while words and words[0].text.startswith("-"):  # global options before the subcommand
        words = words[1:]
    if not words or words[0].text != "install":
        return found
    conda = tool != "pip"
    args = iter(words[1:])
    for word in args:
        arg = word.text
        if not arg:
            continue
        if arg.startswith("-"):
            flag, _, value = arg.partition("=")
            if flag in (_CONDA_WITH_VALUE if conda else _WITH_VALUE) and not value:
                value = next(args, _Word("")).text
            if not conda:
                found.add(_pip_option(flag, value, source, where, base, repo))
        elif "{" in arg or "$" in arg:
            found.note(arg, source, "uses a notebook variable that is only known when the notebook "
                                    "runs; add the package to requirements.txt")
        elif conda:
            found.note(arg, source, "conda package; nb2service installs only pip packages (add it to "
                                    "requirements.txt if it is on PyPI)")
        elif re.match(r"^pip\b(?![-_.\w])", arg, re.IGNORECASE):
            continue  # upgrading pip itself
        else:
            if word.bare_angle:
                found.note(arg, source, "unquoted '>' or '<' is a shell redirection when the notebook runs; "
                                        f"taken as the requirement '{arg}' (quote it in the notebook)")
            found.add(parse_requirement(arg, source=source, kind="magic", where=where))
    return found


def _pip_option(flag: str, value: str, source: str, where: str, base: Path, repo: Path) -> Found:
    found = Found()
    if flag in ("-r", "--requirement"):
        path = (base / value).resolve()
        if value and path.is_file() and path.is_relative_to(repo.resolve()):
            return include(value, where=where, base=base, repo=repo, kind="magic", via=f" (via {source})",
                           seen=frozenset())
        found.note(value, source, "requirements file not found in the repository when the build "
                                  "starts; not read (add its packages to requirements.txt)")
    if flag in ("-e", "--editable"):
        found.note(value, source, "editable install (-e) ignored; nb2service does not install local "
                                  "or editable packages")
    elif flag in _INDEX:
        found.note(flag, source, f"option '{flag}' ignored: the installer gets index settings from "
                                 "nb2service's configuration")
    elif flag in ("-c", "--constraint"):
        found.note(value, source, "constraints file (-c) ignored")
    return found
