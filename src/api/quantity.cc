#include "api/quantity.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace minik8s::api {
namespace {

using Int128 = __int128;

constexpr int64_t kNanoPerUnit = 1'000'000'000;
constexpr std::string_view kQuantityRegexMessage =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

bool mulOverflows(Int128 a, Int128 b, Int128* out) {
  return __builtin_mul_overflow(a, b, out);
}

Int128 pow10(int n) {
  Int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

// Divides rounding away from zero, as Kubernetes rounds quantities up to nano precision.
Int128 divCeil(Int128 a, Int128 b) {
  Int128 q = a / b;
  if (a % b != 0) q += (a < 0 ? -1 : 1);
  return q;
}

std::string int128ToString(Int128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  if (neg) v = -v;
  std::string digits;
  while (v > 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  if (neg) digits.push_back('-');
  return {digits.rbegin(), digits.rend()};
}

struct Suffix {
  Quantity::Format format;
  int base;      // 10 or 2
  int exponent;  // power of `base`
};

bool parseSuffix(std::string_view s, Suffix* out) {
  static constexpr std::array<std::pair<std::string_view, int>, 10> kDecimal = {{
      {"n", -9},
      {"u", -6},
      {"m", -3},
      {"", 0},
      {"k", 3},
      {"M", 6},
      {"G", 9},
      {"T", 12},
      {"P", 15},
      {"E", 18},
  }};
  static constexpr std::array<std::pair<std::string_view, int>, 6> kBinary = {{
      {"Ki", 10},
      {"Mi", 20},
      {"Gi", 30},
      {"Ti", 40},
      {"Pi", 50},
      {"Ei", 60},
  }};
  for (const auto& [name, exp] : kDecimal) {
    if (s == name) {
      *out = {Quantity::Format::kDecimalSI, 10, exp};
      return true;
    }
  }
  for (const auto& [name, exp] : kBinary) {
    if (s == name) {
      *out = {Quantity::Format::kBinarySI, 2, exp};
      return true;
    }
  }
  if (s.size() >= 2 && (s[0] == 'e' || s[0] == 'E')) {
    std::string_view digits = s.substr(1);
    bool neg = false;
    if (digits[0] == '+' || digits[0] == '-') {
      neg = digits[0] == '-';
      digits.remove_prefix(1);
    }
    if (digits.empty() || digits.size() > 3) return false;
    int exp = 0;
    for (char c : digits) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
      exp = exp * 10 + (c - '0');
    }
    *out = {Quantity::Format::kDecimalExponent, 10, neg ? -exp : exp};
    return true;
  }
  return false;
}

}  // namespace

Result<Quantity> Quantity::parse(std::string_view text) {
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  Int128 mantissa = 0;
  int fraction_digits = 0;
  int digits = 0;
  bool seen_dot = false;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.') {
      if (seen_dot) return badRequest(std::string(kQuantityRegexMessage));
      seen_dot = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    if (mantissa == 0 && c == '0' && !seen_dot) continue;  // leading zeros
    if (digits >= 30)
      return badRequest("quantity is too precise or too large: " + std::string(text));
    mantissa = mantissa * 10 + (c - '0');
    ++digits;
    if (seen_dot) ++fraction_digits;
  }
  bool any_digit = false;
  for (size_t k = 0; k < i; ++k) any_digit |= std::isdigit(static_cast<unsigned char>(s[k])) != 0;
  if (!any_digit) return badRequest(std::string(kQuantityRegexMessage));
  Suffix suffix;
  if (!parseSuffix(s.substr(i), &suffix)) return badRequest(std::string(kQuantityRegexMessage));

  // nano = mantissa * 10^-fraction_digits * base^exponent * 10^9
  Int128 nano = mantissa;
  Status too_large = badRequest("quantity is too large: " + std::string(text));
  if (suffix.base == 2) {
    if (mulOverflows(nano, Int128(1) << suffix.exponent, &nano)) return too_large;
    int shift = 9 - fraction_digits;
    if (shift >= 0) {
      if (mulOverflows(nano, pow10(shift), &nano)) return too_large;
    } else {
      nano = divCeil(nano, pow10(-shift));
    }
  } else {
    int shift = 9 - fraction_digits + suffix.exponent;
    if (shift > 36) {
      if (nano != 0) return too_large;
    } else if (shift >= 0) {
      if (mulOverflows(nano, pow10(shift), &nano)) return too_large;
    } else if (shift < -36) {
      nano = nano == 0 ? 0 : 1;
    } else {
      nano = divCeil(nano, pow10(-shift));
    }
  }
  // Keep well inside int128 so arithmetic on quantities cannot overflow.
  if (nano > pow10(36)) return too_large;
  Quantity q;
  q.nano_ = neg ? -nano : nano;
  q.format_ = suffix.format;
  q.set_ = true;
  q.valid_ = true;
  return q;
}

Quantity Quantity::parseLenient(std::string_view text) {
  Result<Quantity> parsed = parse(text);
  if (parsed.isOk()) return *parsed;
  Quantity q;
  q.set_ = true;
  q.valid_ = false;
  q.raw_ = std::string(text);
  return q;
}

Quantity Quantity::fromMilli(int64_t milli) {
  Quantity q;
  q.nano_ = Int128(milli) * 1'000'000;
  q.set_ = true;
  q.valid_ = true;
  return q;
}

Quantity Quantity::fromInt(int64_t value, Format format) {
  Quantity q;
  q.nano_ = Int128(value) * kNanoPerUnit;
  q.format_ = format;
  q.set_ = true;
  q.valid_ = true;
  return q;
}

int64_t Quantity::milliValue() const {
  return static_cast<int64_t>(divCeil(nano_, 1'000'000));
}

int64_t Quantity::value() const {
  return static_cast<int64_t>(divCeil(nano_, kNanoPerUnit));
}

std::string Quantity::toString() const {
  if (!set_) return "";
  if (!valid_) return raw_;
  if (nano_ == 0) return "0";
  Format format = format_;
  if (format == Format::kBinarySI) {
    Int128 abs = nano_ < 0 ? -nano_ : nano_;
    if (abs < Int128(1024) * kNanoPerUnit || abs % kNanoPerUnit != 0) {
      format = Format::kDecimalSI;
    } else {
      static constexpr std::array<std::string_view, 7> kNames = {"",   "Ki", "Mi", "Gi",
                                                                 "Ti", "Pi", "Ei"};
      Int128 units = nano_ / kNanoPerUnit;
      size_t k = 0;
      while (k + 1 < kNames.size() && units % 1024 == 0) {
        units /= 1024;
        ++k;
      }
      return int128ToString(units) + std::string(kNames[k]);
    }
  }
  // Largest exponent (a multiple of 3, from -9 to 18) that keeps the mantissa integral.
  int exp = -9;
  Int128 mantissa = nano_;
  while (exp < 18 && mantissa % 1000 == 0) {
    mantissa /= 1000;
    exp += 3;
  }
  if (format == Format::kDecimalExponent) {
    return exp == 0 ? int128ToString(mantissa)
                    : int128ToString(mantissa) + "e" + std::to_string(exp);
  }
  static constexpr std::array<std::string_view, 10> kNames = {"n", "u", "m", "",  "k",
                                                              "M", "G", "T", "P", "E"};
  return int128ToString(mantissa) + std::string(kNames[(exp + 9) / 3]);
}

Result<int32_t> scaledValueFromIntOrPercent(const IntOrString& v, int32_t total, bool round_up) {
  if (!v.is_string) return v.int_value;
  const std::string& s = v.str_value;
  if (s.size() < 2 || s.back() != '%') {
    return badRequest("invalid value for IntOrString: invalid type: string is not a percentage");
  }
  int64_t percent = 0;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i])) || percent > 1'000'000) {
      return badRequest("invalid value \"" + s + "\": must be an integer percentage");
    }
    percent = percent * 10 + (s[i] - '0');
  }
  int64_t scaled = int64_t(total) * percent;
  int64_t result = round_up ? (scaled + 99) / 100 : scaled / 100;
  return static_cast<int32_t>(result);
}

}  // namespace minik8s::api
