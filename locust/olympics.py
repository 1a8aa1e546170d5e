"""Olympiad entrants: the locustfile of the ``olympics`` scenario, and how its participants are drawn.

    locust -f locust/olympics.py --headless -u 50 -r 10 -t 1m

The draw mirrors ``sample()`` in libs/scenarios/src/olympics/olympics.scenario.ts over the same data
set: a name made of a first name and a surname, an age within the data set's range, and a faculty
and a discipline by weight. The writer decides winner or loser; the client does not.
"""

from __future__ import annotations

import random
from typing import Any, Mapping

from oleada_locust import ScenarioUser


def body_sampler(dataset: Mapping[str, Any]):
    first_names, last_names = dataset["first_names"], dataset["last_names"]
    age = dataset["age"]
    faculties, disciplines = dataset["faculties"], dataset["disciplines"]
    faculty_weights = [f["weight"] for f in faculties]
    discipline_weights = [d["weight"] for d in disciplines]

    def sample(rng: random.Random) -> dict[str, Any]:
        return {
            "name": f"{rng.choice(first_names)} {rng.choice(last_names)}",
            "age": rng.randint(age["min"], age["max"]),
            "faculty": rng.choices(faculties, weights=faculty_weights)[0]["faculty"],
            "discipline": rng.choices(disciplines, weights=discipline_weights)[0]["discipline"],
        }

    return sample


class OlympicsEntrant(ScenarioUser):
    scenario = "olympics"
