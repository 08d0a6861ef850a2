"""The pre-traffic hook: invokes the new version, compares its answer, always reports to CodeDeploy."""

from __future__ import annotations

import io
import json

import pytest
from traffic_hook import handler as hook

VERSION = "arn:aws:lambda:eu-west-1:123456789012:function:product:7"
EVENT = {"DeploymentId": "d-ABC123", "LifecycleEventHookExecutionId": "hook-execution-1"}


class FakeLambda:
    def __init__(self, answer=None, function_error=None, raises=None):
        self.answer, self.function_error, self.raises, self.calls = answer, function_error, raises, []

    def invoke(self, **request):
        self.calls.append(request)
        if self.raises:
            raise self.raises
        response = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.answer).encode())}
        if self.function_error:
            response["FunctionError"] = self.function_error
        return response


class FakeCodeDeploy:
    def __init__(self):
        self.reports = []

    def put_lifecycle_event_hook_execution_status(self, **report):
        self.reports.append(report)


@pytest.fixture
def run(monkeypatch):
    def run_hook(lambda_client, expect=None):
        codedeploy = FakeCodeDeploy()
        monkeypatch.setenv("TARGET_VERSION_ARN", VERSION)
        monkeypatch.setenv("CHECK_EVENT", json.dumps({"httpMethod": "GET", "path": "/product"}))
        monkeypatch.setenv("CHECK_EXPECT", json.dumps(expect or {"statusCode": 200}))
        monkeypatch.setattr(hook, "client", {"lambda": lambda_client, "codedeploy": codedeploy}.__getitem__)
        hook.lambda_handler(EVENT, None)
        return codedeploy.reports

    return run_hook


def test_a_good_answer_reports_succeeded_for_this_hook_execution(run):
    reports = run(FakeLambda(answer={"statusCode": 200, "body": "{}"}))
    assert reports == [{"deploymentId": "d-ABC123", "lifecycleEventHookExecutionId": "hook-execution-1", "status": "Succeeded"}]


def test_it_invokes_the_new_version_synchronously_with_the_check_event(run):
    fake = FakeLambda(answer={"statusCode": 200})
    run(fake)
    (call,) = fake.calls
    assert (call["FunctionName"], call["InvocationType"]) == (VERSION, "RequestResponse")
    assert json.loads(call["Payload"]) == {"httpMethod": "GET", "path": "/product"}


@pytest.mark.parametrize(
    "fake",
    [
        FakeLambda(answer={"statusCode": 500, "body": "{}"}),
        FakeLambda(answer={"errorMessage": "boom"}, function_error="Unhandled"),
        FakeLambda(raises=RuntimeError("AccessDenied")),
    ],
    ids=["wrong status", "function error", "invoke fails"],
)
def test_anything_else_reports_failed(run, fake):
    assert [r["status"] for r in run(fake)] == ["Failed"]


def test_a_json_body_is_compared_decoded_as_a_subset(run):
    answer = {"statusCode": 200, "body": json.dumps({"items": [], "next_token": None})}
    assert [r["status"] for r in run(FakeLambda(answer=answer), expect={"statusCode": 200, "body": {"items": []}})] == ["Succeeded"]
    assert [r["status"] for r in run(FakeLambda(answer=answer), expect={"body": {"items": [1]}})] == ["Failed"]


def test_mismatches_name_where_the_answer_differs():
    assert hook.mismatches({"statusCode": 200, "body": {"items": []}}, {"statusCode": 404, "body": "{}"}) == [
        "statusCode: expected 200, got 404", "body.items: missing",
    ]
