// A real OpenID Provider for the test suite: oidc-provider (OpenID Certified), with its development login pages,
// one confidential client that must use PKCE, and the accounts given in OIDC_ACCOUNTS. Listens on 127.0.0.1 only.
// Settings come from the environment: OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URIS
// (comma-separated), OIDC_ACCOUNTS ({"login": {"email": ..., "email_verified": true}, ...}).
import Provider from "oidc-provider";

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || "{}");

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: process.env.OIDC_REDIRECT_URIS.split(","),
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  pkce: { methods: ["S256"], required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  scopes: ["openid", "email", "profile"],
  cookies: { keys: ["hotline-test-cookie-key-not-secret"] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, sub) {
    const account = accounts[sub];
    if (!account) return undefined;
    return { accountId: sub, async claims() { return { sub, ...account }; } };
  },
});

provider.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening ${issuer}\n`);
});
