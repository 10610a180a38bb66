"""The collector: an HTTP API that validates records, spools them durably and answers 202.

Endpoints (all under /v1, ingestion key required unless said otherwise):
  POST /v1/llm-calls, /v1/feedback, /v1/outcomes, /v1/conversation-events   JSON array or NDJSON
  POST /v1/outcomes/csv                                                      CSV upload (multipart)
  POST /v1/traces                                                            OTLP/HTTP (protobuf, JSON)
  POST /v1/webhooks/hubspot           signed by HubSpot (X-HubSpot-Signature-v3), no ingestion key
  GET/POST/DELETE /v1/admin/provider-keys   admin JWT (role admin, signed with the Cube API secret)
  GET /healthz                                                               no key
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import (
    Depends,
    FastAPI,
    File,
    HTTPException,
    Request,
    Response,
    Security,
    UploadFile,
)
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)
from pydantic import BaseModel

from ingestion.collector import otlp
from ingestion.collector.admin import add_admin_routes, admin_check
from ingestion.collector.auth import AuthenticateFirst, BodyLimits
from ingestion.collector.batches import (
    Batch,
    BatchError,
    dead_letter_rows,
    stamp_key,
    validate_batch,
    validate_records,
)
from ingestion.collector.csv_upload import parse_outcomes_csv
from ingestion.collector.keys import KeyHolder, KeyVerifier
from ingestion.collector.records import RECORD_KINDS, TITLES, ndjson, record_schema
from ingestion.collector.webhooks import add_webhook_routes
from ingestion.sources.spool import Spool
from outcomelens.core.api_docs import create_app_with_local_docs

log = logging.getLogger("outcomelens.collector")

DEFAULT_PORT = 4318  # the OTLP/HTTP port, so OpenTelemetry exporters find it with their defaults
# A full batch (10,000 records) of ordinary calls is about 10 MB; the limit leaves room for extra fields.
MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_CSV_BYTES = 16 * 1024 * 1024
KEY_HEADER = "X-OutcomeLens-Key"
_BEARER = HTTPBearer(auto_error=False, description="An ingestion key (`outcomelens keys ingestion create`).")
_KEY_HEADER = APIKeyHeader(name=KEY_HEADER, auto_error=False, description="An ingestion key, as a header.")


@dataclass
class CollectorSettings:
    spool_dir: str
    connect: Callable[[], object]  # a Postgres connection for ingestion keys and provider keys
    admin_secret: str | None = None  # the Cube API secret that signs admin JWTs
    hubspot_app_secret: str | None = None
    provider_keys: object | None = None  # outcomelens.core.provider_keys.ProviderKeyStore
    public_url: str | None = None  # how HubSpot reaches us, when a proxy sits in between


class RejectedRecord(BaseModel):
    index: int
    field: str
    reason: str


class IngestResult(BaseModel):
    accepted: int
    rejected: int
    errors: list[RejectedRecord]


class TracesResult(BaseModel):
    accepted: int
    rejected: int
    skipped: int
    errors: list[RejectedRecord]


def _record_body_schema(kind: str) -> dict:
    array = {"type": "array", "maxItems": 10_000, "items": record_schema(kind)}
    return {
        "requestBody": {
            "required": True,
            "description": "A JSON array of records, or NDJSON (one record a line); gzip allowed.",
            "content": {"application/json": {"schema": array}, "application/x-ndjson": {"schema": {"type": "string"}}},
        }
    }


def _decompressor(encoding: str):
    """A streaming decompressor for the Content-Encoding, or None for an uncompressed body."""
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        # 32 + 15: zlib detects a gzip or a zlib header itself (HTTP's "deflate" is zlib-wrapped).
        return zlib.decompressobj(wbits=32 + zlib.MAX_WBITS)
    raise HTTPException(415, f"unsupported Content-Encoding {encoding!r}: send gzip, deflate or none")


def _inflate(decompressor, chunk: bytes, room: int) -> bytes:
    try:
        data = decompressor.decompress(chunk, room + 1)
    except zlib.error:
        raise HTTPException(400, "body is not valid gzip/deflate data") from None
    if len(data) > room or decompressor.unconsumed_tail:
        raise HTTPException(413, f"decompressed body is over the limit of {MAX_BODY_BYTES} bytes")
    return data


# A JSON array or NDJSON; no Content-Type at all is sniffed (curl --data-binary, plain HTTP clients).
RECORD_MEDIA_TYPES = ("application/json", "application/x-ndjson", "application/ndjson", "application/jsonl",
                      "application/jsonlines", "text/plain", "")
TRACE_MEDIA_TYPES = ("application/json", *otlp.PROTOBUF_TYPES, "")  # none: protobuf, as before


def _require_media_type(request: Request, accepted: tuple[str, ...]) -> None:
    """415 before the body is read: a form post or an XML document is a client mistake, not bad records."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in accepted and not media_type.endswith("+json"):
        shown = ", ".join(t for t in accepted if t)
        raise HTTPException(415, f"unsupported Content-Type {media_type!r}: send one of {shown}")


async def _body(request: Request) -> bytes:
    """The request body, decompressed while it streams in, refused as soon as it passes the limit:
    a small gzip bomb never inflates past MAX_BODY_BYTES in memory."""
    decompressor = _decompressor(request.headers.get("content-encoding", "").strip().lower())
    body = bytearray()
    async for chunk in request.stream():
        room = MAX_BODY_BYTES - len(body)
        body += _inflate(decompressor, chunk, room) if decompressor else chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(413, f"body is over the limit of {MAX_BODY_BYTES} bytes")
    if decompressor is not None and not decompressor.eof:
        raise HTTPException(400, "body is not valid gzip/deflate data: it ends before the compressed stream does")
    return bytes(body)


class Intake:
    """What every data endpoint shares: the ingestion-key check and the durable spool."""

    def __init__(self, settings: CollectorSettings):
        self.spool = Spool(settings.spool_dir)
        self.verifier = KeyVerifier(settings.connect)

    def require_key(
        self,
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Security(_BEARER),
        header_key: str | None = Security(_KEY_HEADER),
    ) -> KeyHolder:
        """The project and id of a valid ingestion key (a FastAPI dependency); 401 otherwise. The
        middleware has checked it already, before the body was read, and left it in the request state."""
        if getattr(request.state, "key_holder", None):
            return request.state.key_holder
        key = header_key or (credentials.credentials if credentials else None)
        holder = self.verifier.holder(key)
        if holder is None:
            raise HTTPException(401, "missing or invalid ingestion key", headers={"WWW-Authenticate": "Bearer"})
        return holder

    def persist(self, endpoint: str, batch: Batch, holder: KeyHolder) -> IngestResult:
        table = RECORD_KINDS[batch.kind][0]
        stamp_key(batch.accepted, holder)
        try:
            # Dead letters first: a crash between the two writes loses nothing that was acknowledged.
            if batch.rejected:
                self.spool.append("dead_letters", ndjson(dead_letter_rows(endpoint, batch.rejected, holder.project)))
            self.spool.append(table, batch.ndjson())
        except OSError as exc:  # a full or failing disk: nothing is acknowledged, the client retries
            log.error("cannot write the spool: %s", exc)
            raise HTTPException(503, "the collector cannot store records right now; retry later",
                                headers={"Retry-After": "5"}) from None
        return IngestResult(
            accepted=len(batch.accepted),
            rejected=len(batch.rejected),
            errors=[RejectedRecord(index=r.index, field=r.field, reason=r.reason) for r in batch.rejected],
        )


def add_record_route(app: FastAPI, intake: Intake, kind: str) -> None:
    """POST /v1/<kind>: a JSON array or NDJSON of one record kind."""
    endpoint = f"/v1/{kind}"

    async def ingest(request: Request, holder: KeyHolder = Depends(intake.require_key)) -> JSONResponse:
        _require_media_type(request, RECORD_MEDIA_TYPES)
        body = await _body(request)
        try:
            result = await run_in_threadpool(lambda: intake.persist(endpoint, validate_batch(kind, body), holder))
        except BatchError as exc:
            raise HTTPException(exc.status_code, str(exc)) from None
        return JSONResponse(result.model_dump(), status_code=202)

    app.post(
        endpoint,
        status_code=202,
        response_model=IngestResult,
        summary=f"Ingest {TITLES[kind]} records",
        openapi_extra=_record_body_schema(kind),
        responses={400: {"description": "not JSON / not a list"}, 401: {"description": "no valid key"},
                   413: {"description": "more than 10,000 records"},
                   415: {"description": "a Content-Type other than JSON or NDJSON"}},
    )(ingest)


def add_csv_route(app: FastAPI, intake: Intake) -> None:
    @app.post("/v1/outcomes/csv", status_code=202, response_model=IngestResult, summary="Upload outcome metrics as CSV")
    async def outcomes_csv(file: UploadFile = File(...), holder: KeyHolder = Depends(intake.require_key)) -> JSONResponse:
        """Columns experiment_id, metric_name, metric_value, timestamp (required), intent, capability,
        action, llm_model, user_id; extra columns are kept. Rejections name the CSV line and column."""
        raw = await file.read()
        try:
            text = raw.decode("utf-8-sig")
            batch, _ = parse_outcomes_csv(text)
        except UnicodeDecodeError:
            raise HTTPException(400, "CSV is not UTF-8") from None
        except BatchError as exc:
            raise HTTPException(exc.status_code, str(exc)) from None
        result = await run_in_threadpool(intake.persist, "/v1/outcomes/csv", batch, holder)
        return JSONResponse(result.model_dump(), status_code=202)


def export_response(batch: Batch, result: IngestResult, skipped: int, content_type: str) -> Response:
    """OTLP/HTTP answers 200 with an ExportTraceServiceResponse in the request's encoding."""
    response = ExportTraceServiceResponse()
    if batch.rejected:
        response.partial_success.rejected_spans = len(batch.rejected)
        response.partial_success.error_message = "; ".join(
            f"span {r.index}: {r.field}: {r.reason}" for r in batch.rejected[:10]
        )
    if "json" in content_type:
        # The OTLP/JSON response fields, plus our own counts for people reading it.
        counts = TracesResult(skipped=skipped, **result.model_dump()).model_dump()
        return JSONResponse({**json_format.MessageToDict(response), **counts}, status_code=200)
    return Response(response.SerializeToString(), media_type="application/x-protobuf", status_code=200)


def add_traces_route(app: FastAPI, intake: Intake) -> None:
    @app.post(
        "/v1/traces",
        response_model=TracesResult,
        summary="OTLP/HTTP traces (protobuf or JSON, gzip allowed); GenAI spans become LLM calls",
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/x-protobuf": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"type": "object", "description": "OTLP/JSON ExportTraceServiceRequest"}},
        }}},
    )
    async def traces(request: Request, holder: KeyHolder = Depends(intake.require_key)) -> Response:
        _require_media_type(request, TRACE_MEDIA_TYPES)
        body = await _body(request)
        content_type = request.headers.get("content-type", "application/x-protobuf")
        try:
            export = otlp.parse_request(body, content_type)
        except otlp.OtlpError as exc:
            raise HTTPException(400, str(exc)) from None
        records, skipped = otlp.records_from_request(export)
        batch = validate_records("llm-calls", records)
        result = await run_in_threadpool(intake.persist, "/v1/traces", batch, holder)
        return export_response(batch, result, skipped, content_type)


def create_app(settings: CollectorSettings) -> FastAPI:
    app = create_app_with_local_docs(
        title="OutcomeLens collector",
        version="1",
        description="Receives LLM calls, conversation events, feedback, outcome metrics and OTLP traces; "
        "every accepted record is durable before the 202.",
    )
    intake = Intake(settings)
    app.add_middleware(AuthenticateFirst, holder_of_key=intake.verifier.holder, check_admin=admin_check(settings),
                       limits=BodyLimits(records=MAX_BODY_BYTES, csv=MAX_CSV_BYTES))
    for kind in RECORD_KINDS:
        add_record_route(app, intake, kind)
    add_csv_route(app, intake)
    add_traces_route(app, intake)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        # The loader's health as the spool shows it: how long the oldest waiting segment has waited,
        # and how many segments the warehouse refused for good (in the spool's _quarantine folder).
        return {"status": "ok", "spooled_segments": intake.spool.pending_count(),
                "loader_lag_s": round(intake.spool.oldest_age_s(), 3),
                "quarantined_segments": len(intake.spool.quarantined())}

    add_webhook_routes(app, settings)
    add_admin_routes(app, settings)
    return app
