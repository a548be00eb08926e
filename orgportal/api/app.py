"""The portal's JSON API (`/api/v1/`): one NinjaAPI, one router per entity, one error handler."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from orgportal.api.error_handler import HANDLED, api_error_response
from orgportal.api.parser import JsonBodyParser
from orgportal.api.routers import invitations, invitee, me, members, organizations


class PortalApi(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """Paths relative to the server `/api/v1`, as the document always had them."""
        schema = super().get_openapi_schema(path_prefix="", path_params=path_params)
        schema["servers"] = [{"url": f"{settings.PORTAL_BASE_URL}/api/v1"}]
        return schema


api = PortalApi(
    title="orgportal API",
    version="1",
    description=(
        "Self-service organization management over Logto. Send a Logto access token as "
        "`Authorization: Bearer <token>`: for the portal's API resource on user endpoints, "
        "for the organization (`urn:logto:organization:<id>`) on organization endpoints."
    ),
    docs_url=None,  # ninja's docs page loads Swagger from a CDN, which this project forbids
    parser=JsonBodyParser(),
    urls_namespace="api",
)
for error_class in HANDLED:
    api.add_exception_handler(error_class, api_error_response)  # type: ignore[arg-type]

for router in (me.router, organizations.router, members.router, invitations.router, invitee.router):
    api.add_router("", router)
