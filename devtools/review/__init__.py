"""Pull-request review for `make review` and `make snapshot-update`: what a template change does, offline.

Normalized snapshots of every stack (snapshots), resource changes, moves between the stacks of a stage
and the stateful-replacement guard (template_review, replacement_properties), weakened safeguards and
moves CloudFormation cannot simply make (risks), what CodeDeploy will release (release_plan); the
command line is cli, which no other module imports.
"""
