"""The project's settings with ``bench/stub_urls.py`` as the URL configuration.

Only for timing the export over HTTP before the API serves ``/api/v1/export/``.
"""

from newsroom.settings import *  # noqa: F403

ROOT_URLCONF = "bench.stub_urls"
