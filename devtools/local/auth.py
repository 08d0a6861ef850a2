"""The deployed API's Cognito authorizer, for `make serve`: a user pool in the emulator, tokens checked as API Gateway does.

A token is accepted when its signature verifies against the pool's published keys (JWKS), its issuer
is the pool, its audience is the app client, it is an ID token, and it has not expired. Anything else
is a 401 with the body and headers of the API's UNAUTHORIZED gateway response.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LOCAL_USER = "local-user@example.com"


@dataclass
class LocalAuth:
    client: Any  # cognito-idp client on the emulator
    pool_id: str
    client_id: str
    issuer: str
    keys: Any  # joserfc KeySet

    @classmethod
    def create(cls, client: Callable[[str], Any], endpoint: str, region: str) -> LocalAuth:
        from joserfc.jwk import KeySet

        cognito = client("cognito-idp")
        pool = cognito.create_user_pool(
            PoolName="product-catalog-local",
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},  # as deployed: no self sign-up
            UsernameAttributes=["email"],
        )["UserPool"]
        app_client = cognito.create_user_pool_client(
            UserPoolId=pool["Id"], ClientName="local", GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]
        with urllib.request.urlopen(f"{endpoint}/{pool['Id']}/.well-known/jwks.json", timeout=10) as response:
            keys = KeySet.import_key_set(json.loads(response.read()))
        return cls(cognito, pool["Id"], app_client["ClientId"], f"https://cognito-idp.{region}.amazonaws.com/{pool['Id']}", keys)

    def create_user(self, username: str, password: str | None = None) -> str:
        """A confirmed user (its password returned): what an administrator creates, as sign-up is admin-only."""
        password = password or f"Local-{secrets.token_urlsafe(12)}1!"
        self.client.admin_create_user(UserPoolId=self.pool_id, Username=username, MessageAction="SUPPRESS",
                                      UserAttributes=[{"Name": "email", "Value": username}, {"Name": "email_verified", "Value": "true"}])
        self.client.admin_set_user_password(UserPoolId=self.pool_id, Username=username, Password=password, Permanent=True)
        return password

    def token(self, username: str, password: str) -> str:
        """An ID token for the user, as the app client signs in."""
        result = self.client.initiate_auth(ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                           AuthParameters={"USERNAME": username, "PASSWORD": password})
        return result["AuthenticationResult"]["IdToken"]

    def claims(self, authorization: str | None) -> dict[str, Any] | None:
        """The token's claims when the Authorization header holds a valid ID token for this pool and client."""
        from joserfc import jwt
        from joserfc.errors import JoseError

        if not authorization:
            return None
        token = authorization.removeprefix("Bearer ").strip()
        try:
            decoded = jwt.decode(token, self.keys, algorithms=["RS256"])
        except (JoseError, ValueError):
            return None  # malformed, or the signature does not verify against the pool's keys
        claims = decoded.claims
        valid = (
            claims.get("iss") == self.issuer
            and claims.get("aud") == self.client_id
            and claims.get("token_use") == "id"
            and isinstance(claims.get("exp"), (int, float)) and claims["exp"] > time.time()
        )
        return {k: str(v) for k, v in claims.items()} if valid else None
