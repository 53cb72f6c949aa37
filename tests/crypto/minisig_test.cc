// .minisig signing and verification: round trips, fixed vectors from the
// minisign CLI, tamper detection with a distinct error for each failure.
#include "crypto/minisig.h"

#include <string>

#include <gtest/gtest.h>

#include "crypto/internal.h"
#include "fixtures.h"
#include "test_util.h"

namespace wfs::crypto {
namespace {

using testing::EditBlob;
using testing::FixedKeyPair;
using testing::JoinLines;
using testing::Lines;

constexpr std::string_view kContent = "workflow package bytes\n";
constexpr std::string_view kTrusted = "timestamp:1700000000\tfile:pkg.wfp";

class MinisigTest : public ::testing::Test {
 protected:
  KeyPair kp_ = FixedKeyPair(1);
  std::string sig_ = *Sign(kp_.secret_key, kContent, kTrusted);
};

TEST_F(MinisigTest, SignThenVerify) {
  auto tc = Verify(kp_.public_key, kContent, sig_);
  ASSERT_TRUE(tc.ok()) << tc.status().ToString();
  EXPECT_EQ(*tc, kTrusted);
}

TEST_F(MinisigTest, FileLayoutIsMinisigns) {
  std::vector<std::string> l = Lines(sig_);
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[0], "untrusted comment: signature from minisign secret key");
  EXPECT_EQ(l[2], "trusted comment: " + std::string(kTrusted));
  std::string blob = testing::UnB64(l[1]);
  ASSERT_EQ(blob.size(), 74u);
  EXPECT_EQ(blob.substr(0, 2), "ED");
  EXPECT_EQ(testing::UnB64(l[3]).size(), 64u);
  EXPECT_EQ(sig_.back(), '\n');

  auto parsed = ParseSignature(sig_);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(parsed->prehashed);
  EXPECT_EQ(parsed->key_id, kp_.public_key.key_id);
  EXPECT_EQ(parsed->trusted_comment, kTrusted);
  EXPECT_EQ(parsed->untrusted_comment, kDefaultUntrustedComment);
  auto again = FormatSignature(*parsed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, sig_);
}

TEST_F(MinisigTest, SignatureIsOverBlake2b512OfTheContent) {
  auto parsed = ParseSignature(sig_);
  ASSERT_TRUE(parsed.ok());
  auto digest = internal::Blake2b512(kContent);
  EXPECT_EQ(parsed->signature,
            kp_.secret_key.SignDetached(internal::AsChars(digest)));
}

TEST_F(MinisigTest, CustomUntrustedCommentIsNotAuthenticated) {
  auto sig = Sign(kp_.secret_key, kContent, kTrusted, "made by wfstore");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(StartsWith(*sig, "untrusted comment: made by wfstore\n"));
  std::vector<std::string> l = Lines(*sig);
  l[0] = "untrusted comment: edited by anyone";
  EXPECT_TRUE(Verify(kp_.public_key, kContent, JoinLines(l)).ok());
}

TEST_F(MinisigTest, FlippedContentByteIsUnauthenticated) {
  for (size_t i = 0; i < kContent.size(); ++i) {
    std::string content(kContent);
    content[i] ^= 0x01;
    auto r = Verify(kp_.public_key, content, sig_);
    ASSERT_FALSE(r.ok()) << i;
    EXPECT_EQ(r.status().code(), Code::kUnauthenticated) << i;
  }
  EXPECT_EQ(Verify(kp_.public_key, "", sig_).status().code(),
            Code::kUnauthenticated);
}

TEST_F(MinisigTest, FlippedSignatureByteIsUnauthenticated) {
  for (size_t i = 10; i < 74; i += 7) {
    std::string bad = EditBlob(sig_, 1, [&](std::string& b) { b[i] ^= 0x20; });
    auto r = Verify(kp_.public_key, kContent, bad);
    ASSERT_FALSE(r.ok()) << i;
    EXPECT_EQ(r.status().code(), Code::kUnauthenticated) << i;
  }
}

TEST_F(MinisigTest, AlteredTrustedCommentIsDataLoss) {
  std::vector<std::string> l = Lines(sig_);
  for (const std::string& tc :
       {std::string("trusted comment: timestamp:1700000001\tfile:pkg.wfp"),
        std::string("trusted comment: "), l[2] + " ",
        l[2].substr(0, l[2].size() - 1)}) {
    std::vector<std::string> t = l;
    t[2] = tc;
    auto r = Verify(kp_.public_key, kContent, JoinLines(t));
    ASSERT_FALSE(r.ok()) << tc;
    EXPECT_EQ(r.status().code(), Code::kDataLoss) << tc;
    EXPECT_NE(r.status().message().find("trusted comment"), std::string::npos);
  }
}

TEST_F(MinisigTest, FlippedGlobalSignatureByteIsDataLoss) {
  std::string bad = EditBlob(sig_, 3, [](std::string& b) { b[5] ^= 0x01; });
  EXPECT_EQ(Verify(kp_.public_key, kContent, bad).status().code(),
            Code::kDataLoss);
}

TEST_F(MinisigTest, OtherKeyIdIsFailedPreconditionNamingBoth) {
  KeyPair other = FixedKeyPair(2);
  auto r = Verify(other.public_key, kContent, sig_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find(KeyIdHex(kp_.public_key.key_id)),
            std::string::npos);
  EXPECT_NE(r.status().message().find(KeyIdHex(other.public_key.key_id)),
            std::string::npos);
}

TEST_F(MinisigTest, SameKeyIdOtherKeyIsUnauthenticated) {
  PublicKey impostor = FixedKeyPair(3).public_key;
  impostor.key_id = kp_.public_key.key_id;
  EXPECT_EQ(Verify(impostor, kContent, sig_).status().code(),
            Code::kUnauthenticated);
}

TEST_F(MinisigTest, MalformedFilesAreInvalidArgument) {
  std::vector<std::string> l = Lines(sig_);
  const std::string kCases[] = {
      "",
      "\n\n\n\n",
      JoinLines({l[0], l[1], l[2]}),
      JoinLines({l[1], l[0], l[2], l[3]}),
      JoinLines({"comment: x", l[1], l[2], l[3]}),
      JoinLines({l[0], l[1], "untrusted comment: x", l[3]}),
      JoinLines({l[0], l[1], l[2], l[3], "extra"}),
      JoinLines({l[0], l[1].substr(4), l[2], l[3]}),
      JoinLines({l[0], l[1], l[2], l[3] + "AAAA"}),
      JoinLines({l[0], l[1], l[2], l[1]}),
      JoinLines({l[0], l[1], l[2] + "\r" + "x", l[3]}),
      JoinLines({l[0], l[1], l[2] + std::string(1, '\0'), l[3]}),
      JoinLines(
          {l[0], l[1], "trusted comment: " + std::string(8174, 't'), l[3]}),
      JoinLines(
          {"untrusted comment: " + std::string(1004, 'u'), l[1], l[2], l[3]}),
      EditBlob(sig_, 1, [](std::string& b) { b[0] = 'X'; }),
      std::string(20000, '\n'),
  };
  for (const std::string& text : kCases) {
    auto r = Verify(kp_.public_key, kContent, text);
    ASSERT_FALSE(r.ok()) << Quote(text);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument)
        << Quote(text) << " " << r.status().ToString();
  }
}

TEST_F(MinisigTest, AcceptsCrLfAndTrailingBlankLines) {
  std::vector<std::string> l = Lines(sig_);
  std::string crlf =
      l[0] + "\r\n" + l[1] + "\r\n" + l[2] + "\r\n" + l[3] + "\r\n\r\n";
  EXPECT_TRUE(Verify(kp_.public_key, kContent, crlf).ok());
  std::string no_final_newline = sig_.substr(0, sig_.size() - 1);
  EXPECT_TRUE(Verify(kp_.public_key, kContent, no_final_newline).ok());
}

TEST_F(MinisigTest, SignRejectsCommentsMinisignCannotCarry) {
  for (std::string_view bad :
       {std::string_view("a\nb"), std::string_view("a\rb"),
        std::string_view("a\0b", 3)}) {
    EXPECT_EQ(Sign(kp_.secret_key, kContent, bad).status().code(),
              Code::kInvalidArgument);
    EXPECT_EQ(Sign(kp_.secret_key, kContent, "t", bad).status().code(),
              Code::kInvalidArgument);
  }
  std::string longest(kMaxTrustedCommentBytes, 't');
  auto ok = Sign(kp_.secret_key, kContent, longest);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*Verify(kp_.public_key, kContent, *ok), longest);
  EXPECT_FALSE(Sign(kp_.secret_key, kContent, longest + "t").ok());
  EXPECT_TRUE(Sign(kp_.secret_key, kContent, "t",
                   std::string(kMaxUntrustedCommentBytes, 'u'))
                  .ok());
  EXPECT_FALSE(Sign(kp_.secret_key, kContent, "t",
                    std::string(kMaxUntrustedCommentBytes + 1, 'u'))
                   .ok());
}

TEST_F(MinisigTest, EmptyContentAndEmptyTrustedComment) {
  auto sig = Sign(kp_.secret_key, "", "");
  ASSERT_TRUE(sig.ok());
  auto tc = Verify(kp_.public_key, "", *sig);
  ASSERT_TRUE(tc.ok()) << tc.status().ToString();
  EXPECT_EQ(*tc, "");
}

TEST_F(MinisigTest, LargeBinaryContent) {
  std::string content(3 << 20, '\0');
  for (size_t i = 0; i < content.size(); ++i) {
    content[i] = static_cast<char>(i * 131 + 7);
  }
  auto sig = Sign(kp_.secret_key, content, "big");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(Verify(kp_.public_key, content, *sig).ok());
  content[content.size() / 2] ^= 1;
  EXPECT_EQ(Verify(kp_.public_key, content, *sig).status().code(),
            Code::kUnauthenticated);
}

TEST_F(MinisigTest, LegacySignaturesVerify) {
  MinisignSignature legacy;
  legacy.prehashed = false;
  legacy.key_id = kp_.public_key.key_id;
  legacy.signature = kp_.secret_key.SignDetached(kContent);
  legacy.untrusted_comment = "legacy";
  legacy.trusted_comment = "old";
  std::string signed_tc(internal::AsChars(legacy.signature));
  signed_tc += "old";
  legacy.global_signature = kp_.secret_key.SignDetached(signed_tc);
  auto text = FormatSignature(legacy);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(testing::UnB64(Lines(*text)[1]).substr(0, 2), "Ed");
  auto tc = Verify(kp_.public_key, kContent, *text);
  ASSERT_TRUE(tc.ok()) << tc.status().ToString();
  EXPECT_EQ(*tc, "old");
  auto parsed = ParseSignature(*text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, legacy);
}

TEST(MinisigVectorsTest, MinisignCliSignaturesVerify) {
  auto pk = ParsePublicKey(testing::kMinisignPublicKey);
  ASSERT_TRUE(pk.ok());
  auto tc = Verify(*pk, testing::kHelloContent, testing::kMinisignHelloSig);
  ASSERT_TRUE(tc.ok()) << tc.status().ToString();
  EXPECT_EQ(*tc, "timestamp:1795503440\tfile:f\thashed");
  auto legacy =
      Verify(*pk, testing::kHelloContent, testing::kMinisignHelloLegacySig);
  ASSERT_TRUE(legacy.ok()) << legacy.status().ToString();
  EXPECT_EQ(*legacy, "timestamp:1795503440\tfile:f");
  EXPECT_EQ(Verify(*pk, "hello", testing::kMinisignHelloSig).status().code(),
            Code::kUnauthenticated);
}

TEST(MinisigVectorsTest, OurSignatureWithMinisignKeyMatchesCli) {
  // Ed25519 is deterministic: the same key, content and comment give the
  // same bytes minisign wrote.
  auto sk = ParseSecretKey(testing::kMinisignSecretKeyUnencrypted, "");
  ASSERT_TRUE(sk.ok());
  auto sig =
      Sign(*sk, testing::kHelloContent, "timestamp:1795503440\tfile:f\thashed");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(*sig, testing::kMinisignHelloSig);
}

}  // namespace
}  // namespace wfs::crypto
