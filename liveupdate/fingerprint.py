"""The fingerprint of a preview: what an approval is bound to.

An approval says "go ahead with *this*": this LPAR at this level, these filesets from this
media, with this lvupdate.data, after a preview with this outcome. When the re-check at launch
sees anything else, the fingerprint differs and the approvals are void.

Canonical form (version 1), hashed with SHA-256 and written as 64 lower-case hex digits:
the UTF-8 bytes of a JSON object with exactly these keys, sorted, no insignificant whitespace
(`separators=(",", ":")`), non-ASCII characters kept as they are:

    {"filesets":[...],"kind":"lku","lpar":"lpar01","lvupdate_data":"...","media":"/mnt/x",
     "oslevel":"7300-03-01-2520","outcome":"passed","v":1}

- `filesets` sorted and without duplicates (geninstall does not care about their order);
- `lvupdate_data` byte for byte as read from the LPAR (any edit, even whitespace, counts:
  AIX ignores key lines at column 0, so indentation matters);
- `oslevel` with surrounding whitespace removed (`oslevel -s` ends with a newline);
- `media` is null when the preview used no `-d`.

`kind` is in the form too, so an approval for an LLU never covers an LKU of the same LPAR.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

FINGERPRINT_VERSION = 1


def canonical_form(
    *,
    kind: str,
    lpar: str,
    oslevel: str,
    media: str | None,
    filesets: Iterable[str],
    lvupdate_data: str,
    outcome: str,
) -> bytes:
    """The exact bytes a fingerprint hashes (see the module text for the rules)."""
    document = {
        "v": FINGERPRINT_VERSION,
        "kind": kind,
        "lpar": lpar,
        "oslevel": oslevel.strip(),
        "media": media,
        "filesets": sorted(set(filesets)),
        "lvupdate_data": lvupdate_data,
        "outcome": outcome,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fingerprint_of(form: bytes) -> str:
    """SHA-256 of a canonical form, as 64 lower-case hex digits."""
    return hashlib.sha256(form).hexdigest()


def combine_fingerprints(per_lpar: Mapping[str, str]) -> str:
    """One fingerprint for a request over several LPARs (a group rollout).

    SHA-256 over the lines `LPAR SP FINGERPRINT LF`, sorted by LPAR name. For a single LPAR the
    request's fingerprint is that LPAR's own, so the common case reads the same everywhere.
    """
    if len(per_lpar) == 1:
        return next(iter(per_lpar.values()))
    lines = "".join(f"{lpar} {per_lpar[lpar]}\n" for lpar in sorted(per_lpar))
    return hashlib.sha256(lines.encode()).hexdigest()
