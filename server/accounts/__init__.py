"""Accounts: buyers, sellers and admins, sign-in with rotating tokens, profiles, seller verification."""
