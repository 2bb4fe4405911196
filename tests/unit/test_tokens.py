"""Access tokens: a verified token is remembered, yet still expires and is never confused."""

from __future__ import annotations

import time

import pytest

from thinfile.errors import AuthenticationError
from thinfile.security import tokens as token_module
from thinfile.security.roles import Role
from thinfile.security.tokens import TokenClaims, TokenSigner


def test_a_remembered_token_is_refused_once_it_expires(monkeypatch):
    signer = TokenSigner("s" * 40, ttl_seconds=60)
    token = signer.issue(TokenClaims("u1", Role.BORROWER))
    assert signer.verify(token) == TokenClaims("u1", Role.BORROWER)
    assert signer.verify(token).user_id == "u1"  # from memory this time
    later = time.time() + 62
    monkeypatch.setattr(f"{token_module.__name__}.time.time", lambda: later)
    with pytest.raises(AuthenticationError, match="expired"):
        signer.verify(token)
    with pytest.raises(AuthenticationError, match="expired"):
        signer.verify(token)  # forgotten, and the signature's own age check refuses it


def test_remembered_tokens_keep_their_own_claims_and_forgeries_stay_out():
    signer = TokenSigner("s" * 40, ttl_seconds=60, remember=2)
    issued = {name: signer.issue(TokenClaims(name, Role.BORROWER)) for name in "abc"}
    for _ in range(2):
        for name, token in issued.items():
            assert signer.verify(token).user_id == name
    with pytest.raises(AuthenticationError, match="not valid"):
        signer.verify(issued["a"] + "x")
    with pytest.raises(AuthenticationError, match="not valid"):
        TokenSigner("other" * 10, ttl_seconds=60).verify(issued["a"])
