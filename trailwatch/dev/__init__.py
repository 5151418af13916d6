"""Development tools, not part of the component or the CLI: `emulator` writes the stack
config for a local moto server (docs/local-emulation.md; run as `python -m trailwatch.emulator`)."""
