"""Weather stations: the locustfile of the ``weather`` scenario, and how its reports are drawn.

    locust -f locust/weather.py --headless -u 50 -r 10 -t 1m

The draw mirrors ``sample()`` in libs/scenarios/src/weather/weather.scenario.ts over the same data
set: a municipality by weight, one of its conditions by weight, and a temperature and humidity
within that condition's ranges, in tenths (the REST body takes at most one decimal).
"""

from __future__ import annotations

import random
from typing import Any, Mapping

from oleada_locust import ScenarioUser


def _reading(value_range: Mapping[str, float], rng: random.Random) -> float:
    low, high = value_range["min"], value_range["max"]
    return min(high, max(low, round(rng.uniform(low, high) * 10) / 10))


def body_sampler(dataset: Mapping[str, Any]):
    places = dataset["municipalities"]
    place_weights = [p["weight"] for p in places]
    condition_weights = [[c["weight"] for c in p["conditions"]] for p in places]

    def sample(rng: random.Random) -> dict[str, Any]:
        index = rng.choices(range(len(places)), weights=place_weights)[0]
        place = places[index]
        condition = rng.choices(place["conditions"], weights=condition_weights[index])[0]
        return {
            "municipality": place["municipality"],
            "temperature": _reading(condition["temperature"], rng),
            "humidity": _reading(condition["humidity"], rng),
            "weather": condition["weather"],
        }

    return sample


class WeatherStation(ScenarioUser):
    scenario = "weather"
