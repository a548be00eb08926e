from django.contrib.auth.models import AbstractUser
from django.db import models


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

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email or self.username
