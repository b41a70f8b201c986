"""Seller money: earnings from paid orders less the commission, held, then withdrawable."""
