"""A small, forgiving HTML tree on the standard library's ``html.parser``: enough to find elements by
tag, class and ``href`` and to read their text. Scripts and styles are dropped; nothing is run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
BLOCKS = frozenset("p div li ul ol h1 h2 h3 h4 h5 h6 br tr table section article blockquote pre".split())
SKIP = frozenset({"script", "style", "template", "noscript"})


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def walk(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.walk()

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        return [n for n in self.walk() if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)]

    def find(self, tag: str | None = None, cls: str | None = None) -> Node | None:
        return next((n for n in self.walk() if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)),
                    None)

    def text(self) -> str:
        """The text inside, on one line, whitespace collapsed."""
        return " ".join(self._pieces(lines=False).split())

    def paragraphs(self) -> str:
        """The text inside with a line break between blocks (paragraphs, list items, headings)."""
        lines = (" ".join(line.split()) for line in self._pieces(lines=True).split("\n"))
        return "\n".join(line for line in lines if line)

    def _pieces(self, lines: bool) -> str:
        out: list[str] = []
        for child in self.children:
            if isinstance(child, str):
                out.append(child)
            else:
                inner = child._pieces(lines)
                out.append(f"\n{inner}\n" if lines and child.tag in BLOCKS else f" {inner} " if child.tag in BLOCKS
                           else inner)
        return "".join(out)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP:
            self.skipping += 1
            return
        if self.skipping:
            return
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skipping and tag not in SKIP:
            self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP:
            self.skipping = max(self.skipping - 1, 0)
            return
        if self.skipping:
            return
        for i in range(len(self.stack) - 1, 0, -1):  # close up to the matching open tag; ignore strays
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
