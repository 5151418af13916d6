"""The resource type tokens the pack reads (pulumi-aws 7.x and aws-native).

Kept apart from the glue in `resources.py` so the pack can tell whether a stack has
anything to check before it imports the evaluation at all.
"""

from __future__ import annotations

TRAIL = "aws:cloudtrail/trail:Trail"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
KMS_KEY = "aws:kms/key:Key"
KMS_ALIAS = "aws:kms/alias:Alias"
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
N_TRAIL = "aws-native:cloudtrail:Trail"
N_LOG_GROUP = "aws-native:logs:LogGroup"
N_METRIC_FILTER = "aws-native:logs:MetricFilter"
N_ALARM = "aws-native:cloudwatch:Alarm"
N_TOPIC = "aws-native:sns:Topic"
N_TOPIC_POLICY = "aws-native:sns:TopicPolicy"
N_SUBSCRIPTION = "aws-native:sns:Subscription"
N_COMPOSITE_ALARM = "aws-native:cloudwatch:CompositeAlarm"
N_KMS_KEY = "aws-native:kms:Key"
N_KMS_ALIAS = "aws-native:kms:Alias"
METRIC_FILTER_TYPES = frozenset({METRIC_FILTER, N_METRIC_FILTER})
TRAIL_TYPES = frozenset({TRAIL, N_TRAIL})
LOG_GROUP_TYPES = frozenset({LOG_GROUP, N_LOG_GROUP})
# Without a trail, a log group or a metric filter (attach mode: a filter on a group outside
# the stack) a stack has no CloudTrail log group: nothing to monitor.
CLOUDTRAIL_SIGNS = TRAIL_TYPES | LOG_GROUP_TYPES | METRIC_FILTER_TYPES
