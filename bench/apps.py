from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmarks' Django side: the `seed_load` command and its data (bench/loaddata/).
    No models, no URLs of the site; product code never imports it."""

    name = "bench"
    verbose_name = "Benchmarks"
