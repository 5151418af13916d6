"""The trailwatch CrossGuard pack. Only builds the pack: the policies live in
trailwatch_policy.policies (PolicyPack blocks forever serving gRPC)."""
from pulumi_policy import PolicyPack

from trailwatch_policy.policies import policies

PolicyPack(name="trailwatch", policies=policies())
