"""trailwatch's pure domain logic, shipped inside the policy pack folder (stdlib only).

Folders are layers, lowest first; a module never imports from a higher layer
(tests/test_codes.py checks it):

- ``base``: value types with no rules (finding codes, Problem/Finding, the plain model, type tokens);
- ``filter_pattern``: CloudWatch Logs filter-pattern semantics;
- ``controls``: the control table (``trailwatch_policy.controls``) and its meaning (probes, judge);
- ``rules``: AWS semantics per link, the options they read, the AWS CLI fixes;
- ``chain``: the evaluation of an inventory per control;
- ``edge``: the binding to pulumi-policy (policies, Pulumi resources -> model, SDK, process).

Modules are imported by name (``trailwatch_policy.filter_pattern``, ``.controls.judge`` ...);
nothing is imported here so that loading the pack stays cheap.
"""
