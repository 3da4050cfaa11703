"""Reading pages in tests: the text a person sees, and values a page carries for its next step."""

import html
import re


def visible_text(response) -> str:
    """The page's text as a person reads it: no tags, scripts or head, whitespace folded."""
    page = response.content.decode()
    page = re.sub(r"(?s)<script.*?</script>|<head>.*?</head>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def payload_of(response) -> str:
    """The signed payload a preview page sends on when it is confirmed."""
    return re.search(r'name="payload" value="([^"]+)"', response.content.decode()).group(1)
