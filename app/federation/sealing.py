"""The peers' tokens at rest: sealed with Fernet (AES-128-CBC and HMAC-SHA256) under ``NETCOP_FEDERATION_KEY``.

A stored token is ``fernet:<token>`` when a key is configured, and ``plain:<secret>`` when not: an instance
without a key still never shows the token again nor logs it, but whoever reads its database can use it (the
README says to set the key). A sealed token that the configured key cannot open (the key changed) is an error of
that link, shown in its ``last_error``, never a crash.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

SEALED = "fernet:"
PLAIN = "plain:"


class Unsealable(Exception):
    """A stored token that the configured key cannot open."""


class Sealer:
    def __init__(self, key: str | None) -> None:
        self._fernet = Fernet(key.encode()) if key else None

    def seal(self, secret: str) -> str:
        if self._fernet is None:
            return PLAIN + secret
        return SEALED + self._fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        if stored.startswith(PLAIN):
            return stored.removeprefix(PLAIN)
        if self._fernet is None:
            raise Unsealable("the link's token is sealed and NETCOP_FEDERATION_KEY is not set")
        try:
            return self._fernet.decrypt(stored.removeprefix(SEALED).encode()).decode()
        except InvalidToken as error:
            raise Unsealable("NETCOP_FEDERATION_KEY cannot open the link's token (was the key changed?)") from error
