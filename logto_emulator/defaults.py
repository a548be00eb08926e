"""The demo tenant's fixed identities: where the emulator listens, its two applications, and
the one password of the demo users. The portal's debug defaults (`orgportal.logto.dev_defaults`)
name the same endpoint and applications; a test keeps the two in step.
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
