"""The edge that binds the pack to pulumi-policy: the policies, Pulumi resources -> model
(`resources`), the SDK's shared deserialization (`sdk`), process tuning (`process`).

The only modules of the pack that import pulumi-policy. Nothing is imported here: modules
are imported by name (policy/__main__.py).
"""
