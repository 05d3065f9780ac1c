"""Server processes for tests live in ``tests/support/processes.py``; this name stays for the modules that still
import ``Server`` from here (test_http_edge.py)."""

from tests.support.processes import Server as Server
