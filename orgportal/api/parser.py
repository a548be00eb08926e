"""Request bodies: JSON text in UTF-8, at most 64 KiB, nothing a database cannot store."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.parser import Parser

from orgportal.api.errors import ApiError

MAX_BODY_BYTES = 64 * 1024


class JsonBodyParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
            raise ApiError(
                413,
                "payload_too_large",
                _("Send at most %(count)s bytes.") % {"count": MAX_BODY_BYTES},
            )
        try:
            data = json.loads(request.body)
            # JSON may escape lone surrogates (\ud800) that no database or email can store.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (ValueError, UnicodeError):
            raise ApiError(
                400, "invalid_json", _("The request body is not valid JSON text in UTF-8.")
            ) from None
        if not isinstance(data, dict):
            # Every body of this API is an object; ninja reads fields with `.get`.
            raise ApiError(
                400,
                "invalid_input",
                _("The request body must be a JSON object."),
                details=[{"path": [], "message": _("Input should be an object.")}],
            )
        return data
