// minik8s::pki: the cluster's certificate authority (docs/pki.md).
//   certificates.h    keys, certificates and CSRs as pure functions over PEM
//   cluster_pki.h     the CA, API server and admin certificates on disk
//   bootstrap_token.h join tokens "[a-z0-9]{6}.[a-z0-9]{16}"
#pragma once

#include "pki/bootstrap_token.h"  // IWYU pragma: export
#include "pki/certificates.h"     // IWYU pragma: export
#include "pki/cluster_pki.h"      // IWYU pragma: export
