"""A pack with one stack policy that reads nothing: the cost of the SDK alone."""

from pulumi_policy import EnforcementLevel, PolicyPack, StackValidationPolicy

PolicyPack(
    name="noop",
    policies=[
        StackValidationPolicy(
            name="noop",
            description="does nothing",
            enforcement_level=EnforcementLevel.MANDATORY,
            validate=lambda args, report_violation: None,
        )
    ],
)
