"""Schemathesis auth hook for the contract runs (issue 22): a real login, renewed when the session ends.

Loaded by `SCHEMATHESIS_HOOKS=<this file>`. Logs in at `CF_FUZZ_LOGIN_URL` (user-service's `POST /auth/login`)
as `CF_FUZZ_EMAIL` / `CF_FUZZ_PASSWORD` and sends the access token as `Authorization: Bearer`. A 401 on an
operation that took the token makes Schemathesis log in again and replay the request once (`retry_on`), so an
operation that ends the session (logout, a session delete, a token past its lifetime of at most 900 s) costs
the run one login instead of turning every later answer into a 401. Credentials come from the environment
only, never from the command line.
"""

import json
import os
import urllib.request

import schemathesis

# Well inside the access token's lifetime (user-service ACCESS_TOKEN_TTL_SECONDS, at most 900 s).
REFRESH_SECONDS = 600
# Every outside call has a deadline: one password hash on a loaded machine takes seconds, not this.
LOGIN_TIMEOUT_SECONDS = 60


@schemathesis.auth(refresh_interval=REFRESH_SECONDS, retry_on=[401])
class FreshLogin:
    def get(self, case, context):
        body = json.dumps(
            {"email": os.environ["CF_FUZZ_EMAIL"], "password": os.environ["CF_FUZZ_PASSWORD"]}
        ).encode()
        request = urllib.request.Request(
            os.environ["CF_FUZZ_LOGIN_URL"],
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=LOGIN_TIMEOUT_SECONDS) as response:
            return json.load(response)["access_token"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
