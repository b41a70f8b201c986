"""HTTP endpoints of accounts: registration, sign-in, tokens, profiles, users, seller verification."""

from __future__ import annotations

from aiohttp import web

from server.accounts.keys import ACCOUNTS
from server.accounts.schemas import (
    AuthOut,
    LoginIn,
    ProfileUpdate,
    PublicUserOut,
    RefreshIn,
    RegisterBuyer,
    RegisterIn,
    RegisterSeller,
    TokensOut,
    UserOut,
    UserSearch,
)
from server.api import ApiRouter, Page, page_of, path_id
from server.errors import PermissionDenied
from server.middleware import client_address
from server.tokens import Principal

api = ApiRouter("accounts")



@api.post("/api/auth/register/buyer/", aliases=["/api/signup/"], auth="public", body=RegisterBuyer,
          response=AuthOut, status=201, summary="Register a buyer and sign in")
async def register_buyer(request: web.Request, body: RegisterBuyer) -> AuthOut:
    return await request.app[ACCOUNTS].register(body, "buyer")


@api.post("/api/auth/register/", auth="public", body=RegisterIn, response=AuthOut, status=201,
          summary="Register and sign in: role customer (a buyer, the default) or seller (with business_name)")
async def register(request: web.Request, body: RegisterIn) -> AuthOut:
    data, role = body.as_role()
    return await request.app[ACCOUNTS].register(data, role)


@api.post("/api/auth/register/seller/", auth="public", body=RegisterSeller, response=AuthOut, status=201,
          summary="Register a seller (unverified until an admin verifies) and sign in")
async def register_seller(request: web.Request, body: RegisterSeller) -> AuthOut:
    return await request.app[ACCOUNTS].register(body, "seller")


@api.post("/api/auth/login/", aliases=["/api/login/"], auth="public", body=LoginIn, response=AuthOut,
          also=[401, 403], limited=True,
          summary="Sign in with username or e-mail and password (401 invalid_credentials, 403 account_disabled)")
async def login(request: web.Request, body: LoginIn) -> AuthOut:
    return await request.app[ACCOUNTS].login(body.username, body.password, client_address(request))


@api.post("/api/auth/refresh/", auth="public", body=RefreshIn, response=TokensOut, also=[401, 403],
          summary="Swap a refresh token for a new access and refresh token")
async def refresh(request: web.Request, body: RefreshIn) -> TokensOut:
    return await request.app[ACCOUNTS].refresh(body.refresh)


@api.post("/api/auth/logout/", body=RefreshIn, status=204, summary="End the sign-in of this refresh token")
async def logout(request: web.Request, me: Principal, body: RefreshIn) -> None:
    await request.app[ACCOUNTS].logout(me, body.refresh)


@api.get("/api/auth/profile/", aliases=["/api/profile/"], response=UserOut, summary="The signed-in user")
async def profile(request: web.Request, me: Principal) -> UserOut:
    return await request.app[ACCOUNTS].profile(me.user_id)


@api.patch("/api/auth/profile/update/", body=ProfileUpdate, response=UserOut,
           summary="Change some fields of the signed-in user")
async def update_profile(request: web.Request, me: Principal, body: ProfileUpdate) -> UserOut:
    return await request.app[ACCOUNTS].update_profile(me, body)


@api.get("/api/users/", query=UserSearch, response=Page[PublicUserOut], summary="Search public profiles")
async def list_users(request: web.Request, me: Principal, query: UserSearch) -> web.Response:
    count, users = await request.app[ACCOUNTS].search(query.search, query.page_size, query.offset)
    return page_of(request, query, count, users)


@api.get(r"/api/users/{id:\d+}/", response=PublicUserOut, summary="A public profile")
async def get_user(request: web.Request, me: Principal) -> PublicUserOut:
    return await request.app[ACCOUNTS].public_profile(path_id(request))


@api.put(r"/api/users/{id:\d+}/", body=ProfileUpdate, response=UserOut,
         summary="Change your own profile (the social app's path); 403 for anyone else's")
async def put_user(request: web.Request, me: Principal, body: ProfileUpdate) -> UserOut:
    if path_id(request) != me.user_id:
        raise PermissionDenied("You can change only your own profile.")
    return await request.app[ACCOUNTS].update_profile(me, body)


@api.post(r"/api/admin/sellers/{id:\d+}/verify/", roles=["admin"], response=UserOut,
          summary="Verify a seller and grant the free credit, once")
async def verify_seller(request: web.Request, me: Principal) -> UserOut:
    return await request.app[ACCOUNTS].verify_seller(me, path_id(request))


@api.post(r"/api/admin/users/{id:\d+}/deactivate/", roles=["admin"], response=UserOut,
          summary="Deactivate an account: no sign-in, its refresh tokens and console sessions end")
async def deactivate_user(request: web.Request, me: Principal) -> UserOut:
    return await request.app[ACCOUNTS].set_active(me, path_id(request), False)


@api.post(r"/api/admin/users/{id:\d+}/reactivate/", roles=["admin"], response=UserOut,
          summary="Let a deactivated account sign in again")
async def reactivate_user(request: web.Request, me: Principal) -> UserOut:
    return await request.app[ACCOUNTS].set_active(me, path_id(request), True)
