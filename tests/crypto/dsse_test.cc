// DSSE envelopes and in-toto statements: PAE, sign/verify, wrong keys,
// tampering, several signatures, and parsing untrusted envelopes.
#include "crypto/dsse.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/sha256.h"
#include "crypto/intoto.h"
#include "test_util.h"

namespace wfs::crypto {
namespace {

using testing::FixedKeyPair;

constexpr std::string_view kType = "application/vnd.wfstore.test+json";
constexpr std::string_view kBody = "{\"hello\":\"world\"}";

TEST(DsseTest, PaeMatchesTheSpecVector) {
  EXPECT_EQ(DssePae("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  EXPECT_EQ(DssePae("t", ""), "DSSEv1 1 t 0 ");
}

TEST(DsseTest, ParsesTheSpecEnvelope) {
  // protocol.md's example (an ECDSA signature, which we only parse).
  auto env = ParseDsseEnvelope(
      R"({"payload": "aGVsbG8gd29ybGQ=",
          "payloadType": "http://example.com/HelloWorld",
          "signatures": [{"sig": "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="}]})");
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(env->payload, "hello world");
  EXPECT_EQ(env->payload_type, "http://example.com/HelloWorld");
  ASSERT_EQ(env->signatures.size(), 1u);
  EXPECT_EQ(env->signatures[0].keyid, "");
  EXPECT_EQ(env->signatures[0].sig.size(), 64u);
  // Not one of our keys: nothing verifies.
  std::vector<PublicKey> keys = {FixedKeyPair(1).public_key};
  EXPECT_EQ(VerifyDsse(*env, keys).status().code(), Code::kUnauthenticated);
}

TEST(DsseTest, SignThenVerify) {
  KeyPair kp = FixedKeyPair(1);
  auto env = SignDsse(kType, kBody, kp.secret_key);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  ASSERT_EQ(env->signatures.size(), 1u);
  EXPECT_EQ(env->signatures[0].keyid, KeyIdHex(kp.public_key.key_id));
  // Pure Ed25519 over the PAE.
  auto expect = kp.secret_key.SignDetached(DssePae(kType, kBody));
  EXPECT_EQ(env->signatures[0].sig,
            std::string(reinterpret_cast<const char*>(expect.data()), 64));

  std::vector<PublicKey> keys = {kp.public_key};
  auto ids = VerifyDsse(*env, keys);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(*ids, std::vector<std::string>{KeyIdHex(kp.public_key.key_id)});
}

TEST(DsseTest, JsonRoundTrip) {
  KeyPair kp = FixedKeyPair(1);
  auto env = SignDsse(kType, std::string("\0\xff binary", 9), kp.secret_key);
  ASSERT_TRUE(env.ok());
  std::string text = FormatDsseEnvelope(*env);
  Json j = *ParseJson(text);
  EXPECT_EQ(j["payloadType"], kType);
  EXPECT_TRUE(j["payload"].is_string());
  EXPECT_EQ(j["signatures"][0]["keyid"], KeyIdHex(kp.public_key.key_id));
  auto back = ParseDsseEnvelope(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, *env);
}

TEST(DsseTest, WrongKeyIsUnauthenticated) {
  auto env = SignDsse(kType, kBody, FixedKeyPair(1).secret_key);
  ASSERT_TRUE(env.ok());
  std::vector<PublicKey> keys = {FixedKeyPair(2).public_key,
                                 FixedKeyPair(3).public_key};
  auto r = VerifyDsse(*env, keys);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnauthenticated);
  EXPECT_EQ(VerifyDsse(*env, {}).status().code(), Code::kInvalidArgument);
}

TEST(DsseTest, TamperingIsUnauthenticated) {
  KeyPair kp = FixedKeyPair(1);
  std::vector<PublicKey> keys = {kp.public_key};
  auto env = SignDsse(kType, kBody, kp.secret_key);
  ASSERT_TRUE(env.ok());

  DsseEnvelope payload = *env;
  payload.payload[3] ^= 1;
  EXPECT_EQ(VerifyDsse(payload, keys).status().code(), Code::kUnauthenticated);

  DsseEnvelope type = *env;
  type.payload_type = "application/vnd.in-toto+json";
  EXPECT_EQ(VerifyDsse(type, keys).status().code(), Code::kUnauthenticated);

  DsseEnvelope sig = *env;
  sig.signatures[0].sig[10] ^= 1;
  EXPECT_EQ(VerifyDsse(sig, keys).status().code(), Code::kUnauthenticated);

  DsseEnvelope truncated = *env;
  truncated.signatures[0].sig.pop_back();
  EXPECT_EQ(VerifyDsse(truncated, keys).status().code(),
            Code::kUnauthenticated);

  // Through JSON too: change the base64 payload.
  Json j = DsseEnvelopeToJson(*env);
  j["payload"] = "eyJoZWxsbyI6IndvcmxkISJ9";  // {"hello":"world!"}
  auto parsed = DsseEnvelopeFromJson(j);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(VerifyDsse(*parsed, keys).status().code(), Code::kUnauthenticated);
}

TEST(DsseTest, MultipleSignatures) {
  KeyPair a = FixedKeyPair(1), b = FixedKeyPair(2), c = FixedKeyPair(3);
  auto env = SignDsse(kType, kBody, a.secret_key);
  ASSERT_TRUE(env.ok());
  ASSERT_TRUE(AddDsseSignature(&*env, b.secret_key).ok());
  ASSERT_EQ(env->signatures.size(), 2u);

  std::string ida = KeyIdHex(a.public_key.key_id);
  std::string idb = KeyIdHex(b.public_key.key_id);
  std::vector<PublicKey> both = {b.public_key, c.public_key, a.public_key};
  EXPECT_EQ(*VerifyDsse(*env, both), (std::vector<std::string>{idb, ida}));
  std::vector<PublicKey> only_b = {b.public_key};
  EXPECT_EQ(*VerifyDsse(*env, only_b), std::vector<std::string>{idb});
  std::vector<PublicKey> dup = {a.public_key, a.public_key};
  EXPECT_EQ(*VerifyDsse(*env, dup), std::vector<std::string>{ida});
  std::vector<PublicKey> only_c = {c.public_key};
  EXPECT_FALSE(VerifyDsse(*env, only_c).ok());

  // One bad signature does not spoil the others.
  env->signatures[0].sig[0] ^= 1;
  EXPECT_EQ(*VerifyDsse(*env, both), std::vector<std::string>{idb});

  auto back = ParseDsseEnvelope(FormatDsseEnvelope(*env));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *env);
}

TEST(DsseTest, KeyIdIsOnlyAHint) {
  KeyPair kp = FixedKeyPair(1);
  std::vector<PublicKey> keys = {kp.public_key};
  auto env = SignDsse(kType, kBody, kp.secret_key);
  ASSERT_TRUE(env.ok());
  env->signatures[0].keyid = "somebody-else";
  EXPECT_TRUE(VerifyDsse(*env, keys).ok());
  env->signatures[0].keyid = "";
  EXPECT_TRUE(VerifyDsse(*env, keys).ok());
  // And a matching keyid does not make a bad signature good.
  env->signatures[0].keyid = KeyIdHex(kp.public_key.key_id);
  env->signatures[0].sig[63] ^= 1;
  EXPECT_FALSE(VerifyDsse(*env, keys).ok());
}

TEST(DsseTest, AcceptsUrlSafeAndUnpaddedBase64) {
  KeyPair kp = FixedKeyPair(1);
  std::vector<PublicKey> keys = {kp.public_key};
  // Bytes whose base64 has '+' and '/' and needs padding.
  std::string payload = "\xfb\xff\xbf\xfe";
  auto env = SignDsse(kType, payload, kp.secret_key);
  ASSERT_TRUE(env.ok());
  Json j = DsseEnvelopeToJson(*env);
  auto to_url = [](std::string s) {
    for (char& c : s) {
      if (c == '+') c = '-';
      if (c == '/') c = '_';
    }
    while (!s.empty() && s.back() == '=') s.pop_back();
    return s;
  };
  std::string std_payload = j["payload"];
  ASSERT_NE(std_payload.find_first_of("+/"), std::string::npos);
  j["payload"] = to_url(std_payload);
  j["signatures"][0]["sig"] = to_url(j["signatures"][0]["sig"]);
  auto parsed = ParseDsseEnvelope(j.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->payload, payload);
  EXPECT_TRUE(VerifyDsse(*parsed, keys).ok());
}

TEST(DsseTest, ParseErrorsNameTheField) {
  struct Case {
    std::string json;
    std::string needle;
  };
  const std::string sig = R"({"sig":"AAAA"})";
  const Case kCases[] = {
      {"", "invalid JSON"},
      {"not json", "invalid JSON"},
      {"[]", "object"},
      {R"({"payloadType":"t","signatures":[)" + sig + "]}", "payload"},
      {R"({"payload":"","signatures":[)" + sig + "]}", "payloadType"},
      {R"({"payload":1,"payloadType":"t","signatures":[)" + sig + "]}",
       "payload"},
      {R"({"payload":"","payloadType":["t"],"signatures":[)" + sig + "]}",
       "payloadType"},
      {R"({"payload":"***","payloadType":"t","signatures":[)" + sig + "]}",
       "payload"},
      {R"({"payload":"","payloadType":"t"})", "signatures"},
      {R"({"payload":"","payloadType":"t","signatures":{}})", "signatures"},
      {R"({"payload":"","payloadType":"t","signatures":[]})", "empty"},
      {R"({"payload":"","payloadType":"t","signatures":[1]})", "signatures[0]"},
      {R"({"payload":"","payloadType":"t","signatures":[{}]})", "sig"},
      {R"({"payload":"","payloadType":"t","signatures":[{"sig":5}]})", "sig"},
      {R"({"payload":"","payloadType":"t","signatures":[{"sig":"A"}]})", "sig"},
      {R"({"payload":"","payloadType":"t","signatures":[{"sig":"","keyid":7}]})",
       "keyid"},
      {R"({"payload":"","payloadType":"t","signatures":[{"sig":"","keyid":")" +
           std::string(300, 'k') + "\"}]}",
       "keyid"},
      {R"({"payload":"","payloadType":"t","signatures":[{"sig":")" +
           std::string(2000, 'A') + "\"}]}",
       "sig"},
      {std::string(100, '[') + std::string(100, ']'), "nesting"},
  };
  for (const Case& c : kCases) {
    auto env = ParseDsseEnvelope(c.json);
    ASSERT_FALSE(env.ok()) << c.json;
    EXPECT_EQ(env.status().code(), Code::kInvalidArgument) << c.json;
    EXPECT_NE(env.status().message().find(c.needle), std::string::npos)
        << c.json << " -> " << env.status().message();
  }
  // Too many signatures.
  Json j = {
      {"payload", ""}, {"payloadType", "t"}, {"signatures", Json::array()}};
  for (int i = 0; i < 17; ++i) j["signatures"].push_back({{"sig", ""}});
  EXPECT_EQ(ParseDsseEnvelope(j.dump()).status().code(),
            Code::kInvalidArgument);
}

TEST(DsseTest, UnknownFieldsAndNullKeyIdAreAccepted) {
  auto env = ParseDsseEnvelope(
      R"({"payload":"","payloadType":"t","extra":{"x":1},
          "signatures":[{"sig":"","keyid":null,"more":true}]})");
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(env->signatures[0].keyid, "");
  EXPECT_EQ(env->signatures[0].sig, "");
}

TEST(DsseTest, SignChecksPayloadTypeAndSignatureCount) {
  KeyPair kp = FixedKeyPair(1);
  EXPECT_EQ(SignDsse("", kBody, kp.secret_key).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(SignDsse("bad\xff", kBody, kp.secret_key).status().code(),
            Code::kInvalidArgument);
  auto env = SignDsse(kType, kBody, kp.secret_key);
  ASSERT_TRUE(env.ok());
  while (env->signatures.size() < kMaxDsseSignatures) {
    ASSERT_TRUE(AddDsseSignature(&*env, kp.secret_key).ok());
  }
  EXPECT_EQ(AddDsseSignature(&*env, kp.secret_key).code(),
            Code::kResourceExhausted);
}

// ---- in-toto ----------------------------------------------------------------

Statement SampleStatement() {
  Statement st;
  st.subjects.push_back({"pkg/delete-one-email.wfp", Sha256Hex("package")});
  st.subjects.push_back({"", Sha256Hex("other")});
  st.predicate_type = "https://wfstore.dev/attestations/promotion/v1";
  st.predicate = {{"from", "canary"}, {"to", "stable"}, {"runs", 1000}};
  return st;
}

TEST(InTotoTest, StatementJsonShape) {
  auto j = StatementToJson(SampleStatement());
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["_type"], "https://in-toto.io/Statement/v1");
  EXPECT_EQ((*j)["subject"][0]["name"], "pkg/delete-one-email.wfp");
  EXPECT_EQ((*j)["subject"][0]["digest"]["sha256"], Sha256Hex("package"));
  EXPECT_EQ((*j)["subject"][1]["name"], "");
  EXPECT_EQ((*j)["predicateType"],
            "https://wfstore.dev/attestations/promotion/v1");
  EXPECT_EQ((*j)["predicate"]["to"], "stable");
}

TEST(InTotoTest, SignAndVerifyStatement) {
  KeyPair kp = FixedKeyPair(1);
  Statement st = SampleStatement();
  auto env = SignStatement(st, kp.secret_key);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(env->payload_type, kInTotoPayloadType);
  EXPECT_EQ(env->payload, CanonicalJson(*StatementToJson(st)));

  auto parsed = ParseDsseEnvelope(FormatDsseEnvelope(*env));
  ASSERT_TRUE(parsed.ok());
  std::vector<PublicKey> keys = {FixedKeyPair(2).public_key, kp.public_key};
  auto v = VerifyStatement(*parsed, keys);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->statement, st);
  EXPECT_EQ(v->key_ids,
            std::vector<std::string>{KeyIdHex(kp.public_key.key_id)});

  std::vector<PublicKey> wrong = {FixedKeyPair(2).public_key};
  EXPECT_EQ(VerifyStatement(*parsed, wrong).status().code(),
            Code::kUnauthenticated);
}

TEST(InTotoTest, VerifyStatementChecksTypeAndPayload) {
  KeyPair kp = FixedKeyPair(1);
  std::vector<PublicKey> keys = {kp.public_key};
  Json j = *StatementToJson(SampleStatement());
  // Validly signed, but not declared as in-toto.
  auto other_type =
      SignDsse("application/json", CanonicalJson(j), kp.secret_key);
  ASSERT_TRUE(other_type.ok());
  auto r = VerifyStatement(*other_type, keys);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("payloadType"), std::string::npos);
  // Validly signed, but not a statement.
  auto not_json = SignDsse(kInTotoPayloadType, "{oops", kp.secret_key);
  ASSERT_TRUE(not_json.ok());
  EXPECT_EQ(VerifyStatement(*not_json, keys).status().code(),
            Code::kInvalidArgument);
  Json v01 = j;
  v01["_type"] = "https://in-toto.io/Statement/v0.1";
  auto old = SignDsse(kInTotoPayloadType, CanonicalJson(v01), kp.secret_key);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(VerifyStatement(*old, keys).status().code(),
            Code::kInvalidArgument);
}

TEST(InTotoTest, StatementValidation) {
  Statement none = SampleStatement();
  none.subjects.clear();
  EXPECT_FALSE(StatementToJson(none).ok());
  Statement upper = SampleStatement();
  upper.subjects[0].sha256 = ToLower(upper.subjects[0].sha256);
  for (char& c : upper.subjects[0].sha256) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  EXPECT_FALSE(StatementToJson(upper).ok());
  Statement short_digest = SampleStatement();
  short_digest.subjects[0].sha256 = "abc";
  EXPECT_FALSE(StatementToJson(short_digest).ok());
  Statement no_type = SampleStatement();
  no_type.predicate_type = "";
  EXPECT_FALSE(StatementToJson(no_type).ok());
  Statement array_pred = SampleStatement();
  array_pred.predicate = Json::array();
  EXPECT_FALSE(StatementToJson(array_pred).ok());
  KeyPair kp = FixedKeyPair(1);
  EXPECT_FALSE(SignStatement(none, kp.secret_key).ok());
}

TEST(InTotoTest, StatementFromJson) {
  Json j = *StatementToJson(SampleStatement());
  j["extra"] = "ignored";
  j["subject"][0]["digest"]["sha512"] = "ff";
  auto st = StatementFromJson(j);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(*st, SampleStatement());

  Json no_pred = j;
  no_pred.erase("predicate");
  auto empty_pred = StatementFromJson(no_pred);
  ASSERT_TRUE(empty_pred.ok());
  EXPECT_EQ(empty_pred->predicate, Json::object());

  Json only512 = j;
  only512["subject"][0]["digest"] = {{"sha512", "ff"}};
  auto r = StatementFromJson(only512);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("subject[0]"), std::string::npos);
  Json bad_name = j;
  bad_name["subject"][1]["name"] = 3;
  EXPECT_FALSE(StatementFromJson(bad_name).ok());
  Json no_subject = j;
  no_subject.erase("subject");
  EXPECT_FALSE(StatementFromJson(no_subject).ok());
  EXPECT_FALSE(StatementFromJson(Json::array()).ok());
  EXPECT_FALSE(ParseStatement("null").ok());
}

}  // namespace
}  // namespace wfs::crypto
