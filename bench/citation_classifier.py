#!/usr/bin/env python3
"""Experiment: does a small learned decision over the citation pass's own signals generalise
to sites it never saw better than the hand-ordered rules?

For every link the story pass considers on every labelled page (bench/citations/labels.json),
a feature vector is read from signals the pass already computes (each rule's verdict taken
alone, not in the rules' order: region and main-text membership, sources lists, captions,
embeds, boxes by class words, the line's "related"/promo words, the address's kind, same site
or not, where the link sits against the headline and the story's paragraphs, how much of its
block is links, the anchor's length and whether it is the whole block, list shape, the area of
the page), with the label: its URL is one of the page's labelled citations or not. The rules'
own decision is what `select_in_page` cites; the features never change it (a subclass of the
pass records them as it judges).

Models (scikit-learn, the bench's only use of it): logistic regression and shallow gradient
boosted trees, each with and without the rules' own reason as a feature. Cross-validation never
tests on what it trained on: leave one split out (7 folds), and leave sites out (pages grouped
by site, 10 folds; no site is ever on both sides). The operating point (a score threshold) is
chosen on the training folds only, by an inner leave-sites-out cross-validation: the highest
threshold whose inner out-of-fold recall is at least --recall (0.98). Scored as
citation_bench.py scores (URL sets per page, a URL cited when any of its links is), pooled over
the test folds, beside the rules' score on the same pages.

`--code DIR` reads the citation pass from another checkout (e.g. `git archive 513aa20
archiver | tar -x -C DIR`): with the code as it was before a split was tuned on, `--train
SPLITS --test SPLIT` is a first-sight comparison (rules as they were vs a model over the same
code's signals, trained on the earlier splits).

    PYTHONPATH=$PWD python bench/citation_classifier.py [--dev-set DIR] [--cv split|site|both]
        [--code DIR] [--train dev,heldout1,... --test heldout5] [--features cache.json]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent


def _code_path(argv: list[str]) -> None:
    """Import archiver from --code DIR when given (before anything imports it)."""
    if "--code" in argv:
        sys.path.insert(0, str(Path(argv[argv.index("--code") + 1]).resolve()))
    else:
        sys.path.insert(0, str(BENCH_DIR.parent))
    sys.path.insert(1, str(BENCH_DIR))


# -- features --------------------------------------------------------------------------------

_REASON_GROUPS = (
    ("embed", "embedded post"), ("offscreen", "off the screen"),
    ("self", "within the story"), ("otherview", "another page or view"),
    ("share", "share link"), ("subscribe", "subscribe link"), ("sponsored", "sponsored"),
    ("above", "above the headline"), ("outside", "outside the main text"),
    ("image", "image"), ("notext", "no text"), ("email", "e-mail"),
    ("box", "inside the article,"), ("styled", "styled as"), ("video", "video player"),
    ("related", "related"), ("promo", "promo"), ("tagline", "tag or topic list"),
    ("standards", "standards"), ("pager", "previous or next"), ("gallery", "gallery"),
    ("cut", "cut short"), ("ownlist", "site's own stories"), ("profile", "social profile"),
    ("teaser", "teaser"), ("home", "home page"), ("tag", "tag or topic page"),
    ("author", "author page"), ("service", "service pages"), ("account", "account"),
    ("reference", "reference entry"), ("topic", "topic page"), ("hashtag", "hashtag"),
    ("relative", "relative link"),
)


def reason_group(reason: str | None) -> str:
    if reason is None:
        return "cited"
    lowered = reason.lower()
    for name, words in _REASON_GROUPS:
        if words in lowered:
            return name
    return "other"


_BLOCK_TAGS = ("p", "li", "div", "td", "h", "dd", "span", "other")
_AREAS = ("navigation", "the page header", "the page footer", "a side box", "related stories",
          "a share bar", "comments", "a newsletter box", "a tag list", "breadcrumbs",
          "the byline", "a form", "the page")


def make_reader_class() -> type:
    """A subclass of the pass that records, for each link it judges, the signals it reads
    (each taken alone) beside its own decision, which it leaves as it is."""
    from archiver.story import citation_region as cr
    from archiver.story.link_kinds import host_of, page_kind
    from archiver.story.page_links import area_of

    words = cr  # the pass imports its word lists; read them where it does

    class Recorder(cr._Reader):  # type: ignore[misc,name-defined]
        def read(self):  # type: ignore[no-untyped-def]
            self.records: list[dict[str, Any]] = []
            self.href_count: Counter[str] = Counter(
                (a.get("href") or "").strip() for a in self.tree.iter("a"))
            found = super().read()
            return found

        def _judge(self, anchor, url, text, in_main):  # type: ignore[no-untyped-def]
            reason = super()._judge(anchor, url, text, in_main)
            try:
                features = self._signals(anchor, url, text, in_main)
            except Exception as error:  # a signal an older pass lacks: recorded, not fatal
                features = {"error": 1.0}
                print(f"  feature error: {type(error).__name__}: {error}", file=sys.stderr)
            self.records.append({"href": (anchor.get("href") or "").strip(), "url": url,
                                 "reason": reason, "features": features})
            return reason

        def _signals(self, anchor, url, text, in_main):  # type: ignore[no-untyped-def]
            def ok(signal, default=False):  # type: ignore[no-untyped-def]
                try:  # a signal an older pass does not compute yet reads as absent
                    return signal()
                except AttributeError:
                    return default

            f: dict[str, float] = {}
            order = self.order.get(anchor, 0)
            total_order = max(1, len(self.order))
            in_region = self._within(anchor, self.region)
            in_scope = in_region or self._within(anchor, self.scope)
            f["in_main"] = float(in_main)
            f["in_region"] = float(in_region)
            f["region_reliable"] = float(getattr(self, "region_reliable", True))
            f["in_scope"] = float(in_scope)
            f["in_sources"] = float(ok(lambda: self._in_sources(anchor)))
            f["caption"] = float(ok(lambda: self._caption(anchor, in_scope)))
            embed = self._embed_of(anchor)
            f["in_embed"] = float(embed is not None)
            f["embed_permalink"] = float(embed is not None and url is not None
                                         and url == self.embeds.get(embed))
            f["off_screen"] = float(bool(getattr(cr, "_off_screen", lambda a: False)(anchor)))
            f["sponsored"] = float("sponsored" in (anchor.get("rel") or "").lower().split())
            f["above_headline"] = float(self._above_headline(anchor))
            f["has_headline"] = float(self.headline is not None)
            f["before_text"] = float(order < self.text_start)
            f["after_text"] = float(order > self.text_end)
            span = max(1, self.text_end - self.text_start)
            f["text_position"] = max(-1.0, min(2.0, (order - self.text_start) / span))
            f["doc_position"] = order / total_order
            f["no_text"] = float(not text)
            f["has_img"] = float(anchor.find(".//img") is not None)
            f["anchor_chars_log"] = math.log1p(len(text))
            f["anchor_words"] = min(30.0, float(len(text.split())))
            f["href_repeats_log"] = math.log1p(self.href_count.get(
                (anchor.get("href") or "").strip(), 1) - 1)
            block = self._block(anchor)
            block_text = self.text(block)
            f["block_chars_log"] = math.log1p(len(block_text))
            f["block_link_share"] = min(1.0, self._link_share(block))
            f["anchor_whole_block"] = float(bool(text) and len(text) >= 0.85 * len(block_text))
            f["block_anchors_log"] = math.log1p(sum(1 for _ in block.iter("a")))
            parent = block.getparent()
            f["parent_link_share"] = (min(1.0, self._link_share(parent))
                                      if parent is not None else 0.0)
            tag = cr._tag(block)
            tag = "h" if re.fullmatch(r"h[1-6]", tag) else tag
            for name in _BLOCK_TAGS:
                f[f"block_{name}"] = float(tag == name or (name == "other"
                                                           and tag not in _BLOCK_TAGS))
            ancestors = list(anchor.iterancestors())
            f["in_list"] = float(any(cr._tag(a) in ("ul", "ol") for a in ancestors[:4]))
            f["in_table"] = float(any(cr._tag(a) == "table" for a in ancestors))
            f["in_aside_tag"] = float(any(cr._tag(a) == "aside" for a in ancestors))
            f["list_heading"] = float(ok(lambda: self._list_heading(block) is not None))
            f["lone_headline"] = float(url is not None
                                       and ok(lambda: self._lone_headline(block, url)))
            f["headline_run"] = float(url is not None
                                      and ok(lambda: self._headline_run(block, url)))
            f["related_start"] = float(bool(words.RELATED_START.match(block_text)))
            f["promo_words"] = float(bool(words.PROMO.search(block_text))
                                     and len(block_text) <= 320)
            f["anchor_class_hint"] = float(bool(words.BOX_HINTS[0][0].search(cr._names(anchor))))
            stop = self.region if in_region else None
            box = ok(lambda: self._box(anchor, stop), None)
            f["box_any"] = float(box is not None)
            for _pattern, what in words.BOX_HINTS:
                f[f"box_{what[:24]}"] = float(box == what)
            f["area_" + area_of(anchor)[:20]] = 1.0
            host = host_of(url) if url else ""
            f["same_site"] = float(bool(url) and self._same_site(host))
            f["site_known"] = float(bool(self.site))
            if url:
                path = urlsplit(url).path
                segments = [s for s in path.split("/") if s]
                f["path_depth"] = min(8.0, float(len(segments)))
                f["path_has_year"] = float(bool(re.search(r"(?:19|20)\d\d", path)))
                f["path_digits"] = float(bool(re.search(r"\d{4,}", path)))
                f["path_last_dashes"] = min(12.0, float(segments[-1].count("-"))
                                            if segments else 0.0)
                f["has_query"] = float(bool(urlsplit(url).query))
                f["document"] = float(bool(words.DOCUMENT_PATH.search(path)))
                f["permalink"] = float(bool(words.PERMALINK.search(url)))
                f["social_profile"] = float(bool(words.SOCIAL_PROFILE.match(url)))
                kind = page_kind(url, text, self.site)
                f["kind_" + reason_group(kind)] = 1.0 if kind else 0.0
                f["kind_any"] = float(kind is not None)
                f["self_or_service"] = float(ok(lambda: self._self_or_service(url) is not None))
                f["credit_line"] = float(ok(lambda: self._credit_line(anchor, url, in_scope)))
                line = ok(lambda: self._line_reason(anchor, url, text), None)
                f["line_" + reason_group(line)] = 1.0 if line else 0.0
                f["line_any"] = float(line is not None)
            else:
                f["no_url"] = 1.0
            return f

    return Recorder


def page_records(html: str, url: str | None, reader_class: type) -> list[dict[str, Any]]:
    """Every candidate link of a page with its features, the rules' reason and whether
    story mode (the rules) cites it; links added without an anchor (an embed's permalink
    from its attributes, a main-text link not found in the page) too."""
    from archiver.story import citation_region as cr
    from archiver.story.citations import link_target

    try:
        from archiver.extract.html.extraction import extract_html
    except ImportError:  # an older checkout: one module
        from archiver.extract.html import extract_html  # type: ignore[attr-defined,no-redef]
    extraction = extract_html(html, url)
    main_links = [link.to_dict() for link in extraction.links]
    parse_html, base_url = cr.parse_html, cr.base_url  # where the pass found them
    tree = parse_html(html or "").tree
    if tree is None:
        return []
    address = cr.page_address(tree, url)
    reader = reader_class(tree, address, base_url(tree, address), extraction.text, main_links)
    found = reader.read()
    by_href: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in reader.records:
        by_href[record["href"]].append(record)
    story = address
    records = []
    for link in found.links:
        pending = by_href.get(link.href.strip())
        if pending:
            record = pending.pop(0)
        else:  # not an anchor the pass judged: an embed's permalink or a main-text link alone
            kind = "embed_attr" if link.text == "embedded post" else "main_only"
            record = {"href": link.href, "url": link.url, "reason": link.reason,
                      "features": {f"added_{kind}": 1.0}}
        target, drop = link_target(link.href, link.url or link.href,
                                   story.split("#")[0] if story else None)
        if target is None or drop is not None:
            continue  # never capturable: neither the rules nor a model can cite it
        record["target"] = target
        record["rule_cited"] = link.reason is None
        records.append(record)
    return records


def collect(dev_set: Path, labels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from citation_bench import read_page, source_key
    from publicsuffixlist import PublicSuffixList

    from archiver.story.link_kinds import host_of

    suffixes = PublicSuffixList()

    def site_of(host: str) -> str:  # the same grouping whatever checkout is read
        return suffixes.privatesuffix(host) or host

    manifest = {}
    for line in (dev_set / "data" / "manifest.jsonl").read_text("utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            manifest[record["id"]] = record
    reader_class = make_reader_class()
    pages = []
    started = time.perf_counter()
    for page in labels:
        html = read_page(dev_set, page["id"])
        url = manifest[page["id"]].get("url") or None
        records = page_records(html, url, reader_class)
        expected = {source_key(u) for u in page["citations"]}
        from archiver.story import citation_region as cr

        address = cr.page_address(cr.parse_html(html).tree, url)
        site = site_of(host_of(address)) if address else page["id"]
        for record in records:
            record["key"] = source_key(record["target"])
            record["label"] = record["key"] in expected
        pages.append({"id": page["id"], "split": page["split"], "site": site,
                      "expected": sorted(expected), "records": records})
    print(f"features: {len(pages)} pages, {sum(len(p['records']) for p in pages)} links, "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return pages


# -- scoring ---------------------------------------------------------------------------------

def page_scores(page: dict[str, Any], scores: list[float]) -> dict[str, float]:
    """Each URL's score on a page: its best link's."""
    best: dict[str, float] = {}
    for record, score in zip(page["records"], scores, strict=True):
        best[record["key"]] = max(best.get(record["key"], -1.0), score)
    return best


def count(pages: list[dict[str, Any]], chosen: list[set[str]]) -> tuple[int, int, int]:
    found = expected = correct = 0
    for page, predicted in zip(pages, chosen, strict=True):
        wanted = set(page["expected"])
        found += len(predicted)
        expected += len(wanted)
        correct += len(predicted & wanted)
    return found, expected, correct


def prf(found: int, expected: int, correct: int) -> tuple[float, float, float]:
    p = correct / found if found else 1.0
    r = correct / expected if expected else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def rules_sets(pages: list[dict[str, Any]]) -> list[set[str]]:
    return [{r["key"] for r in page["records"] if r["rule_cited"]} for page in pages]


def threshold_for_recall(pages: list[dict[str, Any]], url_scores: list[dict[str, float]],
                         recall: float) -> float:
    """The highest threshold at which the pages' pooled recall is at least `recall`."""
    positives = sorted((score for page, scores in zip(pages, url_scores, strict=True)
                        for key, score in scores.items() if key in set(page["expected"])),
                       reverse=True)
    expected = sum(len(page["expected"]) for page in pages)
    need = math.ceil(recall * expected)
    if need <= 0 or not positives:
        return 0.5
    if need > len(positives):
        return min(positives) - 1e-9  # the ceiling: every labelled URL the pass sees
    return positives[need - 1] - 1e-9


# -- models ----------------------------------------------------------------------------------

def matrix(pages: list[dict[str, Any]], names: list[str], use: str
           ) -> tuple[Any, Any]:
    import numpy as np

    rows, labels = [], []
    for page in pages:
        for record in page["records"]:
            feats = record["features"]
            row = [feats.get(name, 0.0) for name in names]
            if use != "signals":
                group = reason_group(record["reason"])
                row += [float(group == g) for g in RULE_GROUPS]
            rows.append(row)
            labels.append(int(record["label"]))
    return np.array(rows, dtype=float), np.array(labels)


USES = {"signals": "signals alone", "reasons": "signals and the rules' reasons",
        "veto": "a veto over the rules' citations"}
RULE_GROUPS = ["cited", *[name for name, _ in _REASON_GROUPS], "other"]


def make_model(kind: str) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=2000))
    return HistGradientBoostingClassifier(max_depth=3, max_iter=150, learning_rate=0.1,
                                          min_samples_leaf=20, l2_regularization=1.0,
                                          random_state=0)


def fit_score(train: list[dict[str, Any]], test: list[dict[str, Any]], names: list[str],
              kind: str, use: str) -> list[dict[str, float]]:
    x_train, y_train = matrix(train, names, use)
    model = make_model(kind).fit(x_train, y_train)
    scores = []
    for page in test:
        if not page["records"]:
            scores.append({})
            continue
        x_test, _ = matrix([page], names, use)
        predicted = list(model.predict_proba(x_test)[:, 1])
        if use == "veto":  # the model may only leave out what the rules cite
            predicted = [score if record["rule_cited"] else -1.0
                         for record, score in zip(page["records"], predicted, strict=True)]
        scores.append(page_scores(page, predicted))
    return scores


def site_folds(pages: list[dict[str, Any]], folds: int) -> list[list[int]]:
    """Pages grouped by site into `folds` folds of about equal size (deterministic)."""
    by_site: dict[str, list[int]] = defaultdict(list)
    for index, page in enumerate(pages):
        by_site[page["site"]].append(index)
    groups = sorted(by_site.values(), key=lambda g: (-len(g), pages[g[0]]["id"]))
    bins: list[list[int]] = [[] for _ in range(min(folds, len(groups)))]
    for group in groups:
        min(bins, key=len).extend(group)
    return bins


def operating_point(train: list[dict[str, Any]], names: list[str], kind: str, use: str,
                    recall: float) -> float:
    """The threshold chosen on the training pages alone: inner leave-sites-out out-of-fold
    scores, the highest threshold keeping their recall at `recall`."""
    inner = site_folds(train, 5)
    oof: list[dict[str, float]] = [{} for _ in train]
    for fold in inner:
        held = set(fold)
        fitted = fit_score([p for i, p in enumerate(train) if i not in held],
                           [train[i] for i in fold], names, kind, use)
        for index, scores in zip(fold, fitted, strict=True):
            oof[index] = scores
    return threshold_for_recall(train, oof, recall)


def cross_validate(pages: list[dict[str, Any]], folds: list[tuple[str, list[int]]],
                   names: list[str], kind: str, use: str, recall: float
                   ) -> dict[str, Any]:
    rows = []
    all_chosen: list[set[str]] = [set() for _ in pages]
    all_scores: list[dict[str, float]] = [{} for _ in pages]
    for name, fold in folds:
        held = set(fold)
        train = [p for i, p in enumerate(pages) if i not in held]
        test = [pages[i] for i in fold]
        threshold = operating_point(train, names, kind, use, recall)
        scores = fit_score(train, test, names, kind, use)
        chosen = [{key for key, s in page.items() if s > threshold} for page in scores]
        for index, picked, scored in zip(fold, chosen, scores, strict=True):
            all_chosen[index] = picked
            all_scores[index] = scored
        model = prf(*count(test, chosen))
        rules = prf(*count(test, rules_sets(test)))
        rows.append((name, len(test), sum(len(p["expected"]) for p in test), threshold,
                     model, rules))
    pooled = prf(*count(pages, all_chosen))
    rules = prf(*count(pages, rules_sets(pages)))
    oracle = threshold_for_recall(pages, all_scores, recall)
    at_oracle = prf(*count(pages, [{k for k, s in sc.items() if s > oracle}
                                   for sc in all_scores]))
    return {"folds": rows, "pooled": pooled, "rules": rules, "oracle": at_oracle}


def feature_names(pages: list[dict[str, Any]]) -> list[str]:
    return sorted({name for page in pages for record in page["records"]
                   for name in record["features"]})


def show(title: str, result: dict[str, Any]) -> None:
    print(f"\n{title}")
    print(f"  {'fold':28} {'pages':>5} {'labels':>6} {'thr':>5}  {'model P / R / F1':22} "
          f"{'rules P / R / F1':22}")
    for name, n, labelled, threshold, model, rules in result["folds"]:
        print(f"  {name[:28]:28} {n:5} {labelled:6} {threshold:5.2f}  "
              f"{model[0]:.3f} / {model[1]:.3f} / {model[2]:.3f}   "
              f"{rules[0]:.3f} / {rules[1]:.3f} / {rules[2]:.3f}")
    m, r, o = result["pooled"], result["rules"], result["oracle"]
    print(f"  pooled: model {m[0]:.3f} / {m[1]:.3f} / {m[2]:.3f}   rules {r[0]:.3f} / "
          f"{r[1]:.3f} / {r[2]:.3f}   (model at the pooled recall target, threshold seen "
          f"afterwards: {o[0]:.3f} / {o[1]:.3f})")


def show_weights(pages: list[dict[str, Any]], names: list[str], use: str, top: int = 16) -> None:
    """What the logistic regression leans on, fitted on every page (standardised features:
    a weight is per standard deviation)."""
    x, y = matrix(pages, names, use)
    model = make_model("logreg").fit(x, y)
    columns = names + (RULE_GROUPS if use != "signals" else [])
    weights = model[-1].coef_[0]
    ranked = sorted(zip(columns, weights, strict=True), key=lambda item: -abs(item[1]))
    print(f"logistic regression ({USES[use]}), all pages, largest weights:")
    for name, weight in ranked[:top]:
        print(f"  {weight:+7.2f}  {name}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _code_path(argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev-set", type=Path, default=None)
    parser.add_argument("--labels", type=Path, default=BENCH_DIR / "citations" / "labels.json")
    parser.add_argument("--code", type=Path, help="import archiver from this checkout")
    parser.add_argument("--cv", choices=("split", "site", "both"), default="both")
    parser.add_argument("--models", default="logreg,gbt",
                        help="logreg, gbt (comma-separated)")
    parser.add_argument("--uses", default="signals,reasons,veto",
                        help="signals (the signals alone), reasons (and the rules' reason), "
                        "veto (signals and reasons; may only leave out what the rules cite)")
    parser.add_argument("--recall", type=float, default=0.98)
    parser.add_argument("--train", help="splits to train on (comma-separated), with --test")
    parser.add_argument("--test", help="the split to test on, with --train")
    parser.add_argument("--features", type=Path, help="a cache of the features (JSON)")
    parser.add_argument("--weights", action="store_true",
                        help="print the logistic regression's largest weights (all pages)")
    args = parser.parse_args(argv)
    try:
        import numpy  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError:
        print("citation_classifier: needs scikit-learn (pip install -e '.[bench]')",
              file=sys.stderr)
        return 3
    from citation_bench import default_dev_set

    if args.code:  # citation_bench put this checkout first: the one asked for goes before it
        sys.path.insert(0, str(args.code.resolve()))
    import archiver

    print(f"archiver from {Path(archiver.__file__).parent}", file=sys.stderr)
    dev_set = args.dev_set or default_dev_set()
    labels = json.loads(args.labels.read_text("utf-8"))["pages"]
    if args.features and args.features.is_file():
        pages = json.loads(args.features.read_text("utf-8"))
    else:
        pages = collect(dev_set, labels)
        if args.features:
            args.features.write_text(json.dumps(pages))
    names = feature_names(pages)
    rules = prf(*count(pages, rules_sets(pages)))
    ceiling = prf(*count(pages, [{r["key"] for r in p["records"]} for p in pages]))
    print(f"{len(pages)} pages, {sum(len(p['records']) for p in pages)} candidate links, "
          f"{len(names)} features; rules on all pages P {rules[0]:.3f} R {rules[1]:.3f}; "
          f"recall ceiling (every candidate cited) {ceiling[1]:.3f}")
    if args.weights:
        show_weights(pages, names, args.uses.split(",")[0])
        return 0
    models = args.models.split(",")
    uses = args.uses.split(",")
    variants = [(kind, use) for kind in models for use in uses]
    if args.train and args.test:
        train = [p for p in pages if p["split"] in args.train.split(",")]
        test = [p for p in pages if p["split"] == args.test]
        for kind, use in variants:
            threshold = operating_point(train, names, kind, use, args.recall)
            scores = fit_score(train, test, names, kind, use)
            chosen = [{k for k, s in sc.items() if s > threshold} for sc in scores]
            m = prf(*count(test, chosen))
            r = prf(*count(test, rules_sets(test)))
            print(f"{kind} ({USES[use]}): train {args.train} -> "
                  f"test {args.test}: model {m[0]:.3f} / {m[1]:.3f} / {m[2]:.3f} "
                  f"(threshold {threshold:.2f})   rules {r[0]:.3f} / {r[1]:.3f} / {r[2]:.3f}")
        return 0
    plans = []
    if args.cv in ("split", "both"):
        splits = list(dict.fromkeys(p["split"] for p in pages))
        plans.append(("leave one split out", [(s, [i for i, p in enumerate(pages)
                                                   if p["split"] == s]) for s in splits]))
    if args.cv in ("site", "both"):
        folds = site_folds(pages, 10)
        plans.append(("leave sites out (10 folds by site)",
                      [(f"sites fold {n + 1}", fold) for n, fold in enumerate(folds)]))
    for title, folds in plans:
        for kind, use in variants:
            started = time.perf_counter()
            result = cross_validate(pages, folds, names, kind, use, args.recall)
            show(f"{title}: {kind} ({USES[use]}) "
                 f"({time.perf_counter() - started:.0f} s)", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
