"""The cluster of issue 16 for the tests in this folder: one per test session (starting two Rasa servers is the slow
part), with the commands of ``make up-cluster`` (bot.cluster) on the ports 7150–7183 (``make up-cluster`` uses
7100–7133, so a developer's cluster does not collide) and its state in var/cluster-test/, wiped before and after.

Needs the trained model, both environments, HAProxy, redis-server and PostgreSQL's programs; without them the tests
FAIL with the reason, they do not skip.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator

import pytest

from bot.cluster import Cluster, ClusterError, Layout

ROOT = Cluster().state_dir.parents[1]
STATE = ROOT / "var" / "cluster-test"
TEST_BASE_PORT = 7150
ENTITIES = 2000  # the demo city of make up-cluster (loaded in a few seconds)


def _logs(cluster: Cluster) -> str:
    parts = []
    for log in sorted(cluster.log_dir.glob("*.log")):
        parts.append(f"--- {log.name} ---\n{log.read_text(errors='replace')[-2500:]}")
    return "\n".join(parts)


@pytest.fixture(scope="session")
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """The running cluster: 2 Rasa servers, 2 action servers, 2 backends behind HAProxy, its own Redis and
    PostgreSQL (docs/cluster.md)."""
    if not (ROOT / "models" / "assistant.tar.gz").exists():
        pytest.fail("models/assistant.tar.gz is missing: run `make train` first.")
    shutil.rmtree(STATE, ignore_errors=True)
    c = Cluster(
        Layout(rasa=2, actions=2, backends=2, base=TEST_BASE_PORT),
        STATE,
        entities=ENTITIES,
        model_registry=STATE / "model-registry",  # empty: the model server serves models/assistant.tar.gz
    )
    try:
        try:
            c.start()
        except ClusterError as exc:
            pytest.fail(f"the cluster did not start: {exc}\n{_logs(c)}")
        yield c
    finally:
        if request.session.testsfailed:
            print(_logs(c), file=sys.stderr)
        c.stop()
        shutil.rmtree(STATE, ignore_errors=True)


@pytest.fixture
def healthy_cluster(cluster: Cluster) -> Cluster:
    """The cluster with every part running and every replica in the proxy's rotation (restarts what an earlier
    test left dead)."""
    for name in cluster.names():
        cluster.start_replica(name)
    for name in cluster.replica_ports():
        cluster.wait_proxy_status(name, up=True, timeout=60)
    return cluster
