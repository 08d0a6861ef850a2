"""Log retention in days (as configured) to CDK's RetentionDays."""

from aws_cdk import aws_logs as logs

from stacks.config import LOG_RETENTION_DAYS

_BY_DAYS = dict(zip(LOG_RETENTION_DAYS, [m for m in logs.RetentionDays if m is not logs.RetentionDays.INFINITE], strict=True))


def retention(days: int) -> logs.RetentionDays:
    """The RetentionDays member for a validated number of days."""
    return _BY_DAYS[days]
