"""netcop's own operational dashboard: a browser client of the public REST API and the stream, served at ``/``."""
