"""The offline engine: run a Pulumi Python program and a policy pack the way `pulumi preview --policy-pack` does.

The Pulumi CLI and the AWS provider are binaries this project cannot install, so this package
plays the engine's side of both conversations (resource monitor for the program, Analyzer client
for the pack). See docs/offline-engine.md and shared/specs/engine.md.
"""
