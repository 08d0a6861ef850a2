"""The jsii floor: one stack with one S3 bucket, synthesized with the same App settings as app.py."""

import sys

from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3


def main() -> int:
    app = App(builtin_cloud_formation_validation=False)
    s3.Bucket(Stack(app, "Floor"), "Bucket")
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
