"""The social app (its seed's paths): sign up with a role, change your own profile with PUT /api/users/{id}/."""

from __future__ import annotations

from tests.e2e.test_seed_ecommerce import sign_up
from tests.helpers import Api


async def test_put_users_id_changes_your_own_profile_only(api: Api) -> None:
    asha = await sign_up(api, "asha")
    ravi = await sign_up(api, "ravi")
    body = {"bio": "Weaver from Kanchipuram", "phone": "+919800000012"}
    changed = await api.call("PUT", f"/api/users/{asha.id}/", body, token=asha.access)
    assert changed.status == 200 and changed.body["bio"] == "Weaver from Kanchipuram"
    assert changed.body["phone"] == "+919800000012"
    assert (await api.get(f"/api/users/{asha.id}/", token=ravi.access)).body["bio"] == "Weaver from Kanchipuram"
    theirs = await api.call("PUT", f"/api/users/{asha.id}/", {"bio": "hacked"}, token=ravi.access)
    assert theirs.status == 403 and theirs.error_code() == "permission_denied"
    assert (await api.get(f"/api/users/{asha.id}/", token=ravi.access)).body["bio"] == "Weaver from Kanchipuram"
    assert (await api.call("PUT", f"/api/users/{asha.id}/", {"bio": "x"})).status == 401
    bad = await api.call("PUT", f"/api/users/{asha.id}/", {"email": "not an address"}, token=asha.access)
    assert bad.status == 400 and "email" in bad.body["error"]["fields"]
