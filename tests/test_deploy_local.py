"""make deploy-local, end to end: the real CDK CLI bootstraps, deploys and destroys a stage on moto."""

from __future__ import annotations

import pytest

from tests.conftest import DEPLOYS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=DEPLOYS.STAGES)
def deploy_output(request) -> str:
    result = DEPLOYS.result(request.param)  # started in the background when the session began
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_the_table_is_deployed_with_its_key_and_point_in_time_recovery(deploy_output):
    assert "key id (S), point-in-time recovery on" in deploy_output


def test_the_function_has_its_role_vpc_efs_mount_and_live_alias(deploy_output):
    assert "own role" in deploy_output and "EFS at /mnt/product, alias live -> version 1" in deploy_output


def test_the_api_has_the_five_routes(deploy_output):
    assert "the five /product routes" in deploy_output


def test_the_handler_does_crud_against_the_deployed_table(deploy_output):
    assert "create 201, get 200, update 200, delete 204, get 404" in deploy_output


def test_destroy_keeps_the_retained_table_and_file_system(deploy_output):
    assert "retained after destroy: tables" in deploy_output and "1 EFS file system(s)" in deploy_output
