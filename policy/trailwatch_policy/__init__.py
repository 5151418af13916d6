"""trailwatch's pure domain logic, shipped inside the policy pack folder (stdlib only).

Modules are imported by name (``trailwatch_policy.filter_pattern``, ``.judge`` ...);
nothing is imported here so that loading the pack stays cheap.
"""
