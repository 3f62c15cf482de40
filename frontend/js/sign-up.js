// Who may create an account, checked before the user is sent to the sign-up page: the same rule as the
// server's pre sign-up check (api/logic/sign_up.py), so a refused address is explained here, in the user's
// language, instead of on Cognito's page. tests/fixtures/sign_up_cases.json holds the cases both agree on.
// "example.com" allows exactly that domain, "*.example.com" any sub-domain of it; [] allows anyone.

const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/;

export function parseAllowedDomains(entries) {
  const exact = [];
  const parents = [];
  for (const raw of entries ?? []) {
    const entry = String(raw).trim().toLowerCase().replace(/\.$/, "");
    if (!entry) continue;
    const wildcard = entry.startsWith("*.");
    const name = wildcard ? entry.slice(2) : entry;
    if (!DOMAIN.test(name)) throw new Error(`not a domain: ${raw}`);
    (wildcard ? parents : exact).push(name);
  }
  return { exact, parents };
}

// The domain an address's mail goes to (after its last "@"), or null when it is not an address.
export function emailDomain(address) {
  const text = String(address ?? "").trim();
  const at = text.lastIndexOf("@");
  const domain = text.slice(at + 1).toLowerCase().replace(/\.$/, "");
  return at > 0 && domain ? domain : null;
}

// { allowed: true } or { allowed: false, reason: "not-an-address" | "domain", domain }.
export function signUpVerdict(address, rule) {
  const domain = emailDomain(address);
  if (!rule.exact.length && !rule.parents.length) {
    return domain ? { allowed: true, domain } : { allowed: false, reason: "not-an-address", domain: null };
  }
  if (!domain) return { allowed: false, reason: "not-an-address", domain: null };
  const allowed = rule.exact.includes(domain) || rule.parents.some((parent) => domain.endsWith(`.${parent}`));
  return allowed ? { allowed: true, domain } : { allowed: false, reason: "domain", domain };
}

// The allowed domains as a sentence fragment: "example.com or any sub-domain of example.org".
export function describeDomains(rule, t) {
  const parts = [...rule.exact, ...rule.parents.map((domain) => t("signUp.anySubdomain", { domain }))];
  if (parts.length <= 1) return parts.join("");
  return `${parts.slice(0, -1).join(", ")}${t("signUp.or")}${parts.at(-1)}`;
}
