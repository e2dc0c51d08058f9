"""What the apps contribute about themselves: each app that has something to add keeps it in a
module of an agreed name (`privacy`, `email_settings`, `search`), found here through the app
registry, so that a new app adds its part without touching the code that uses it."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from types import ModuleType

from django.apps import apps
from django.utils.module_loading import module_has_submodule


@cache
def app_modules(name: str) -> tuple[ModuleType, ...]:
    """The `name` module of every installed app that has one, in INSTALLED_APPS order (found
    once per process, as the apps are)."""
    return tuple(
        import_module(f"{config.name}.{name}")
        for config in apps.get_app_configs()
        if module_has_submodule(config.module, name)
    )
