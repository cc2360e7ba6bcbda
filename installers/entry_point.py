"""What the frozen `facilitator-app` executable runs: the same `main()` as the console script."""

import multiprocessing
import sys

from facilitator_app.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a no-op unless a library ever spawns worker processes
    sys.exit(main())
