"""Web pages: main text, metadata and links (extraction.py, the entry: `extract_html`), the
page's visible text, titles, dates, authors and the trimming of what is not the article.

Nothing is imported here, so that a module that needs one part (story mode needs `links`)
does not load the whole extractor and trafilatura with it.
"""
