#include "crypto/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "base/file.h"
#include "base/random.h"
#include "base/strings.h"
#include "crypto/internal.h"

namespace wfs::crypto {

static_assert(kKeyIdBytes == 8);
static_assert(kPublicKeyBytes == crypto_sign_PUBLICKEYBYTES);
static_assert(kSecretKeyBytes == crypto_sign_SECRETKEYBYTES);
static_assert(kSeedBytes == crypto_sign_SEEDBYTES);
static_assert(kSignatureBytes == crypto_sign_BYTES);
static_assert(kScryptOpsLimitMin ==
              crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_MIN);
static_assert(kScryptMemLimitMin ==
              crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_MIN);
static_assert(kScryptOpsLimitInteractive ==
              crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_INTERACTIVE);
static_assert(kScryptMemLimitInteractive ==
              crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_INTERACTIVE);
static_assert(kScryptOpsLimitSensitive ==
              crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE);
static_assert(kScryptMemLimitSensitive ==
              crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE);

namespace internal {
// The one way to the raw secret key bytes, for formatting key files.
struct SecretKeyAccess {
  static const std::array<uint8_t, kSecretKeyBytes>& Bytes(
      const SecretKey& key) {
    return key.sk_;
  }
};
}  // namespace internal

namespace {

using internal::AsBytes;
using internal::AsChars;

constexpr std::string_view kCommentPrefix = "untrusted comment: ";
constexpr std::string_view kSigAlg = "Ed";
constexpr std::string_view kKdfScrypt = "Sc";
constexpr std::string_view kKdfNone("\0\0", 2);
constexpr std::string_view kChkAlg = "B2";
constexpr std::string_view kSecretKeyComment = "minisign encrypted secret key";
// minisign reads comment lines into 1024 bytes: prefix + text + '\n' fit.
constexpr size_t kMaxCommentText = 1024 - 1 - kCommentPrefix.size() - 1;
constexpr size_t kMaxPassphraseBytes = 1023;
constexpr size_t kMaxKeyFileBytes = 64 << 10;

// Secret key blob layout (158 bytes).
constexpr size_t kSkSigAlg = 0;
constexpr size_t kSkKdfAlg = 2;
constexpr size_t kSkChkAlg = 4;
constexpr size_t kSkSalt = 6;
constexpr size_t kSkOpsLimit =
    kSkSalt + crypto_pwhash_scryptsalsa208sha256_SALTBYTES;
constexpr size_t kSkMemLimit = kSkOpsLimit + 8;
constexpr size_t kSkKeynum = kSkMemLimit + 8;  // keynum_sk starts here
constexpr size_t kSkKey = kSkKeynum + kKeyIdBytes;
constexpr size_t kSkChk = kSkKey + kSecretKeyBytes;
constexpr size_t kChkBytes = 32;
constexpr size_t kKeynumSkBytes = kKeyIdBytes + kSecretKeyBytes + kChkBytes;
constexpr size_t kSecretBlobBytes = kSkChk + kChkBytes;
static_assert(kSkKeynum == 54 && kSecretBlobBytes == 158);
constexpr size_t kPublicBlobBytes = 2 + kKeyIdBytes + kPublicKeyBytes;

// Wipes a string that held secret bytes when it goes out of scope.
class Wiped {
 public:
  explicit Wiped(std::string* s) : s_(s) {}
  ~Wiped() { sodium_memzero(s_->data(), s_->size()); }
  Wiped(const Wiped&) = delete;
  Wiped& operator=(const Wiped&) = delete;

 private:
  std::string* s_;
};

uint64_t Load64Le(std::string_view p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void Store64Le(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// BLAKE2b-256("Ed" || key id || secret key), minisign's key checksum.
std::array<uint8_t, kChkBytes> Checksum(std::string_view keynum_and_key) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, kChkBytes);
  crypto_generichash_update(&st, AsBytes(kSigAlg), kSigAlg.size());
  crypto_generichash_update(&st, AsBytes(keynum_and_key),
                            keynum_and_key.size());
  std::array<uint8_t, kChkBytes> out;
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

// scrypt(passphrase, salt) stream that masks keynum_sk.
Status DeriveStream(std::string_view passphrase, std::string_view salt,
                    uint64_t opslimit, uint64_t memlimit, std::string* out) {
  out->assign(kKeynumSkBytes, '\0');
  // libsodium declares every pointer nonnull; an empty string_view may have
  // a null data().
  const char* pass = passphrase.empty() ? "" : passphrase.data();
  if (crypto_pwhash_scryptsalsa208sha256(
          reinterpret_cast<unsigned char*>(out->data()), out->size(), pass,
          passphrase.size(), AsBytes(salt), opslimit,
          static_cast<size_t>(memlimit)) != 0) {
    return ResourceExhausted(StrCat("scrypt key derivation failed (opslimit ",
                                    opslimit, ", memlimit ", memlimit,
                                    "): out of memory?"));
  }
  return Status::Ok();
}

void XorInto(std::string* data, size_t offset, std::string_view stream) {
  for (size_t i = 0; i < stream.size(); ++i) (*data)[offset + i] ^= stream[i];
}

Status ErrnoStatus(int e, std::string_view what, const std::string& path) {
  Code code = e == ENOENT                   ? Code::kNotFound
              : (e == EACCES || e == EPERM) ? Code::kPermissionDenied
              : e == EEXIST                 ? Code::kAlreadyExists
              : e == ENOSPC                 ? Code::kResourceExhausted
                                            : Code::kUnavailable;
  return Status(code, StrCat("cannot ", what, " ", path, ": ", strerror(e)));
}

// Decodes and checks the fixed fields of a secret key file; the caller
// decrypts.
Result<std::string> DecodeSecretKeyBlob(std::string_view file) {
  constexpr std::string_view kWhat = "secret key";
  internal::LineReader reader(file);
  WFS_RETURN_IF_ERROR(internal::ReadPrefixedLine(&reader, kCommentPrefix,
                                                 kMaxCommentText, kWhat)
                          .status());
  WFS_ASSIGN_OR_RETURN(std::string blob, internal::ReadBase64Line(
                                             &reader, kSecretBlobBytes, kWhat));
  Wiped wipe_on_error(&blob);
  if (!reader.AtEnd()) {
    return InvalidArgument("secret key: unexpected text after line 2");
  }
  std::string_view b(blob);
  if (b.substr(kSkSigAlg, 2) != kSigAlg) {
    return InvalidArgument(
        StrCat("secret key: unsupported signature algorithm ",
               Quote(b.substr(kSkSigAlg, 2)), " (expected \"Ed\")"));
  }
  if (b.substr(kSkChkAlg, 2) != kChkAlg) {
    return InvalidArgument(StrCat("secret key: unsupported checksum algorithm ",
                                  Quote(b.substr(kSkChkAlg, 2)),
                                  " (expected \"B2\")"));
  }
  std::string_view kdf = b.substr(kSkKdfAlg, 2);
  if (kdf != kKdfScrypt && kdf != kKdfNone) {
    return InvalidArgument(
        StrCat("secret key: unsupported key derivation function ", Quote(kdf),
               " (expected \"Sc\" or none)"));
  }
  std::string out = blob;  // `blob` is wiped; the caller wipes `out`
  return out;
}

}  // namespace

std::string KeyIdHex(const KeyId& id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(2 * kKeyIdBytes);
  for (size_t i = kKeyIdBytes; i-- > 0;) {
    out.push_back(kHex[id[i] >> 4]);
    out.push_back(kHex[id[i] & 15]);
  }
  return out;
}

SecretKey::SecretKey(const KeyId& key_id,
                     const std::array<uint8_t, kSecretKeyBytes>& secret_key)
    : key_id_(key_id), sk_(secret_key) {}

SecretKey::~SecretKey() { sodium_memzero(sk_.data(), sk_.size()); }

PublicKey SecretKey::public_key() const {
  PublicKey pk;
  pk.key_id = key_id_;
  crypto_sign_ed25519_sk_to_pk(pk.key.data(), sk_.data());
  return pk;
}

std::array<uint8_t, kSignatureBytes> SecretKey::SignDetached(
    std::string_view message) const {
  internal::EnsureSodium();
  std::array<uint8_t, kSignatureBytes> sig;
  crypto_sign_detached(sig.data(), nullptr, AsBytes(message), message.size(),
                       sk_.data());
  return sig;
}

KeyPair GenerateKeyPair() {
  internal::EnsureSodium();
  std::array<uint8_t, kSeedBytes> seed;
  KeyId id;
  randombytes_buf(seed.data(), seed.size());
  randombytes_buf(id.data(), id.size());
  KeyPair kp = KeyPairFromSeed(seed, id);
  sodium_memzero(seed.data(), seed.size());
  return kp;
}

KeyPair KeyPairFromSeed(const std::array<uint8_t, kSeedBytes>& seed,
                        const KeyId& key_id) {
  internal::EnsureSodium();
  std::array<uint8_t, kPublicKeyBytes> pk;
  std::array<uint8_t, kSecretKeyBytes> sk;
  crypto_sign_seed_keypair(pk.data(), sk.data(), seed.data());
  KeyPair kp{PublicKey{key_id, pk}, SecretKey(key_id, sk)};
  sodium_memzero(sk.data(), sk.size());
  return kp;
}

// ---- Public keys -----------------------------------------------------------

std::string PublicKeyBase64(const PublicKey& key) {
  std::string blob(kSigAlg);
  blob += AsChars(key.key_id);
  blob += AsChars(key.key);
  return internal::Base64Encode(blob);
}

std::string FormatPublicKey(const PublicKey& key) {
  return StrCat(kCommentPrefix, "minisign public key ", KeyIdHex(key.key_id),
                "\n", PublicKeyBase64(key), "\n");
}

namespace {
Result<PublicKey> PublicKeyFromBlob(std::string_view blob) {
  if (blob.substr(0, 2) != kSigAlg) {
    return InvalidArgument(StrCat("public key: unsupported signature ",
                                  "algorithm ", Quote(blob.substr(0, 2)),
                                  " (expected \"Ed\")"));
  }
  PublicKey pk;
  std::memcpy(pk.key_id.data(), blob.data() + 2, kKeyIdBytes);
  std::memcpy(pk.key.data(), blob.data() + 2 + kKeyIdBytes, kPublicKeyBytes);
  return pk;
}
}  // namespace

Result<PublicKey> ParsePublicKeyBase64(std::string_view base64) {
  auto blob = internal::Base64Decode(base64, kPublicBlobBytes,
                                     internal::Base64Variants::kStandardPadded);
  if (!blob.ok()) return blob.status().WithContext("public key");
  if (blob->size() != kPublicBlobBytes) {
    return InvalidArgument(StrCat("public key: decodes to ", blob->size(),
                                  " bytes; expected ", kPublicBlobBytes));
  }
  return PublicKeyFromBlob(*blob);
}

Result<PublicKey> ParsePublicKey(std::string_view file) {
  constexpr std::string_view kWhat = "public key";
  internal::LineReader reader(file);
  WFS_RETURN_IF_ERROR(internal::ReadPrefixedLine(&reader, kCommentPrefix,
                                                 kMaxCommentText, kWhat)
                          .status());
  WFS_ASSIGN_OR_RETURN(std::string blob, internal::ReadBase64Line(
                                             &reader, kPublicBlobBytes, kWhat));
  if (!reader.AtEnd()) {
    return InvalidArgument("public key: unexpected text after line 2");
  }
  return PublicKeyFromBlob(blob);
}

// ---- Secret keys -----------------------------------------------------------

Result<std::string> FormatSecretKey(const SecretKey& key,
                                    std::string_view passphrase,
                                    const KdfParams& params) {
  if (passphrase.size() > kMaxPassphraseBytes) {
    return InvalidArgument(StrCat("passphrase is ", passphrase.size(),
                                  " bytes; the limit is ",
                                  kMaxPassphraseBytes));
  }
  if (params.opslimit < kScryptOpsLimitMin ||
      params.opslimit > kScryptOpsLimitSensitive ||
      params.memlimit < kScryptMemLimitMin ||
      params.memlimit > kScryptMemLimitSensitive) {
    return InvalidArgument(StrCat(
        "scrypt parameters out of range: opslimit ", params.opslimit,
        " must be in [", kScryptOpsLimitMin, ", ", kScryptOpsLimitSensitive,
        "] and memlimit ", params.memlimit, " in [", kScryptMemLimitMin, ", ",
        kScryptMemLimitSensitive, "]"));
  }
  internal::EnsureSodium();
  std::string blob(kSecretBlobBytes, '\0');
  Wiped wipe_blob(&blob);
  std::memcpy(&blob[kSkSigAlg], kSigAlg.data(), 2);
  std::memcpy(&blob[kSkKdfAlg], kKdfScrypt.data(), 2);
  std::memcpy(&blob[kSkChkAlg], kChkAlg.data(), 2);
  randombytes_buf(&blob[kSkSalt], kSkOpsLimit - kSkSalt);
  Store64Le(&blob[kSkOpsLimit], params.opslimit);
  Store64Le(&blob[kSkMemLimit], params.memlimit);
  std::memcpy(&blob[kSkKeynum], key.key_id().data(), kKeyIdBytes);
  const auto& sk = internal::SecretKeyAccess::Bytes(key);
  std::memcpy(&blob[kSkKey], sk.data(), kSecretKeyBytes);
  auto chk =
      Checksum(std::string_view(blob).substr(kSkKeynum, kSkChk - kSkKeynum));
  std::memcpy(&blob[kSkChk], chk.data(), kChkBytes);

  std::string stream;
  Wiped wipe_stream(&stream);
  WFS_RETURN_IF_ERROR(DeriveStream(
      passphrase, std::string_view(blob).substr(kSkSalt, kSkOpsLimit - kSkSalt),
      params.opslimit, params.memlimit, &stream));
  XorInto(&blob, kSkKeynum, stream);
  return StrCat(kCommentPrefix, kSecretKeyComment, "\n",
                internal::Base64Encode(blob), "\n");
}

std::string FormatSecretKeyUnencrypted(const SecretKey& key) {
  std::string blob(kSecretBlobBytes, '\0');
  Wiped wipe_blob(&blob);
  std::memcpy(&blob[kSkSigAlg], kSigAlg.data(), 2);
  std::memcpy(&blob[kSkKdfAlg], kKdfNone.data(), 2);
  std::memcpy(&blob[kSkChkAlg], kChkAlg.data(), 2);
  std::memcpy(&blob[kSkKeynum], key.key_id().data(), kKeyIdBytes);
  const auto& sk = internal::SecretKeyAccess::Bytes(key);
  std::memcpy(&blob[kSkKey], sk.data(), kSecretKeyBytes);
  auto chk =
      Checksum(std::string_view(blob).substr(kSkKeynum, kSkChk - kSkKeynum));
  std::memcpy(&blob[kSkChk], chk.data(), kChkBytes);
  std::string b64 = internal::Base64Encode(blob);
  Wiped wipe_b64(&b64);
  return StrCat(kCommentPrefix, kSecretKeyComment, "\n", b64, "\n");
}

Result<bool> SecretKeyIsEncrypted(std::string_view file) {
  WFS_ASSIGN_OR_RETURN(std::string blob, DecodeSecretKeyBlob(file));
  Wiped wipe_blob(&blob);
  return blob.substr(kSkKdfAlg, 2) == kKdfScrypt;
}

Result<SecretKey> ParseSecretKey(std::string_view file,
                                 std::string_view passphrase,
                                 const KdfLimits& limits) {
  internal::EnsureSodium();
  WFS_ASSIGN_OR_RETURN(std::string blob, DecodeSecretKeyBlob(file));
  Wiped wipe_blob(&blob);
  std::string_view b(blob);
  const bool encrypted = b.substr(kSkKdfAlg, 2) == kKdfScrypt;
  if (encrypted) {
    uint64_t opslimit = Load64Le(b.substr(kSkOpsLimit, 8));
    uint64_t memlimit = Load64Le(b.substr(kSkMemLimit, 8));
    if (opslimit < kScryptOpsLimitMin || memlimit < kScryptMemLimitMin) {
      return InvalidArgument(
          StrCat("secret key: scrypt parameters below the minimum (opslimit ",
                 opslimit, " < ", kScryptOpsLimitMin, " or memlimit ", memlimit,
                 " < ", kScryptMemLimitMin, ")"));
    }
    if (opslimit > limits.max_opslimit || memlimit > limits.max_memlimit) {
      return ResourceExhausted(StrCat(
          "secret key: refusing scrypt parameters above the limit (opslimit ",
          opslimit, ", limit ", limits.max_opslimit, "; memlimit ", memlimit,
          ", limit ", limits.max_memlimit, ")"));
    }
    std::string stream;
    Wiped wipe_stream(&stream);
    WFS_RETURN_IF_ERROR(DeriveStream(passphrase,
                                     b.substr(kSkSalt, kSkOpsLimit - kSkSalt),
                                     opslimit, memlimit, &stream));
    XorInto(&blob, kSkKeynum, stream);
  }
  auto chk = Checksum(b.substr(kSkKeynum, kSkChk - kSkKeynum));
  std::string_view stored = b.substr(kSkChk, kChkBytes);
  bool chk_ok = sodium_memcmp(chk.data(), stored.data(), kChkBytes) == 0;
  if (encrypted && !chk_ok) {
    return Unauthenticated(
        "secret key: wrong passphrase (the decrypted key does not match its "
        "checksum)");
  }
  if (!encrypted && !chk_ok && !sodium_is_zero(AsBytes(stored), kChkBytes)) {
    return DataLoss("secret key: checksum mismatch; the key file is corrupt");
  }
  KeyId id;
  std::memcpy(id.data(), &blob[kSkKeynum], kKeyIdBytes);
  std::array<uint8_t, kSecretKeyBytes> sk;
  std::memcpy(sk.data(), &blob[kSkKey], kSecretKeyBytes);
  // The public half must be the one the seed makes, or signatures made with
  // this key would not verify under the public key it claims.
  std::array<uint8_t, kPublicKeyBytes> pk;
  std::array<uint8_t, kSecretKeyBytes> expect;
  crypto_sign_seed_keypair(pk.data(), expect.data(), sk.data());
  bool consistent = sodium_memcmp(expect.data(), sk.data(), sk.size()) == 0;
  sodium_memzero(expect.data(), expect.size());
  if (!consistent) {
    sodium_memzero(sk.data(), sk.size());
    return DataLoss(
        "secret key: the public half does not match the seed; the key file "
        "is corrupt");
  }
  SecretKey key(id, sk);
  sodium_memzero(sk.data(), sk.size());
  return key;
}

// ---- Files -----------------------------------------------------------------

Result<PublicKey> LoadPublicKeyFile(const std::string& path) {
  WFS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxKeyFileBytes));
  auto key = ParsePublicKey(text);
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

Result<SecretKey> LoadSecretKeyFile(const std::string& path,
                                    std::string_view passphrase,
                                    const KdfLimits& limits) {
  WFS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxKeyFileBytes));
  Wiped wipe_text(&text);
  auto key = ParseSecretKey(text, passphrase, limits);
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

Status WritePublicKeyFile(const std::string& path, const PublicKey& key) {
  return WriteFileAtomic(path, FormatPublicKey(key), 0644);
}

Status WriteSecretKeyFile(const std::string& path, std::string_view contents,
                          bool overwrite) {
  std::string tmp = StrCat(path, ".tmp.", getpid(), ".", SecureRandomHex(6));
  int fd = open(tmp.c_str(),
                O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ErrnoStatus(errno, "create", tmp);
  auto fail = [&](std::string_view what) {
    Status s = ErrnoStatus(errno, what, tmp);
    if (fd >= 0) close(fd);
    unlink(tmp.c_str());
    return s;
  };
  // The umask may only take bits away; make the mode exact anyway.
  if (fchmod(fd, 0600) != 0) return fail("chmod");
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t w = write(fd, contents.data() + done, contents.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    done += static_cast<size_t>(w);
  }
  if (fsync(fd) != 0) return fail("sync");
  if (close(fd) != 0) {
    fd = -1;
    return fail("close");
  }
  fd = -1;
  if (overwrite) {
    if (rename(tmp.c_str(), path.c_str()) != 0) return fail("rename");
  } else {
    // link() fails with EEXIST instead of replacing: no window in which an
    // existing key could be clobbered.
    if (link(tmp.c_str(), path.c_str()) != 0) {
      int e = errno;
      unlink(tmp.c_str());
      if (e == EEXIST) {
        return AlreadyExists(StrCat(path, " already exists; not replacing a ",
                                    "secret key without being asked to"));
      }
      return ErrnoStatus(e, "create", path);
    }
    unlink(tmp.c_str());
  }
  std::string dir = ".";
  size_t slash = path.rfind('/');
  if (slash != std::string::npos)
    dir = slash == 0 ? "/" : path.substr(0, slash);
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Status::Ok();
}

bool VerifyDetached(const PublicKey& key, std::string_view message,
                    std::string_view signature) {
  return internal::VerifyEd25519(key, message, signature);
}

}  // namespace wfs::crypto
