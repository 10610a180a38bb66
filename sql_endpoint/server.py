"""The Postgres wire protocol, on buenavista (a socketserver implementation of protocol 3.0: startup,
simple and extended query, portals, cancel).

What is changed from buenavista's handler, and why:
- authentication asks for the cleartext password (AuthenticationCleartextPassword): the accounts
  service checks the password itself, so the endpoint cannot use buenavista's MD5 exchange with a
  password table; the endpoint listens on 127.0.0.1 only;
- errors carry severity and SQLSTATE (buenavista sends the message alone), so clients tell a
  forbidden member (42501) from an unsupported construct (0A000) or a bad password (28P01, FATAL);
- rows go out as Postgres text with each column's real type OID (the catalog's `name`, `oid`, `bool`
  columns included), where buenavista maps a fixed set of its own types;
- bound parameters of unknown type stay text (buenavista parses them as dates).
"""

from __future__ import annotations

import io
import logging
import socketserver
import struct
import threading

from buenavista.core import Connection
from buenavista.postgres import NULL_BYTE, BuenaVistaHandler, BuenaVistaServer, BVBuffer, ServerResponse

from sql_endpoint.catalog import Catalogs
from sql_endpoint.errors import INTERNAL_ERROR, SqlError
from sql_endpoint.session import CubeSession

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 15432
PORT_ENV = "OUTCOMELENS_SQL_PORT"
SERVER_PARAMETERS = {
    "server_version": "15.0",
    "server_encoding": "UTF8",
    "client_encoding": "UTF8",
    "DateStyle": "ISO, MDY",
    "IntervalStyle": "postgres",
    "TimeZone": "UTC",
    "integer_datetimes": "on",
    "standard_conforming_strings": "on",
    "is_superuser": "off",
}


class _Endpoint(Connection):
    """buenavista's Connection: makes a CubeSession per client."""

    def __init__(self, cube_api_url: str, accounts_url: str, catalogs: Catalogs):
        super().__init__()
        self.cube_api_url, self.accounts_url, self.catalogs = cube_api_url, accounts_url, catalogs

    def new_session(self) -> CubeSession:
        return CubeSession(self.cube_api_url, self.accounts_url, self.catalogs)

    def parameters(self) -> dict[str, str]:
        return dict(SERVER_PARAMETERS)


class SqlHandler(BuenaVistaHandler):
    def send_auth_request(self, ctx) -> None:
        self.wfile.write(struct.pack("!cii", ServerResponse.AUTHENTICATION_REQUEST, 8, 3))

    def handle_md5_password(self, ctx, payload: bytes) -> None:
        # buenavista's name for the PasswordMessage handler; the password arrives in clear (see above).
        password = (payload or b"").rstrip(b"\x00").decode("utf-8")
        ctx.session.authenticate(ctx.params.get("user", ""), password)  # SqlError(fatal) ends the connection
        ctx.params["user"] = ctx.session.principal.user
        self.send_authentication_ok()
        self.send_parameter_status(
            {
                "session_authorization": ctx.session.principal.user,
                "application_name": ctx.params.get("application_name", ""),
            }
        )
        self.handle_post_auth(ctx)

    def handle_query(self, ctx, payload: bytes) -> None:
        if not payload.rstrip(b"\x00").strip():
            self.wfile.write(struct.pack("!ci", ServerResponse.EMPTY_QUERY_RESPONSE, 4))
            self.send_ready_for_query(ctx)
            return
        super().handle_query(ctx, payload)

    def handle_bind(self, ctx, payload: bytes) -> None:
        data = bytearray(payload)
        portal_end = data.index(NULL_BYTE)
        statement_end = data.index(NULL_BYTE, portal_end + 1)
        portal = data[:portal_end].decode()
        statement = data[portal_end + 1 : statement_end].decode()
        buf = BVBuffer(io.BytesIO(bytes(data[statement_end + 1 :])))
        formats = [buf.read_int16() for _ in range(buf.read_int16())]
        count = buf.read_int16()
        formats = formats * count if len(formats) == 1 else (formats or [0] * count)
        oids = list(ctx.stmts[statement][1]) + [0] * count
        params = []
        for index in range(count):
            size = buf.read_int32()
            value = None if size < 0 else buf.read_bytes(size)
            params.append(None if value is None else self._parameter(value, formats[index], oids[index]))
        result_formats = [buf.read_int16() for _ in range(buf.read_int16())]
        del result_formats  # rows always go out as text, whatever format the client asked for
        ctx.add_portal(portal, statement, params, [])
        self.send_bind_complete()

    @staticmethod
    def _parameter(value: bytes, fmt: int, oid: int):
        if fmt == 0:
            return value.decode("utf-8")
        binary = {20: "!q", 21: "!h", 23: "!i", 700: "!f", 701: "!d"}
        if oid in binary:
            return struct.unpack(binary[oid], value)[0]
        if oid in (16,):
            return value == b"\x01"
        if oid in (25, 1043, 19):
            return value.decode("utf-8")
        raise SqlError("0A000", f"binary parameters of type OID {oid} are not supported: send them as text")

    def send_row_description(self, query_result) -> None:
        buf = BVBuffer()
        for name, oid in query_result.columns:
            buf.write_string(name)
            buf.write_bytes(struct.pack("!ihihih", 0, 0, oid, -1, -1, 0))
        out = buf.get_value()
        header = struct.pack("!cih", ServerResponse.ROW_DESCRIPTION, len(out) + 6, len(query_result.columns))
        self.wfile.write(header + out)

    def send_data_rows(self, query_result, limit: int = 0) -> int:
        sent = 0
        chunks = []
        for row in query_result.rows():
            buf = BVBuffer()
            for value in row:
                if value is None:
                    buf.write_int32(-1)
                else:
                    encoded = value.encode("utf-8")
                    buf.write_int32(len(encoded))
                    buf.write_bytes(encoded)
            out = buf.get_value()
            chunks.append(struct.pack("!cih", ServerResponse.DATA_ROW, len(out) + 6, len(row)) + out)
            sent += 1
            if limit > 0 and sent >= limit:
                break
        self.wfile.write(b"".join(chunks))
        return sent

    def send_error(self, exception, ctx=None) -> None:
        if isinstance(exception, SqlError):
            sqlstate, message, fatal = exception.sqlstate, exception.message, exception.fatal
        else:
            logger.error("internal error: %s", exception.__class__.__name__, exc_info=exception)
            sqlstate, message, fatal = INTERNAL_ERROR, f"internal error ({exception.__class__.__name__})", False
        severity = "FATAL" if fatal else "ERROR"
        buf = BVBuffer()
        for code, value in (("S", severity), ("V", severity), ("C", sqlstate), ("M", message)):
            buf.write_byte(code.encode())
            buf.write_string(value)
        buf.write_byte(NULL_BYTE)
        out = buf.get_value()
        self.wfile.write(struct.pack("!ci", ServerResponse.ERROR_RESPONSE, len(out) + 4) + out)
        if ctx:
            ctx.mark_error()


class SqlServer(BuenaVistaServer):
    daemon_threads = True  # a client that never hangs up must not keep the process from stopping

    def __init__(self, address, endpoint: _Endpoint):
        socketserver.ThreadingTCPServer.__init__(self, address, SqlHandler)
        self.conn = endpoint
        self.rewriter = None
        self.extensions = {}
        self.ctxts = {}
        self.auth = None


class SqlEndpoint:
    """The endpoint: a server on host:port answering from Cube (`cube_api_url`, …/cubejs-api) for the
    users of the accounts service (`accounts_url`), its catalogs on `warehouse`'s Postgres server."""

    def __init__(
        self, cube_api_url: str, accounts_url: str, warehouse, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
    ):
        self.catalogs = Catalogs(warehouse)
        self.server = SqlServer((host, port), _Endpoint(cube_api_url, accounts_url, self.catalogs))
        self.host, self.port = self.server.server_address[:2]
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def start(self) -> "SqlEndpoint":
        """Serve in a background thread (tests, benchmarks)."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name="sql-endpoint")
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        for ctx in list(self.server.ctxts.values()):
            try:
                ctx.session.close()
            except Exception:  # a session already closing by itself
                pass
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> "SqlEndpoint":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
