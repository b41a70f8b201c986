"""Razorpay payments for orders and credit purchases: orders, signature checks, webhooks, refunds."""
