"""Keep secrets out of what is shown or saved: a key written into a URL is masked.

Users put keys into base URLs (`http://user:sk-…@host/v1`, `…/v1?api_key=…`); such a URL
reaches warnings, error sentences, grade.json and report.html through the LLM client's
messages. Every message that names an endpoint goes through `redact_url` (or `redact` for
free text), so the key never leaves memory.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
# Query parameters that carry credentials (api_key, key, token, access_token, sig, password…).
SECRET_PARAM = re.compile(r"key|token|secret|passw|pwd|sig|auth|credential|session", re.IGNORECASE)
# Key-like words seen outside a URL's known places: OpenAI/Anthropic/Groq-style prefixes.
KEY_LIKE = re.compile(r"\b(sk|pk|rk|gsk|xai)[-_][A-Za-z0-9_\-]{6,}")
URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s\"'<>]+")


def redact_url(url: str | None) -> str:
    """The URL with its password (or a lone user part, which is often the key itself) and any
    credential-looking query values replaced by ***; anything unparseable is masked whole."""
    if not url:
        return url or ""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            user, has_password, _ = userinfo.partition(":")
            netloc = f"{user}:{MASK}@{host}" if has_password else f"{MASK}@{host}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode([(k, MASK if SECRET_PARAM.search(k) else v) for k, v in pairs], safe="*")
        out = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:  # not a URL we can take apart (e.g. a bad port): show nothing of it
        return MASK
    return KEY_LIKE.sub(lambda m: f"{m.group(1)}-{MASK}", out)


def redact(text: str) -> str:
    """Free text with every URL in it redacted, and key-like words masked."""
    if not text:
        return text
    return KEY_LIKE.sub(lambda m: f"{m.group(1)}-{MASK}", URL.sub(lambda m: redact_url(m.group(0)), text))
