"""Accounts over HTTP: registration, sign-in, profile, users, seller verification."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from yarl import URL

from server.app import create_app
from server.credits.store import ledger_balance
from tests.conftest import make_config
from tests.helpers import Account, Api


async def test_buyer_registers_and_sees_own_profile(api: Api) -> None:
    body = {"username": "asha", "email": "asha@example.com", "password": "s3cret-pass", "phone": "+91 98000 00001"}
    reply = await api.post("/api/auth/register/buyer/", body)
    assert reply.status == 201
    assert set(reply.body) == {"user", "access", "refresh"}
    user = reply.body["user"]
    assert user["username"] == "asha" and user["role"] == "buyer" and user["seller"] is None
    assert user["phone"] == "+919800000001"
    assert "password" not in str(reply.body).lower().replace("password_", "")
    me = await api.get("/api/auth/profile/", token=reply.body["access"])
    assert me.status == 200
    assert {k: me.body[k] for k in ("id", "username", "email", "role", "phone", "avatar", "bio")} == {
        "id": user["id"], "username": "asha", "email": "asha@example.com", "role": "buyer",
        "phone": "+919800000001", "avatar": None, "bio": "",
    }


async def test_seller_registers_unverified_with_no_credits(api: Api) -> None:
    seller = await api.register("shopkeeper", "seller", business_name="Kala Sarees", gstin="27aapfu0939f1zv")
    assert seller.user["role"] == "seller"
    assert seller.user["seller"] == {"business_name": "Kala Sarees", "gstin": "27AAPFU0939F1ZV",
                                     "verified": False, "credits": 0}


async def test_aliases_serve_the_same_endpoints(api: Api) -> None:
    body = {"username": "alias", "email": "alias@example.com", "password": "password123"}
    reply = await api.post("/api/signup/", body)
    assert reply.status == 201 and reply.body["user"]["role"] == "buyer"
    login = await api.post("/api/login/", {"username": "alias", "password": "password123"})
    assert login.status == 200
    profile = await api.get("/api/profile/", token=login.body["access"])
    assert profile.status == 200 and profile.body["username"] == "alias"


async def test_username_and_email_are_unique_whatever_the_case(api: Api) -> None:
    await api.register("Meera")
    same_name = await api.post("/api/auth/register/buyer/",
                               {"username": "meera", "email": "other@example.com", "password": "password123"})
    assert same_name.status == 409 and same_name.error_code() == "username_taken"
    assert same_name.body["error"]["fields"] == {"username": ["This username is taken."]}
    same_mail = await api.post("/api/auth/register/seller/", {
        "username": "meera2", "email": "MEERA@example.com", "password": "password123", "business_name": "M",
    })
    assert same_mail.status == 409 and same_mail.error_code() == "email_taken"


async def test_concurrent_signups_with_one_name_create_one_account(api: Api, db: asyncpg.Connection) -> None:
    body = {"username": "racer", "email": "racer@example.com", "password": "password123"}
    replies = await asyncio.gather(*(api.post("/api/auth/register/buyer/", body) for _ in range(8)))
    assert sorted(r.status for r in replies) == [201] + [409] * 7
    assert await db.fetchval("SELECT count(*) FROM users") == 1


async def test_registration_input_errors_name_each_field(api: Api) -> None:
    reply = await api.post("/api/auth/register/seller/",
                           {"username": "x", "email": "not-an-email", "password": "short", "phone": "12", "gstin": "X"})
    assert reply.status == 400 and reply.error_code() == "invalid_input"
    assert set(reply.body["error"]["fields"]) == {"username", "email", "password", "phone", "business_name", "gstin"}
    assert reply.body["error"]["fields"]["business_name"] == ["This field is required."]


async def test_login_by_username_or_email(api: Api) -> None:
    await api.register("ravi", password="correct-horse")
    by_name = await api.post("/api/auth/login/", {"username": "RAVI", "password": "correct-horse"})
    by_mail = await api.post("/api/auth/login/", {"username": "ravi@example.com", "password": "correct-horse"})
    assert by_name.status == by_mail.status == 200
    assert by_name.body["user"]["id"] == by_mail.body["user"]["id"]


async def test_wrong_password_and_unknown_user_get_the_same_answer(api: Api) -> None:
    await api.register("ravi", password="correct-horse")
    wrong = await api.post("/api/auth/login/", {"username": "ravi", "password": "wrong-horse"})
    unknown = await api.post("/api/auth/login/", {"username": "nobody", "password": "wrong-horse"})
    assert wrong.status == unknown.status == 401
    assert wrong.error_code() == unknown.error_code() == "invalid_credentials"
    assert wrong.body == unknown.body


async def test_repeated_failed_logins_are_rate_limited(api: Api) -> None:
    await api.register("target", password="correct-horse")
    for _ in range(10):
        reply = await api.post("/api/auth/login/", {"username": "target", "password": "guess-guess"})
        assert reply.status == 401
    limited = await api.post("/api/auth/login/", {"username": "target", "password": "correct-horse"})
    assert limited.status == 429 and limited.error_code() == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 300
    assert limited.body["error"]["retry_after_s"] == int(limited.headers["Retry-After"])


async def test_a_hundred_concurrent_guesses_check_at_most_the_limit(api: Api) -> None:
    target = await api.register("target", password="correct-horse")
    names = ["target", "target@example.com", "TARGET"]  # username and e-mail count as one account
    replies = await asyncio.gather(*(api.post("/api/auth/login/", {"username": names[i % 3], "password": f"g{i}"})
                                     for i in range(100)))
    statuses = [r.status for r in replies]
    assert statuses.count(401) <= 10 and statuses.count(401) + statuses.count(429) == 100, statuses
    locked = await api.post("/api/auth/login/", {"username": "target@example.com", "password": "correct-horse"})
    assert locked.status == 429 and int(locked.headers["Retry-After"]) >= 1
    assert target.id


async def test_failed_sign_ins_are_limited_per_client_address_too(aiohttp_client: Any, clean: Any) -> None:
    config = make_config(clean, auth={"login_address_attempts": 5}, server={"trusted_proxies": ["127.0.0.1"]})
    api = Api(await aiohttp_client(create_app(config)))
    await api.register("real", password="correct-horse")
    proxied = {"X-Forwarded-For": "203.0.113.5"}  # the balancer (127.0.0.1, trusted) tells the client's address
    for i in range(5):  # five different accounts guessed from one address
        reply = await api.post("/api/auth/login/", {"username": f"nobody{i}", "password": "x"}, headers=proxied)
        assert reply.status == 401
    refused = await api.post("/api/auth/login/", {"username": "real", "password": "correct-horse"}, headers=proxied)
    assert refused.status == 429 and "address" in refused.body["error"]["message"]
    other = {"X-Forwarded-For": "198.51.100.7, 203.0.113.5"}  # a client cannot pick its address: the right one counts
    assert (await api.post("/api/auth/login/", {"username": "real", "password": "correct-horse"},
                           headers=other)).status == 429
    elsewhere = {"X-Forwarded-For": "198.51.100.7"}
    assert (await api.post("/api/auth/login/", {"username": "real", "password": "correct-horse"},
                           headers=elsewhere)).status == 200


async def test_profile_update_changes_only_sent_fields(api: Api) -> None:
    buyer = await api.register("priya", phone="+919800000009")
    reply = await api.patch("/api/auth/profile/update/", {"bio": "Saree lover", "avatar": "https://cdn.example.com/p.png"},
                            token=buyer.access)
    assert reply.status == 200
    assert reply.body["bio"] == "Saree lover" and reply.body["avatar"] == "https://cdn.example.com/p.png"
    assert reply.body["phone"] == "+919800000009"
    cleared = await api.patch("/api/auth/profile/update/", {"phone": None}, token=buyer.access)
    assert cleared.status == 200 and cleared.body["phone"] is None


async def test_profile_update_refuses_bad_values(api: Api) -> None:
    buyer = await api.register("priya")
    await api.register("taken")
    cases = [
        ({"email": None}, 400, "invalid_input"),
        ({"avatar": "javascript:alert(1)"}, 400, "invalid_input"),
        ({"business_name": "Not a seller"}, 400, "invalid_input"),
        ({"email": "TAKEN@example.com"}, 409, "email_taken"),
        ({"new_password": "new-password-1"}, 400, "invalid_input"),
    ]
    for body, status, code in cases:
        reply = await api.patch("/api/auth/profile/update/", body, token=buyer.access)
        assert (reply.status, reply.error_code()) == (status, code), body


async def test_password_change_needs_the_current_one_and_signs_out_other_sessions(api: Api) -> None:
    user = await api.register("sana", password="old-password")
    other_device = await api.login("sana", "old-password")
    wrong = await api.patch("/api/auth/profile/update/",
                            {"current_password": "nope-nope", "new_password": "new-password"}, token=user.access)
    assert wrong.status == 400 and "current_password" in wrong.body["error"]["fields"]
    ok = await api.patch("/api/auth/profile/update/",
                         {"current_password": "old-password", "new_password": "new-password"}, token=user.access)
    assert ok.status == 200
    assert (await api.post("/api/auth/login/", {"username": "sana", "password": "old-password"})).status == 401
    await api.login("sana", "new-password")
    stale = await api.post("/api/auth/refresh/", {"refresh": other_device.refresh})
    assert stale.status == 401


async def test_seller_edits_business_profile(api: Api) -> None:
    seller = await api.register("vendor", "seller")
    reply = await api.patch("/api/auth/profile/update/", {"business_name": "Vendor & Co", "gstin": None},
                            token=seller.access)
    assert reply.status == 200
    assert reply.body["seller"]["business_name"] == "Vendor & Co" and reply.body["seller"]["gstin"] is None


async def test_user_search_pages_public_profiles(api: Api) -> None:
    me = await api.register("viewer")
    for i in range(5):
        await api.register(f"kavya{i}")
    await api.register("zoya", "seller", business_name="Kavya Collections")
    first = await api.get("/api/users/?search=kav&page_size=4", token=me.access)
    assert first.status == 200
    assert first.body["count"] == 6 and len(first.body["results"]) == 4 and first.body["previous"] is None
    assert "page=2" in first.body["next"] and "search=kav" in first.body["next"]
    assert all("email" not in u and "phone" not in u for u in first.body["results"])
    second = await api.get(URL(first.body["next"]).path_qs, token=me.access)
    assert second.status == 200 and len(second.body["results"]) == 2 and second.body["next"] is None
    names = {u["username"] for u in first.body["results"] + second.body["results"]}
    assert names == {"kavya0", "kavya1", "kavya2", "kavya3", "kavya4", "zoya"}


async def test_user_search_treats_wildcards_as_text(api: Api) -> None:
    me = await api.register("viewer")
    await api.register("a_b")
    await api.register("axb")
    reply = await api.get("/api/users/?search=a_", token=me.access)
    assert [u["username"] for u in reply.body["results"]] == ["a_b"]


async def test_public_profile_and_missing_user(api: Api) -> None:
    me = await api.register("viewer")
    seller = await api.register("shop", "seller")
    reply = await api.get(f"/api/users/{seller.id}/", token=me.access)
    assert reply.status == 200
    assert reply.body == {"id": seller.id, "username": "shop", "role": "seller", "avatar": None, "bio": "",
                          "seller": {"business_name": "shop shop", "verified": False}}
    missing = await api.get("/api/users/999999/", token=me.access)
    assert missing.status == 404 and missing.error_code() == "user_not_found"
    anonymous = await api.get(f"/api/users/{seller.id}/")
    assert anonymous.status == 401 and anonymous.error_code() == "not_authenticated"


async def test_admin_verifies_seller_granting_one_credit_once(api: Api, admin: Account, db: asyncpg.Connection) -> None:
    seller = await api.register("shop", "seller")
    first = await api.post(f"/api/admin/sellers/{seller.id}/verify/", token=admin.access)
    again = await api.post(f"/api/admin/sellers/{seller.id}/verify/", token=admin.access)
    assert first.status == again.status == 200
    assert again.body["seller"]["verified"] is True and again.body["seller"]["credits"] == 1
    profile = await api.get("/api/auth/profile/", token=seller.access)
    assert profile.body["seller"]["credits"] == 1 == await ledger_balance(db, seller.id)


async def test_concurrent_verifications_grant_one_credit(api: Api, admin: Account, db: asyncpg.Connection) -> None:
    seller = await api.register("shop", "seller")
    replies = await asyncio.gather(
        *(api.post(f"/api/admin/sellers/{seller.id}/verify/", token=admin.access) for _ in range(20))
    )
    assert {r.status for r in replies} == {200}
    assert await db.fetchval("SELECT credits FROM sellers WHERE user_id = $1", seller.id) == 1
    assert await db.fetchval("SELECT count(*) FROM credit_ledger WHERE seller_id = $1", seller.id) == 1


async def test_only_admins_verify_and_only_sellers_can_be_verified(api: Api, admin: Account) -> None:
    buyer = await api.register("buyer")
    seller = await api.register("shop", "seller")
    for token in (buyer.access, seller.access):
        reply = await api.post(f"/api/admin/sellers/{seller.id}/verify/", token=token)
        assert reply.status == 403 and reply.error_code() == "permission_denied"
    assert (await api.post(f"/api/admin/sellers/{seller.id}/verify/")).status == 401
    not_seller = await api.post(f"/api/admin/sellers/{buyer.id}/verify/", token=admin.access)
    assert not_seller.status == 404 and not_seller.error_code() == "seller_not_found"


async def test_a_deactivated_account_cannot_sign_in_or_refresh(api: Api, db: asyncpg.Connection) -> None:
    user = await api.register("gone", password="password123")
    await db.execute("UPDATE users SET is_active = false WHERE id = $1", user.id)
    login = await api.post("/api/auth/login/", {"username": "gone", "password": "password123"})
    assert login.status == 403 and login.error_code() == "account_disabled"
    wrong = await api.post("/api/auth/login/", {"username": "gone", "password": "not-the-password"})
    assert wrong.status == 401 and wrong.error_code() == "invalid_credentials"  # no hint without the password
    refresh = await api.post("/api/auth/refresh/", {"refresh": user.refresh})
    assert refresh.status == 403 and refresh.error_code() == "account_disabled"
    profile = await api.get("/api/auth/profile/", token=user.access)
    assert profile.status == 404 and profile.error_code() == "user_not_found"
    viewer = await api.register("viewer")
    assert (await api.get(f"/api/users/{user.id}/", token=viewer.access)).status == 404
    assert (await api.get("/api/users/?search=gone", token=viewer.access)).body["count"] == 0
