"""Reading a study's YAML file: duplicate keys refused, YAML 1.2 floats, one-line errors with file, line and column."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """A config that the study refuses; the message names every problem and what is allowed."""


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A key that appears twice in one YAML mapping."""


class StudyLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses duplicate keys and reads 1e-4, 1E5 and .5e3 as floats."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """A mapping, after checking that none of its own keys repeats (keys merged in with `<<`
        may be overridden: that is what a merge is for)."""
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                seen = key in first_line
            except TypeError:  # an unhashable key: the base class names it
                continue
            if seen:
                raise DuplicateKeyError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {first_line[key] + 1}); a key may appear once in a mapping",
                    key_node.start_mark,
                )
            first_line[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


# YAML 1.2's float syntax. Integers keep their own resolver, which is tried first.
StudyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)

_KINDS = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
    type(None): "null",
}
TYPE_WORDS = {  # a JSON schema type, in words (config's messages)
    "integer": "an integer",
    "number": "a finite number",
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


def kind_of(value: Any) -> str:
    """What a YAML value is, in words: "a list", "an integer"."""
    return _KINDS.get(type(value), f"a {type(value).__name__}")


def _line_column(text: str | bytes, offset: int) -> str:
    """ "line:column" (both from 1) of the character or byte at `offset` of `text`."""
    newline = "\n" if isinstance(text, str) else b"\n"
    return f"{text.count(newline, 0, offset) + 1}:{offset - text.rfind(newline, 0, offset)}"


def _yaml_problem(error: yaml.YAMLError, text: str) -> str:
    """ ":line:column: what is wrong" of a YAML error in `text` (": what is wrong" where it has no
    position), on one line, to follow the file's name."""
    if isinstance(error, yaml.reader.ReaderError):
        return (
            f":{_line_column(text, error.position)}: not valid YAML: unacceptable character "
            f"#x{error.character:04x}: {error.reason}"
        )
    mark = error.problem_mark or error.context_mark
    where = f":{mark.line + 1}:{mark.column + 1}: " if mark else ": "
    if isinstance(error, DuplicateKeyError):
        return where + error.problem
    problem = error.problem or error.context
    if error.context and error.problem and error.context_mark:
        problem += f" ({error.context} at line {error.context_mark.line + 1})"
    return f"{where}not valid YAML: {problem}"


def _parse_yaml(text: str, *, name: str) -> tuple[Any, yaml.Mark | None]:
    """The document in `text` and where it starts; a YAML error is a ConfigError "name:line:column: problem"."""
    try:
        loader = StudyLoader(text)  # refuses unprintable characters already
        try:
            node = loader.get_single_node()
            return (loader.construct_document(node), node.start_mark) if node is not None else (None, None)
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        raise ConfigError(name + _yaml_problem(error, text)) from None


def read_config(path: str | os.PathLike) -> dict[str, Any]:
    """The mapping in the YAML (or JSON) file `path`; an empty file is {}.

    A file that cannot be read, is not UTF-8, is not valid YAML, repeats a key or holds
    something other than a mapping raises ConfigError with one line: the file, the line and
    what is wrong.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}:{_line_column(data, error.start)}: not UTF-8 text (byte 0x{data[error.start]:02x}); "
            f"save the file as UTF-8"
        ) from None
    config, start = _parse_yaml(text, name=str(path))
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ConfigError(
            f"{path}:{start.line + 1}:{start.column + 1}: the file holds {kind_of(config)}; "
            f"a study config is a mapping of keys (datasets, seeds, variants, ...)"
        )
    return config


def read_override(entry: str) -> tuple[str, Any]:
    """(key, value) of one `snakemake --config key=value` entry, its value read as a config file's is."""
    key, _, text = entry.partition("=")
    value, _ = _parse_yaml(text, name=f"--config {key}")
    return key, value
