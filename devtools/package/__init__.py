"""make package: the stage's templates as plain CloudFormation with code-location parameters (no CDK bootstrap).

The package is derived from a synthesized cloud assembly (cdk.out, the same one snapshots and `make review`
read): ``assembly`` reads its stacks and assets, ``archive`` zips an asset deterministically, ``template``
rewrites one template, ``writer`` writes ``dist/<stage>/`` and its manifest, ``deploy`` creates the stacks
on the local emulator with the CloudFormation API only.
"""
