"""`POST /webhooks/logto`: Logto's signed deliveries. No session, no CSRF token, no sign-in
redirect: the signature over the raw body is the only credential. The view reads the body
(never more than the limit) and hands it over; services/logto_events.py decides."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from orgportal.services.logto_events import (
    SIGNATURE_HEADER,
    DeliveryRefused,
    delivery_receive,
    max_body_bytes,
)

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def logto_webhook(request: HttpRequest) -> HttpResponse:
    limit = max_body_bytes()
    try:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:  # refused before a byte of it is read
            raise DeliveryRefused(413, f"body of {declared} bytes, more than {limit}")
        body = request.read(limit + 1)
        outcome = delivery_receive(body, request.headers.get(SIGNATURE_HEADER))
    except DeliveryRefused as refusal:
        logger.warning(
            "Logto webhook refused (%s) from %s: %s",
            refusal.status,
            request.META.get("REMOTE_ADDR", "?"),
            refusal.reason,
        )
        return JsonResponse({"accepted": False}, status=refusal.status)
    return JsonResponse({"accepted": True, "replayed": outcome.replayed})
