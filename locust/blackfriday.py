"""Black Friday shoppers: the locustfile of the ``blackfriday`` scenario, and how its bodies are drawn.

    locust -f locust/blackfriday.py --headless -u 50 -r 10 -t 1m

The draw mirrors ``sample()`` in libs/scenarios/src/blackfriday/blackfriday.scenario.ts over the same
data set: a category by weight, a product of it by weight, a price in whole cents within the
product's range, and a quantity within the data set's range.
"""

from __future__ import annotations

import random
from typing import Any, Mapping

from oleada_locust import ScenarioUser


def body_sampler(dataset: Mapping[str, Any]):
    categories = dataset["categories"]
    category_weights = [c["weight"] for c in categories]
    product_weights = [[p["weight"] for p in c["products"]] for c in categories]
    quantity = dataset["quantity"]

    def sample(rng: random.Random) -> dict[str, Any]:
        index = rng.choices(range(len(categories)), weights=category_weights)[0]
        category = categories[index]
        product = rng.choices(category["products"], weights=product_weights[index])[0]
        cents = rng.randint(round(product["min_price"] * 100), round(product["max_price"] * 100))
        return {
            "categoria": category["categoria"],
            "producto_id": product["producto_id"],
            "precio": cents / 100,
            "cantidad_vendida": rng.randint(quantity["min"], quantity["max"]),
        }

    return sample


class BlackFridayShopper(ScenarioUser):
    scenario = "blackfriday"
