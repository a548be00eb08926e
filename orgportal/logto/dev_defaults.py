"""Where the portal looks for Logto when nothing is configured in debug: the local
development emulator's demo tenant (`make run`).

They only ever identify that emulator; outside debug the portal refuses to start without
real values.
"""

ENDPOINT = "http://127.0.0.1:3001"
WEB_APP_ID = "orgportal-web"
WEB_APP_SECRET = "orgportal-web-dev-secret"
M2M_APP_ID = "orgportal-m2m"
M2M_APP_SECRET = "orgportal-m2m-dev-secret"
MANAGEMENT_API_RESOURCE = "https://default.logto.app/api"
API_RESOURCE = "https://api.orgportal.local"
