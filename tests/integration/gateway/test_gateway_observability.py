"""Request ids, the log sink and /metrics."""

from __future__ import annotations

import json
import re
import time
import uuid

from basin.gateway import DeploymentRoute, RequestRecord

from .conftest import KEY1, KEY2, TOKEN, Gateway, endpoint


def _echoed_headers(response) -> dict[str, str]:
    return json.loads(response.content)  # type: ignore[no-any-return]


def test_request_ids_pass_through_both_ways(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(
        endpoint("ep-ids", {"blue": DeploymentRoute((fresh["blue"].address,))})
    )
    sent = {"x-request-id": "rid-1", "x-ms-client-request-id": "client-1"}
    response = gw.score("ep-ids", path="score?headers=1", headers=sent)
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "rid-1"
    assert response.headers["x-ms-client-request-id"] == "client-1"
    assert response.headers["x-ms-request-id"] == "client-1"
    seen = _echoed_headers(response)
    assert seen["x-request-id"] == "rid-1"
    assert seen["x-ms-client-request-id"] == "client-1"
    assert "authorization" not in seen  # the key stays at the gateway


def test_a_request_id_is_made_when_absent_and_the_replica_sees_it(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(
        endpoint("ep-ids2", {"blue": DeploymentRoute((fresh["blue"].address,))})
    )
    response = gw.score("ep-ids2", path="score?headers=1")
    made = response.headers["x-request-id"]
    assert uuid.UUID(made).version == 4
    assert response.headers["x-ms-request-id"] == made
    assert "x-ms-client-request-id" not in response.headers
    assert _echoed_headers(response)["x-request-id"] == made
    other = gw.score("ep-ids2").headers["x-request-id"]
    assert other != made


def test_gateway_answers_carry_request_ids_too(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(
        endpoint("ep-ids3", {"blue": DeploymentRoute((fresh["blue"].address,))})
    )
    refused = gw.score("ep-ids3", key="bad", headers={"x-ms-request-id": "legacy-1"})
    assert refused.status_code == 401
    assert refused.headers["x-ms-request-id"] == "legacy-1"
    assert refused.headers["x-ms-client-request-id"] == "legacy-1"
    assert refused.headers["x-request-id"]


def test_the_sink_gets_one_record_per_request_and_no_secret(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(
        endpoint("ep-log", {"blue": DeploymentRoute((fresh["blue"].address,))}),
        endpoint(
            "ep-log-token",
            {"blue": DeploymentRoute((fresh["blue"].address,))},
            auth_mode="aml_token",
            keys=(),
        ),
    )
    body = b'{"secret-payload": "do-not-log"}'
    statuses = [
        gw.score("ep-log", key=KEY1, content=body, headers={"x-request-id": "r-1"}).status_code,
        gw.score("ep-log", key=KEY2, path="score?status=500&data=private").status_code,
        gw.score("ep-log", key="wrong-key-value").status_code,
        gw.score("ep-log-token", key=TOKEN).status_code,
        gw.score("missing").status_code,
    ]
    assert statuses == [200, 424, 401, 200, 404]
    records: list[RequestRecord] = list(gw.records)
    assert len(records) == 5
    first = records[0]
    assert (first.endpoint, first.deployment, first.status, first.model_status) == (
        "ep-log",
        "blue",
        200,
        200,
    )
    assert first.request_id == "r-1"
    assert first.method == "POST" and first.path == "/score"
    assert first.request_bytes == len(body) and first.response_bytes == len(body)
    assert first.duration_ms >= first.upstream_ms > 0  # type: ignore[operator]
    assert (records[1].status, records[1].model_status, records[1].reason) == (
        424,
        500,
        "model_error",
    )
    assert records[1].path == "/score"  # the query string (it may carry data) is left out
    assert (records[2].status, records[2].deployment, records[2].upstream_ms) == (401, None, None)
    assert records[4].status == 404 and records[4].endpoint == "missing"
    dumped = json.dumps([r.to_dict() for r in records])
    for secret in (KEY1, KEY2, TOKEN, "wrong-key-value", "do-not-log", "private"):
        assert secret not in dumped
        assert secret not in repr(records)


def test_records_handed_over_in_batches_keep_each_requests_own_time(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(
        endpoint("ep-times", {"blue": DeploymentRoute((fresh["blue"].address,))})
    )
    spans = []
    for _ in range(3):
        before = time.time()
        assert gw.score("ep-times").status_code == 200
        spans.append((before, time.time()))
        time.sleep(0.02)  # the three end within one batch
    records = gw.records
    assert len(records) == 3
    for record, (before, after) in zip(records, spans, strict=True):
        # when it arrived, not when its batch was handed over (allowing for clock rounding)
        assert before - 0.001 <= record.time <= after
        assert record.time + record.duration_ms / 1000 <= after + 0.001


def test_the_records_of_the_last_requests_reach_the_sink_when_the_gateway_stops(
    make_gateway, fresh
) -> None:
    gw: Gateway = make_gateway(
        endpoint("ep-last", {"blue": DeploymentRoute((fresh["blue"].address,))}),
        bookkeeping_s=600,
    )
    assert gw.score("ep-last").status_code == 200
    assert gw.unnoted_records == []  # held for the batch
    gw.client.close()
    gw.thread.stop()  # long before the batch's interval is over
    assert [record.status for record in gw.unnoted_records] == [200]


def test_metrics_in_prometheus_text_format(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(
        endpoint("ep-metrics", {"blue": DeploymentRoute((fresh["blue"].address,))})
    )
    for _ in range(3):
        gw.score("ep-metrics")
    gw.score("ep-metrics", path="score?status=500")
    gw.score("ep-metrics", key="nope")
    gw.score("unknown-endpoint")
    response = gw.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    labels = 'endpoint="ep-metrics",deployment="blue"'
    assert f'basin_gateway_requests_total{{{labels},status="200"}} 3' in text
    assert f'basin_gateway_requests_total{{{labels},status="424"}} 1' in text
    assert (
        'basin_gateway_requests_total{endpoint="ep-metrics",deployment="",status="401"} 1' in text
    )
    # unknown endpoints share one series, whatever their names
    assert 'basin_gateway_requests_total{endpoint="",deployment="",status="404"} 1' in text
    assert "unknown-endpoint" not in text
    assert f'basin_gateway_request_duration_seconds_bucket{{{labels},le="+Inf"}} 4' in text
    assert f"basin_gateway_request_duration_seconds_count{{{labels}}} 4" in text
    assert f"basin_gateway_upstream_duration_seconds_count{{{labels}}} 4" in text
    assert f"basin_gateway_in_flight_requests{{{labels}}} 0" in text
    assert f"basin_gateway_ready_replicas{{{labels}}} 1" in text
    assert "# TYPE basin_gateway_request_duration_seconds histogram" in text
    sample = re.compile(r'^[a-z_]+(\{([a-z_]+="[^"]*",?)*\})? [0-9.e+-]+$')
    for line in text.splitlines():
        assert line.startswith("# ") or sample.match(line), line


def test_health(make_gateway) -> None:
    gw: Gateway = make_gateway()
    response = gw.client.get("/health")
    assert (response.status_code, response.text) == (200, "Healthy")
