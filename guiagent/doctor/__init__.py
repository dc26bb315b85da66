"""``guiagent doctor``: is this model server set up the way a protocol needs?

Each check gives a verdict (ok, warn, fail, skip), what it saw, and the fix to
apply. The checks talk to the server over HTTP only, as a run would: list the
models, send an image, send as many images as the protocol does, then one real
probe step in the protocol's own request layout, streamed, whose answer shows
whether special tokens survive, where the thinking went, how fast the first
token came and whether the answer parses.
"""

from .checks import Check, Diagnosis, diagnose

__all__ = ["Check", "Diagnosis", "diagnose"]
