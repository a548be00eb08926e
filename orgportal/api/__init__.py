"""The JSON API (`/api/v1/`) for the customer's own frontends, over the same services."""
