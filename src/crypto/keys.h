// Ed25519 signing keys in minisign's file formats.
//
// A public key file is two lines:
//   untrusted comment: minisign public key <KEY ID>
//   base64("Ed" || key id (8) || Ed25519 public key (32))
// A secret key file is two lines:
//   untrusted comment: minisign encrypted secret key
//   base64("Ed" || kdf "Sc" or 00 00 || "B2" || kdf salt (32) ||
//          opslimit (8, LE) || memlimit (8, LE) || keynum_sk (104))
// where keynum_sk = key id (8) || Ed25519 secret key (64) ||
// BLAKE2b-256("Ed" || key id || secret key) (32), XORed with 104 bytes of
// scrypt(passphrase, salt, opslimit, memlimit) when the kdf is "Sc".
// docs/signing.md describes the formats in full.
//
// Keys made here work with the minisign tool (0.10+) and the other way round.
// Every function is thread-safe; none throws.
#ifndef WFSTORE_CRYPTO_KEYS_H_
#define WFSTORE_CRYPTO_KEYS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace wfs::crypto {

inline constexpr size_t kKeyIdBytes = 8;
inline constexpr size_t kPublicKeyBytes = 32;
inline constexpr size_t kSecretKeyBytes = 64;  // libsodium: seed || public
inline constexpr size_t kSeedBytes = 32;
inline constexpr size_t kSignatureBytes = 64;

// scrypt cost bounds, libsodium's crypto_pwhash_scryptsalsa208sha256_*.
// minisign encrypts with the "sensitive" cost (about 1 GiB and seconds).
inline constexpr uint64_t kScryptOpsLimitMin = 32768;
inline constexpr uint64_t kScryptMemLimitMin = 16777216;
inline constexpr uint64_t kScryptOpsLimitInteractive = 524288;
inline constexpr uint64_t kScryptMemLimitInteractive = 16777216;
inline constexpr uint64_t kScryptOpsLimitSensitive = 33554432;
inline constexpr uint64_t kScryptMemLimitSensitive = 1073741824;

// Random 8 bytes chosen when a key pair is made; signatures carry it so a
// verifier can tell which key made them.
using KeyId = std::array<uint8_t, kKeyIdBytes>;

// minisign's display form of a key id: the 8 bytes read as a little-endian
// 64-bit number, printed as 16 upper-case hex digits ("A4AE785B81FAB7A5").
// This is also the keyid wfstore writes into DSSE signatures.
std::string KeyIdHex(const KeyId& id);

struct PublicKey {
  KeyId key_id{};
  std::array<uint8_t, kPublicKeyBytes> key{};

  bool operator==(const PublicKey&) const = default;
};

namespace internal {
struct SecretKeyAccess;
}  // namespace internal

// An Ed25519 secret key and its key id. The key bytes never leave the object
// except through FormatSecretKey*; they are wiped when it is destroyed.
class SecretKey {
 public:
  // `secret_key` is libsodium's 64-byte form: seed (32) || public key (32).
  // The caller vouches that both halves belong together (ParseSecretKey
  // checks this for keys read from files).
  SecretKey(const KeyId& key_id,
            const std::array<uint8_t, kSecretKeyBytes>& secret_key);
  SecretKey(const SecretKey& other) = default;
  SecretKey& operator=(const SecretKey& other) = default;
  ~SecretKey();

  const KeyId& key_id() const { return key_id_; }
  PublicKey public_key() const;

  // Pure Ed25519 (RFC 8032) signature of `message`.
  std::array<uint8_t, kSignatureBytes> SignDetached(
      std::string_view message) const;

 private:
  friend struct internal::SecretKeyAccess;
  KeyId key_id_;
  std::array<uint8_t, kSecretKeyBytes> sk_;
};

// Pure Ed25519 verification of a detached signature made by
// SecretKey::SignDetached (libsodium's strict checks). False for a signature
// of the wrong length.
bool VerifyDetached(const PublicKey& key, std::string_view message,
                    std::string_view signature);

struct KeyPair {
  PublicKey public_key;
  SecretKey secret_key;
};

// A new key pair: key id and key from libsodium's randombytes (the OS CSPRNG).
KeyPair GenerateKeyPair();

// The key pair determined by a 32-byte Ed25519 seed and a key id. For tests
// and fixtures that need the same key every run; a seed must be as secret
// as the key it makes.
KeyPair KeyPairFromSeed(const std::array<uint8_t, kSeedBytes>& seed,
                        const KeyId& key_id);

// ---- Public key files ------------------------------------------------------

// The public key file text, two lines each ending in '\n'; the comment names
// the key id as minisign does.
std::string FormatPublicKey(const PublicKey& key);

// The base64 line alone, as `minisign -P` takes it.
std::string PublicKeyBase64(const PublicKey& key);

// Parses public key file text (untrusted input). Blank lines may follow the
// two lines; nothing else may. Errors (all kInvalidArgument) say what is
// wrong: a missing "untrusted comment: " line, bad base64, a wrong length,
// or an algorithm other than "Ed".
Result<PublicKey> ParsePublicKey(std::string_view file);

// Parses the base64 line alone (what `minisign -P` takes). kInvalidArgument
// as above.
Result<PublicKey> ParsePublicKeyBase64(std::string_view base64);

// ---- Secret key files ------------------------------------------------------

// scrypt cost to encrypt a secret key with. The default is minisign's.
struct KdfParams {
  uint64_t opslimit = kScryptOpsLimitSensitive;
  uint64_t memlimit = kScryptMemLimitSensitive;
};

// The most scrypt work a parser accepts from a file, so that a hostile file
// cannot make it spend more than this. Values below the libsodium minimums
// are refused as malformed whatever the limits (minisign never writes them).
struct KdfLimits {
  uint64_t max_opslimit = kScryptOpsLimitSensitive;
  uint64_t max_memlimit = kScryptMemLimitSensitive;
};

// Encrypted secret key file text: the key, its checksum, a fresh random salt
// and `params`, XORed with scrypt(passphrase). Any passphrase is accepted,
// the empty one included, up to 1023 bytes (minisign's limit).
// Errors: kInvalidArgument for a passphrase too long or params outside
// [minimum, sensitive]; kResourceExhausted when scrypt cannot get memory.
Result<std::string> FormatSecretKey(const SecretKey& key,
                                    std::string_view passphrase,
                                    const KdfParams& params = {});

// Unencrypted secret key file text (kdf 00 00, as `minisign -G -W`), with
// zero salt and limits. Unlike minisign it fills in the checksum, which
// minisign ignores for unencrypted keys and ParseSecretKey checks.
std::string FormatSecretKeyUnencrypted(const SecretKey& key);

// Whether secret key file text is encrypted (kdf "Sc"), without decrypting.
// kInvalidArgument when the text is not a secret key file.
Result<bool> SecretKeyIsEncrypted(std::string_view file);

// Parses secret key file text (untrusted input) and, when it is encrypted,
// decrypts it with `passphrase` (ignored for unencrypted keys).
// Errors:
//   kInvalidArgument     not a minisign secret key (lines, base64, length,
//                        algorithms), or scrypt limits below the minimums;
//   kResourceExhausted   opslimit/memlimit above `limits` (nothing derived),
//                        or scrypt could not get its memory;
//   kUnauthenticated     the checksum does not match after decryption: the
//                        passphrase is wrong (or the file was altered);
//   kDataLoss            an unencrypted key whose non-zero checksum does not
//                        match, or a key whose public half does not belong
//                        to its seed: the file is corrupt.
// An unencrypted key with an all-zero checksum (what minisign -W writes) is
// accepted.
Result<SecretKey> ParseSecretKey(std::string_view file,
                                 std::string_view passphrase,
                                 const KdfLimits& limits = {});

// ---- Files on disk ---------------------------------------------------------

// Reads and parses a public key file (at most 64 KiB).
Result<PublicKey> LoadPublicKeyFile(const std::string& path);

// Reads and parses a secret key file (at most 64 KiB); see ParseSecretKey.
Result<SecretKey> LoadSecretKeyFile(const std::string& path,
                                    std::string_view passphrase,
                                    const KdfLimits& limits = {});

// Writes public key file text atomically with mode 0644.
Status WritePublicKeyFile(const std::string& path, const PublicKey& key);

// Writes secret key file text (from FormatSecretKey*) atomically: a
// temporary file created with mode 0600 (O_EXCL), fsynced, then linked into
// place. Without `overwrite` an existing `path` is kept and the result is
// kAlreadyExists; with it the file is replaced by rename. Other errors
// follow base/file.h (kNotFound, kPermissionDenied, kUnavailable...).
Status WriteSecretKeyFile(const std::string& path, std::string_view contents,
                          bool overwrite);

}  // namespace wfs::crypto

#endif  // WFSTORE_CRYPTO_KEYS_H_
