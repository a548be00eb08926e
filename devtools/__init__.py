"""Development tools for the portal (`manage.py rundev`, `manage.py api_token`).

Installed only beside the Logto emulator (the `dev` extra); production settings never load
this app.
"""
