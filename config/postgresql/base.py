"""Django's PostgreSQL backend with a health check that costs no round trip.

With CONN_HEALTH_CHECKS, Django asks a persistent connection `SELECT 1` before the first query
of every request, so a connection that died with a Postgres restart is replaced rather than
failing the request. That question is a round trip on every request that touches the database.

Here the connection is asked its socket instead. An idle connection has nothing to read; when
the server goes away (a restart, a crash, an administrator's pg_terminate_backend) it sends its
FATAL message and closes, or its kernel resets the socket, and the socket becomes readable at
once. So a connection is usable when libpq knows it as good, no transaction on it has failed,
and its socket has nothing to read; otherwise it is closed and Django connects afresh, as after
a failed `SELECT 1`. A server that vanished without a word (a cut network) is not seen this way,
but `SELECT 1` would then hang until the TCP timeout too.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import ConnStatus, TransactionStatus

UNUSABLE = (TransactionStatus.INERROR, TransactionStatus.UNKNOWN)


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        info = connection.info
        if info.status != ConnStatus.OK or info.transaction_status in UNUSABLE:
            return False
        return not has_something_to_read(connection.fileno())


def has_something_to_read(fd: int) -> bool:
    """True when the socket has data or end-of-file waiting (poll with no timeout)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    try:
        return bool(poller.poll(0))
    except OSError:
        return True
