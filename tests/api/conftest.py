"""The API specification tests use the three partners of ``tests/conftest.py`` (``police``, ``fire``, ``ghor``)."""

from tests.conftest import Headers as Headers
