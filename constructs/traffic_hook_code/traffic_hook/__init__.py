"""CodeDeploy lifecycle hook: check a new function version before (or after) it takes traffic."""
