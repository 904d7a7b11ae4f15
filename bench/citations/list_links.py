#!/usr/bin/env python3
"""List every link of a development-set page with the text around it, for labelling citations
by hand (bench/citations/README.md). It reads the page with lxml alone and never runs
archiver's citation code, so that what it shows does not lean towards what story mode cites.

Each link is listed once, in document order, with its text (the longest text any of its
anchors has: a picture's link and its headline's link share one address), the element path
above it and the text around it; a link whose text around it is found in the set's own main
text (the `text` of the manifest, where there is one) is marked "B" and shown in full. Frames
and posts rendered by their script (`data-tweet-id`) are listed too: an embedded post's
permalink is a citation even when the page holds no anchor for it.

    python bench/citations/list_links.py [--dev-set DIR] [--all-nav] PAGE_ID...
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path
from urllib.parse import urljoin

import lxml.html

DEFAULT_DEV_SET = Path(__file__).resolve().parents[3] / "shared" / "extraction-dev"
_BLOCKS = frozenset({"p", "li", "td", "dd", "dt", "figcaption", "blockquote", "h1", "h2", "h3",
                     "h4", "h5", "h6", "div", "section", "article", "aside", "caption", "pre"})
_SKIPPED = ("javascript:", "mailto:", "#", "tel:")
_CHARSET = re.compile(rb"charset=[\"']?([\w-]+)")
_CONTEXT_CHARS = 300


def words(text: str | None) -> str:
    return " ".join((text or "").split())


def decode(raw: bytes) -> str:
    """The page's text by its declared charset, else UTF-8, else Windows-1251, else Latin-1."""
    declared = _CHARSET.search(raw[:4000])
    for encoding in ([declared.group(1).decode()] if declared else []) + ["utf-8", "cp1251"]:
        try:
            return re.sub(r"^<\?xml[^>]*>", "", raw.decode(encoding))
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("latin-1")


def address_of(tree: lxml.html.HtmlElement, url: str | None) -> str:
    """What links resolve against, as a browser resolves them: the page's <base> (itself
    resolved against the page's URL), else its URL, else its canonical link or og:url."""
    for base in tree.xpath("//base/@href"):
        if str(base).strip():
            return urljoin(url or "", str(base).strip())
    if url:
        return url
    for path in ("//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"):
        found = tree.xpath(path)
        if found:
            return str(found[0])
    return ""


def label(element: lxml.html.HtmlElement) -> str:
    names = words(element.get("class"))[:25].replace(" ", ".")
    ident = words(element.get("id"))[:20]
    return element.tag + (f"#{ident}" if ident else "") + (f".{names}" if names else "")


def context(anchor: lxml.html.HtmlElement) -> str:
    """The text of the smallest block around the link that says more than the link itself."""
    own = words(anchor.text_content())
    element = anchor
    while element.getparent() is not None:
        element = element.getparent()
        text = words(element.text_content())
        if element.tag in _BLOCKS and len(text) > len(own) + 10:
            if len(text) <= _CONTEXT_CHARS:
                return text
            at = text.find(own) if own else -1
            return ("…" + text[max(0, at - 140):at + len(own) + 100] + "…") if at >= 0 \
                else text[:_CONTEXT_CHARS]
    return own


def list_page(dev_set: Path, record: dict[str, str], all_nav: bool = False) -> list[str]:
    raw = gzip.decompress((dev_set / "data" / "html" / f"{record['id']}.html.gz").read_bytes())
    tree = lxml.html.fromstring(decode(raw))
    for unseen in tree.xpath("//script|//style"):
        unseen.drop_tree()
    address = address_of(tree, record.get("url"))
    body = words(record.get("text"))
    lines = [f"== {record['id']} | {address} | {words(' '.join(tree.xpath('//title//text()')))}",
             f"   main text begins: {body[:300]}"]
    longest: dict[str, str] = {}
    for anchor in tree.iter("a"):
        target = urljoin(address, (anchor.get("href") or "").strip())
        text = words(anchor.text_content())
        if len(text) > len(longest.get(target, "")):
            longest[target] = text
    seen: set[str] = set()
    in_nav = 0
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        kind, href = "a", None
        if element.tag == "a":
            href = element.get("href")
        elif element.get("data-tweet-id"):  # a post its script has rendered (often a frame)
            kind, href = "post", "https://twitter.com/i/status/" + element.get("data-tweet-id")
        elif element.tag == "iframe":
            kind, href = "frame", element.get("src") or element.get("data-src")
        elif element.tag == "blockquote" and element.get("cite"):
            kind, href = "quote", element.get("cite")
        href = (href or "").strip()
        if not href or href.startswith(_SKIPPED):
            continue
        target = urljoin(address, href)
        if not all_nav and any(ancestor.tag == "nav" for ancestor in element.iterancestors()):
            in_nav += 1
            continue
        if target in seen:
            continue
        seen.add(target)
        text = longest.get(target, "") if kind == "a" else ""
        if not text and element.find(".//img") is not None:
            text = "[picture " + words(element.find(".//img").get("alt"))[:40] + "]"
        around = context(element)
        in_body = bool(body) and len(around) >= 25 and around.strip("…")[:60] in body
        path = "/".join(label(a) for a in reversed(list(element.iterancestors())[:4]))
        if in_body or kind != "a":
            lines.append(f"{len(seen):3}B [{kind}] {target}\n      text: {text!r}\n"
                         f"      in: {path}\n      around: {around!r}" if in_body else
                         f"{len(seen):3}  [{kind}] {target}\n      in: {path}")
        else:
            lines.append(f"{len(seen):3}  {target[:110]} | {text[:50]!r} | {path[-60:]}")
    lines.append(f"({in_nav} links inside <nav> not shown; --all-nav shows them)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ids", nargs="+", help="page ids of the manifest")
    parser.add_argument("--dev-set", type=Path, default=DEFAULT_DEV_SET)
    parser.add_argument("--all-nav", action="store_true", help="list links inside <nav> too")
    args = parser.parse_args(argv)
    manifest = args.dev_set / "data" / "manifest.jsonl"
    if not manifest.is_file():
        print(f"list_links: no extraction-dev set at {args.dev_set} (use --dev-set DIR)",
              file=sys.stderr)
        return 2
    records = {}
    for line in manifest.read_text("utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            records[record["id"]] = record
    for page_id in args.ids:
        if page_id not in records:
            print(f"list_links: no page {page_id!r} in {manifest}", file=sys.stderr)
            return 2
        print("\n".join(list_page(args.dev_set, records[page_id], args.all_nav)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
