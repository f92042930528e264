// The server side of TLS for HttpServer: the OpenSSL context built from TlsServerOptions,
// and the verified identity of a peer. Internal to src/http.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <optional>

#include "common/status.h"
#include "http/http_server.h"

namespace minik8s::http {

// TLS 1.2+, ALPN http/1.1, the certificate and key (checked to match), and, with
// client_ca_pem, client certificate verification. kInvalid when something does not load.
Result<std::shared_ptr<boost::asio::ssl::context>> makeServerTlsContext(
    const TlsServerOptions& options);

// The subject (CN, O) of the certificate the peer of `ssl` presented, when it verified
// against the context's client CAs; nullopt when it presented none. REQUIRES: the handshake
// is done.
std::optional<ClientCertificate> verifiedClientCertificate(SSL* ssl);

}  // namespace minik8s::http
