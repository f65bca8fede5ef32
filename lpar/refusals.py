"""Why the run engine refuses what someone asked; each message is one sentence they can act on.

    liveupdate.errors.Refused
    ├── CancelRefused       the run has passed the point of no return (or has ended)
    ├── NotRunning          no run of this request is going on in this lkubot
    ├── LluSelectionRefused an LLU launch named processes the preview did not list
    ├── ResolveRefused      a run closed by hand has ended, or lkubot follows it in contact
    ├── RecheckUnavailable  the launch's new preview could not be carried out: try again later
    └── RecheckFailed       the new preview saw the same as approved, but a check fails now

Refusals change nothing and send nothing to the LPAR.
"""

from __future__ import annotations

from liveupdate.errors import Refused


class CancelRefused(Refused):
    pass


class NotRunning(Refused):
    pass


class LluSelectionRefused(Refused):
    pass


class ResolveRefused(Refused):
    pass


class RecheckUnavailable(Refused):
    pass


class RecheckFailed(Refused):
    pass
