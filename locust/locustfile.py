"""Oleada load: any scenario, picked with ``--scenario`` (or ``OLEADA_SCENARIO``); Black Friday by default.

    locust -f locust/locustfile.py --headless -u 50 -r 10 -t 1m --scenario blackfriday

Bodies are drawn from the scenario's data set (see oleada_locust.py); the per-scenario locustfiles
(``locust/blackfriday.py``) do the same with the scenario fixed. See locust/README.md.
"""

from oleada_locust import ScenarioUser


class ScenarioClient(ScenarioUser):
    """A client of the scenario named by ``--scenario``."""
