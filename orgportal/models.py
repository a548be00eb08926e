from django.contrib.auth.models import AbstractUser
from django.db import models

from orgportal.logto.models import Profile


class User(AbstractUser):
    """A person who signed in through Logto, identified by Logto's immutable `sub`.

    Email, name and picture are copies refreshed at every sign-in; Logto stays the source of
    truth. Local superusers made with `createsuperuser` have no Logto id.
    """

    logto_id = models.CharField(
        "Logto user id", max_length=128, unique=True, null=True, blank=True, editable=False
    )
    name = models.CharField(max_length=255, blank=True)
    picture = models.URLField(max_length=2048, blank=True)
    email_verified = models.BooleanField(default=False)
    last_organization_id = models.CharField(max_length=64, blank=True)

    # Not stored: set for one request when the user acts through an organization token, whose
    # `scope` then caps what they may do there (a token never grants more than it names).
    token_scopes: frozenset[str] | None = None

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email or self.username

    def get_short_name(self) -> str:  # the admin's "Welcome, …"
        return self.display_name

    @property
    def subject(self) -> str:
        """Logto's id for this user; empty for local-only accounts (`createsuperuser`)."""
        return self.logto_id or ""

    PROFILE_FIELDS = ("email", "email_verified", "name", "picture")

    def apply_profile(self, profile: Profile) -> bool:
        """Copy Logto's profile onto this user (unsaved); True when anything changed."""
        changed = False
        for field in self.PROFILE_FIELDS:
            value = getattr(profile, field)
            if getattr(self, field) != value:
                setattr(self, field, value)
                changed = True
        return changed


class AuditEvent(models.Model):
    """One change the portal made, or tried to make, in Logto. Never edited after writing."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    actor_label = models.CharField(max_length=255, help_text="Who, as shown at the time")
    action = models.CharField(max_length=100, db_index=True, help_text="e.g. organization.created")
    organization_id = models.CharField(max_length=64, blank=True, db_index=True)
    organization_name = models.CharField(max_length=255, blank=True)
    target_type = models.CharField(max_length=50, blank=True)
    target_id = models.CharField(max_length=128, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_label} ({self.outcome})"
