// A fixed node CSR and a certificate for its key, for tests that need real PEM bytes but
// not a CA (header-only). Made once with openssl: an EC P-256 key, `openssl req -new` with
// subject O=system:nodes, CN=system:node:n1, and `openssl req -x509` with the same key.
#pragma once

namespace minik8s::testing {

inline constexpr char kNodeCsrPem[] =
    "-----BEGIN CERTIFICATE REQUEST-----\n"
    "MIHqMIGSAgEAMDAxFTATBgNVBAoMDHN5c3RlbTpub2RlczEXMBUGA1UEAwwOc3lz\n"
    "dGVtOm5vZGU6bjEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARqWIOWr3HhWkg6\n"
    "feGicZ32/PHsSvl46HhmloxnU9OrAfGVKGBZ1old4tKRtw5O5PcnbGblB0JBvmUp\n"
    "3aY/hWtCoAAwCgYIKoZIzj0EAwIDRwAwRAIgMINdoZFmmAebp7issINi84y03P68\n"
    "LrgNiKDRMhRxnbICIC2zS08qu8Qs8+VuNRGU/jYUWfOHjQCchwfuy1RORhSM\n"
    "-----END CERTIFICATE REQUEST-----\n";

inline constexpr char kNodeKeyCertPem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBbDCCAROgAwIBAgIUL1velefn7qzNiSMcVN9u5YrNOUUwCgYIKoZIzj0EAwIw\n"
    "DDEKMAgGA1UEAwwBeDAeFw0yNjEyMDcxMzM4MzZaFw0yNjEyMDgxMzM4MzZaMAwx\n"
    "CjAIBgNVBAMMAXgwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARqWIOWr3HhWkg6\n"
    "feGicZ32/PHsSvl46HhmloxnU9OrAfGVKGBZ1old4tKRtw5O5PcnbGblB0JBvmUp\n"
    "3aY/hWtCo1MwUTAdBgNVHQ4EFgQUMRzQryXUIb6jinoicA9gjv+i+jYwHwYDVR0j\n"
    "BBgwFoAUMRzQryXUIb6jinoicA9gjv+i+jYwDwYDVR0TAQH/BAUwAwEB/zAKBggq\n"
    "hkjOPQQDAgNHADBEAiB82+rYGAAyE8N9PVbf/DboF9XKHMyQw9d2teVW6lfZZQIg\n"
    "b8Bs0M/pvZSawcdPnTWGYKtCEreL0dk5B5mJrjvP+3M=\n"
    "-----END CERTIFICATE-----\n";

}  // namespace minik8s::testing
