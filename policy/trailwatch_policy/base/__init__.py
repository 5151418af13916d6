"""The bottom layer: value types with no rules (finding codes, the plain model, Pulumi type tokens).

Imports nothing of the pack. Nothing is imported here: modules are imported by name.
"""
