"""Invoices: numbered when an order is paid, rendered to PDF on first request and kept."""
