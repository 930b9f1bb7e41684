"""What a published page must not show a reader, as checks over its HTML text and its layout.

:func:`find_text_problems` reads a page's HTML (what the reader sees: the folded code, styles and
scripts left out) and names every Python repr, machine path, warning or traceback line, progress
bar, bare value, stderr block, image without alt text and paragraph shown twice.
:func:`find_layout_problems` judges the measurements a browser takes with :data:`MEASURE_LAYOUT_JS`
(a table wider than the page, an image shown smaller than it was saved). Both return one line per
problem, starting with its kind (``"repr: ..."``, ``"table too wide: ..."``), empty for a clean page;
``tests/test_commands_reproduce_pages.py`` runs them on every page of a smoke run.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

# (kind, pattern) over the visible text, one paragraph at a time
TEXT_PATTERNS = (
    ("repr", re.compile(r"\b(?:Profile|PosixPath|WindowsPath|PurePosixPath)\(|\bdtype(?:: ?\w|\()|<function |<bound method "
                        r"|\bobject at 0x[0-9a-fA-F]+|^Name: \S|\[\d+ rows x \d+ columns\]|\b\d+ rows × \d+ columns\b"
                        r"|\barray\(\[", re.M)),
    ("machine path", re.compile(r"(?<![\w.:/~-])/[A-Za-z_.][\w.-]*/[\w.-]+|\b[A-Za-z]:\\[\w.$-]|\bfile://")),
    ("warning", re.compile(r"\b\w*Warning:|\bWARNING\b|Traceback \(most recent call last\)|\bretracing\b"
                           r"|^[EWIF]\d{4} \d\d:\d\d:\d\d", re.M)),
    ("progress bar", re.compile(r"\d%\||\d(?:[a-z]+/s|s/[a-z]+)\b|[█▏▎▍▌▋▊▉]|\|\s*\d+/\d+ \[\d+:\d\d")),
)
SHORTEST_PARAGRAPH = 40  # characters: shorter repeats (headings, table cells, labels) are not prose shown twice
NO_ALT = "No description has been provided for this image"  # what nbconvert writes where an image has none
BLOCK_TAGS = frozenset("p li pre div h1 h2 h3 h4 h5 h6 td th tr table thead tbody blockquote section ul ol figure "
                       "figcaption nav main body details summary br hr dl dt dd".split())


class _VisibleText(HTMLParser):
    """Splits a page into the paragraphs a reader sees (text between block tags), its images and outputs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[tuple[str, bool]] = []  # (text, inside a table)
        self.images: list[dict] = []
        self.bare_values: list[str] = []
        self.stderr = 0
        self._buffer: list[str] = []
        self._hidden = 0  # depth inside <style>, <script>, <head> or the folded code
        self._code_depth = 0
        self._tables = 0
        self._bare_pending = False

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        if tag in BLOCK_TAGS:
            self._flush()
        if tag == "details":
            self._code_depth += 1 if (self._code_depth or "dncnn-code" in attrs.get("class", "")) else 0
        elif tag in ("style", "script", "head"):
            self._hidden += 1
        elif tag == "table":
            self._tables += 1
        elif tag == "img":
            self.images.append(attrs)
        mime, classes = attrs.get("data-mime-type", ""), attrs.get("class", "")
        if mime == "application/vnd.jupyter.stderr":
            self.stderr += 1
        if mime == "text/plain" and "jp-OutputArea-executeResult" in classes and not self._code_depth:
            self._bare_pending = True

    def handle_endtag(self, tag):
        if tag in BLOCK_TAGS:
            self._flush()
        if tag == "details" and self._code_depth:
            self._code_depth -= 1
        elif tag in ("style", "script", "head"):
            self._hidden = max(0, self._hidden - 1)
        elif tag == "table":
            self._tables = max(0, self._tables - 1)

    def handle_data(self, data):
        if not (self._hidden or self._code_depth):
            self._buffer.append(data)

    def _flush(self):
        text = "".join(self._buffer).strip("\n")
        self._buffer = []
        if text.strip():
            self.paragraphs.append((text, self._tables > 0))
            if self._bare_pending:
                self.bare_values.append(text.strip())
                self._bare_pending = False

    def close(self):
        super().close()
        self._flush()


def read_visible(html: str) -> _VisibleText:
    """Parse a page: ``.paragraphs`` (text, inside a table), ``.images`` (each ``<img>``'s attributes),
    ``.bare_values`` (plain-text results shown with an ``Out[n]`` prompt), ``.stderr`` (stderr blocks)."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser


def _snippet(text: str, start: int = 0) -> str:
    return repr(" ".join(text[max(0, start - 30):start + 70].split()))


def find_text_problems(html: str) -> list[str]:
    """Every repr, machine path, warning, progress bar, bare value, stderr block, image without alt text
    and repeated paragraph a reader sees on a page; ``[]`` for a clean one.

    Args:
        html: the whole page as written (the code folded in ``<details class="dncnn-code">`` is not
            read: it is one click away by design and may hold paths and names freely).

    Returns:
        One line per problem, ``"<kind>: <where>"``, kinds as in :data:`TEXT_PATTERNS` and
        ``"bare value"``, ``"stderr"``, ``"alt text"``, ``"duplicate paragraph"``.
    """
    page = read_visible(html)
    problems = []
    for text, _ in page.paragraphs:
        for kind, pattern in TEXT_PATTERNS:  # the first of each kind in a paragraph
            if match := pattern.search(text):
                problems.append(f"{kind}: {_snippet(text, match.start())}")
    problems += [f"bare value: {_snippet(value)} shown as a result (Out[n]) without words" for value in page.bare_values]
    problems += [f"stderr: {page.stderr} stderr block(s) on the page"] if page.stderr else []
    problems += [f"alt text: image {i} has {'none' if not image.get('alt') else repr(image['alt'])}"
                 for i, image in enumerate(page.images) if image.get("alt", "").strip() in ("", NO_ALT)]
    return problems + find_repeated_paragraphs(page.paragraphs)


def find_repeated_paragraphs(paragraphs: list[tuple[str, bool]]) -> list[str]:
    """``"duplicate paragraph: ..."`` for each paragraph of :data:`SHORTEST_PARAGRAPH` characters or
    more (whitespace normalised; table cells left out) that a page shows more than once."""
    counts = Counter(" ".join(text.split()) for text, in_table in paragraphs if not in_table)
    return [f"duplicate paragraph: shown {n} times: {_snippet(text)}"
            for text, n in counts.items() if n > 1 and len(text) >= SHORTEST_PARAGRAPH]


# Run in the browser (Selenium's execute_script) on an opened page; its result goes to find_layout_problems.
MEASURE_LAYOUT_JS = """
const root = document.documentElement, column = document.querySelector('main') || document.body;
const box = column.getBoundingClientRect(), style = getComputedStyle(column);
const columnRight = box.right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth);
return {
  viewport: root.clientWidth, page_width: root.scrollWidth, column_right: Math.round(columnRight),
  tables: Array.from(document.querySelectorAll('table')).map(t => ({
    right: Math.round(t.getBoundingClientRect().right), width: t.scrollWidth,
    container: t.parentElement.clientWidth, text: t.innerText.slice(0, 60)})),
  images: Array.from(document.images).map(i => ({
    complete: i.complete, natural_width: i.naturalWidth, natural_height: i.naturalHeight,
    shown_width: i.clientWidth, shown_height: i.clientHeight,
    right: Math.round(i.getBoundingClientRect().right), alt: i.alt})),
};
"""
SLACK_PX = 1  # rounding between layout and pixels


def find_layout_problems(layout: dict) -> list[str]:
    """Tables wider than the page and images not shown at the size they were saved, from the
    measurements of :data:`MEASURE_LAYOUT_JS` (CSS pixels; the page opened at the reader's width).

    Returns:
        One line per problem: ``"table too wide: ..."``, ``"image shrunk: ..."``, ``"image cut off: ..."``,
        ``"image not loaded: ..."``, ``"page too wide: ..."``; ``[]`` when all fit.
    """
    viewport, column = layout["viewport"], layout["column_right"]
    problems = []
    for i, table in enumerate(layout["tables"]):
        if table["right"] > min(column, viewport) + SLACK_PX or table["width"] > table["container"] + SLACK_PX:
            problems.append(f"table too wide: table {i} is {table['width']} px in a column of {table['container']} px "
                            f"(right edge {table['right']} px, page {column} px): {table['text']!r}")
    for i, image in enumerate(layout["images"]):
        name = f"image {i} ({image['alt'][:50]!r})"
        if not (image["complete"] and image["natural_width"] > 0):
            problems.append(f"image not loaded: {name}")
        elif image["shown_width"] + SLACK_PX < image["natural_width"] or image["shown_height"] + SLACK_PX < image["natural_height"]:
            problems.append(f"image shrunk: {name} saved {image['natural_width']}x{image['natural_height']} px, "
                            f"shown {image['shown_width']}x{image['shown_height']} px")
        elif image["right"] > viewport + SLACK_PX:
            problems.append(f"image cut off: {name} ends at {image['right']} px, the window at {viewport} px")
    if layout["page_width"] > viewport + SLACK_PX:
        problems.append(f"page too wide: {layout['page_width']} px in a window of {viewport} px (it scrolls sideways)")
    return problems


def find_page_problems(html: str, *, layout: dict | None = None) -> list[str]:
    """:func:`find_text_problems` of a page, and :func:`find_layout_problems` of its measured layout when given."""
    return find_text_problems(html) + (find_layout_problems(layout) if layout is not None else [])
