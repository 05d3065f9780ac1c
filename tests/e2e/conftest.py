"""End-to-end tests start real server processes with the fixtures of ``tests/support/server_fixtures.py``
(``server``, ``start_server``, ``netcop_env``, ``shared_servers``, ``http``), which every test directory shares."""
