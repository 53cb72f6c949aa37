// The SQLite wrapper: what every store, journal and log relies on when
// several processes open the same files.
#include "sql/sqlite.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/random.h"
#include "base/strings.h"

namespace wfs::sql {
namespace {

// Servers starting at once on a new store open its new databases at once
// (connections here, one per thread, contend as processes do): each gets
// the database in WAL mode, none is told it is locked.
TEST(DbTest, ConnectionsOpeningANewDatabaseAtOnceAllGetIt) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              StrCat("wfs-sqlite-", SecureRandomHex(4));
  std::filesystem::create_directories(dir);
  constexpr int kRounds = 100, kConnections = 6;
  std::atomic<int> failures{0};
  std::string first_error;
  std::mutex mu;
  for (int round = 0; round < kRounds; ++round) {
    std::string path = (dir / StrCat("db", round, ".sqlite")).string();
    std::vector<std::thread> threads;
    for (int i = 0; i < kConnections; ++i) {
      threads.emplace_back([&] {
        auto db = Db::Open(path, {});
        Status s = db.ok()
                       ? (*db)->Exec("CREATE TABLE IF NOT EXISTS t(x INTEGER)")
                       : db.status();
        if (!s.ok()) {
          ++failures;
          std::lock_guard<std::mutex> l(mu);
          if (first_error.empty()) first_error = s.ToString();
        }
      });
    }
    for (std::thread& t : threads) t.join();
  }
  EXPECT_EQ(failures.load(), 0) << first_error;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wfs::sql
