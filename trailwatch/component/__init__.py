"""The Pulumi component: what `pulumi up` creates (`UnauthorizedApiCallsMonitor`, `AlarmTopic`,
`CloudTrailLogging`), where it goes (`account`) and the program's copy of the pattern table
(`patterns`). Its settings are trailwatch.config. `from trailwatch import ...` is the public
door (trailwatch/__init__.py); nothing is imported here, so `trailwatch.component.patterns`
does not load Pulumi."""
