"""What every Oleada locustfile shares: the user, the options, and how a scenario's bodies are drawn.

A scenario's request bodies come from its data set (``oleada_dataset.load_dataset``: the bundled
``libs/scenarios/src/<scenario>/dataset.json`` or the OCI artifact named by ``OLEADA_DATASET``), the
same data the TypeScript ``sample()`` draws from. How a body is drawn is decided per scenario:

* a module ``locust/<scenario>.py`` defining ``body_sampler(dataset)`` is used when it exists (each
  scenario so far has one: Black Friday's cents, weather's readings in tenths, the olympiad's names
  made of two lists are their own);
* otherwise ``generic_sampler`` reads the data set in the common shape below, so a scenario whose data
  set names its fields after the REST body needs no Python at all.

The common shape: every top-level entry except ``scenario``, ``version`` and ``description`` is either
a list of weighted choices (objects with a ``weight``) or a range ``{"min": a, "max": b}`` for the
body field of the same name. From a weighted choice, each scalar entry becomes a body field, each
range ``{"min", "max"}`` (or ``min_<f>``/``max_<f>`` pair) a number drawn for that field, and each
nested list of weighted choices is drawn in turn. Ranges of integers give integers; other ranges
give numbers with at most two decimals.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import random
import sys
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from locust import FastHttpUser, events, task

from oleada_dataset import DatasetError, load_dataset

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_SCENARIO",
    "ScenarioUser",
    "body_sampler_for",
    "canonical_route",
    "generic_sampler",
    "parse_think_time",
]

DEFAULT_HOST = "http://127.0.0.1:18080"
DEFAULT_SCENARIO = "blackfriday"
METADATA_KEYS = frozenset({"scenario", "version", "description"})

Body = dict[str, Any]
Sampler = Callable[[random.Random], Body]

log = logging.getLogger(__name__)


def canonical_route(scenario: str) -> str:
    """The public route of a scenario (``canonicalRoute`` in libs/scenarios)."""
    return f"/api/v1/{scenario}/events"


def parse_think_time(text: str) -> tuple[float, float]:
    """``"0.1,0.5"`` → (0.1, 0.5); ``"0.2"`` → (0.2, 0.2); ``"0"`` → no pause between requests."""
    parts = [p.strip() for p in (text or "0").split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"think time must be SECONDS or MIN,MAX seconds, got {text!r}") from None
    if len(values) == 1:
        values *= 2
    low, high = values
    if len(values) != 2 or low < 0 or high < low:
        raise ValueError(f"think time must be SECONDS or MIN,MAX seconds with 0 <= MIN <= MAX, got {text!r}")
    return low, high


def _is_weighted_list(value: Any) -> bool:
    return isinstance(value, list) and len(value) > 0 and all(isinstance(v, dict) and "weight" in v for v in value)


def _is_range(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"min", "max"}


def _draw_number(low: Any, high: Any, rng: random.Random) -> float | int:
    if isinstance(low, int) and isinstance(high, int) and not isinstance(low, bool):
        return rng.randint(low, high)
    return rng.randint(round(low * 100), round(high * 100)) / 100


def _weighted(choices: list[dict], rng: random.Random) -> dict:
    return rng.choices(choices, weights=[c["weight"] for c in choices])[0]


def _draw_choice(choice: Mapping[str, Any], body: Body, rng: random.Random) -> None:
    for key, value in choice.items():
        if key == "weight" or key.startswith("max_"):
            continue
        if key.startswith("min_") and f"max_{key[4:]}" in choice:
            body[key[4:]] = _draw_number(value, choice[f"max_{key[4:]}"], rng)
        elif _is_range(value):
            body[key] = _draw_number(value["min"], value["max"], rng)
        elif _is_weighted_list(value):
            _draw_choice(_weighted(value, rng), body, rng)
        elif isinstance(value, (str, int, float, bool)):
            body[key] = value
        else:
            raise DatasetError(f"cannot read entry {key!r} of a weighted choice: write a sampler module for this scenario")


def generic_sampler(dataset: Mapping[str, Any]) -> Sampler:
    """Draws bodies from a data set in the common shape (see the module docstring)."""
    entries = [(k, v) for k, v in dataset.items() if k not in METADATA_KEYS]
    for key, value in entries:
        if not (_is_weighted_list(value) or _is_range(value)):
            raise DatasetError(
                f"data set entry {key!r} is neither a list of weighted choices nor a {{min, max}} range: "
                f"add locust/{dataset.get('scenario', '<scenario>')}.py with a body_sampler(dataset)"
            )

    def sample(rng: random.Random) -> Body:
        body: Body = {}
        for key, value in entries:
            if _is_range(value):
                body[key] = _draw_number(value["min"], value["max"], rng)
            else:
                _draw_choice(_weighted(value, rng), body, rng)
        return body

    return sample


@functools.cache
def body_sampler_for(scenario: str) -> Sampler:
    """The scenario's sampler over its data set: ``locust/<scenario>.py``'s ``body_sampler``, or the generic one."""
    dataset = load_dataset(scenario)
    module_name = scenario.replace("-", "_")
    path = Path(__file__).resolve().parent / f"{module_name}.py"
    if not path.is_file():
        return generic_sampler(dataset)
    module = sys.modules.get(module_name)
    if module is None or getattr(module, "__file__", None) != str(path):
        # By path: Locust takes the locustfile's folder off sys.path once the locustfile is loaded.
        spec = importlib.util.spec_from_file_location(f"oleada_locust_{module_name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    factory = getattr(module, "body_sampler", None)
    return factory(dataset) if callable(factory) else generic_sampler(dataset)


@events.init_command_line_parser.add_listener
def _add_arguments(parser) -> None:
    group = parser.add_argument_group("Oleada")
    group.add_argument(
        "--scenario",
        env_var="OLEADA_SCENARIO",
        default=DEFAULT_SCENARIO,
        help="scenario to send (locustfile.py only; the per-scenario locustfiles fix it). Default: %(default)s",
    )
    group.add_argument(
        "--think-time",
        env_var="OLEADA_THINK_TIME",
        default="0.1,0.5",
        help="seconds a user pauses between requests: SECONDS or MIN,MAX (uniform); 0 sends as fast as answers come. Default: %(default)s",
    )
    group.add_argument(
        "--host-header",
        env_var="OLEADA_HOST_HEADER",
        default="",
        help="Host header to send, for an Ingress that matches a host name with no DNS record yet (--host http://<ingress address>)",
    )
    group.add_argument(
        "--seed",
        env_var="OLEADA_SEED",
        type=int,
        default=None,
        help="seed for reproducible bodies (user n draws from seed + n); default: random",
    )


@events.init.add_listener
def _check_options(environment, **_kwargs) -> None:
    """Fails at start-up, not mid-test, on a bad option or a data set that cannot be read."""
    options = environment.parsed_options
    if options is None:
        return
    try:
        parse_think_time(options.think_time)
        scenarios = {cls.scenario or options.scenario for cls in environment.user_classes if issubclass(cls, ScenarioUser)}
        for scenario in sorted(scenarios):
            body_sampler_for(scenario)
    except (DatasetError, ValueError) as error:
        log.error("cannot start: %s", error)
        raise SystemExit(1) from error  # locust logs and carries on after an Exception in a listener


class ScenarioUser(FastHttpUser):
    """Posts one scenario's events, one at a time, to the canonical route; a 202 is a success."""

    abstract = True
    host = DEFAULT_HOST
    #: Fixed by a per-scenario locustfile; ``None`` reads ``--scenario``.
    scenario: Optional[str] = None
    _count = 0

    def on_start(self) -> None:
        options = self.environment.parsed_options
        name = self.scenario or (options.scenario if options else DEFAULT_SCENARIO)
        self.scenario_name = name
        self.route = canonical_route(name)
        self.sample = body_sampler_for(name)
        self.think = parse_think_time(options.think_time if options else "0.1,0.5")
        seed = options.seed if options else None
        ScenarioUser._count += 1
        self.rng = random.Random(None if seed is None else seed + ScenarioUser._count)
        host_header = options.host_header if options else ""
        self.headers = {"Host": host_header} if host_header else {}

    def wait_time(self) -> float:
        low, high = self.think
        return low if low == high else self.rng.uniform(low, high)

    @task
    def post_event(self) -> None:
        body = self.sample(self.rng)
        with self.client.post(self.route, json=body, headers=self.headers, name=self.route, catch_response=True) as response:
            if response.status_code == 202:
                response.success()
            elif response.status_code == 0:
                response.failure(f"no answer: {response.error!r}")
            else:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")
