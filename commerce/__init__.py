"""Catalog, cart, orders and stock, Razorpay payments, seller earnings, invoices and e-mail."""
