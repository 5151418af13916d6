"""`python -m trailwatch.emulator`, the documented command (docs/local-emulation.md, the
header of Pulumi.local.yaml); the dev tool itself is trailwatch.dev.emulator."""

import sys

from trailwatch.dev.emulator import main

if __name__ == "__main__":
    sys.exit(main())
