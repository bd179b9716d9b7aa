"""Hooks of this documentation site (``mkdocs.yml``: ``hooks``).

``veeam-em --help`` shows its examples as a line such as ``Examples:`` followed by
indented command lines, kept as written by click's ``\\b`` marker. mkdocs-click
copies the help text into the page as Markdown, where those lines would run
together into one paragraph. :class:`ClickExamples` turns each such block into a
line and a code block, one command a line.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

#: After mkdocs-click writes the help text (141), before fenced code is read (25).
PRIORITY = 100
#: A line that introduces indented lines in click's help ("Examples:", "Example:").
INTRO = re.compile(r"^[A-Z][\w ]*:$")


def _indented(line: str) -> bool:
    return line.startswith("  ") and bool(line.strip())


class ClickExamples(Preprocessor):
    """An ``Examples:`` line and the indented lines under it, as a code block."""

    def run(self, lines: list[str]) -> list[str]:
        lines = "\n".join(lines).split("\n")  # mkdocs-click hands some lines joined
        out: list[str] = []
        fenced = False
        index = 0
        while index < len(lines):
            line = lines[index]
            if line.lstrip().startswith("```"):
                fenced = not fenced
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if fenced or not INTRO.match(line) or not _indented(following):
                out.append(line)
                index += 1
                continue
            block: list[str] = []
            index += 1
            while index < len(lines) and _indented(lines[index]):
                block.append(lines[index])
                index += 1
            code = textwrap.dedent("\n".join(block)).splitlines()
            out.extend([line, "", "```bash", *code, "```", ""])
        return out


class ClickExamplesExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Markdown's name
        md.preprocessors.register(ClickExamples(md), "click_examples", PRIORITY)


def on_config(config: Any) -> Any:
    config.markdown_extensions.append(ClickExamplesExtension())
    return config
