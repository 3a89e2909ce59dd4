"""The one definition of safe question HTML.

Question text and options are HTML: teachers paste formatted text and images, and
Moodle banks carry HTML. What is stored is what any client may put in a page as it
is, so it is cleaned on the way in by ammonia (through `nh3`), an allow-list
sanitiser: the usual formatting tags, tables, lists and `<img>` (`src`, `alt`,
`width`, `height`); no script, style, event handler, form, frame or `javascript:`
URL. `@@PLUGINFILE@@/name` image sources are relative URLs and survive; they are
replaced by signed URLs when a question is shown (app.questions.media_urls).
Plain text stays plain text, with `<`, `>` and `&` written as entities.
"""
import html
import re

import nh3

ALLOWED_TAGS = nh3.ALLOWED_TAGS - {"area", "map", "nav", "header", "footer", "article", "aside"}
ALLOWED_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items() if tag in ALLOWED_TAGS},
    "img": {"src", "alt", "width", "height", "title"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "span": {"lang", "dir"},
    "p": {"dir", "align"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(text: str | None) -> str | None:
    """`text` reduced to the safe subset; None stays None."""
    if text is None:
        return None
    return nh3.clean(text, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer").strip()


BLOCK_ENDS = re.compile(r"<br\s*/?>|</(?:p|div|li|tr|h[1-6])>", re.IGNORECASE)


def html_to_text(text: str | None) -> str | None:
    """Stored question HTML as plain text, for places that are not a web page (PDF):
    tags dropped, block ends as line breaks, entities decoded (`3 &lt; 5` → `3 < 5`)."""
    if text is None:
        return None
    return html.unescape(nh3.clean(BLOCK_ENDS.sub("\n", text), tags=set())).strip()
