"""TEST STAND-IN for the `pulumi-resource-aws-native` provider plugin. It makes no cloud call, ever.

The real aws-native provider talks to AWS Cloud Control; `make cli` installs this instead, as
package `aws-native` at version 1.84.0, what pulumi-aws-native==1.84.0 (requirements-dev.txt)
asks for. Everything it answers is the shared stand-in's (tools/cli/standin_provider.py:
trailwatch.engine's autoname, shapes, invokes and reads): Check autonames the resource's
CloudFormation name property (`logGroupName`, `topicName`, `alarmName`, `trailName`, ... as
`<logical>-<7 hex>` cut to its maximum length, `.fifo` kept: trailwatch.engine.autoname), Create
at preview returns pulumi_aws_native's output-only properties (`arn`, `topicArn`) as unknowns,
Read answers `LogGroup.get`, `Topic.get`, `Key.get`, `Trail.get`, and Invoke answers
getAccountId, getRegion, getPartition as `trailwatch check` does (SSM parameters only from
TRAILWATCH_STANDIN_INVOKE_RESULTS).

Started by the CLI as `pulumi-resource-aws-native [flags] ENGINE_ADDRESS`; prints its port first.
"""

from __future__ import annotations

import sys

from standin_provider import serve

VERSION = "1.84.0"

if __name__ == "__main__":
    sys.exit(serve("aws-native", VERSION))
