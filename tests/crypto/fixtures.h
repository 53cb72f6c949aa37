// Files made by the minisign 0.11 CLI (`minisign -G -W`, then `minisign -S`
// and `minisign -S -l` over kHelloContent), kept as fixed vectors.
#ifndef WFSTORE_TESTS_CRYPTO_FIXTURES_H_
#define WFSTORE_TESTS_CRYPTO_FIXTURES_H_

#include <string_view>

namespace wfs::crypto::testing {

inline constexpr std::string_view kMinisignKeyIdHex = "A4AE785B81FAB7A5";

inline constexpr std::string_view kMinisignPublicKey =
    "untrusted comment: minisign public key A4AE785B81FAB7A5\n"
    "RWSlt/qBW3iupJa2NZ4wzKV0GQT1Hw5JgoNGw4J6vLyZcD4bTDP00OpS\n";

// Unencrypted (-W): kdf 00 00, zero salt and limits, zero checksum.
inline constexpr std::string_view kMinisignSecretKeyUnencrypted =
    "untrusted comment: minisign encrypted secret key\n"
    "RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "pbf6gVt4rqTeUNtS8JVdPr1igmX4q5uoPGe7jBVYTacFahDGKVn1UJa2NZ4wzKV0GQT1Hw5J"
    "goNGw4J6vLyZcD4bTDP00OpSAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";

inline constexpr std::string_view kHelloContent = "hello\n";

inline constexpr std::string_view kMinisignHelloSig =
    "untrusted comment: signature from minisign secret key\n"
    "RUSlt/qBW3iupO4sjgAoVsK/6x1lWpc3tQwizotIqXcGeaoePJ9oGJ20tPllLLa/BLbdsOxz"
    "bQDShNhcOicfJ7AXQkzD0QIhWwM=\n"
    "trusted comment: timestamp:1795503440\tfile:f\thashed\n"
    "R/mb1FX6MlJATgfMWgZKI3UGfphIVynaHvjLMH9cYw0DswieeqSac2q7TQ2DgHss+XQKUyji"
    "+YrwSd8HFGRkCQ==\n";

inline constexpr std::string_view kMinisignHelloLegacySig =
    "untrusted comment: signature from minisign secret key\n"
    "RWSlt/qBW3iupDECpqeSy/txrOq5ZvJZ+DEzqVEY/cNYKNJIuq7LW6rEhCWEZ4nZpbcw5F5x"
    "uQ5cvZls1iBOpsK6CiMrvJ5UbQw=\n"
    "trusted comment: timestamp:1795503440\tfile:f\n"
    "vPhHUWUcv8pvaTqTgTetkKXQO+d+6vmXZ3FRl9QbMGs8ZiCDlqY+rYoDdl/W5aHCYKAm4tMN"
    "2A3dbaH9j2fQBw==\n";

}  // namespace wfs::crypto::testing

#endif  // WFSTORE_TESTS_CRYPTO_FIXTURES_H_
