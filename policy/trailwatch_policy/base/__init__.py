"""The bottom layer: value types with no rules (finding codes, `Problem`/`Finding`, the plain
model, Pulumi type tokens).

Imports nothing of the pack outside `base`. Nothing is imported here: modules are imported by name.
"""
