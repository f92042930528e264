#include "api/quantity.h"

#include <gtest/gtest.h>

namespace minik8s::api {
namespace quantity_test {

struct QuantityCase {
  const char* text;
  const char* canonical;
  int64_t milli;
};

TEST(Quantity, ParsesAndCanonicalizesKubernetesForms) {
  const QuantityCase cases[] = {
      {"100m", "100m", 100},
      {"0.5", "500m", 500},
      {"1", "1", 1000},
      {"64Mi", "64Mi", 64LL * 1024 * 1024 * 1000},
      {"1G", "1G", 1'000'000'000'000LL},
      {"1e3", "1e3", 1'000'000},
      {"10M", "10M", 10'000'000'000LL},
      {"1024Mi", "1Gi", 1024LL * 1024 * 1024 * 1000},
      {"1536Mi", "1536Mi", 1536LL * 1024 * 1024 * 1000},
      {"1000", "1k", 1'000'000},
      {"1500m", "1500m", 1500},
      {"0.1", "100m", 100},
      {"2.5Gi", "2560Mi", 2560LL * 1024 * 1024 * 1000},
      {"512", "512", 512'000},
      {"0", "0", 0},
      {"1Ki", "1Ki", 1024'000},
      {"0.5Ki", "512", 512'000},
      {"10Mi", "10Mi", 10LL * 1024 * 1024 * 1000},
      {"+3", "3", 3000},
      {"-1", "-1", -1000},
      {"1n", "1n", 1},  // rounds up to the next milli
      {"12e-3", "12e-3", 12},
  };
  for (const QuantityCase& c : cases) {
    Result<Quantity> q = Quantity::parse(c.text);
    ASSERT_TRUE(q.isOk()) << c.text << ": " << q.status().toString();
    EXPECT_EQ(q->toString(), c.canonical) << c.text;
    EXPECT_EQ(q->milliValue(), c.milli) << c.text;
  }
}

TEST(Quantity, RejectsMalformedText) {
  for (const char* text :
       {"", "abc", "1.2.3", "10Mb", "m", "1 Gi", "--1", "1e", "Gi", ".", "1ee3"}) {
    Result<Quantity> q = Quantity::parse(text);
    EXPECT_FALSE(q.isOk()) << text;
    if (!q.isOk()) {
      EXPECT_EQ(q.status().code(), Code::kBadRequest);
    }
  }
}

TEST(Quantity, LenientParseKeepsInvalidTextForValidation) {
  Quantity q = Quantity::parseLenient("lots");
  EXPECT_TRUE(q.isSet());
  EXPECT_FALSE(q.isValid());
  EXPECT_EQ(q.toString(), "lots");
  EXPECT_FALSE(Quantity().isSet());
  EXPECT_EQ(Quantity().toString(), "");
}

TEST(Quantity, ComparesByValueAcrossFormats) {
  EXPECT_EQ(*Quantity::parse("1Gi"), *Quantity::parse("1024Mi"));
  EXPECT_EQ(*Quantity::parse("0.5"), *Quantity::parse("500m"));
  EXPECT_LT(*Quantity::parse("10Mi"), *Quantity::parse("30Mi"));
  EXPECT_GT(*Quantity::parse("1G"), *Quantity::parse("900Mi"));
  EXPECT_LT(*Quantity::parse("1M"), *Quantity::parse("1Mi"));
}

TEST(Quantity, ValueRoundsUpToWholeUnits) {
  EXPECT_EQ(Quantity::parse("64Mi")->value(), 64LL * 1024 * 1024);
  EXPECT_EQ(Quantity::parse("100m")->value(), 1);
  EXPECT_EQ(Quantity::parse("2")->value(), 2);
  EXPECT_EQ(Quantity::fromMilli(250).toString(), "250m");
  EXPECT_EQ(Quantity::fromInt(2048, Quantity::Format::kBinarySI).toString(), "2Ki");
}

TEST(IntOrString, ScalesPercentagesRoundingAsAsked) {
  EXPECT_EQ(*scaledValueFromIntOrPercent(IntOrString::ofString("25%"), 10, true), 3);
  EXPECT_EQ(*scaledValueFromIntOrPercent(IntOrString::ofString("25%"), 10, false), 2);
  EXPECT_EQ(*scaledValueFromIntOrPercent(IntOrString::ofInt(4), 10, false), 4);
  EXPECT_FALSE(scaledValueFromIntOrPercent(IntOrString::ofString("abc"), 10, false).isOk());
  EXPECT_EQ(IntOrString::ofString("http").toString(), "http");
  EXPECT_EQ(IntOrString::ofInt(80).toString(), "80");
}

}  // namespace quantity_test
}  // namespace minik8s::api
