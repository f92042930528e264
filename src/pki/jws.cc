#include "pki/jws.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <nlohmann/json.hpp>

namespace minik8s::pki {

namespace jws_impl {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int decodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  // HMAC() with a zero-length key is fine in OpenSSL 3; a null key pointer is not.
  static const unsigned char kEmpty = 0;
  const void* key_data = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
           &length) == nullptr) {
    // Only an OpenSSL without SHA-256 gets here: a broken installation.
    std::abort();
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), length);
}

std::string protectedHeader(std::string_view token_id) {
  // go-jose marshals the header with its keys sorted: alg, then kid.
  nlohmann::json header = {{"alg", "HS256"}, {"kid", std::string(token_id)}};
  return base64UrlEncode(header.dump());
}

}  // namespace jws_impl

using jws_impl::decodeChar;
using jws_impl::hmacSha256;
using jws_impl::kAlphabet;
using jws_impl::protectedHeader;

std::string jwsKubeconfigKey(std::string_view token_id) {
  return kJwsKubeconfigPrefix + std::string(token_id);
}

std::string base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (bytes.size() - i == 1) {
    uint32_t v = byte(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

bool base64UrlDecode(std::string_view text, std::string* bytes) {
  if (text.size() % 4 == 1) return false;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = decodeChar(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Canonical form only: the leftover bits must be zero.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return false;
  *bytes = std::move(out);
  return true;
}

std::string computeDetachedJws(std::string_view content, std::string_view token_id,
                               std::string_view token_secret) {
  std::string header = protectedHeader(token_id);
  std::string signing_input = header + "." + base64UrlEncode(content);
  return header + ".." + base64UrlEncode(hmacSha256(token_secret, signing_input));
}

Status verifyDetachedJws(std::string_view jws, std::string_view content,
                         std::string_view token_id, std::string_view token_secret) {
  auto refuse = [](const std::string& why) {
    return Status(Code::kUnauthorized, "JWS signature: " + why);
  };
  size_t first = jws.find('.');
  if (first == std::string_view::npos) return refuse("not a compact JWS");
  size_t second = jws.find('.', first + 1);
  if (second == std::string_view::npos || jws.find('.', second + 1) != std::string_view::npos) {
    return refuse("not a compact JWS");
  }
  if (second != first + 1) return refuse("has a payload; a detached signature has none");
  std::string_view header_b64 = jws.substr(0, first);
  std::string_view mac_b64 = jws.substr(second + 1);
  std::string header_text, mac;
  if (!base64UrlDecode(header_b64, &header_text)) return refuse("header is not base64url");
  if (!base64UrlDecode(mac_b64, &mac)) return refuse("signature is not base64url");
  auto header = nlohmann::json::parse(header_text, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) return refuse("header is not a JSON object");
  if (header.value("alg", nlohmann::json()) != "HS256") return refuse("alg is not HS256");
  if (header.value("kid", nlohmann::json()) != std::string(token_id)) {
    return refuse("kid is not the token id " + std::string(token_id));
  }
  if (header.contains("crit")) return refuse("header has critical extensions");
  std::string signing_input = std::string(header_b64) + "." + base64UrlEncode(content);
  std::string expected = hmacSha256(token_secret, signing_input);
  if (mac.size() != expected.size() ||
      CRYPTO_memcmp(mac.data(), expected.data(), expected.size()) != 0) {
    return refuse("does not match the content and token");
  }
  return Status::ok();
}

}  // namespace minik8s::pki
