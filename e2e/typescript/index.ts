// A CloudTrail trail delivering to a CloudWatch log group. With `monitored: true` the stack also
// has what CIS AWS 4.1 asks for: a metric filter for unauthorized API calls, an alarm on it and an
// SNS topic with a subscriber. Without it, trailwatch's Python pack must block the preview.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const logs = new aws.cloudwatch.LogGroup("trail-logs", { retentionInDays: 90 });
new aws.cloudtrail.Trail("trail", {
    s3BucketName: "acme-trail",
    isMultiRegionTrail: true,
    cloudWatchLogsGroupArn: pulumi.interpolate`${logs.arn}:*`,
    cloudWatchLogsRoleArn: "arn:aws:iam::111122223333:role/trail-logs",
});

if (config.requireBoolean("monitored")) {
    new aws.cloudwatch.LogMetricFilter("unauthorized", {
        logGroupName: logs.name,
        pattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
        metricTransformation: { name: "UnauthorizedAPICalls", namespace: "CISBenchmark", value: "1" },
    });
    const topic = new aws.sns.Topic("alerts");
    new aws.sns.TopicSubscription("oncall", { topic: topic.arn, protocol: "email", endpoint: "security@example.com" });
    new aws.cloudwatch.MetricAlarm("unauthorized", {
        namespace: "CISBenchmark",
        metricName: "UnauthorizedAPICalls",
        statistic: "Sum",
        period: 300,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        evaluationPeriods: 1,
        alarmActions: [topic.arn],
    });
}
