"""TEST STAND-IN for the `pulumi-resource-aws` provider plugin. It makes no cloud call, ever.

The real CLI built by `make cli` loads this instead of pulumi-aws's provider (which cannot be
built here: its go.mod points at a patched upstream checkout). Everything it answers is the
shared stand-in's (tools/cli/standin_provider.py: trailwatch.engine's autoname, shapes, invokes
and reads), as package `aws` at version 7.51.1, what pulumi-aws==7.51.1 (requirements.txt) asks
for: Check autonames `name` (`<logical>-<7 hex>`, S3 `bucket` lower-cased, `.fifo` kept) wherever
pulumi_aws's Args class makes it optional; Read answers `aws.cloudwatch.LogGroup.get`,
`aws.sns.Topic.get`, `aws.kms.Key.get` and `aws.cloudtrail.Trail.get`; Invoke answers
getCallerIdentity, getRegion, iam.getPolicyDocument, the lookups... as `trailwatch check` does.

Started by the CLI as `pulumi-resource-aws [flags] ENGINE_ADDRESS`; prints its port first.
"""

from __future__ import annotations

import sys

from standin_provider import serve

VERSION = "7.51.1"

if __name__ == "__main__":
    sys.exit(serve("aws", VERSION))
