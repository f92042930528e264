// Quantity: a Kubernetes resource quantity ("100m", "0.5", "64Mi", "1G", "1e3"), and
// IntOrString (Service targetPort, Deployment maxSurge). Plain value types; thread-safe
// to share once built.
//
// A Quantity keeps the exact value in nano-units (10^-9) and the format of its suffix
// (binary, decimal SI or decimal exponent), so that it prints canonically as Kubernetes
// does: "0.5" -> "500m", "1024Mi" -> "1Gi", "1000" -> "1k", "1.5Gi" -> "1536Mi".
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace minik8s::api {

class Quantity {
 public:
  enum class Format { kDecimalSI, kBinarySI, kDecimalExponent };

  Quantity() = default;  // unset; prints as ""

  // kBadRequest "quantities must match the regular expression ..." when `text` is not a
  // quantity.
  static Result<Quantity> parse(std::string_view text);
  // Like parse, but keeps an unparseable `text` verbatim (isValid() false) so that
  // validation can report it as a field error instead of failing the decode.
  static Quantity parseLenient(std::string_view text);
  static Quantity fromMilli(int64_t milli);
  static Quantity fromInt(int64_t value, Format format = Format::kDecimalSI);

  bool isSet() const { return set_; }
  bool isValid() const { return set_ && valid_; }
  bool isNegative() const { return nano_ < 0; }

  // Rounded up to the next whole milli-unit / unit (as Kubernetes' MilliValue / Value).
  int64_t milliValue() const;
  int64_t value() const;

  // Canonical text; the original text for an invalid quantity; "" when unset.
  std::string toString() const;

  // Compares values (formats ignored). Invalid or unset quantities compare as zero.
  std::strong_ordering operator<=>(const Quantity& other) const { return nano_ <=> other.nano_; }
  bool operator==(const Quantity& other) const { return nano_ == other.nano_; }

 private:
  __int128 nano_ = 0;
  Format format_ = Format::kDecimalSI;
  bool set_ = false;
  bool valid_ = false;
  std::string raw_;  // only for invalid quantities
};

// An int32 or a string ("80", "http", "25%").
struct IntOrString {
  bool is_string = false;
  int32_t int_value = 0;
  std::string str_value;

  static IntOrString ofInt(int32_t v) { return {false, v, {}}; }
  static IntOrString ofString(std::string s) { return {true, 0, std::move(s)}; }
  std::string toString() const { return is_string ? str_value : std::to_string(int_value); }
  bool operator==(const IntOrString&) const = default;
};

// Resolves a percentage ("25%") or an absolute value against `total`, rounding up or
// down as Kubernetes' GetScaledValueFromIntOrPercent does. kBadRequest on a malformed
// value.
Result<int32_t> scaledValueFromIntOrPercent(const IntOrString& v, int32_t total, bool round_up);

}  // namespace minik8s::api
