"""The client's transport, token and error behaviour, against `responses` stubs."""

from __future__ import annotations

import logging
import time

import pytest
import requests
import responses
from responses import matchers
from urllib3 import HTTPResponse

from orgportal import logto
from orgportal.logto import errors
from orgportal.logto.client import LogtoClient
from orgportal.logto.tokens import M2MTokenProvider
from orgportal.logto.transport import (
    LogtoRetry,
    build_retry,
    shared_session,
)

E = "https://tenant.logto.test"
TOKEN_URL = f"{E}/oidc/token"
ORGS_URL = f"{E}/api/users/u1/organizations"
RESOURCE = "https://tenant.logto.test/api"


@pytest.fixture(autouse=True)
def _no_backoff_sleep(monkeypatch):
    # urllib3 sleeps between retries; the policy is asserted, not the wall-clock time.
    slept: list[float] = []
    monkeypatch.setattr(LogtoRetry, "_sleep_backoff", lambda self: None)
    return slept


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def make_client(max_retries: int = 2) -> LogtoClient:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(max_retries=build_retry(max_retries))
    session.mount("https://", adapter)
    tokens = M2MTokenProvider(
        endpoint=E,
        app_id="m2m",
        app_secret="s3cret-value",
        resource=RESOURCE,
        session=session,
        timeout=(1, 2),
    )
    return LogtoClient(endpoint=E, tokens=tokens, session=session, timeout=(1, 2))


def token_response(mocked, token="tok-1", expires_in=3600):
    return mocked.post(
        TOKEN_URL,
        json={"access_token": token, "expires_in": expires_in, "token_type": "Bearer"},
        match=[
            matchers.urlencoded_params_matcher(
                {"grant_type": "client_credentials", "resource": RESOURCE, "scope": "all"}
            ),
            matchers.header_matcher({"Authorization": "Basic bTJtOnMzY3JldC12YWx1ZQ=="}),
        ],
    )


def test_the_m2m_token_is_fetched_once_and_reused(mocked):
    token = token_response(mocked)
    orgs = mocked.get(
        ORGS_URL, json=[], match=[matchers.header_matcher({"Authorization": "Bearer tok-1"})]
    )
    client = make_client()
    client.list_user_organizations("u1")
    client.list_user_organizations("u1")
    assert token.call_count == 1
    assert orgs.call_count == 2


def test_a_token_is_refreshed_a_minute_before_it_expires(mocked, monkeypatch):
    token_response(mocked, "tok-1", expires_in=3600)
    client = make_client()
    assert client.tokens.get() == "tok-1"
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 3600 - 59)
    mocked.replace(responses.POST, TOKEN_URL, json={"access_token": "tok-2", "expires_in": 3600})
    assert client.tokens.get() == "tok-2"


def test_a_401_is_replayed_once_with_a_fresh_token(mocked):
    token_response(mocked, "tok-old")
    mocked.get(ORGS_URL, status=401, json={"code": "auth.unauthorized", "message": "no"})
    mocked.post(TOKEN_URL, json={"access_token": "tok-new", "expires_in": 3600})
    mocked.get(
        ORGS_URL,
        json=[],
        match=[matchers.header_matcher({"Authorization": "Bearer tok-new"})],
    )
    assert make_client().list_user_organizations("u1") == []


def test_a_second_401_is_an_auth_error(mocked):
    token_response(mocked, "tok-old")
    mocked.post(TOKEN_URL, json={"access_token": "tok-new", "expires_in": 3600})
    mocked.get(ORGS_URL, status=401, json={"code": "auth.unauthorized", "message": "no"})
    with pytest.raises(errors.AuthError) as caught:
        make_client().list_user_organizations("u1")
    assert caught.value.status == 401
    assert caught.value.code == "auth.unauthorized"


def test_wrong_m2m_credentials_explain_what_to_check(mocked):
    mocked.post(TOKEN_URL, status=401, json={"error": "invalid_client", "error_description": "x"})
    with pytest.raises(errors.AuthError) as caught:
        make_client().list_user_organizations("u1")
    assert "LOGTO_M2M_APP_SECRET" in caught.value.message
    assert "s3cret-value" not in str(caught.value)


def test_429_is_not_retried_inside_a_request(mocked):
    token_response(mocked)
    mocked.get(
        ORGS_URL, status=429, headers={"Retry-After": "30"}, json={"code": "c", "message": "m"}
    )
    with pytest.raises(errors.RateLimited) as caught:
        make_client().list_user_organizations("u1")
    assert caught.value.retry_after == 30
    assert len([c for c in mocked.calls if c.request.url.startswith(ORGS_URL)]) == 1


def test_a_503_with_retry_after_is_retried_after_a_short_backoff_only(monkeypatch):
    import urllib3.util.retry

    slept: list[float] = []
    monkeypatch.setattr(urllib3.util.retry.time, "sleep", slept.append)
    response = HTTPResponse(status=503, headers={"Retry-After": "3600"})
    retry = build_retry(2).increment(method="GET", url="/api/x", response=response)
    retry = retry.increment(method="GET", url="/api/x", response=response)
    monkeypatch.undo()  # the autouse fixture's patch of the backoff goes too
    monkeypatch.setattr(urllib3.util.retry.time, "sleep", slept.append)
    retry.sleep(response)
    assert len(slept) == 1 and slept[0] <= 1.0  # the backoff, never the header's hour


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_on_get_are_retried(mocked, status):
    token_response(mocked)
    mocked.get(ORGS_URL, status=status)
    mocked.get(ORGS_URL, status=status)
    mocked.get(ORGS_URL, json=[])
    assert make_client().list_user_organizations("u1") == []


def test_post_is_never_retried(mocked):
    token_response(mocked)
    create = mocked.post(
        f"{E}/api/organizations", status=503, json={"code": "x", "message": "down"}
    )
    with pytest.raises(errors.Unavailable):
        make_client().create_organization(name="Zeta")
    assert create.call_count == 1


def test_put_and_delete_are_retried(mocked):
    token_response(mocked)
    put_url = f"{E}/api/organizations/o1/users/u1/roles"
    mocked.put(put_url, status=503)
    mocked.put(put_url, status=204)
    delete_url = f"{E}/api/organizations/o1/users/u1"
    mocked.delete(delete_url, status=502)
    mocked.delete(delete_url, status=204)
    client = make_client()
    client.replace_organization_user_roles("o1", "u1", ["r1"])
    client.remove_organization_user("o1", "u1")


def test_a_timeout_is_unavailable(mocked):
    token_response(mocked)
    mocked.get(ORGS_URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(errors.Unavailable) as caught:
        make_client().list_user_organizations("u1")
    assert caught.value.path == "/api/users/{}/organizations"


def test_a_connection_error_is_unavailable(mocked):
    token_response(mocked)
    mocked.get(ORGS_URL, body=requests.ConnectionError("refused"))
    with pytest.raises(errors.Unavailable):
        make_client().list_user_organizations("u1")


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, errors.InvalidInput),
        (422, errors.InvalidInput),
        (403, errors.AuthError),
        (404, errors.NotFound),
        (409, errors.Conflict),
        (500, errors.Unavailable),
        (418, errors.LogtoError),
    ],
)
def test_statuses_map_to_one_error_hierarchy(mocked, status, error_class):
    token_response(mocked)
    mocked.get(
        f"{E}/api/organizations/o%2F1",
        status=status,
        json={"code": "some.code", "message": "Logto says no.", "data": {"k": 1}},
    )
    with pytest.raises(error_class) as caught:
        make_client(max_retries=0).get_organization("o/1")
    error = caught.value
    assert isinstance(error, errors.LogtoError)
    assert (error.status, error.code, error.method, error.path) == (
        status,
        "some.code",
        "GET",
        "/api/organizations/{}",
    )
    if status != 403:
        assert error.message == "Logto says no."


def test_a_non_json_error_body_still_maps(mocked):
    token_response(mocked)
    mocked.get(ORGS_URL, status=404, body="<html>nope</html>")
    with pytest.raises(errors.NotFound) as caught:
        make_client().list_user_organizations("u1")
    assert caught.value.code is None


def test_logtos_bare_message_body_maps_without_a_code(mocked):
    """A body that is not JSON is refused by Logto's body parser: `{message}`, no `code`."""
    token_response(mocked)
    mocked.post(f"{E}/api/organizations", status=400, json={"message": "Unexpected token"})
    with pytest.raises(errors.InvalidInput) as caught:
        make_client().create_organization(name="x")
    assert (caught.value.code, caught.value.message) == (None, "Unexpected token")


def test_a_plain_text_not_found_maps_to_not_found(mocked):
    token_response(mocked)
    mocked.get(ORGS_URL, status=404, body="Not Found", content_type="text/plain")
    with pytest.raises(errors.NotFound) as caught:
        make_client().list_user_organizations("u1")
    assert (caught.value.status, caught.value.code) == (404, None)


def test_relation_posts_answered_with_created_as_text_succeed(mocked):
    token_response(mocked)
    for url in (f"{E}/api/organizations/o1/users/roles", f"{E}/api/organization-roles/r1/scopes"):
        mocked.post(url, status=201, body="Created", content_type="text/plain")
    client = make_client()
    assert client.add_organization_users_roles("o1", ["u1"], ["r1"]) is None
    assert client.add_organization_role_scopes("r1", ["s1"]) is None


@pytest.mark.parametrize(
    ("typed", "sent"),
    [("50%", "50\\%"), ("snake_case", "snake\\_case"), ("back\\slash", "back\\\\slash")],
)
def test_search_text_is_sent_with_logtos_like_wildcards_escaped(mocked, typed, sent):
    """Logto puts `q` into `ILIKE '%q%'` unescaped; escaped, the text means itself."""
    token_response(mocked)
    mocked.get(
        f"{E}/api/organizations",
        json=[],
        match=[matchers.query_param_matcher({"page": "1", "page_size": "20", "q": sent})],
    )
    make_client().list_organizations(q=typed)


def org_json(n: int) -> dict:
    return {
        "id": f"o{n}",
        "name": f"Org {n}",
        "description": None,
        "customData": {},
        "isMfaRequired": False,
        "createdAt": 0,
        "tenantId": "default",
        "color": {},
        "branding": {},
        "customCss": None,
    }


def test_a_page_carries_the_total(mocked):
    token_response(mocked)
    mocked.get(
        f"{E}/api/organizations",
        json=[org_json(3), org_json(4)],
        headers={"Total-Number": "5"},
        match=[matchers.query_param_matcher({"page": "2", "page_size": "2", "q": "Org"})],
    )
    page = make_client().list_organizations(q="Org", page=2, page_size=2)
    assert [o.id for o in page] == ["o3", "o4"]
    assert (page.total, page.page_count, page.has_next, page.has_previous) == (5, 3, True, True)


def test_the_iterator_fetches_pages_only_as_consumed(mocked):
    token_response(mocked)
    first = mocked.get(
        f"{E}/api/organizations",
        json=[org_json(1), org_json(2)],
        headers={"Total-Number": "3"},
        match=[matchers.query_param_matcher({"page": "1", "page_size": "2"})],
    )
    second = mocked.get(
        f"{E}/api/organizations",
        json=[org_json(3)],
        headers={"Total-Number": "3"},
        match=[matchers.query_param_matcher({"page": "2", "page_size": "2"})],
    )
    iterator = make_client().iter_organizations(page_size=2)
    assert next(iterator).id == "o1"
    assert (first.call_count, second.call_count) == (1, 0)
    assert [o.id for o in iterator] == ["o2", "o3"]
    assert second.call_count == 1


def test_calls_are_logged_without_ids_secrets_or_tokens(mocked, caplog):
    token_response(mocked, "very-secret-token")
    mocked.get(ORGS_URL, json=[])
    with caplog.at_level(logging.DEBUG, logger="orgportal.logto"):
        make_client().list_user_organizations("u1")
    text = caplog.text
    assert "GET /api/users/{}/organizations -> 200" in text
    assert "very-secret-token" not in text
    assert "s3cret-value" not in text


def test_the_process_shares_one_pooled_session():
    assert shared_session(2) is shared_session(2)
    adapter = shared_session(2).get_adapter("https://x")
    assert adapter.max_retries.total == 2
    assert "POST" not in adapter.max_retries.allowed_methods


def test_only_one_token_refresh_at_a_time(mocked):
    import threading

    calls = []

    def slow_token(request):
        calls.append(1)
        time.sleep(0.05)
        return 200, {}, '{"access_token": "tok", "expires_in": 3600}'

    mocked.add_callback(responses.POST, TOKEN_URL, callback=slow_token)
    client = make_client()
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(client.tokens.get())) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["tok"] * 8
    assert len(calls) == 1


def test_the_retry_policy_covers_connections_and_gateway_statuses():
    retry = build_retry(2)
    assert (retry.connect, retry.read, retry.status) == (2, 2, 2)
    assert set(retry.status_forcelist) == {502, 503, 504}  # 429: not inside a request
    assert retry.allowed_methods == {"GET", "HEAD", "PUT", "DELETE"}
    assert retry.backoff_jitter > 0


@pytest.mark.parametrize("odd_id", ["", ".", "..", "..."])
def test_dot_ids_are_refused_before_any_call(emulator, odd_id):
    client = logto.get_client()
    before = len(emulator.calls)
    with pytest.raises(errors.NotFound):
        client.get_organization_invitation(odd_id)
    with pytest.raises(errors.NotFound):
        client.list_organization_users(odd_id)
    assert [c for c in emulator.calls[before:] if not c[1].startswith("oidc.")] == []


def test_an_answer_of_the_wrong_shape_is_a_logto_error_not_a_crash(mocked):
    token_response(mocked)
    mocked.get(f"{E}/api/organization-invitations/inv1", json=[{"id": "a"}, {"id": "b"}])
    with pytest.raises(errors.UnexpectedAnswer, match="where one Invitation was expected"):
        make_client().get_organization_invitation("inv1")
