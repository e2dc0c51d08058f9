"""Static files in production: WhiteNoise's compressed, hashed files, each URL looked up once.

`{% static %}` asks the manifest storage for the same handful of URLs on every page (the
stylesheet, the icon, two scripts); each answer costs about a hundred Python calls (name
cleaning, the manifest lookup, URL joining and quoting). The manifest is read when the process
starts and does not change while it runs, so the answers are kept (issue 9).
"""

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known_urls: dict[str, str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        if force or name is None:
            direct: str = super().url(name, force)
            return direct
        url: str | None = self.known_urls.get(name)
        if url is None:  # a name missing from the manifest raises every time, never kept
            url = self.known_urls[name] = super().url(name)
        return url
