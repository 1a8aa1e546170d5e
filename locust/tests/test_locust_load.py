"""The locustfiles: bodies drawn from each scenario's data set, options, and a short real Locust run.

The run against the whole local chain (Valkey counts == Locust's successes) is
tools/bench/src/locust-smoke.spec.ts. Here Locust runs against a tiny in-process server, which can
answer 202 or 503 on purpose and shows exactly what Locust sent.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

# Importing locust monkey-patches the standard library for gevent; this pytest process only needs
# the classes and samplers, and real runs happen in a subprocess below.
os.environ["LOCUST_SKIP_MONKEY_PATCH"] = "1"
LOCUST_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(LOCUST_DIR))

import blackfriday  # noqa: E402
import locustfile  # noqa: E402
import oleada_locust as ol  # noqa: E402
import olympics  # noqa: E402
import weather  # noqa: E402
from locust import FastHttpUser  # noqa: E402
from oleada_dataset import DatasetError, load_dataset  # noqa: E402

LOCUST = Path(sys.executable).parent / "locust"


@pytest.fixture(autouse=True)
def bundled_data(monkeypatch):
    monkeypatch.delenv("OLEADA_DATASET", raising=False)
    ol.body_sampler_for.cache_clear()
    yield
    ol.body_sampler_for.cache_clear()


def test_black_friday_bodies_come_from_the_data_set():
    dataset = load_dataset("blackfriday")
    products = {p["producto_id"]: (c["categoria"], p) for c in dataset["categories"] for p in c["products"]}
    sample = ol.body_sampler_for("blackfriday")
    rng = random.Random(1)
    bodies = [sample(rng) for _ in range(3000)]
    for body in bodies:
        assert set(body) == {"categoria", "producto_id", "precio", "cantidad_vendida"}
        categoria, product = products[body["producto_id"]]
        assert body["categoria"] == categoria
        assert product["min_price"] <= body["precio"] <= product["max_price"]
        assert round(body["precio"] * 100) == pytest.approx(body["precio"] * 100)
        assert dataset["quantity"]["min"] <= body["cantidad_vendida"] <= dataset["quantity"]["max"]
    # Weighted: the heaviest category is drawn most, and every category appears.
    counts = {c["categoria"]: 0 for c in dataset["categories"]}
    for body in bodies:
        counts[body["categoria"]] += 1
    heaviest = max(dataset["categories"], key=lambda c: c["weight"])["categoria"]
    assert max(counts, key=counts.get) == heaviest
    assert all(n > 0 for n in counts.values())


def test_weather_reports_come_from_the_data_set_in_tenths():
    dataset = load_dataset("weather")
    places = {p["municipality"]: {c["weather"]: c for c in p["conditions"]} for p in dataset["municipalities"]}
    sample = ol.body_sampler_for("weather")
    rng = random.Random(2)
    seen = set()
    for _ in range(2000):
        body = sample(rng)
        assert set(body) == {"municipality", "temperature", "humidity", "weather"}
        condition = places[body["municipality"]][body["weather"]]
        for field in ("temperature", "humidity"):
            assert condition[field]["min"] <= body[field] <= condition[field]["max"]
            assert round(body[field] * 10) == pytest.approx(body[field] * 10), "the REST body takes at most one decimal"
        seen.add((body["municipality"], body["weather"]))
    assert len(seen) == sum(len(c) for c in places.values()), "every municipality reports every condition"


def test_olympics_participants_come_from_the_data_set():
    dataset = load_dataset("olympics")
    sample = ol.body_sampler_for("olympics")
    rng = random.Random(4)
    faculties = {f["faculty"] for f in dataset["faculties"]}
    disciplines = {d["discipline"] for d in dataset["disciplines"]}
    for _ in range(1000):
        body = sample(rng)
        assert set(body) == {"name", "age", "faculty", "discipline"}
        first, last = body["name"].split(" ", 1)
        assert first in dataset["first_names"] and last in dataset["last_names"]
        assert dataset["age"]["min"] <= body["age"] <= dataset["age"]["max"]
        assert body["faculty"] in faculties and body["discipline"] in disciplines


def test_the_same_seed_draws_the_same_bodies():
    sample = blackfriday.body_sampler(load_dataset("blackfriday"))
    assert [sample(random.Random(7)) for _ in range(3)] == [sample(random.Random(7)) for _ in range(3)]


WEATHER_LIKE = {
    "scenario": "weatherish",
    "version": 1,
    "description": "a data set in the common shape",
    "municipalities": [
        {"municipality": "mixco", "weight": 3, "min_temperature": 12.5, "max_temperature": 30.0, "conditions": [{"weather": "sunny", "weight": 1, "wind": {"min": 0, "max": 5}}]},
        {"municipality": "chinautla", "weight": 1, "min_temperature": 10.0, "max_temperature": 25.0, "conditions": [{"weather": "rainy", "weight": 1, "wind": {"min": 0, "max": 5}}]},
    ],
    "humidity": {"min": 20, "max": 90},
}


def test_the_generic_sampler_reads_weighted_choices_and_ranges():
    sample = ol.generic_sampler(WEATHER_LIKE)
    rng = random.Random(3)
    seen = set()
    for _ in range(500):
        body = sample(rng)
        assert set(body) == {"municipality", "temperature", "weather", "wind", "humidity"}
        assert isinstance(body["wind"], int) and 0 <= body["wind"] <= 5
        low, high, weather = (12.5, 30.0, "sunny") if body["municipality"] == "mixco" else (10.0, 25.0, "rainy")
        assert low <= body["temperature"] <= high and body["weather"] == weather
        assert isinstance(body["humidity"], int) and 20 <= body["humidity"] <= 90
        seen.add(body["municipality"])
    assert seen == {"mixco", "chinautla"}


def test_a_scenario_without_its_own_module_gets_the_generic_sampler(monkeypatch):
    monkeypatch.setattr(ol, "load_dataset", lambda scenario: WEATHER_LIKE)
    body = ol.body_sampler_for("weatherish")(random.Random(1))
    assert "municipality" in body and "humidity" in body


def test_a_data_set_in_another_shape_asks_for_a_sampler_module():
    with pytest.raises(DatasetError, match=r"add locust/odd\.py with a body_sampler"):
        ol.generic_sampler({"scenario": "odd", "names": ["a", "b"]})


def test_think_time():
    assert ol.parse_think_time("0.1,0.5") == (0.1, 0.5)
    assert ol.parse_think_time("0") == (0.0, 0.0)
    assert ol.parse_think_time(" 2 ") == (2.0, 2.0)
    for bad in ("-1", "3,1", "a", "1,2,3"):
        with pytest.raises(ValueError):
            ol.parse_think_time(bad)


def test_locustfiles_define_fast_http_users_for_the_local_gateway():
    for user in (locustfile.ScenarioClient, blackfriday.BlackFridayShopper, weather.WeatherStation, olympics.OlympicsEntrant):
        assert issubclass(user, FastHttpUser) and not user.abstract
        assert user.host == "http://127.0.0.1:18080"
    assert blackfriday.BlackFridayShopper.scenario == "blackfriday"
    assert weather.WeatherStation.scenario == "weather"
    assert olympics.OlympicsEntrant.scenario == "olympics"
    assert locustfile.ScenarioClient.scenario is None
    assert ol.canonical_route("blackfriday") == "/api/v1/blackfriday/events"


class _Recorder(BaseHTTPRequestHandler):
    status = 202
    received: list = []

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        type(self).received.append((self.path, self.headers.get("Host"), json.loads(self.rfile.read(length))))
        body = b'{"id":"0190f0f0-0000-7000-8000-000000000000"}'
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _run_locust(status: int, tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess, list, list]:
    handler = type("Handler", (_Recorder,), {"status": status, "received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {k: v for k, v in os.environ.items() if k not in ("LOCUST_SKIP_MONKEY_PATCH", "OLEADA_DATASET")}
    try:
        result = subprocess.run(
            [str(LOCUST), "-f", str(LOCUST_DIR / "blackfriday.py"), "--headless", "-u", "2", "-r", "2", "-t", "2s",
             "--stop-timeout", "5", "--host", f"http://127.0.0.1:{server.server_address[1]}",
             "--think-time", "0.05", "--json-file", str(tmp_path / "stats"), "--only-summary", *extra],
            env=env, capture_output=True, text=True, timeout=120,
        )
    finally:
        server.shutdown()
    stats = json.loads((tmp_path / "stats.json").read_text()) if (tmp_path / "stats.json").exists() else []
    return result, handler.received, stats


def test_locust_posts_sample_bodies_to_the_canonical_route(tmp_path):
    assert LOCUST.exists(), f"locust is not installed at {LOCUST}: run bash tools/scripts/setup.sh"
    result, received, stats = _run_locust(202, tmp_path, "--host-header", "oleada.example.com")
    assert result.returncode == 0, result.stderr[-2000:]
    assert received, "Locust sent nothing"
    dataset = load_dataset("blackfriday")
    categories = {c["categoria"] for c in dataset["categories"]}
    for path, host, body in received:
        assert path == "/api/v1/blackfriday/events"
        assert host == "oleada.example.com"
        assert body["categoria"] in categories
    assert [(s["method"], s["name"], s["num_failures"]) for s in stats] == [("POST", "/api/v1/blackfriday/events", 0)]
    assert stats[0]["num_requests"] == len(received)


def test_anything_but_202_is_a_failure(tmp_path):
    result, received, stats = _run_locust(503, tmp_path)
    assert result.returncode == 1, "a run with failures exits non-zero"
    assert received and stats[0]["num_failures"] == stats[0]["num_requests"] == len(received)
