"""The yardstick users compare with: a default CDK app (App() as `cdk init` makes it) with one S3 bucket."""

import sys

from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3


def main() -> int:
    app = App()
    s3.Bucket(Stack(app, "Default"), "Bucket")
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
