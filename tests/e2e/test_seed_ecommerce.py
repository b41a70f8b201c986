"""The e-commerce app (seed 001, "MeeshoClone") works unchanged: its DRF-style paths and field names."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_invoices import ADDRESS, pay
from tests.helpers import Account, Api

PATHS = [
    ("post", "/api/auth/register/"), ("post", "/api/auth/login/"),
    ("get", "/api/categories/"), ("post", "/api/categories/"), ("get", "/api/categories/{id}/"),
    ("put", "/api/categories/{id}/"), ("patch", "/api/categories/{id}/"), ("delete", "/api/categories/{id}/"),
    ("get", "/api/products/"), ("post", "/api/products/"), ("get", "/api/products/{id}/"),
    ("put", "/api/products/{id}/"), ("patch", "/api/products/{id}/"), ("delete", "/api/products/{id}/"),
    ("get", "/api/cart/"), ("post", "/api/cart/"), ("delete", "/api/cart/{id}/"),
    ("get", "/api/orders/"), ("post", "/api/orders/"), ("get", "/api/orders/{id}/"),
    ("get", "/api/orders/{id}/invoice/"), ("post", "/api/payments/verify/"),
]


async def sign_up(api: Api, username: str, **body: Any) -> Account:
    body = {"username": username, "email": f"{username}@example.com", "password": "password123", **body}
    reply = await api.post("/api/auth/register/", body)
    assert reply.status == 201, reply.body
    assert set(reply.body) >= {"user", "access", "refresh"}
    return Account(reply.body["user"]["id"], username, "password123", reply.body["access"], reply.body["refresh"],
                   reply.body["user"])


async def test_every_seed_path_is_in_the_openapi_document(api: Api) -> None:
    spec = (await api.get("/api/openapi.json")).body
    for method, path in PATHS:
        assert method in spec["paths"].get(path, {}), f"{method.upper()} {path} is not documented"


async def test_register_takes_a_role_and_customer_is_a_buyer(api: Api) -> None:
    customer = await sign_up(api, "meena", role="customer", phone="+919800000011")
    assert customer.user["role"] == "buyer" and customer.user["phone"] == "+919800000011"
    assert (await sign_up(api, "ravi")).user["role"] == "buyer"  # customer is the default
    seller = await sign_up(api, "kavya", role="seller", business_name="Kavya Weaves")
    assert seller.user["role"] == "seller" and seller.user["seller"]["business_name"] == "Kavya Weaves"
    missing = await api.post("/api/auth/register/", {"username": "nobiz", "email": "nobiz@example.com",
                                                     "password": "password123", "role": "seller"})
    assert missing.status == 400 and missing.error_code() == "invalid_input"
    assert "business_name" in missing.body["error"]["fields"]
    wrong = await api.post("/api/auth/register/", {"username": "odd", "email": "odd@example.com",
                                                   "password": "password123", "role": "admin"})
    assert wrong.status == 400 and "role" in wrong.body["error"]["fields"]
    signed_in = await api.post("/api/auth/login/", {"username": "kavya", "password": "password123"})
    assert signed_in.status == 200 and signed_in.body["user"]["id"] == seller.id


async def test_categories_and_products_under_the_seed_paths(api: Api, admin: Account) -> None:
    seller = await sign_up(api, "kavya", role="seller", business_name="Kavya Weaves")
    assert (await api.post(f"/api/admin/sellers/{seller.id}/verify/", token=admin.access)).status == 200
    created = await api.post("/api/categories/", {"name": "Sarees", "description": "Silk and cotton"},
                             token=admin.access)
    assert created.status == 201
    cat = created.body["id"]
    patched = await api.patch(f"/api/categories/{cat}/", {"description": "Handloom"}, token=admin.access)
    assert patched.status == 200 and patched.body["name"] == "Sarees" and patched.body["description"] == "Handloom"
    cleared = await api.patch(f"/api/categories/{cat}/", {"name": None}, token=admin.access)
    assert cleared.status == 400 and "name" in cleared.body["error"]["fields"]
    put = await api.call("PUT", f"/api/categories/{cat}/", {"name": "Sarees", "description": ""}, token=admin.access)
    assert put.status == 200 and put.body["description"] == ""
    assert [c["name"] for c in (await api.get("/api/categories/")).body["results"]] == ["Sarees"]
    assert (await api.get(f"/api/categories/{cat}/")).body["id"] == cat

    made = await api.post("/api/products/", {"name": "Kanjivaram saree", "price": 2499, "stock": 3, "category": cat},
                          token=seller.access)
    assert made.status == 201
    item = made.body["id"]
    listed = await api.get("/api/products/", headers={})
    assert [p["id"] for p in listed.body["results"]] == [item]
    assert (await api.get(f"/api/products/{item}/")).body["price"] == 2499.0
    changed = await api.patch(f"/api/products/{item}/", {"stock": 5}, token=seller.access)
    assert changed.status == 200 and changed.body["stock"] == 5
    replaced = await api.call("PUT", f"/api/products/{item}/", {"name": "Kanjivaram silk saree", "price": "2599.00",
                                                                "stock": 5, "category": cat}, token=seller.access)
    assert replaced.status == 200 and replaced.body["name"] == "Kanjivaram silk saree"
    other = await sign_up(api, "imposter", role="seller", business_name="Not Kavya")
    refused = await api.patch(f"/api/products/{item}/", {"stock": 0}, token=other.access)
    assert refused.status in (403, 404)
    assert (await api.call("DELETE", f"/api/categories/{cat}/", token=admin.access)).error_code() == "category_in_use"
    assert (await api.call("DELETE", f"/api/products/{item}/", token=seller.access)).status == 204
    assert (await api.get("/api/products/")).body["count"] == 0


async def test_cart_and_orders_under_the_seed_paths(api: Api, app: Any, admin: Account) -> None:
    seller = await sign_up(api, "kavya", role="seller", business_name="Kavya Weaves")
    await api.post(f"/api/admin/sellers/{seller.id}/verify/", token=admin.access)
    cat = (await api.post("/api/categories/", {"name": "Sarees"}, token=admin.access)).body["id"]
    saree = (await api.post("/api/products/", {"name": "Saree", "price": 500, "stock": 4, "category": cat},
                            token=seller.access)).body["id"]
    dupatta = (await api.post("/api/products/", {"name": "Dupatta", "price": 200, "stock": 4, "category": cat},
                              token=seller.access)).body["id"]
    buyer = await sign_up(api, "meena", role="customer")
    thief = await sign_up(api, "ravi")

    added = await api.post("/api/cart/", {"product": saree, "quantity": 2}, token=buyer.access)  # the seed's field
    assert added.status == 200 and added.body["count"] == 2
    added = await api.post("/api/cart/", {"product_id": dupatta}, token=buyer.access)
    cart = (await api.get("/api/cart/", token=buyer.access)).body
    assert [(line["product"]["id"], line["quantity"]) for line in cart["items"]] == [(saree, 2), (dupatta, 1)]
    dupatta_line = cart["items"][1]["id"]
    assert (await api.call("DELETE", f"/api/cart/{dupatta_line}/", token=thief.access)).status == 404  # not theirs
    removed = await api.call("DELETE", f"/api/cart/{dupatta_line}/", token=buyer.access)
    assert removed.status == 200 and [line["product"]["id"] for line in removed.body["items"]] == [saree]
    assert (await api.call("DELETE", f"/api/cart/{dupatta_line}/", token=buyer.access)).status == 404

    placed = await api.post("/api/orders/", {"shipping_address": ADDRESS}, token=buyer.access,
                            headers={"Idempotency-Key": "order-1"})
    assert placed.status == 201 and placed.body["total_amount"] == 1000.0 and placed.body["invoice"] is None
    again = await api.post("/api/orders/", {"shipping_address": ADDRESS}, token=buyer.access,
                           headers={"Idempotency-Key": "order-1"})
    assert again.status == 201 and again.body["id"] == placed.body["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    order = placed.body["id"]
    mine = await api.get("/api/orders/", token=buyer.access)
    assert mine.body["count"] == 1 and mine.body["results"][0]["id"] == order
    assert (await api.get(f"/api/orders/{order}/", token=thief.access)).status == 404
    assert (await api.get(f"/api/orders/{order}/invoice/", token=buyer.access)).error_code() == "invoice_not_available"

    await pay(app, order, buyer.id)
    paid = (await api.get(f"/api/orders/{order}/", token=buyer.access)).body
    assert paid["status"] == "paid" and paid["invoice"]["number"].startswith("INV-")
    pdf = await api.get(paid["invoice"]["url"], token=buyer.access)
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
    same = await api.get(f"/api/orders/{order}/invoice/", token=buyer.access)
    assert same.status == 200 and same.body == pdf.body


async def test_a_bad_address_is_refused_in_the_clients_terms(api: Api, admin: Account) -> None:
    buyer = await sign_up(api, "meena")
    for address, says in [("MG", "5 to 1000 characters"), ({"name": "Meena"}, "line1 is required"),
                          ({"name": "Meena", "line1": "12 MG Road", "city": "Bengaluru", "state": "KA",
                            "postal_code": "56#001"}, "postal_code: 3 to 12 letters"),
                          (42, "a line of text or an object")]:
        refused = await api.post("/api/orders/", {"shipping_address": address}, token=buyer.access)
        assert refused.status == 400 and refused.error_code() == "invalid_input"
        assert list(refused.body["error"]["fields"]) == ["shipping_address"], refused.body
        assert says in refused.body["error"]["fields"]["shipping_address"][0]
