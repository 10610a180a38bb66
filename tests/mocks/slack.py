"""A local Slack Web API for file uploads, as Slack documents them (files.upload is retired):

1. `POST /api/files.getUploadURLExternal` (form-encoded `filename`, `length`; Bearer bot token) →
   `{"ok": true, "upload_url": ..., "file_id": "F…"}`;
2. `POST <upload_url>` with the file's bytes (raw or multipart; the URL is pre-signed, no token);
3. `POST /api/files.completeUploadExternal` (JSON or form: `files` = [{"id", "title"}], `channel_id`,
   `initial_comment`; Bearer) → `{"ok": true, "files": [...]}`.

As Slack does, refusals are HTTP 200 with `{"ok": false, "error": ...}`: `not_authed` without a token,
`invalid_auth` with a wrong one, `channel_not_found`, `file_not_found` for an id never uploaded to, and
`invalid_arguments` when the bytes uploaded are not the `length` announced. `shared` records each file
completed into a channel: (channel_id, title, initial_comment, bytes).
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs

from tests.mocks.server import MockServer, Reply, Request


def _form_or_json(request: Request) -> dict:
    if "json" in (request.headers.get("Content-Type") or ""):
        return request.json()
    return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}


class MockSlack(MockServer):
    def __init__(self, bot_token: str, channels: set[str]):
        super().__init__()
        self.bot_token = bot_token
        self.channels = set(channels)
        self.pending: dict[str, dict] = {}  # file id -> {"filename", "length", "bytes"}
        self.shared: list[tuple[str, str, str, bytes]] = []

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def _auth_error(self, request: Request) -> str | None:
        header = request.headers.get("Authorization") or ""
        if not header.startswith("Bearer "):
            return "not_authed"
        return None if header[7:] == self.bot_token else "invalid_auth"

    def answer(self, request: Request) -> Reply:
        if request.method == "POST" and request.path.startswith("/upload/v1/"):
            return self._upload(request.path.rsplit("/", 1)[1], request)
        method = request.path.removeprefix("/api/")
        if request.method != "POST" or method not in ("files.getUploadURLExternal", "files.completeUploadExternal"):
            return 404, {"ok": False, "error": "unknown_method"}
        if error := self._auth_error(request):
            return 200, {"ok": False, "error": error}
        args = _form_or_json(request)
        return self._get_upload_url(args) if method == "files.getUploadURLExternal" else self._complete(args)

    def _get_upload_url(self, args: dict) -> Reply:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return 200, {"ok": False, "error": "invalid_arguments"}
        file_id = "F" + uuid.uuid4().hex[:10].upper()
        self.pending[file_id] = {"filename": args["filename"], "length": int(args["length"]), "bytes": None}
        return 200, {"ok": True, "upload_url": f"{self.url}/upload/v1/{file_id}", "file_id": file_id}

    def _upload(self, file_id: str, request: Request) -> Reply:
        if file_id not in self.pending:
            return 404, None
        self.pending[file_id]["bytes"] = request.body
        return 200, None

    def _complete(self, args: dict) -> Reply:
        files = args.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        if not files or not isinstance(files, list):
            return 200, {"ok": False, "error": "invalid_arguments"}
        if args.get("channel_id") not in self.channels:
            return 200, {"ok": False, "error": "channel_not_found"}
        done = []
        for f in files:
            pending = self.pending.get(f.get("id"))
            if pending is None or pending["bytes"] is None:
                return 200, {"ok": False, "error": "file_not_found"}
            if len(pending["bytes"]) != pending["length"]:
                return 200, {"ok": False, "error": "invalid_arguments"}
            self.shared.append(
                (
                    args["channel_id"],
                    f.get("title") or pending["filename"],
                    args.get("initial_comment", ""),
                    pending["bytes"],
                )
            )
            done.append({"id": f["id"], "title": f.get("title") or pending["filename"]})
        return 200, {"ok": True, "files": done}
