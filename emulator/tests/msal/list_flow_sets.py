"""Microsoft's own MSAL for Python against the emulator: it reads the emulator's OpenID
configuration, acquires an app-only token with a client secret, and the token lists flow sets.

Usage: list_flow_sets.py BASE_URL TENANT CLIENT_ID CLIENT_SECRET (REQUESTS_CA_BUNDLE names the CA).
Prints the HTTP status and the ids of the flow sets, one per line; exits 1 when MSAL refuses.
"""

import sys

import msal
import requests

base, tenant, client_id, secret = sys.argv[1:5]
app = msal.ConfidentialClientApplication(
    client_id,
    client_credential=secret,
    authority=f"{base}/{tenant}",
    # The emulator is not a known Microsoft cloud; discovery of its tenant still runs.
    instance_discovery=False,
)
result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
if "access_token" not in result:
    print(f"MSAL refused: {result.get('error')}: {result.get('error_description')}")
    sys.exit(1)
response = requests.get(
    f"{base}/beta/external/industryData/outboundProvisioningFlowSets",
    headers={"Authorization": f"Bearer {result['access_token']}"},
    timeout=30,
)
print(response.status_code)
for flow_set in response.json().get("value", []):
    print(flow_set["id"])
