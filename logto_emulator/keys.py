"""Signing keys and JWTs for the emulator, through PyJWT + cryptography (no hand-made crypto)."""

from __future__ import annotations

import json
import secrets
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm


class SigningKey:
    """One private key with its key id; ES384 (Logto's default) or RS256."""

    def __init__(self, alg: str = "ES384") -> None:
        if alg == "ES384":
            self._private = ec.generate_private_key(ec.SECP384R1())
            public_jwk = ECAlgorithm.to_jwk(self._private.public_key(), as_dict=True)
        elif alg == "RS256":
            self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            public_jwk = RSAAlgorithm.to_jwk(self._private.public_key(), as_dict=True)
        else:
            raise ValueError(f"unsupported signing algorithm {alg}")
        self.alg = alg
        self.kid = secrets.token_urlsafe(16)
        # Logto's JWKS omits `alg` on its keys; clients infer it from the key type.
        self.public_jwk: dict[str, Any] = {**public_jwk, "kid": self.kid, "use": "sig"}

    def sign(self, claims: dict[str, Any], *, typ: str = "JWT") -> str:
        return jwt.encode(
            claims, self._private, algorithm=self.alg, headers={"kid": self.kid, "typ": typ}
        )

    def verify(
        self, token: str, *, audience: str | None, issuer: str, verify_exp: bool = True
    ) -> dict[str, Any]:
        return jwt.decode(
            token,
            self._private.public_key(),
            algorithms=[self.alg],
            audience=audience,
            issuer=issuer,
            options={"verify_aud": audience is not None, "verify_exp": verify_exp},
        )


def jwks_document(keys: list[SigningKey]) -> str:
    return json.dumps({"keys": [k.public_jwk for k in keys]})
