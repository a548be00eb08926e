import uuid
from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgportal.logto.models import Profile

# The usernames of the accounts organization API keys act as (`ApiKey.actor`): no person
# signs in with one (no Logto id, no usable password).
API_KEY_USERNAME_PREFIX = "api-key:"


class User(AbstractUser):
    """A person who signed in through Logto, identified by Logto's immutable `sub`.

    Email, name and picture are copies refreshed at every sign-in; Logto stays the source of
    truth. Local superusers made with `createsuperuser` have no Logto id.
    """

    logto_id = models.CharField(
        _("Logto user id"), max_length=128, unique=True, null=True, blank=True, editable=False
    )
    name = models.CharField(_("name"), max_length=255, blank=True)
    picture = models.URLField(_("picture"), max_length=2048, blank=True)
    email_verified = models.BooleanField(_("email verified"), default=False)
    last_organization_id = models.CharField(_("last organization id"), max_length=64, blank=True)
    # The IANA zone the person's browser reported (e.g. "Europe/Berlin"): pages show their
    # times in it (ViewerTimeZoneMiddleware). Empty until their browser first said.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    # The language chosen with the header's language switch (a code of settings.LANGUAGES):
    # pages and the emails sent to this person use it in every browser. Empty: follow the
    # browser (the language cookie, else Accept-Language).
    language = models.CharField(_("language"), max_length=16, blank=True)
    # When Logto said the person was suspended or deleted (its webhook): every session and
    # API token of theirs from before then ends at its next request, on every instance.
    signed_out_at = models.DateTimeField(_("signed out at"), null=True, blank=True)

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
    def is_api_key(self) -> bool:
        """Whether this account is the one an organization API key acts as."""
        return self.logto_id is None and self.username.startswith(API_KEY_USERNAME_PREFIX)

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
        SUCCESS = "success", _("Success")
        FAILURE = "failure", _("Failure")

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(
        _("actor label"), max_length=255, help_text=_("Who, as shown at the time")
    )
    action = models.CharField(
        _("action"), max_length=100, db_index=True, help_text=_("e.g. organization.created")
    )
    organization_id = models.CharField(
        _("organization id"), max_length=64, blank=True, db_index=True
    )
    organization_name = models.CharField(_("organization name"), max_length=255, blank=True)
    target_type = models.CharField(_("target type"), max_length=50, blank=True)
    target_id = models.CharField(_("target id"), max_length=128, blank=True)
    target_label = models.CharField(_("target label"), max_length=255, blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    error = models.TextField(_("error"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization_id", "-created_at"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return _("%(action)s by %(actor)s (%(outcome)s)") % {
            "action": self.action,
            "actor": self.actor_label,
            "outcome": self.get_outcome_display(),
        }


class InvitationBatch(models.Model):
    """Addresses one person invited at once, worked through by a background task.

    Logto stays the source of truth for the invitations themselves; this row and its items
    only say how far the work got, so the inviter can watch it and a restarted worker can
    finish it (`services/invitation_batches.py`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitation_batches")
    organization_id = models.CharField(max_length=64, db_index=True)
    organization_name = models.CharField(max_length=255)
    role_ids = models.JSONField(default=list)
    role_names = models.JSONField(default=list)
    expires_at = models.DateTimeField(help_text="When the invitations expire")
    message = models.TextField(blank=True)
    # The language the emails are written in (a code of settings.LANGUAGES), chosen by the
    # inviter; the worker renders them in it whatever language it runs in.
    language = models.CharField(max_length=16, blank=True)
    # The request that started the batch, for the audit events the task writes.
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # Who is working on it: a runner's token and its last sign of life (also set when the
    # batch is queued, so a batch no worker ever took becomes stale too).
    runner = models.CharField(max_length=32, blank=True)
    heartbeat_at = models.DateTimeField()
    runs = models.PositiveSmallIntegerField(default=0, help_text="Times a worker took it up")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)
    stopped_reason = models.TextField(
        blank=True, help_text="Why the remaining addresses were not tried, when it stopped early"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = _("invitation batches")

    def __str__(self) -> str:
        return f"invitation batch {self.pk} in {self.organization_name}"

    @property
    def is_done(self) -> bool:
        return self.finished_at is not None


class InvitationBatchItem(models.Model):
    """One address of a batch and the step it reached. Each step is saved before the Logto
    call it guards, so a resumed run knows what may already have happened."""

    class Step(models.TextChoices):
        QUEUED = "queued", _("Queued")
        CREATING = "creating", _("Creating")  # the create call went out; its outcome is unknown
        CREATED = "created", _("Created")  # the invitation exists (invitation_id); no email yet
        DELIVERING = "delivering", _("Delivering")  # the email may or may not have gone out
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    FINAL = frozenset({Step.SENT, Step.SKIPPED, Step.FAILED})
    WORKING = frozenset({Step.CREATING, Step.CREATED, Step.DELIVERING})

    batch = models.ForeignKey(InvitationBatch, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    email = models.TextField(help_text="As typed")
    address = models.CharField(max_length=254, blank=True, help_text="Normalised, when valid")
    step = models.CharField(max_length=12, choices=Step.choices, default=Step.QUEUED)
    reason = models.TextField(blank=True)
    invitation_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Create calls made")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="batch_item_position")
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.step}"

    @property
    def status(self) -> str:
        """What the inviter reads: queued, working, sent, skipped or failed."""
        return "working" if self.step in self.WORKING else str(self.step)

    @property
    def is_final(self) -> bool:
        return self.step in self.FINAL


class MfaReminder(models.Model):
    """The last reminder to set up two-step verification sent to one member of one
    organization: one row per (organization, member), so that the once-a-day limit holds
    across every process (the row is claimed with one conditional UPDATE or INSERT) and the
    security panel can say who was reminded when. The worker sends the email from it."""

    organization_id = models.CharField(max_length=64)
    organization_name = models.CharField(max_length=255)
    user_id = models.CharField(max_length=128, help_text="The member's Logto user id")
    email = models.CharField(max_length=254)
    name = models.CharField(max_length=255, blank=True)
    sender_name = models.CharField(max_length=255, blank=True)
    # The language the email is written in: the member's saved one, else the sender's.
    language = models.CharField(max_length=16, blank=True)
    # What the member meets at sign-in (services.mfa.SignInPrompt), for the email's advice.
    prompt = models.CharField(max_length=16, blank=True)
    reminded_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization_id", "user_id"], name="mfa_reminder_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"two-step reminder to {self.email} ({self.organization_name})"


class InviteLink(models.Model):
    """A link anyone with a verified address (at an allowed domain) may open to join an
    organization with the link's roles (`services/invite_links.py`).

    Only a hash of the link's token is kept: the database never holds a usable link. The use
    count only grows through one conditional UPDATE, so the limit holds on every instance."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization_id = models.CharField(_("organization id"), max_length=64, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    role_ids = models.JSONField(default=list)
    role_names = models.JSONField(default=list)
    # Lower-case domains ("example.com"); empty: any verified address.
    allowed_domains = models.JSONField(default=list, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit")
    use_count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="invite_links"
    )
    created_by_label = models.CharField(max_length=255, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # People who open the link ask to join (a JoinRequest) instead of joining at once.
    asks_admin = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invite link {self.pk} ({self.organization_id})"


class InviteLinkUse(models.Model):
    """Someone who joined through an invite link: who and when. One per person and link."""

    link = models.ForeignKey(InviteLink, on_delete=models.CASCADE, related_name="uses")
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="invite_link_uses"
    )
    logto_user_id = models.CharField(max_length=128)
    label = models.CharField(max_length=255)
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-used_at"]
        constraints = [
            models.UniqueConstraint(fields=["link", "logto_user_id"], name="one_use_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.label} via {self.link_id}"


class ApiKey(models.Model):
    """An organization's API key: a Logto machine-to-machine application that belongs to the
    organization and holds machine-to-machine organization roles there.

    The portal keeps only what people read about it (never a secret): the secret lives in
    Logto, is shown once when made, and Logto checks it at its token endpoint. `actor` is the
    account the key acts as in the portal (audit trail, invitation batches); it never signs in.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization_id = models.CharField(_("organization id"), max_length=64, db_index=True)
    organization_name = models.CharField(_("organization name"), max_length=255)
    name = models.CharField(_("name"), max_length=64)
    application_id = models.CharField(_("application id"), max_length=64, unique=True)
    role_ids = models.JSONField(_("role ids"), default=list)
    role_names = models.JSONField(_("roles"), default=list)
    created_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_keys_created",
        verbose_name=_("created by"),
    )
    created_by_label = models.CharField(_("created by"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # Rotation: the secret in use, and the one it replaced while its grace period runs.
    secret_name = models.CharField(max_length=64)
    previous_secret_name = models.CharField(max_length=64, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    rotated_at = models.DateTimeField(_("rotated at"), null=True, blank=True)
    # When an old secret last stopped working (rotated "stops now", or its grace period over):
    # tokens issued before it came from that secret, perhaps, and are refused though unexpired.
    tokens_valid_from = models.DateTimeField(_("tokens valid from"), null=True, blank=True)
    # When its application was deleted in Logto (revoked, or expired and tidied away).
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True, db_index=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, db_index=True)
    actor = models.OneToOneField(
        User, on_delete=models.PROTECT, related_name="api_key", verbose_name=_("account")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            # Names are unique among an organization's keys that are not revoked.
            models.UniqueConstraint(
                fields=["organization_id", "name"],
                condition=models.Q(revoked_at__isnull=True),
                name="api_key_name_per_organization",
            )
        ]

    def __str__(self) -> str:
        return f"API key {self.name!r} of {self.organization_name}"

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def is_usable(self, now: datetime | None = None) -> bool:
        """Whether its tokens count: neither revoked, removed nor expired."""
        return self.revoked_at is None and self.removed_at is None and not self.is_expired(now)


class OrganizationDomain(models.Model):
    """An email domain an organization claims, and how far its proof of ownership got.

    Only a VERIFIED domain counts: it reaches Logto's JIT list (people who register with an
    address there join) and suggests the organization to existing people with a verified
    address there. A domain another organization already verified waits for staff
    (AWAITING_STAFF) instead: nobody claims someone else's people silently
    (`services/domains.py`)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for proof")
        AWAITING_STAFF = "awaiting_staff", _("Waiting for staff")
        VERIFIED = "verified", _("Verified")
        REFUSED = "refused", _("Refused by staff")

    class Method(models.TextChoices):
        DNS = "dns", _("DNS record")
        EMAIL = "email", _("Verified email address")
        STAFF = "staff", _("Staff")

    organization_id = models.CharField(_("organization id"), max_length=64, db_index=True)
    organization_name = models.CharField(_("organization name"), max_length=255)
    # The A-label form (IDNA, lower case, no trailing dot): what email addresses carry and
    # what Logto compares, exactly and case-sensitively.
    domain = models.CharField(_("domain"), max_length=253, db_index=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    verification_token = models.CharField(_("verification token"), max_length=64)
    method = models.CharField(_("proved by"), max_length=8, choices=Method.choices, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True)
    proved_at = models.DateTimeField(_("proved at"), null=True, blank=True)
    proved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_decided_at = models.DateTimeField(_("staff decided at"), null=True, blank=True)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization_id", "domain"], name="one_claim_per_organization_domain"
            )
        ]
        verbose_name = _("organization domain")
        verbose_name_plural = _("organization domains")

    def __str__(self) -> str:
        return f"{self.domain} ({self.organization_name}, {self.state})"

    @property
    def display_domain(self) -> str:
        """The domain as people write it (U-labels for internationalised names)."""
        try:
            return self.domain.encode("ascii").decode("idna")
        except UnicodeError:
            return self.domain


class OrganizationJoinSettings(models.Model):
    """How people with an address at one of the organization's verified domains join:
    automatically (Logto's JIT at registration, one click for existing people) or by asking
    an admin. The default roles live in Logto (`jit/roles`)."""

    class Policy(models.TextChoices):
        AUTOMATIC = "automatic", _("Join automatically")
        ASK_ADMIN = "ask_admin", _("Ask an admin")

    organization_id = models.CharField(max_length=64, primary_key=True)
    policy = models.CharField(
        _("policy"), max_length=16, choices=Policy.choices, default=Policy.AUTOMATIC
    )

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.policy}"


class JoinRequest(models.Model):
    """A person asking to join an organization: with a verified address at a verified domain
    of an organization that chose "ask an admin", or through an invite link that asks an
    admin (`invite_link`, whose roles the person gets). One open request per (organization,
    person)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    organization_id = models.CharField(max_length=64, db_index=True)
    organization_name = models.CharField(max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="join_requests")
    email = models.CharField(max_length=254)
    domain = models.CharField(max_length=253)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invite_link = models.ForeignKey(
        InviteLink,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="join_requests",
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization_id", "user"],
                condition=models.Q(state="pending"),
                name="one_open_join_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} asks to join {self.organization_name} ({self.state})"
