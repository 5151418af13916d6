"""AWS semantics per link of the chain (trail, log group, filter, alarm, actions, topic), the
options they read, and the AWS CLI fix of a finding (`fixes`). A rule returns
`base.findings.Problem`s.

Imports only `base`, `filter_pattern` and `controls`. Nothing is imported here: modules are
imported by name.
"""
