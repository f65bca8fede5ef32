"""Time limits and paces of the run engine, set once at start-up and passed down."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from lpar.follow import Backoff
from lpar.preview import PreviewLimits
from lpar.remote import LLU_MAX_TIMEOUT
from lpar.ssh import SshOptions

PREVIEW_CHANNELS = 4096
"""Commands in flight across all LPARs. A preview holds a channel for minutes per LPAR
(`geninstall -k -p`), so a limit near the fleet's size would preview a big group in rounds;
each connection stays bounded by `SshOptions.channels_per_lpar`."""


class EngineOptions(BaseModel):
    """Time limits and paces of the run engine (seconds of lkubot's clock)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ssh: SshOptions = Field(default_factory=lambda: SshOptions(max_commands=PREVIEW_CHANNELS))
    """Used when the engine opens its own connections."""
    read_time_limit: float = Field(default=120.0, gt=0)
    """Each state read: oslevel, lparstat, hmcauth, cat, lspv, emgr, raso, genld."""
    preview_time_limit: float = Field(default=1800.0, gt=0)
    """`geninstall -k -p` or `llvupdate -P` (a real preview takes minutes)."""
    preview_total: float = Field(default=2100.0, gt=0)
    """The whole preview of one LPAR, pre commands included."""
    stage_time_limit: float = Field(default=900.0, gt=0)
    """Each prep or post command from the inventory."""
    control_time_limit: float = Field(default=60.0, gt=0)
    """Sending the detached start, `kill -TERM`."""
    cleanup_time_limit: float = Field(default=1800.0, gt=0)
    """`clvupdate` and `cllvupdate -u`."""
    lost_contact_after: float = Field(default=300.0, gt=0)
    """Out of contact this long, a run is marked unknown (the request too) until it is back."""
    backoff: Backoff = Field(default_factory=Backoff)
    """Reconnect pace while following a log; it settles at `backoff.slowest`."""
    llu_retries: int = Field(default=3, ge=0, le=100)
    """`llvupdate -n`: retries per process after the first attempt."""
    llu_timeout: int = Field(default=30, ge=1, le=LLU_MAX_TIMEOUT)
    """`llvupdate -t`: seconds per process attempt."""
    batch_lines: int = Field(default=1000, ge=1)
    """Log lines parsed and saved in one transaction at most."""
    liveness_after: float = Field(default=120.0, gt=0)
    """A log silent this long makes lkubot ask whether the operation still runs (`ps -p`);
    gone twice in a row without its exit line, the run becomes unknown."""
    subscriber_queue: int = Field(default=10_000, ge=1)
    """Events a slow subscriber may fall behind by before it gets a `Gap`."""
    hold_recheck: float = Field(default=60.0, gt=0)
    """While a rollout is held before a wave (freeze, closed change window, an LPAR that
    cannot be previewed just now), how often lkubot looks again."""
    hold_limit: float = Field(default=7 * 86400.0, gt=0)
    """A rollout held longer than this after its previous wave ended stops instead (a week
    covers a weekly change window)."""
    shutdown_grace: float = Field(default=10.0, gt=0)
    """How long `aclose` waits for cancelled tasks to finish."""

    @property
    def preview_limits(self) -> PreviewLimits:
        return PreviewLimits(
            read=self.read_time_limit, preview=self.preview_time_limit, total=self.preview_total
        )
