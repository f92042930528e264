#include "pki/bootstrap_token.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace minik8s::pki {

namespace {

constexpr std::string_view kTokenAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
constexpr size_t kTokenIdLength = 6;
constexpr size_t kTokenSecretLength = 16;

// `n` characters uniform over kTokenAlphabet: bytes at or above the largest multiple of 36
// that fits in a byte (252) are thrown away, so `byte % 36` favours no character.
std::string randomTokenChars(size_t n) {
  constexpr unsigned kLimit = 256 - 256 % kTokenAlphabet.size();
  std::string out;
  while (out.size() < n) {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
      std::fprintf(stderr, "minik8s pki: RAND_bytes failed\n");
      std::abort();
    }
    for (unsigned char b : bytes) {
      if (b >= kLimit || out.size() == n) continue;
      out += kTokenAlphabet[b % kTokenAlphabet.size()];
    }
  }
  return out;
}

bool isTokenChars(std::string_view s, size_t length) {
  return s.size() == length && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
         });
}

}  // namespace

BootstrapToken generateBootstrapToken() {
  return BootstrapToken{randomTokenChars(kTokenIdLength), randomTokenChars(kTokenSecretLength)};
}

std::optional<BootstrapToken> parseBootstrapToken(std::string_view text) {
  if (text.size() != kTokenIdLength + 1 + kTokenSecretLength || text[kTokenIdLength] != '.') {
    return std::nullopt;
  }
  std::string_view id = text.substr(0, kTokenIdLength);
  std::string_view secret = text.substr(kTokenIdLength + 1);
  if (!isTokenChars(id, kTokenIdLength) || !isTokenChars(secret, kTokenSecretLength)) {
    return std::nullopt;
  }
  return BootstrapToken{std::string(id), std::string(secret)};
}

}  // namespace minik8s::pki
