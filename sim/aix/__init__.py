"""Simulated AIX LPARs over real SSH, for tests and the demo (`lkubot sim`).

Each LPAR is an asyncssh server on 127.0.0.1 with its own ed25519 host key and state. It
answers the commands of docs/remote-commands.md with AIX's output formats, replays the real
`geninstall -k` transcript on a virtual clock, and shows faults on demand. It imports nothing
of the bot: it is the outside world.

Python API for tests::

    from sim.aix import Fleet, Faults, ConnectionDrop

    async with Fleet.start(
        3,                           # lpar001, lpar002, lpar003
        out_dir=tmp_path,            # lpars.yml, known_hosts, keys/lkubot_ed25519, commands.log
        speed=500.0,                 # virtual seconds per wall second
        scenario=path_or_Scenario,   # optional: LPAR state and faults (see sim.aix.scenario)
        approvers=["U1", "U2"], admins=["U3"], channel="C1",
    ) as fleet:
        fleet.inventory_path, fleet.known_hosts_path, fleet.client_key_path
        fleet.names                               # ["lpar001", "lpar002", "lpar003"]
        fleet.port("lpar001")
        lpar = fleet.lpar("lpar001")
        lpar.state.hmc_token = None               # live, validated state (sim.aix.state)
        lpar.state.lvupdate_data = "..."
        lpar.state.faults.drop = ConnectionDrop(phase="blackout", seconds=60)
        lpar.drop_connections(30)                 # now, for 30 virtual seconds
        lpar.commands                             # [CommandRecord(time, lpar_time, command,
                                                  #   operation, start_refused), ...]
        with lpar.watching_commands(callback):    # callback(record) as each command
            ...                                   # arrives, before it runs
        lpar.logs[path].lines                     # log files written on the LPAR
        lpar.clock.now()                          # the LPAR's virtual time
        await fleet.stop_servers()                # cut every connection, stop listening
        await fleet.start_servers()               # same ports, same host keys, same state

Counting launches: `[c for c in lpar.commands if c.operation]` are the detached starts that
started something, and `c.operation` is the command each started (e.g. `geninstall -k -d
/mnt/x update_all`); `[c for c in lpar.commands if c.start_refused]` are the starts the shell
refused (their log existed, noclobber, or could not be created), which started nothing.
"""

from sim.aix.faults import (
    ConnectionDrop,
    Faults,
    Hang,
    LluTimeouts,
    PhaseFailure,
    PreviewFailure,
    SlowProgress,
)
from sim.aix.fleet import Fleet, FleetError
from sim.aix.lpar import CommandRecord, Lpar
from sim.aix.scenario import Scenario, ScenarioError
from sim.aix.state import LparState

__all__ = [
    "CommandRecord",
    "ConnectionDrop",
    "Faults",
    "Fleet",
    "FleetError",
    "Hang",
    "LluTimeouts",
    "Lpar",
    "LparState",
    "PhaseFailure",
    "PreviewFailure",
    "Scenario",
    "ScenarioError",
    "SlowProgress",
]
