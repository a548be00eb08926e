"""Credentials shared by the emulator's `demo` seed and the portal's debug defaults.

They only ever identify the local emulator; outside debug the portal refuses to start
without real values.
"""

EMULATOR_HOST = "127.0.0.1"
EMULATOR_PORT = 3001
ENDPOINT = f"http://{EMULATOR_HOST}:{EMULATOR_PORT}"
WEB_APP_ID = "orgportal-web"
WEB_APP_SECRET = "orgportal-web-dev-secret"
M2M_APP_ID = "orgportal-m2m"
M2M_APP_SECRET = "orgportal-m2m-dev-secret"
MANAGEMENT_API_RESOURCE = "https://default.logto.app/api"
API_RESOURCE = "https://api.orgportal.local"
DEMO_PASSWORD = "demo-password-1"
