"""The cyclic garbage collector's settings for the ``sync`` worker's process. (The emulator's
command does the same, ``orcid_pyramid.emulator.serve.tune_collector``: the emulator imports
nothing of the add-on.)

The worker allocates many short-lived containers per bulk: it loads 100 outbox rows and 100
items and decodes ORCID's answer of 100 full works. With CPython's default thresholds (a young
collection every 700 net allocations) that meant some 4 collections of the young generation
per bulk, and now and then a full collection over everything alive, the start-up's modules
and the app's configuration and mappers included. Measured by the collector's own callbacks
(``gc.callbacks``) over 60 bulks of 100 works, one thread: 2.5 ms of the worker's CPU per
bulk (of 17-22 ms), nearly all of it in the full collections.

What :func:`tune` does, once the process has started and before the worker's threads do:

- ``gc.freeze()`` moves what the start-up made into the permanent generation: full
  collections no longer walk the imported modules and the app's configuration;
- a young collection every ``YOUNG`` net allocations instead of 700, so the data of a bulk
  in flight is rarely scanned.

Reference cycles are still collected, only later: the memory they hold for that time is a
few MB at most (``YOUNG`` containers), against tens of MB of the process itself.
"""

from __future__ import annotations

import gc

#: net allocations of tracked containers between two collections of the young generation
YOUNG = 50_000

#: set by the ``orcid-pyramid`` program (``orcid_pyramid.cli.run``): the process is the
#: command's own. A command invoked inside another program (a test's ``CliRunner``) does not
#: change that program's collector.
OWN_PROCESS = False

_done: list[bool] = []


def tune() -> None:
    """Freeze what exists now and collect the young generation every ``YOUNG`` allocations
    (the older generations keep CPython's default ratios); once, and only in the command's
    own process."""
    if _done or not OWN_PROCESS:
        return
    _done.append(True)
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)
