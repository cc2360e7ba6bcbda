"""A client process for the kill -9 tests: `python -m tests.sync.crash_driver DATA URL USER ACTION [N]`.

ACTION "edit" saves N visits (one commit each), "sync" runs one cycle with push batches of 2.
FFK_TEST_CRASH_AT names the fault point (core/faults.py) where the process ends with os._exit(137);
"after_local_commit" is this driver's own, reached after each saved visit.
The password comes from FFK_TEST_PASSWORD (the system keyring is not used in tests).
"""

from __future__ import annotations

import datetime as dt
import os
import sys

import keyring
from keyring.backends.fail import Keyring as NoKeyring

from facilitator_app.core import faults
from facilitator_app.core.model import Visit
from facilitator_app.sync.engine import SyncEngine
from facilitator_app.sync.service import SyncService


def main(data_dir: str, url: str, user: str, action: str, count: str = "1") -> int:
    keyring.set_keyring(NoKeyring())  # never the machine's keyring: the token lives in memory
    SyncEngine.max_batch = 2
    service = SyncService(data_dir)
    service.sign_in(url, user, os.environ["FFK_TEST_PASSWORD"])
    store = service.store()
    if action == "edit":
        practice = store.practices()[0]
        for i in range(int(count)):
            store.save_visit(Visit(practice.id, dt.date(2026, 2, 1 + i % 28), minutes=10 + i))
            faults.reached("after_local_commit")
    elif action == "sync":
        service.sync_once()
    service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
