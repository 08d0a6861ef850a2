"""Local serving for `make serve` and `make invoke-local`: the service on 127.0.0.1 against moto, no AWS account.

The HTTP front end routed like the synthesized API (serve), the service's resources on the emulator
(system), Lambda's event source mappings (event_sources), the Cognito authorizer (auth), Lambda-shaped
events and context for the real handlers (events, runtime) and one-off invocations (invoke).
"""
