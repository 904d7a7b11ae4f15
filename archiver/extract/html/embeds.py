"""Embedded social posts kept visible to the main-text extractor.

A post embedded in an article (a <blockquote class="twitter-tweet"> and its kin: the text of
the post, its author and its permalink, which the embed script later turns into a card) is
part of what the article says, and its permalink is a source the story cites. Its wrapper,
though, usually carries a class such as "social-media-embed" or "article-widget", which the
extractor reads as a share bar or a widget and drops with the post inside. So the class and id
of the wrappers that hold nothing but the post are removed before extraction; the post's own
markup is left as it is.
"""

from __future__ import annotations

import lxml.etree
import lxml.html

# The class names the big platforms' embed codes give the quoted post.
_EMBEDDED_POST = lxml.etree.XPath(
    "//blockquote[contains(@class, 'twitter-tweet') or contains(@class, 'twitter-video')"
    " or contains(@class, 'instagram-media') or contains(@class, 'tiktok-embed')"
    " or contains(@class, 'bluesky-embed') or contains(@class, 'mastodon-embed')"
    " or contains(@class, 'threads-post') or contains(@class, 'fb-xfbml-parse-ignore')"
    " or contains(@class, 'reddit-embed-bq')]"
)
_TEXT_LENGTH = lxml.etree.XPath("string-length(normalize-space(.))")
MAX_POSTS = 100
MAX_WRAPPER_LEVELS = 4
# A wrapper holds nothing but the post when its text is at most this much longer (a caption
# line, "Advertisement", a "View on Twitter" link).
_WRAPPER_SLACK = 1.2
_WRAPPER_EXTRA_CHARS = 40


def _length(element: lxml.html.HtmlElement) -> float:
    value = _TEXT_LENGTH(element)
    return value if isinstance(value, float) else 0.0


def unhide_embedded_posts(tree: lxml.html.HtmlElement) -> int:
    """Strip class and id from the wrappers of embedded posts; returns the posts seen."""
    posts = _EMBEDDED_POST(tree)[:MAX_POSTS]
    for post in posts:
        own = _length(post)
        if own == 0:
            continue
        wrapper = post.getparent()
        for _ in range(MAX_WRAPPER_LEVELS):
            if wrapper is None or wrapper.tag in ("body", "article", "main", "html"):
                break
            if _length(wrapper) > own * _WRAPPER_SLACK + _WRAPPER_EXTRA_CHARS:
                break
            for attribute in ("class", "id"):
                wrapper.attrib.pop(attribute, None)
            wrapper = wrapper.getparent()
    return len(posts)
