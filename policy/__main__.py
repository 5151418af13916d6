"""The trailwatch CrossGuard pack. Only builds the pack: the policies live in
trailwatch_policy.edge.policies (PolicyPack blocks forever serving gRPC)."""

from pulumi_policy import PolicyPack

from trailwatch_policy.edge.policies import EVALUATION_MODULES, policies
from trailwatch_policy.edge.process import tune_for_deep_documents, tune_for_large_stacks
from trailwatch_policy.edge.sdk import capture_all_config, share_stack_deserialization, warm_on_configure

tune_for_large_stacks()  # linear AnalyzeStack at 50k resources (see process.py)
tune_for_deep_documents()  # before PolicyPack starts its gRPC threads (see process.py)
share_stack_deserialization()  # one deserialization for all the control policies (see sdk.py)
capture_all_config()  # keys under "all" apply to every control policy (see sdk.py, options.with_all)
warm_on_configure(EVALUATION_MODULES)  # the evaluation's imports while the program runs (see sdk.py)
PolicyPack(name="trailwatch", policies=policies())
