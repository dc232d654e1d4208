"""Errors of the harvester.

HarvestError              (user_error: the CLI prints one line, exit 2)
 ├── InvalidPost          a Post failed validation (names the field)
 ├── SourceConfigError    sources.yaml is unreadable, or a source's entry is wrong
 │    └── MissingSecret   the environment variable named by ``token_env`` is not set
 └── SourceError          a source cannot go on in this run (carries ``source`` and ``url``)
      ├── FetchFailed     no good response after the retries (connection errors, 5xx, timeouts)
      │    ├── ResponseTooLarge   the body is larger than the session's maximum
      │    └── TooManyRedirects   a redirect loop or chain longer than allowed
      ├── BadResponse     the body is not what the protocol promises (truncated JSON, bad bytes)
      ├── Throttled       the platform still throttles after the allowed waits
      ├── TokenInvalid    the token expired or is invalid (Graph code 190, HTTP 401): renew it
      ├── LayoutChanged   an HTML page's selectors match nothing: the site changed its layout
      └── RobotsDisallowed   robots.txt forbids the page
"""

from __future__ import annotations


class HarvestError(Exception):
    """Something in harvesting failed in a way the user can act on."""

    user_error = True


class InvalidPost(HarvestError, ValueError):
    """A Post's fields are not valid."""


class SourceConfigError(HarvestError):
    """sources.yaml or one of its entries is not valid."""


class MissingSecret(SourceConfigError):
    """The secret a source needs is not in the environment."""


class SourceError(HarvestError):
    """A source has to stop for this run; the others carry on."""

    def __init__(self, message: str, *, source: str | None = None, url: str | None = None):
        super().__init__(message)
        self.source = source
        self.url = url


class FetchFailed(SourceError):
    """The server gave no usable response after the allowed retries."""


class ResponseTooLarge(FetchFailed):
    """The response body exceeds the session's maximum size."""


class TooManyRedirects(FetchFailed):
    """More redirects than allowed (or a loop)."""


class BadResponse(SourceError):
    """The response cannot be decoded or does not have the promised shape."""


class Throttled(SourceError):
    """The platform keeps throttling beyond what the harvester is willing to wait."""


class TokenInvalid(SourceError):
    """The access token is expired or invalid."""


class LayoutChanged(SourceError):
    """An HTML source's selectors match nothing."""


class RobotsDisallowed(SourceError):
    """robots.txt does not allow fetching the page."""
