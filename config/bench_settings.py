"""Benchmark settings: production settings plus the baseline view (bench/urls.py).

Used only by bench/run.py; never deploy with it.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
