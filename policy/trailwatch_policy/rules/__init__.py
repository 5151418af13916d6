"""AWS semantics per link of the chain (trail, log group, filter, alarm, actions, topic), the
options they read, and what a rule returns (`findings.Problem`) with its AWS CLI fix (`fixes`).

Imports only `base`, `filter_pattern` and `controls`. Nothing is imported here: modules are
imported by name.
"""
