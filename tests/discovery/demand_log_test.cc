#include "discovery/demand_log.h"

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "base/random.h"
#include "base/strings.h"

namespace wfs::discovery {
namespace {

class DemandLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("wfs-demand-" + SecureRandomHex(6));
    std::filesystem::create_directories(dir_);
    db_ = sql::Db::Open((dir_ / "store.db").string(), {}).value();
    log_ = DemandLog::Open(db_.get(), &clock_).value();
  }
  void TearDown() override {
    log_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Ask(const std::string& q, const std::string& caller) {
    ASSERT_TRUE(log_->Record(q, caller).ok());
    clock_.Advance(1000000);
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<sql::Db> db_;
  std::unique_ptr<DemandLog> log_;
};

TEST_F(DemandLogTest, KeyIsTheNormalizedTermSet) {
  EXPECT_EQ(log_->Key("book a flight"), log_->Key("Booking flights!"));
  EXPECT_EQ(log_->Key("book a flight"), log_->Key("Flights? Schedule!"));
  // Canonical members of the synonym groups, sorted.
  const Analyzer& a = Analyzer::Default();
  std::vector<std::string> want = {a.Canonical("book"), "flight"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(log_->Key("book a flight"), want[0] + " " + want[1]);
  EXPECT_EQ(log_->Key("delete all my emails"),
            log_->Key("remove every message"));
  EXPECT_EQ(log_->Key("the"), "");
}

TEST_F(DemandLogTest, GroupsCountsAndOrdersNewestFirst) {
  Ask("book a flight", "agent-a");
  Ask("order a pizza", "agent-a");
  Ask("Booking flights", "agent-b");
  Ask("book a flight to Paris", "agent-c");  // similar: merged
  Ask("order a pizza", "agent-a");
  Ask("run this shell command", "agent-b");

  auto unmet = log_->Unmet();
  ASSERT_TRUE(unmet.ok()) << unmet.status().ToString();
  ASSERT_EQ(unmet->size(), 3u);
  const UnmetIntent& shell = (*unmet)[0];
  EXPECT_EQ(shell.query, "run this shell command");
  EXPECT_EQ(shell.count, 1);

  const UnmetIntent& pizza = (*unmet)[1];
  EXPECT_EQ(pizza.query, "order a pizza");
  EXPECT_EQ(pizza.count, 2);
  EXPECT_EQ(pizza.callers, 1);
  EXPECT_EQ(pizza.examples, (std::vector<std::string>{"order a pizza"}));

  const UnmetIntent& flight = (*unmet)[2];
  EXPECT_EQ(flight.query, "book a flight to Paris");
  EXPECT_EQ(flight.count, 3);
  EXPECT_EQ(flight.callers, 3);
  EXPECT_EQ(flight.examples,
            (std::vector<std::string>{"book a flight to Paris",
                                      "Booking flights", "book a flight"}));
  EXPECT_LT(flight.first_us, flight.last_us);
  EXPECT_EQ(flight.last_us - flight.first_us, 3000000);

  // Exact term sets only: "to Paris" stays apart.
  UnmetOptions exact;
  exact.merge_similarity = 1.0;
  auto strict = log_->Unmet(exact);
  ASSERT_TRUE(strict.ok());
  EXPECT_EQ(strict->size(), 4u);

  UnmetOptions recent;
  recent.since_us = clock_.NowMicros() - 2500000;  // the last two asks
  auto r = log_->Unmet(recent);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].count, 1);  // only the newest pizza

  UnmetOptions one;
  one.limit = 1;
  EXPECT_EQ(log_->Unmet(one)->size(), 1u);
}

TEST_F(DemandLogTest, RecordsTheNearestCandidate) {
  SearchResponse r;
  r.query = "book a flight";
  SearchResult s;
  s.id = "calendar.book_meeting@1.0.0";
  s.confidence = 0.41;
  r.results.push_back(s);
  ASSERT_TRUE(log_->Record(r, "agent").ok());
  auto unmet = log_->Unmet();
  ASSERT_TRUE(unmet.ok());
  ASSERT_EQ(unmet->size(), 1u);
  EXPECT_EQ((*unmet)[0].nearest, "calendar.book_meeting@1.0.0");
  EXPECT_EQ((*unmet)[0].terms, StrSplit(log_->Key("book a flight"), ' '));
}

TEST_F(DemandLogTest, JsonShape) {
  Ask("book a flight", "agent-a");
  Ask("Booking flights", "agent-b");
  auto unmet = log_->Unmet();
  ASSERT_TRUE(unmet.ok());
  Json j = ToJson(*unmet);
  ASSERT_TRUE(j["unmet"].is_array());
  ASSERT_EQ(j["unmet"].size(), 1u);
  const Json& u = j["unmet"][0];
  EXPECT_EQ(u["query"], "Booking flights");
  EXPECT_EQ(u["count"], 2);
  EXPECT_EQ(u["callers"], 2);
  EXPECT_EQ(u["examples"].size(), 2u);
  EXPECT_EQ(u["terms"], Json(StrSplit(log_->Key("book a flight"), ' ')));
  // FakeClock starts at 2026-01-01T00:00:00Z; one second per ask.
  EXPECT_EQ(u["first"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(u["last"], "2026-01-01T00:00:01Z");
  EXPECT_EQ(u["nearest"], "");
}

TEST_F(DemandLogTest, QueriesWithoutTermsGroupByText) {
  Ask("???", "a");
  Ask("the", "a");
  Ask("The ", "b");
  auto unmet = log_->Unmet();
  ASSERT_TRUE(unmet.ok());
  ASSERT_EQ(unmet->size(), 2u);
  EXPECT_EQ((*unmet)[0].count, 2);
}

TEST_F(DemandLogTest, SurvivesReopeningAndBoundsInput) {
  Ask(std::string(5000, 'x'), std::string(500, 'c'));
  log_.reset();
  log_ = DemandLog::Open(db_.get(), &clock_).value();
  Ask("order a pizza", "a");
  auto unmet = log_->Unmet();
  ASSERT_TRUE(unmet.ok());
  ASSERT_EQ(unmet->size(), 2u);
  EXPECT_EQ((*unmet)[1].query.size(), 1000u);
  EXPECT_FALSE(DemandLog::Open(nullptr, &clock_).ok());
}

}  // namespace
}  // namespace wfs::discovery
