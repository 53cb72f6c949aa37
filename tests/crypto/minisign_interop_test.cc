// Interoperability with the real minisign CLI (WFS_MINISIGN, found by CMake;
// scripts/install-deps installs it). Nothing here is skipped: a missing
// minisign is a failure.
#include <stdio.h>
#include <sys/wait.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/strings.h"
#include "crypto/keys.h"
#include "crypto/minisig.h"
#include "test_util.h"

#ifndef WFS_MINISIGN
#define WFS_MINISIGN "minisign"
#endif

namespace wfs::crypto {
namespace {

using testing::FixedKeyPair;
using testing::TempDir;

constexpr KdfParams kFastKdf{kScryptOpsLimitInteractive,
                             kScryptMemLimitInteractive};

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `minisign ARGS` through the shell, stdin from `stdin_file` (or
// /dev/null), and collects its output. Arguments are test-controlled paths
// and words without quotes.
RunResult Minisign(const std::string& args,
                   const std::string& stdin_file = "/dev/null") {
  std::string cmd =
      std::string(WFS_MINISIGN) + " " + args + " <'" + stdin_file + "' 2>&1";
  RunResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Q(const std::string& path) { return "'" + path + "'"; }

void Write(const std::string& path, const std::string& data) {
  ASSERT_TRUE(WriteFileAtomic(path, data).ok()) << path;
}

std::string Read(const std::string& path) {
  auto r = ReadFile(path);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

class MinisignInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RunResult v = Minisign("-v");
    ASSERT_EQ(v.exit_code, 0)
        << "the minisign CLI (" << WFS_MINISIGN
        << ") is needed for these tests: apt-get install minisign\n"
        << v.output;
    ASSERT_NE(v.output.find("minisign 0."), std::string::npos) << v.output;
    content_ = dir_.File("package.wfp");
    Write(content_, "workflow package\n\x01\x02 binary tail");
  }

  TempDir dir_;
  std::string content_;
};

TEST_F(MinisignInteropTest, OurSignatureVerifiesWithMinisign) {
  KeyPair kp = GenerateKeyPair();
  ASSERT_TRUE(WritePublicKeyFile(dir_.File("k.pub"), kp.public_key).ok());
  auto sig = Sign(kp.secret_key, Read(content_),
                  "timestamp:1700000000\tfile:package.wfp\tstage:canary");
  ASSERT_TRUE(sig.ok());
  Write(dir_.File("package.wfp.minisig"), *sig);

  RunResult r = Minisign("-Vm " + Q(content_) + " -p " + Q(dir_.File("k.pub")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Signature and comment signature verified"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("Trusted comment: timestamp:1700000000\tfile:"
                          "package.wfp\tstage:canary"),
            std::string::npos)
      << r.output;
  // -H (prehashed only) and an inline -P key also work.
  r = Minisign("-H -Vm " + Q(content_) + " -P " +
               PublicKeyBase64(kp.public_key));
  EXPECT_EQ(r.exit_code, 0) << r.output;

  // minisign rejects what we reject.
  Write(content_, "workflow package\n\x01\x02 binary tail!");
  r = Minisign("-Vm " + Q(content_) + " -p " + Q(dir_.File("k.pub")));
  EXPECT_NE(r.exit_code, 0) << r.output;
}

TEST_F(MinisignInteropTest, MinisignUnencryptedKeyAndSignaturesWorkWithOurs) {
  std::string pub = dir_.File("m.pub"), key = dir_.File("m.key");
  RunResult g = Minisign("-G -W -p " + Q(pub) + " -s " + Q(key));
  ASSERT_EQ(g.exit_code, 0) << g.output;

  std::string sig = dir_.File("m.minisig");
  RunResult s = Minisign("-S -s " + Q(key) + " -m " + Q(content_) + " -x " +
                         Q(sig) + " -t promoted-to-stable");
  ASSERT_EQ(s.exit_code, 0) << s.output;
  auto pk = LoadPublicKeyFile(pub);
  ASSERT_TRUE(pk.ok()) << pk.status().ToString();
  auto tc = Verify(*pk, Read(content_), Read(sig));
  ASSERT_TRUE(tc.ok()) << tc.status().ToString();
  EXPECT_EQ(*tc, "promoted-to-stable");
  EXPECT_EQ(Verify(*pk, Read(content_) + "x", Read(sig)).status().code(),
            Code::kUnauthenticated);

  // Legacy (-l) signatures verify too.
  s = Minisign("-S -l -s " + Q(key) + " -m " + Q(content_) + " -x " + Q(sig));
  ASSERT_EQ(s.exit_code, 0) << s.output;
  auto legacy = ParseSignature(Read(sig));
  ASSERT_TRUE(legacy.ok());
  EXPECT_FALSE(legacy->prehashed);
  EXPECT_TRUE(Verify(*pk, Read(content_), Read(sig)).ok());

  // Their secret key signs with our code, and minisign verifies it.
  auto sk = LoadSecretKeyFile(key, "");
  ASSERT_TRUE(sk.ok()) << sk.status().ToString();
  EXPECT_EQ(sk->public_key(), *pk);
  auto ours = Sign(*sk, Read(content_), "signed by wfstore");
  ASSERT_TRUE(ours.ok());
  Write(sig, *ours);
  RunResult v =
      Minisign("-Vm " + Q(content_) + " -x " + Q(sig) + " -p " + Q(pub));
  EXPECT_EQ(v.exit_code, 0) << v.output;
}

TEST_F(MinisignInteropTest, OurUnencryptedKeyWorksWithMinisign) {
  KeyPair kp = GenerateKeyPair();
  std::string key = dir_.File("o.key");
  ASSERT_TRUE(
      WriteSecretKeyFile(key, FormatSecretKeyUnencrypted(kp.secret_key), false)
          .ok());
  // minisign recreates the same public key file from our secret key.
  std::string pub = dir_.File("o.pub");
  RunResult r = Minisign("-R -s " + Q(key) + " -p " + Q(pub));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The key line is identical. The untrusted comment names the same key id,
  // but minisign 0.11 prints it without leading zeros, so compare it as a
  // number (it is cosmetic: minisign itself never reads it).
  std::vector<std::string> theirs = StrSplit(Read(pub), '\n');
  std::vector<std::string> ours = StrSplit(FormatPublicKey(kp.public_key), '\n');
  ASSERT_GE(theirs.size(), 2u);
  ASSERT_GE(ours.size(), 2u);
  EXPECT_EQ(theirs[1], ours[1]);
  const std::string prefix = "untrusted comment: minisign public key ";
  ASSERT_TRUE(StartsWith(theirs[0], prefix)) << theirs[0];
  EXPECT_EQ(std::stoull(theirs[0].substr(prefix.size()), nullptr, 16),
            std::stoull(KeyIdHex(kp.public_key.key_id), nullptr, 16));

  std::string sig = dir_.File("o.minisig");
  r = Minisign("-S -s " + Q(key) + " -p " + Q(pub) + " -m " + Q(content_) +
               " -x " + Q(sig) + " -t t");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Verify(kp.public_key, Read(content_), Read(sig)).ok());
}

TEST_F(MinisignInteropTest, OurEncryptedKeyWorksWithMinisignSign) {
  KeyPair kp = GenerateKeyPair();
  std::string key = dir_.File("e.key"), pub = dir_.File("e.pub");
  auto text = FormatSecretKey(kp.secret_key, "correct horse battery", kFastKdf);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  ASSERT_TRUE(WriteSecretKeyFile(key, *text, false).ok());
  ASSERT_TRUE(WritePublicKeyFile(pub, kp.public_key).ok());
  Write(dir_.File("pw"), "correct horse battery\n");
  Write(dir_.File("bad"), "incorrect horse\n");

  std::string sig = dir_.File("e.minisig");
  // With -p, minisign also checks the result against our public key.
  RunResult r = Minisign("-S -s " + Q(key) + " -p " + Q(pub) + " -m " +
                             Q(content_) + " -x " + Q(sig) + " -t by-minisign",
                         dir_.File("pw"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto tc = Verify(kp.public_key, Read(content_), Read(sig));
  ASSERT_TRUE(tc.ok()) << tc.status().ToString();
  EXPECT_EQ(*tc, "by-minisign");

  r = Minisign("-S -s " + Q(key) + " -m " + Q(content_) + " -x " +
                   Q(dir_.File("never.minisig")),
               dir_.File("bad"));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Wrong password"), std::string::npos) << r.output;
}

// minisign encrypts with its "sensitive" scrypt cost (about 1 GiB of memory
// and a few seconds each way); this is the one test that pays it.
TEST_F(MinisignInteropTest, MinisignEncryptedKeyWorksWithOurs) {
  std::string pub = dir_.File("s.pub"), key = dir_.File("s.key");
  Write(dir_.File("pw2"), "s3cret pass\ns3cret pass\n");
  RunResult g = Minisign("-G -p " + Q(pub) + " -s " + Q(key), dir_.File("pw2"));
  ASSERT_EQ(g.exit_code, 0) << g.output;
  auto enc = SecretKeyIsEncrypted(Read(key));
  ASSERT_TRUE(enc.ok());
  EXPECT_TRUE(*enc);

  auto sk = LoadSecretKeyFile(key, "s3cret pass");
  ASSERT_TRUE(sk.ok()) << sk.status().ToString();
  auto pk = LoadPublicKeyFile(pub);
  ASSERT_TRUE(pk.ok());
  EXPECT_EQ(sk->public_key(), *pk);

  auto sig = Sign(*sk, Read(content_), "signed with a minisign-made key");
  ASSERT_TRUE(sig.ok());
  Write(dir_.File("s.minisig"), *sig);
  RunResult v = Minisign("-Vm " + Q(content_) + " -x " +
                         Q(dir_.File("s.minisig")) + " -p " + Q(pub));
  EXPECT_EQ(v.exit_code, 0) << v.output;
}

}  // namespace
}  // namespace wfs::crypto
