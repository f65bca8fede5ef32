"""Why the run engine refuses what someone asked; each message is one sentence they can act on.

    liveupdate.errors.Refused
    ├── CancelRefused       the run has passed the point of no return (or has ended)
    ├── NotRunning          no run of this request is going on in this lkubot
    ├── LluSelectionRefused an LLU launch named processes the preview did not list
    └── LparBusy            a clean-up asked for while a run is on the LPAR

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


class LparBusy(Refused):
    pass
